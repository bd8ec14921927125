/**
 * Measuring the engines on the same work: the time of training steps, with the losses, so a
 * notebook or benchmark can show that every engine computed the same thing.
 *
 * @module
 */

import type { GPT } from "../model.ts";
import { type ModelSync, Trainer } from "../train.ts";
import { createEngine, type EngineName } from "./engines.ts";

/** Options of `timeTraining`. */
export interface TimeTrainingOptions {
  /** The engine to time, by name. */
  engine: EngineName;
  /** Steps to run and time; step `s` trains on `docs[s % docs.length]` (or the next `batchSize` documents). */
  steps: number;
  /** Documents per step (default 1). */
  batchSize?: number;
  /** The `Trainer` option; default `"every-step"` (it changes nothing for the Value engine). */
  modelSync?: ModelSync;
}

/** What `timeTraining` measured. */
export interface TrainingTiming {
  /** The engine timed. */
  engine: EngineName;
  /** Steps timed. */
  steps: number;
  /** Wall-clock time of all the steps, in seconds. */
  seconds: number;
  /** Milliseconds per step. */
  msPerStep: number;
  /** Steps per second. */
  stepsPerSecond: number;
  /** Positions trained on per second (each document's, up to the context): the work done, whatever the batch size. */
  tokensPerSecond: number;
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
  const trainer = new Trainer(model, docs, {
    steps,
    batchSize: options.batchSize,
    engine: createEngine(engine, model),
    modelSync: options.modelSync,
  });
  let tokens = 0;
  for (let s = 0; s < steps; s++) {
    for (const doc of trainer.batchAt(s)) tokens += Math.min(model.config.blockSize, doc.length - 1);
  }
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
    tokensPerSecond: tokens / seconds,
    losses,
  };
}
