/**
 * Measuring the two engines on the same work: the time of training steps (with the losses,
 * so a notebook or benchmark can show that both computed the same thing), and the size of
 * the `Value` graph that one step builds.
 *
 * @module
 */

import type { GPT } from "../model.ts";
import { documentLoss, type EngineName, type ModelSync, Trainer } from "../train.ts";

/** Options of `timeTraining`. */
export interface TimeTrainingOptions {
  engine: EngineName;
  /** Steps to run and time; step `s` trains on `docs[s % docs.length]`. */
  steps: number;
  /** The fast engine's `Trainer` option; default `"every-step"`. */
  modelSync?: ModelSync;
}

/** What `timeTraining` measured. */
export interface TrainingTiming {
  engine: EngineName;
  steps: number;
  /** Wall-clock time of all the steps, in seconds. */
  seconds: number;
  msPerStep: number;
  stepsPerSecond: number;
  /** The loss of every step. */
  losses: number[];
}

/**
 * Trains `model` for `steps` steps of a `steps`-step schedule on one engine, timing the steps
 * together (`performance.now()` before the first and after the last). The model is trained
 * in place; pass a fresh one for each measurement. The first run in a process also pays for
 * the JIT compiling the engine: time a short run first and throw it away.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { timeTraining } from "./timing.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * const docs = [[26, 4, 12, 12, 0, 26], [26, 0, 21, 0, 26]];
 * const value = timeTraining(GPT.init(DEFAULT_CONFIG, 27, new Random(1)), docs, { engine: "value", steps: 4 });
 * const fast = timeTraining(GPT.init(DEFAULT_CONFIG, 27, new Random(1)), docs, { engine: "fast", steps: 4 });
 * console.log(value.losses[3] === fast.losses[3] || Math.abs(value.losses[3] - fast.losses[3]) < 1e-12); // true
 * console.log(`${(value.msPerStep / fast.msPerStep).toFixed(0)}x`); // the fast engine's speed-up
 * ```
 */
export function timeTraining(
  model: GPT,
  docs: readonly (readonly number[])[],
  options: TimeTrainingOptions,
): TrainingTiming {
  const { engine, steps } = options;
  const trainer = new Trainer(model, docs, { steps, engine, modelSync: options.modelSync });
  const losses: number[] = new Array(steps);
  const start = performance.now();
  for (let s = 0; s < steps; s++) losses[s] = trainer.step().loss;
  const seconds = (performance.now() - start) / 1000;
  return {
    engine,
    steps,
    seconds,
    msPerStep: (seconds * 1000) / steps,
    stepsPerSecond: steps / seconds,
    losses,
  };
}

/**
 * How many `Value` nodes one training step on `tokens` builds (the loss and everything it
 * depends on, parameters included): the work the readable engine does per step, node by
 * node, where the fast engine runs loops over flat arrays.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { valueGraphSize } from "./timing.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * console.log(valueGraphSize(model, [26, 4, 12, 12, 0, 26])); // 43091 nodes for "emma" (5 positions)
 * ```
 */
export function valueGraphSize(model: GPT, tokens: readonly number[]): number {
  return documentLoss(model, tokens).topologicalOrder().length;
}
