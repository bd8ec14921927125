/**
 * The checks of notebook 05's exercises ("Try it"). Each takes your answer and shows one line:
 * `✓ ...` when it is right, `✗ ...` saying what is off. Worked solutions:
 * `notebooks/solutions/05_training.ts`. `trainingLoop` holds a training loop to `Trainer`.
 *
 * @module
 */

import { DEFAULT_CONFIG, GPT, shuffledDataset, Trainer } from "../../lib/mod.ts";
import { attempt, type CheckResult, choice, fail, pass, prediction, show } from "./check.ts";

/** A training loop: trains `model` on `docs` (token ids) for `numSteps` steps, returns each step's loss. */
export type TrainingLoop = (model: GPT, docs: number[][], numSteps: number) => number[];

const NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];

/**
 * `loop` against `Trainer`: both train a fresh model (the same weights) on the same names for
 * `steps` steps; `✓` when every loss agrees within 1e-12, else `✗` at the first step that differs.
 *
 * @example
 * ```ts
 * import { trainingLoop } from "./05_training.ts";
 * console.log(trainingLoop(() => [3.3]).message.startsWith("✗")); // true
 * ```
 */
export function trainingLoop(loop: TrainingLoop, steps = 5): CheckResult {
  return attempt(() => {
    const fresh = () => {
      const { tokenizer, tokens, rng } = shuffledDataset([...NAMES], 42);
      return { model: GPT.init(DEFAULT_CONFIG, tokenizer.vocabSize, rng), tokens };
    };
    const ours = fresh();
    const theirs = fresh();
    const got = loop(ours.model, ours.tokens, steps);
    const trainer = new Trainer(theirs.model, theirs.tokens, { steps });
    const expected = [...trainer.steps()].map((s) => s.loss);
    if (!Array.isArray(got) || got.length !== steps) {
      return fail(
        `your loop returned ${Array.isArray(got) ? got.length : typeof got} losses for ${steps} steps`,
      );
    }
    const step = got.findIndex((loss, i) => !(Math.abs(loss - expected[i]) <= 1e-12));
    if (step === -1) {
      return pass(
        `the same losses as Trainer for ${steps} steps (${got.map((l) => l.toFixed(4)).join(", ")})`,
      );
    }
    return fail(
      `step ${step + 1}: your loss is ${show(got[step])}, Trainer's ${show(expected[step])}` +
        (step === 0
          ? " (the forward pass or the loss differs)"
          : " (the update of step " + step + " differs)"),
    );
  });
}

/**
 * Exercise 1 (break something on purpose): with the line that zeroes the gradients taken out,
 * the first step whose loss differs from `Trainer`'s (`trainingLoop` shows it).
 *
 * @example
 * ```ts
 * import { firstBrokenStep } from "./05_training.ts";
 * console.log(firstBrokenStep(2).ok); // false
 * ```
 */
export function firstBrokenStep(yours: number): CheckResult {
  const result = attempt(() =>
    prediction("the first loss that differs without zeroing the gradients", yours, 3)
  );
  if (!result.ok) return result;
  return pass(
    `${result.message.slice(2)}: step 2's loss is still right (it is computed before step 2's backward), ` +
      "but that backward adds onto step 1's gradient, so step 2's update is wrong and step 3's loss is " +
      "the first to show it",
  );
}

/**
 * Exercise 2 (implement a piece): `learningRate(step, numSteps, base, warmup)` must rise
 * linearly from `base / warmup` at step 0 to `base` at step `warmup - 1`, then decay linearly
 * as microgpt's does, `base * (1 - step / numSteps)`.
 *
 * @example
 * ```ts
 * import { warmup } from "./05_training.ts";
 * console.log(warmup(() => 0.01).message.startsWith("✗")); // true
 * ```
 */
export function warmup(
  yours: (step: number, numSteps: number, base: number, warmup: number) => number,
): CheckResult {
  return attempt(() => {
    for (const [numSteps, base, warm] of [[1000, 0.01, 100], [50, 0.1, 5], [10, 1, 1]]) {
      for (let step = 0; step < numSteps; step++) {
        const expected = step < warm ? base * (step + 1) / warm : base * (1 - step / numSteps);
        const got = yours(step, numSteps, base, warm);
        if (!(Math.abs(got - expected) <= 1e-15 + 1e-12 * expected)) {
          return fail(
            `step ${step} of ${numSteps}, base ${base}, warm-up ${warm}: you gave ${show(got)}, expected ` +
              `${show(expected)}`,
          );
        }
      }
    }
    return pass("warm-up to the base rate, then microgpt's linear decay");
  });
}

/** The answers of exercise 3. */
export const LEARNING_RATE_CHOICES = [
  "it learns faster and ends lower",
  "it jumps up early and ends higher",
  "it diverges: the loss becomes Infinity",
] as const;

/**
 * Exercise 3 (change a setting): what ten times microgpt's learning rate (0.1) does to training.
 *
 * @example
 * ```ts
 * import { tenTimesTheLearningRate } from "./05_training.ts";
 * console.log(tenTimesTheLearningRate("it learns faster and ends lower").ok); // false
 * ```
 */
export function tenTimesTheLearningRate(answer: string): CheckResult {
  return choice(
    "at learning rate 0.1",
    answer,
    "it jumps up early and ends higher",
    LEARNING_RATE_CHOICES,
    "Adam moves every weight by about the learning rate per step, so early steps overshoot: on seeds " +
      "42, 1 and 2 the first 100 losses averaged 4.2 to 9.0 (about 2.7 at 0.01) and the last 100 averaged " +
      "2.48 to 2.53 (2.34 to 2.41 at 0.01). At 0.3 all three diverged within 64 steps",
  );
}
