/**
 * The checks of notebook 07's exercises ("Try it"). Each takes your answer and shows one line:
 * `✓ ...` when it is right, `✗ ...` saying what is off. Worked solutions:
 * `notebooks/solutions/07_experiments.ts`.
 *
 * @module
 */

import { groupTable, meanStd, type RunRecord, smoothLosses } from "../../lib/mod.ts";
import { attempt, type CheckResult, choice, fail, numbers, pass, show } from "./check.ts";

/**
 * Exercise 1 (implement a piece): `meanStd(xs)` must give the mean and the sample standard
 * deviation (`n - 1` in the denominator; 0 for a single value).
 *
 * @example
 * ```ts
 * import { meanAndStd } from "./07_experiments.ts";
 * console.log(meanAndStd(() => ({ mean: 0, std: 0 })).message.startsWith("✗")); // true
 * ```
 */
export function meanAndStd(yours: (xs: number[]) => { mean: number; std: number }): CheckResult {
  return attempt(() => {
    for (const xs of [[2.3383, 2.4121, 2.3904, 2.3225, 2.3681], [1, 3], [5], [2, 4, 4, 4, 5, 5, 7, 9]]) {
      const got = yours([...xs]);
      const expected = meanStd(xs);
      const result = numbers(`meanStd([${xs}])`, [got.mean, got.std], [expected.mean, expected.std], {
        tolerance: 1e-12,
        name: (
          i,
        ) => (i === 0
          ? "the mean"
          : "the std" + (xs.length > 1 ? " (divide by n - 1)" : " (0 for one value)")),
      });
      if (!result.ok) return result;
    }
    return pass("mean and sample standard deviation, as the seed table computes them");
  });
}

/**
 * Exercise 2 (implement a piece): `smooth(losses, beta)` must be the loss curves' line: an
 * exponential moving average `s = beta * s + (1 - beta) * loss` from `s = 0`, each point divided
 * by `1 - beta^(t+1)` (the bias correction, as Adam's).
 *
 * @example
 * ```ts
 * import { smooth } from "./07_experiments.ts";
 * console.log(smooth((l) => l).message.startsWith("✗")); // true
 * ```
 */
export function smooth(yours: (losses: number[], beta: number) => number[]): CheckResult {
  return attempt(() => {
    const losses = [3.3, 3.1, 3.4, 2.9, 2.7, 2.95, 2.6, 2.8, 2.5, 2.55];
    for (const beta of [0.9, 0.5, 0]) {
      const result = numbers(
        `smooth(losses, ${beta})`,
        yours([...losses], beta),
        smoothLosses(losses, beta),
        {
          tolerance: 1e-12,
          name: (i) => `point ${i}`,
        },
      );
      if (!result.ok) return fail(`${result.message.slice(2)} (did you divide by 1 - beta^(t+1)?)`);
    }
    return pass("the smoothed line of lossCurveFigure, bias correction included");
  });
}

/** The answers of exercise 3. */
export const VERDICT_CHOICES = ["yes", "no"] as const;

/**
 * Exercise 3 (read the results): is learning rate `lower` clearly worse than `higher` in the
 * sweep `runs`? "Clearly" here: the means differ by more than the two standard deviations
 * added together.
 *
 * @example
 * ```ts ignore
 * console.log(check.clearlyWorse("no", lrRuns, 0.003, 0.01).message);
 * ```
 */
export function clearlyWorse(
  answer: string,
  runs: readonly RunRecord[],
  lower: number,
  higher: number,
): CheckResult {
  return attempt(() => {
    const groups = groupTable(runs);
    const at = (lr: number) => groups.find((g) => g.settings.learningRate === lr);
    const a = at(lower);
    const b = at(higher);
    if (a === undefined || b === undefined) {
      return fail(`the sweep has no runs at learning rate ${lower} and ${higher}`);
    }
    const gap = a.finalLossMean - b.finalLossMean;
    const spread = a.finalLossStd + b.finalLossStd;
    const right = gap > spread ? "yes" : "no";
    return choice(
      `is ${lower} clearly worse than ${higher}?`,
      answer,
      right,
      VERDICT_CHOICES,
      `the means differ by ${show(Number(gap.toFixed(4)))}, the standard deviations add up to ${
        show(Number(spread.toFixed(4)))
      }: ${
        right === "yes"
          ? "a gap wider than the seeds' own spread"
          : "within the seeds' own spread; more seeds would tell"
      }`,
    );
  });
}
