/**
 * The checks of notebook 01's exercises ("Try it"). Each takes your answer and shows one line:
 * `✓ ...` when it is right, `✗ ...` saying what is off. Worked solutions:
 * `notebooks/solutions/01_dataset.ts`.
 *
 * @module
 */

import { Random } from "../../lib/mod.ts";
import { attempt, type CheckResult, fail, pass, prediction, show } from "./check.ts";

/**
 * Exercise 1 (implement a piece): `shuffle(items, rng)` must reorder `items` in place exactly as
 * `Random.shuffle` (and Python's `random.shuffle`) does.
 *
 * @example
 * ```ts
 * import { shuffle } from "./01_dataset.ts";
 * console.log(shuffle(() => {}).message.startsWith("✗")); // true
 * ```
 */
export function shuffle(yours: (items: string[], rng: Random) => void): CheckResult {
  return attempt(() => {
    for (const [seed, n] of [[42, 10], [7, 2], [1, 33]]) {
      const items = Array.from({ length: n }, (_, i) => `name${i}`);
      const expected = [...items];
      new Random(seed).shuffle(expected);
      const got = [...items];
      yours(got, new Random(seed));
      const at = got.findIndex((item, i) => item !== expected[i]);
      if (at !== -1) {
        return fail(
          `seed ${seed}, ${n} items: position ${at} holds ${got[at]}, Random.shuffle puts ${
            expected[at]
          } there ` +
            "(go from the last index down to 1, swapping i with rng.randbelow(i + 1))",
        );
      }
    }
    return pass("the same order as Random.shuffle, for every seed tried");
  });
}

/**
 * Exercise 2 (implement a piece): `entropy(counts)` must be `-Σ p ln p` over the shares
 * `p = count / total` (the loss of a model that knows only how often each character occurs).
 *
 * @example
 * ```ts
 * import { entropy } from "./01_dataset.ts";
 * console.log(entropy(() => 0).message.startsWith("✗")); // true
 * ```
 */
export function entropy(yours: (counts: number[]) => number): CheckResult {
  return attempt(() => {
    const cases = [[1, 1], [5], [3, 1, 0, 4], [
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
      1,
    ]];
    for (const counts of cases) {
      const total = counts.reduce((a, b) => a + b, 0);
      const expected = -counts.reduce((h, n) => h + (n === 0 ? 0 : (n / total) * Math.log(n / total)), 0);
      const got = yours([...counts]);
      if (!(Math.abs(got - expected) <= 1e-12)) {
        return fail(
          `counts [${counts}]: you gave ${show(got)}, the entropy is ${show(expected)}` +
            (Number.isNaN(got) ? " (a count of 0 adds nothing: 0 · ln 0 counts as 0)" : ""),
        );
      }
    }
    return pass("-Σ p ln p, zero counts included (27 equal counts give ln 27)");
  });
}

/**
 * Exercise 3 (predict, then run): how many next-character predictions one pass over all the
 * names makes (a name of n letters makes n + 1).
 *
 * @example
 * ```ts
 * import { predictionsPerPass } from "./01_dataset.ts";
 * console.log(predictionsPerPass(0, ["ab", "c"]).message); // ✗ predictions in one pass: you said 0, it is 5
 * ```
 */
export function predictionsPerPass(yours: number, docs: readonly string[]): CheckResult {
  const actual = docs.reduce((total, doc) => total + [...doc].length + 1, 0);
  return attempt(() => prediction("predictions in one pass", yours, actual));
}
