/**
 * The checks of notebook 00's exercises ("Try it"). Each takes your answer and shows one line:
 * `✓ ...` when it is right, `✗ ...` saying what is off. Worked solutions:
 * `notebooks/solutions/00_microgpt.ts`.
 *
 * @module
 */

import { attempt, type CheckResult, choice, prediction } from "./check.ts";

/**
 * Exercise 1 (predict, then run): the loss of a model that gives each of the 27 tokens the
 * same probability, to 2 decimals.
 *
 * @example
 * ```ts
 * import { uniformLoss } from "./00_microgpt.ts";
 * console.log(uniformLoss(1).ok); // false
 * ```
 */
export function uniformLoss(yours: number): CheckResult {
  return attempt(() =>
    prediction("the loss of guessing uniformly among 27 tokens", yours, Math.log(27), 0.005)
  );
}

/** The answers of exercise 2. */
export const SEED_CHOICES = [
  "the names in the data",
  "the order and the starting weights",
  "the vocabulary",
] as const;

/**
 * Exercise 2 (change a setting): what does a different `seed` change?
 *
 * @example
 * ```ts
 * import { seedChanges } from "./00_microgpt.ts";
 * console.log(seedChanges("the vocabulary").ok); // false
 * ```
 */
export function seedChanges(answer: string): CheckResult {
  return choice(
    "a new seed changes",
    answer,
    "the order and the starting weights",
    SEED_CHOICES,
    "Random(seed) shuffles the names and then draws every initial weight (and later the samples); " +
      "the file, its 32,257 names and the 27 tokens stay the same",
  );
}

/** The answers of exercise 3. */
export const TEMPERATURE_CHOICES = ["more", "fewer", "the same"] as const;

/**
 * Exercise 3 (change a setting): at temperature 1 instead of 0.5, are more or fewer of the
 * sampled names ones that are already in the data?
 *
 * @example
 * ```ts
 * import { hotterSamples } from "./00_microgpt.ts";
 * console.log(hotterSamples("more").ok); // false
 * ```
 */
export function hotterSamples(answer: string): CheckResult {
  return choice(
    "at temperature 1, names already in the data are",
    answer,
    "fewer",
    TEMPERATURE_CHOICES,
    "dividing the logits by a larger temperature flattens the probabilities, so unlikely letters are " +
      "drawn more often: the names get more varied, fewer of them are common real names (and more are odd)",
  );
}
