/**
 * The checks of notebook 08's exercises ("Try it"). Each takes your answer and shows one line:
 * `✓ ...` when it is right, `✗ ...` saying what is off. Worked solutions:
 * `notebooks/solutions/08_efficiency.ts`.
 *
 * @module
 */

import { type GPT, linear, Random, type Tokenizer, Value, valueGraphSize } from "../../lib/mod.ts";
import { attempt, type CheckResult, choice, fail, numbers, pass } from "./check.ts";

/** The answers of exercise 1. */
export const NODE_CHOICES = ["about 3,000", "about 30,000", "about 300,000"] as const;

/**
 * Exercise 1 (predict, then run): roughly how many graph nodes one training step on `ava` builds.
 *
 * @example
 * ```ts ignore
 * console.log(check.nodesForAva("about 30,000", model, tokenizer).message);
 * ```
 */
export function nodesForAva(answer: string, model: GPT, tokenizer: Tokenizer): CheckResult {
  return attempt(() => {
    const nodes = valueGraphSize(model, tokenizer.encode("ava"));
    const nearest = NODE_CHOICES.reduce((best, c) =>
      Math.abs(Math.log(Number(c.replace(/\D/g, "")) / nodes)) <
          Math.abs(Math.log(Number(best.replace(/\D/g, "")) / nodes))
        ? c
        : best
    );
    return choice(
      "one step on ava builds",
      answer,
      nearest,
      NODE_CHOICES,
      `${
        nodes.toLocaleString("en")
      } nodes for 4 positions; most are the multiply-adds of the matrix-vector products`,
    );
  });
}

/** A random matrix (`rows` x `cols`, row after row) and vector, as flat arrays. */
function randomProblem(rng: Random, rows: number, cols: number) {
  const w = Float64Array.from({ length: rows * cols }, () => rng.gauss(0, 1));
  const x = Float64Array.from({ length: cols }, () => rng.gauss(0, 1));
  return { w, x };
}

/** `w` (flat, row after row) as a matrix of `Value`s. */
function asMatrix(w: Float64Array, rows: number, cols: number): Value[][] {
  return Array.from(
    { length: rows },
    (_, r) => Array.from({ length: cols }, (_, c) => new Value(w[r * cols + c])),
  );
}

const SHAPES = [[1, 1], [3, 2], [16, 16], [64, 16], [27, 16]] as const;

/**
 * Exercise 2 (implement a piece): `matvec(w, x, rows, cols)` must compute `y = W x` on flat
 * arrays (`w[r * cols + c]` is row `r`, column `c`): the fast engine's core loop. Summed from 0,
 * left to right, it gives `linear`'s numbers to the last bit.
 *
 * @example
 * ```ts
 * import { matvec } from "./08_efficiency.ts";
 * console.log(matvec(() => new Float64Array(0)).message.startsWith("✗")); // true
 * ```
 */
export function matvec(
  yours: (w: Float64Array, x: Float64Array, rows: number, cols: number) => Float64Array,
): CheckResult {
  return attempt(() => {
    const rng = new Random(8);
    let bitForBit = true;
    for (const [rows, cols] of SHAPES) {
      const { w, x } = randomProblem(rng, rows, cols);
      const expected = linear([...x].map((v) => new Value(v)), asMatrix(w, rows, cols)).map((v) => v.data);
      const got = yours(w.slice(), x.slice(), rows, cols);
      const result = numbers(`${rows} x ${cols}`, got, expected, {
        tolerance: 1e-12,
        name: (i) => `y[${i}]`,
      });
      if (!result.ok) return fail(`matvec ${result.message.slice(2)}`);
      bitForBit &&= Array.from(got).every((y, i) => y === expected[i]);
    }
    return pass(
      `y = W x on flat arrays${bitForBit ? ", the same bits as linear" : " (within 1e-12 of linear)"}`,
    );
  });
}

/**
 * Exercise 3 (implement a piece): `linearBackward(w, x, dy, rows, cols)` must give the
 * gradients of `y = W x` by hand: `dw[r][c] = dy[r] * x[c]` and `dx[c] = Σ_r w[r][c] * dy[r]`,
 * the same numbers the `Value` graph's `backward()` finds.
 *
 * @example
 * ```ts
 * import { linearBackward } from "./08_efficiency.ts";
 * console.log(linearBackward(() => ({ dw: new Float64Array(0), dx: new Float64Array(0) })).ok); // false
 * ```
 */
export function linearBackward(
  yours: (
    w: Float64Array,
    x: Float64Array,
    dy: Float64Array,
    rows: number,
    cols: number,
  ) => { dw: Float64Array; dx: Float64Array },
): CheckResult {
  return attempt(() => {
    const rng = new Random(9);
    for (const [rows, cols] of SHAPES) {
      const { w, x } = randomProblem(rng, rows, cols);
      const dy = Float64Array.from({ length: rows }, () => rng.gauss(0, 1));
      const W = asMatrix(w, rows, cols);
      const X = [...x].map((v) => new Value(v));
      linear(X, W).reduce((total, y, r) => total.add(y.mul(dy[r])), new Value(0)).backward(); // L = Σ dy·y
      const { dw, dx } = yours(w.slice(), x.slice(), dy.slice(), rows, cols);
      const dwResult = numbers(`dw, ${rows} x ${cols}`, dw, W.flat().map((v) => v.grad), {
        tolerance: 1e-12,
        name: (i) => `dw[${Math.floor(i / cols)}][${i % cols}]`,
      });
      if (!dwResult.ok) return dwResult;
      const dxResult = numbers(`dx, ${rows} x ${cols}`, dx, X.map((v) => v.grad), {
        tolerance: 1e-12,
        name: (i) => `dx[${i}]`,
      });
      if (!dxResult.ok) return fail(`${dxResult.message.slice(2)} (dx sums over the rows: Wᵀ dy)`);
    }
    return pass("dW = dy xᵀ and dx = Wᵀ dy, as the Value graph's backward() finds them");
  });
}
