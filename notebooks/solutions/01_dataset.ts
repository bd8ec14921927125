/**
 * Worked solutions to notebook 01's exercises. Try them yourself first; each one passes its
 * check in `notebooks/exercises/01_dataset.ts` (`01_dataset_test.ts` runs them).
 *
 * @module
 */

import type { Random } from "../../lib/mod.ts";

/**
 * Exercise 1: Fisher–Yates, as Python's `random.shuffle`: from the last index down to 1, swap
 * item `i` with a uniformly drawn item `j` in `0..i`.
 *
 * @example
 * ```ts
 * import { shuffle } from "./01_dataset.ts";
 * import { Random } from "../../lib/mod.ts";
 * const names = ["a", "b", "c", "d"];
 * shuffle(names, new Random(42));
 * console.log(names); // the order new Random(42).shuffle gives
 * ```
 */
export function shuffle(items: string[], rng: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.randbelow(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/**
 * Exercise 2: the entropy of the shares `count / total`; a zero count adds nothing.
 *
 * @example
 * ```ts
 * import { entropy } from "./01_dataset.ts";
 * console.log(entropy([1, 1])); // 0.6931471805599453 = ln 2
 * ```
 */
export function entropy(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  return -counts.reduce((h, n) => n === 0 ? h : h + (n / total) * Math.log(n / total), 0);
}

/** Exercise 3: every name of n letters makes n + 1 predictions (its letters, then the end). */
export function predictionsPerPass(docs: readonly string[]): number {
  return docs.reduce((total, doc) => total + doc.length + 1, 0); // 197,547 letters + 32,257 ends = 229,804
}
