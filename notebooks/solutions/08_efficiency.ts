/**
 * Worked solutions to notebook 08's exercises. Try them yourself first; each one passes its
 * check in `notebooks/exercises/08_efficiency.ts` (`08_efficiency_test.ts` runs them).
 *
 * @module
 */

/** Exercise 1: a short name is still tens of thousands of nodes (every multiply-add is one). */
export const nodesForAva = "about 30,000";

/**
 * Exercise 2: each output is a dot product of a row with x, summed from 0 left to right as
 * `linear` does.
 *
 * @example
 * ```ts
 * import { matvec } from "./08_efficiency.ts";
 * console.log(matvec(Float64Array.of(1, 2, 3, 4), Float64Array.of(1, 1), 2, 2)); // Float64Array(2) [ 3, 7 ]
 * ```
 */
export function matvec(w: Float64Array, x: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let c = 0; c < cols; c++) total += w[r * cols + c] * x[c];
    y[r] = total;
  }
  return y;
}

/**
 * Exercise 3: each weight's gradient is its output's gradient times its input; each input's
 * gradient sums over the rows it fed.
 *
 * @example
 * ```ts
 * import { linearBackward } from "./08_efficiency.ts";
 * const { dw, dx } = linearBackward(Float64Array.of(1, 2), Float64Array.of(3, 4), Float64Array.of(1), 1, 2);
 * console.log(dw, dx); // Float64Array(2) [ 3, 4 ] Float64Array(2) [ 1, 2 ]
 * ```
 */
export function linearBackward(
  w: Float64Array,
  x: Float64Array,
  dy: Float64Array,
  rows: number,
  cols: number,
): { dw: Float64Array; dx: Float64Array } {
  const dw = new Float64Array(rows * cols);
  const dx = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      dw[r * cols + c] = dy[r] * x[c];
      dx[c] += w[r * cols + c] * dy[r];
    }
  }
  return { dw, dx };
}
