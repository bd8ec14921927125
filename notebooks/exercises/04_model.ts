/**
 * The checks of notebook 04's exercises ("Try it"). Each takes your answer and shows one line:
 * `✓ ...` when it is right, `✗ ...` saying what is off. Worked solutions:
 * `notebooks/solutions/04_model.ts`.
 *
 * @module
 */

import {
  DEFAULT_CONFIG,
  GPT,
  type LayerWeights,
  linear,
  parameterShapes,
  Random,
  softmax,
  Value,
} from "../../lib/mod.ts";
import { attempt, type CheckResult, fail, numbers, pass, prediction, show } from "./check.ts";

/** Parameters of microgpt's model (27 tokens) with `config`'s changes. */
function countParameters(change: Partial<typeof DEFAULT_CONFIG>): number {
  return parameterShapes({ ...DEFAULT_CONFIG, ...change }, 27).reduce(
    (total, [, rows, cols]) => total + rows * cols,
    0,
  );
}

/**
 * Exercise 1 (predict, then run): the number of parameters with `nEmbd: 32` (twice as wide).
 *
 * @example
 * ```ts
 * import { parametersAtWidth32 } from "./04_model.ts";
 * console.log(parametersAtWidth32(2 * 4192).ok); // false: not twice as many
 * ```
 */
export function parametersAtWidth32(yours: number): CheckResult {
  return attempt(() => prediction("parameters with nEmbd 32", yours, countParameters({ nEmbd: 32 })));
}

/**
 * Exercise 2 (predict, then run): the number of parameters with `nHead: 1` instead of 4.
 *
 * @example
 * ```ts
 * import { parametersWithOneHead } from "./04_model.ts";
 * console.log(parametersWithOneHead(4192).ok); // true
 * ```
 */
export function parametersWithOneHead(yours: number): CheckResult {
  const result = attempt(() => prediction("parameters with 1 head", yours, countParameters({ nHead: 1 })));
  return result.ok
    ? pass(`${result.message.slice(2)}: the heads split the same q, k, v into slices; no matrix changes`)
    : result;
}

/**
 * Exercise 3 (break something on purpose): `naiveSoftmax(logits)` must be a softmax that does
 * NOT subtract the largest logit first; it agrees with `softmax` on small logits and breaks on
 * large ones, which this check shows.
 *
 * @example
 * ```ts
 * import { naiveSoftmaxBreaks } from "./04_model.ts";
 * import { softmax } from "../../lib/mod.ts";
 * console.log(naiveSoftmaxBreaks(softmax).message.startsWith("✗")); // true: the real one does not break
 * ```
 */
export function naiveSoftmaxBreaks(naiveSoftmax: (logits: Value[]) => Value[]): CheckResult {
  return attempt(() => {
    const small = [0.5, -1, 2];
    const agree = numbers(
      "on small logits",
      naiveSoftmax(small.map((z) => new Value(z))).map((p) => p.data),
      softmax(small.map((z) => new Value(z))).map((p) => p.data),
      { tolerance: 1e-12 },
    );
    if (!agree.ok) return fail(`naiveSoftmax is not a softmax ${agree.message.slice(2)}`);
    const big = naiveSoftmax([1000, 999].map((z) => new Value(z))).map((p) => p.data);
    if (big.every(Number.isFinite)) {
      return fail(`naiveSoftmax([1000, 999]) is [${big.map(show)}]: it still subtracts the largest logit`);
    }
    return pass(
      `naiveSoftmax([1000, 999]) is [${big.map(show)}]: e^1000 overflows to Infinity and ∞/∞ is NaN; ` +
        `subtracting the largest logit gives [${
          softmax([1000, 999].map((z) => new Value(z))).map((p) => show(p.data))
        }]`,
    );
  });
}

/**
 * Exercise 4 (implement a piece): `mlp(x, layer)` must be the MLP of a block without its
 * RMSNorm and residual: `mlpFc1`, then `relu`, then `mlpFc2`; the same numbers and gradients
 * as the library's `linear` and `relu`.
 *
 * @example
 * ```ts
 * import { mlp } from "./04_model.ts";
 * console.log(mlp((x) => x).message.startsWith("✗")); // true
 * ```
 */
export function mlp(yours: (x: Value[], layer: LayerWeights) => Value[]): CheckResult {
  return attempt(() => {
    const model = GPT.init(DEFAULT_CONFIG, 27, new Random(4));
    const layer = model.layers[0];
    const rng = new Random(5);
    const x = Array.from({ length: DEFAULT_CONFIG.nEmbd }, () => new Value(rng.gauss(0, 1)));
    const got = yours(x, layer);
    const expected = linear(linear(x, layer.mlpFc1).map((z) => z.relu()), layer.mlpFc2);
    const out = numbers("outputs", got.map((v) => v.data), expected.map((v) => v.data), { tolerance: 1e-12 });
    if (!out.ok) return fail(`mlp ${out.message.slice(2)} (fc1, relu, fc2, in that order)`);
    const gradOf = (outputs: Value[]) => {
      for (const p of [...model.parameters, ...x]) p.grad = 0;
      outputs.reduce((total, v, i) => total.add(v.mul(i + 1)), new Value(0)).backward();
      return layer.mlpFc1.flat().map((w) => w.grad);
    };
    const grads = numbers("mlpFc1 gradients", gradOf(got), gradOf(expected), { tolerance: 1e-12 });
    return grads.ok ? pass("mlp's outputs and gradients match linear → relu → linear") : grads;
  });
}
