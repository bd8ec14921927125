/**
 * Worked solutions to notebook 09's exercises. Try them yourself first; each one passes its
 * check in `notebooks/exercises/09_tensors.ts` (`09_tensors_test.ts` runs them).
 *
 * @module
 */

import { linear, matmul, scale, softmax, Tensor } from "../../lib/tensor/mod.ts";

/**
 * Exercise 1: step `step` takes the next `batchSize` documents, wrapping around the list.
 *
 * @example
 * ```ts
 * import { batchDocs } from "./09_tensors.ts";
 * console.log(batchDocs(1, 4, 5)); // [ 4, 0, 1, 2 ]
 * ```
 */
export function batchDocs(step: number, batchSize: number, numDocs: number): number[] {
  return Array.from({ length: batchSize }, (_, b) => (step * batchSize + b) % numDocs);
}

/**
 * Exercise 2: an op is its forward result plus a backward that adds each input's share of the
 * output's gradient: d(x²)/dx = 2x.
 *
 * @example
 * ```ts
 * import { square } from "./09_tensors.ts";
 * import { Tensor } from "../../lib/tensor/mod.ts";
 * console.log(square(Tensor.from([[3, -2]])).toArray()); // [ [ 9, 4 ] ]
 * ```
 */
export function square(x: Tensor): Tensor {
  const y = x.data.map((v) => v * v);
  return new Tensor(x.rows, x.cols, y, {
    parents: [x],
    op: "square",
    backward: (dy) => {
      const dx = x.grad;
      for (let i = 0; i < dy.length; i++) dx[i] += 2 * x.data[i] * dy[i];
    },
  });
}

/**
 * Exercise 3: scores `q kᵀ / √hd` (`linear(q, k)` is `q kᵀ`), the causal softmax, then a
 * weighted sum of the values.
 *
 * @example
 * ```ts
 * import { head } from "./09_tensors.ts";
 * import { Tensor } from "../../lib/tensor/mod.ts";
 * console.log(head(Tensor.from([[1]]), Tensor.from([[2]]), Tensor.from([[5]])).toArray()); // [ [ 5 ] ]
 * ```
 */
export function head(q: Tensor, k: Tensor, v: Tensor): Tensor {
  const weights = softmax(scale(linear(q, k), (q.cols ** 0.5) ** -1), { causal: true }); // [T][T]
  return matmul(weights, v); // [T][hd]
}

/**
 * Exercise 4: each document fills `min(blockSize, length - 1)` of the `T` rows, `T` being the
 * longest document's count; the rest of its rows are padding.
 *
 * @example
 * ```ts
 * import { paddingFraction } from "./09_tensors.ts";
 * console.log(paddingFraction([[0, 1, 0], [0, 1, 2, 3, 0]], 16)); // 0.25: 2 of the 2 x 4 rows
 * ```
 */
export function paddingFraction(docs: number[][], blockSize: number): number {
  const lengths = docs.map((doc) => Math.min(blockSize, doc.length - 1));
  const T = Math.max(...lengths);
  const filled = lengths.reduce((a, b) => a + b, 0);
  return 1 - filled / (docs.length * T);
}
