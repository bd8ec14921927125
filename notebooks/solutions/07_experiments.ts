/**
 * Worked solutions to notebook 07's exercises. Try them yourself first; each one passes its
 * check in `notebooks/exercises/07_experiments.ts` (`07_experiments_test.ts` runs them).
 *
 * @module
 */

/**
 * Exercise 1: the mean, and the sample standard deviation (divided by n - 1).
 *
 * @example
 * ```ts
 * import { meanStd } from "./07_experiments.ts";
 * console.log(meanStd([1, 3])); // { mean: 2, std: 1.4142135623730951 }
 * ```
 */
export function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return { mean, std: 0 };
  const squares = xs.reduce((total, x) => total + (x - mean) ** 2, 0);
  return { mean, std: Math.sqrt(squares / (xs.length - 1)) };
}

/**
 * Exercise 2: an exponential moving average from 0, divided by 1 - beta^(t+1) so the first
 * points are not pulled towards 0.
 *
 * @example
 * ```ts
 * import { smooth } from "./07_experiments.ts";
 * console.log(smooth([3, 3, 3], 0.9)); // [ 3, 3, 3 ]: a constant stays itself
 * ```
 */
export function smooth(losses: number[], beta: number): number[] {
  let s = 0;
  return losses.map((loss, t) => {
    s = beta * s + (1 - beta) * loss;
    return s / (1 - beta ** (t + 1));
  });
}

/** Exercise 3: with the notebook's seeds, 0.003 and 0.01 differ by less than their spreads add up to. */
export const clearlyWorse = "no";
