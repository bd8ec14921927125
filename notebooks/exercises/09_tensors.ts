/**
 * The checks of notebook 09's exercises ("Try it"). Each takes your answer, tries it on cases
 * whose right answer the library knows, and returns one line: `✓ ...` when it is right, `✗ ...`
 * saying what is off when it is not (it never throws, so the notebook runs top to bottom either
 * way). Worked solutions: `notebooks/solutions/09_tensors.ts`.
 *
 * @module
 */

import { GPT, Random, Trainer } from "../../lib/mod.ts";
import {
  add,
  attentionHead,
  makeBatch,
  numericalGradient,
  relativeError,
  Tensor,
} from "../../lib/tensor/mod.ts";

/** Runs `check`; an exception in the learner's code becomes a `✗` line instead of a failed cell. */
function attempt(check: () => string): string {
  try {
    return check();
  } catch (error) {
    return `✗ your code threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
}

/** A tensor of gauss(0, 1) numbers. */
function randomTensor(rng: Random, rows: number, cols: number): Tensor {
  return new Tensor(rows, cols, Float64Array.from({ length: rows * cols }, () => rng.gauss(0, 1)));
}

/**
 * Exercise 1: `batchDocs(step, batchSize, numDocs)` must list the indices of the documents that
 * step `step` trains on, as `Trainer` picks them (`Trainer.batchAt`).
 *
 * @example
 * ```ts
 * import { checkBatchDocs } from "./09_tensors.ts";
 * console.log(checkBatchDocs(() => [0])); // ✗ step 1, batch size 1, 5 documents: you gave [0], Trainer takes [1]
 * ```
 */
export function checkBatchDocs(
  batchDocs: (step: number, batchSize: number, numDocs: number) => number[],
): string {
  return attempt(() => {
    const model = GPT.init({ nEmbd: 1, nHead: 1, nLayer: 1, blockSize: 1 }, 2, new Random(0));
    for (const numDocs of [5, 32, 3]) {
      const docs = Array.from({ length: numDocs }, (_, i) => [i, i]); // document i is [i, i]
      for (const batchSize of [1, 4, 7]) {
        const trainer = new Trainer(model, docs, { batchSize });
        for (const step of [0, 1, 2, 9, 100]) {
          const expected = trainer.batchAt(step).map((doc) => doc[0]);
          const got = batchDocs(step, batchSize, numDocs);
          if (JSON.stringify(got) !== JSON.stringify(expected)) {
            return `✗ step ${step}, batch size ${batchSize}, ${numDocs} documents: you gave ${
              JSON.stringify(got)
            }, Trainer takes ${JSON.stringify(expected)}`;
          }
        }
      }
    }
    return "✓ the same documents as Trainer.batchAt, wrap-around included";
  });
}

/**
 * Exercise 2: `square(x)` must be an op: `x * x` element by element, with a backward that adds
 * `2 x dy` into `x.grad`.
 *
 * @example
 * ```ts
 * import { checkSquare } from "./09_tensors.ts";
 * console.log(checkSquare((x) => x).startsWith("✗ values")); // true
 * ```
 */
export function checkSquare(square: (x: Tensor) => Tensor): string {
  return attempt(() => {
    const rng = new Random(9);
    for (const [rows, cols] of [[1, 1], [2, 3], [4, 2]]) {
      const x = randomTensor(rng, rows, cols);
      const y = square(x);
      if (y.rows !== rows || y.cols !== cols) return `✗ square of a ${x.shape} tensor is ${y.shape}`;
      if (y.data.some((v, i) => v !== x.data[i] * x.data[i])) {
        return `✗ values: square of ${x.shape} ${JSON.stringify(x.toArray())} is not x * x`;
      }
      const seed = Float64Array.from({ length: x.size }, () => rng.gauss(0, 1));
      // x used twice: a backward that sets (=) instead of adding (+=) loses one of the uses
      add(square(x), square(x)).backward(seed);
      const numeric = numericalGradient(() => add(square(x), square(x)).data, x.data, seed);
      const { error, at } = relativeError(x.grad, numeric);
      if (!(error <= 1e-10)) {
        return `✗ gradient of ${x.shape}: entry ${at} is ${x.grad[at]}, finite differences say ${
          numeric[at]
        }` +
          " (did backward add into x.grad with +=?)";
      }
    }
    return "✓ values and gradients (checked against finite differences, x used twice)";
  });
}

/**
 * Exercise 3: `head(q, k, v)` must be one causal attention head from four tensor ops, giving
 * `attentionHead(q, k, v, true).out` and the same gradients.
 *
 * @example
 * ```ts
 * import { checkAttentionHead } from "./09_tensors.ts";
 * console.log(checkAttentionHead((_q, _k, v) => v).startsWith("✗")); // true
 * ```
 */
export function checkAttentionHead(head: (q: Tensor, k: Tensor, v: Tensor) => Tensor): string {
  return attempt(() => {
    const rng = new Random(4);
    for (const [T, hd] of [[1, 2], [3, 1], [5, 4]]) {
      const inputs = () => [randomTensor(rng, T, hd), randomTensor(rng, T, hd), randomTensor(rng, T, hd)];
      const [q, k, v] = inputs();
      const copies = [q, k, v].map((t) => new Tensor(T, hd, t.data.slice()));
      const got = head(q, k, v);
      const expected = attentionHead(copies[0], copies[1], copies[2], true).out;
      if (got.rows !== T || got.cols !== hd) {
        return `✗ the output of ${T} positions of width ${hd} is ${got.shape}`;
      }
      const values = relativeError(got.data, expected.data);
      if (!(values.error <= 1e-12)) {
        const row = Math.floor(values.at / hd);
        return `✗ values: position ${row} gives ${got.data[values.at]}, expected ${
          expected.data[values.at]
        }` +
          (row === 0 && T > 1 ? " (position 0 may only look at itself: the causal mask)" : "");
      }
      const seed = Float64Array.from({ length: got.size }, () => rng.gauss(0, 1));
      got.backward(seed);
      expected.backward(seed);
      for (const [i, name] of ["q", "k", "v"].entries()) {
        const { error, at } = relativeError([q, k, v][i].grad, copies[i].grad);
        if (!(error <= 1e-10)) return `✗ the gradient of ${name}[${at}] differs by ${error.toExponential(1)}`;
      }
    }
    return "✓ attentionHead's values and gradients, causal mask included";
  });
}

/**
 * Exercise 4: `paddingFraction(docs, blockSize)` must give the fraction of the `B*T` rows of
 * `makeBatch(docs, blockSize)` that are padding (no target).
 *
 * @example
 * ```ts
 * import { checkPaddingFraction } from "./09_tensors.ts";
 * console.log(checkPaddingFraction(() => 0).startsWith("✗")); // true
 * ```
 */
export function checkPaddingFraction(
  paddingFraction: (docs: number[][], blockSize: number) => number,
): string {
  return attempt(() => {
    const rng = new Random(12);
    for (let trial = 0; trial < 20; trial++) {
      const blockSize = 1 + rng.randbelow(10);
      const docs = Array.from({ length: 1 + rng.randbelow(6) }, () => {
        const length = rng.randbelow(14); // some longer than the context
        return [0, ...Array.from({ length }, () => 1 + rng.randbelow(5)), 0];
      });
      const batch = makeBatch(docs, blockSize);
      const expected = batch.targets.filter((t) => t < 0).length / batch.targets.length;
      const got = paddingFraction(docs, blockSize);
      if (Math.abs(got - expected) > 1e-12) {
        return `✗ documents of ${
          docs.map((d) => d.length - 2).join(", ")
        } characters, context ${blockSize}: ` +
          `you gave ${got}, makeBatch pads ${expected}`;
      }
    }
    return "✓ the padding of makeBatch, documents longer than the context included";
  });
}
