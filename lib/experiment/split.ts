/**
 * Held-out validation: which documents are kept out of training, and the model's loss on
 * them. Off by default, so a default run trains on every document exactly as microgpt.py.
 *
 * The split is taken after the seeded shuffle: the last `ceil(fraction * N)` documents of
 * the shuffled list are held out and training cycles through the rest. The vocabulary is
 * still built from all documents, so every held-out character has a token.
 *
 * @module
 */

import type { DocumentList } from "../corpus.ts";
import type { Engine } from "../engine.ts";
import { ConfigError } from "../errors.ts";
import type { GPT } from "../model.ts";
import { asEngine } from "../value_engine.ts";

/** How to hold out documents and how often to measure the loss on them. */
export interface ValidationConfig {
  /** Fraction of the shuffled documents held out, strictly between 0 and 1. */
  fraction: number;
  /** Measure the validation loss after every this many steps (and after the last step). */
  every: number;
  /**
   * Measure it on at most this many held-out documents (the first ones, the same every
   * time, so the curve compares like with like). The readable engine builds a graph per
   * document, so a few hundred keep its cost to a fraction of training's.
   */
  maxDocs: number;
}

/** Defaults of `--val-every` and `--val-docs`; `--val-fraction` has none (validation is off). */
export const DEFAULT_VALIDATION: Readonly<Omit<ValidationConfig, "fraction">> = Object.freeze({
  every: 100,
  maxDocs: 200,
});

/**
 * Checks a validation config, throwing a one-line ConfigError that names the field to fix
 * (`validation.fraction`, `validation.every`, `validation.maxDocs`).
 *
 * @example
 * ```ts
 * import { validateValidationConfig } from "./split.ts";
 * validateValidationConfig({ fraction: 0.1, every: 100, maxDocs: 200 }); // fine
 * ```
 */
export function validateValidationConfig(config: ValidationConfig): void {
  checkFraction(config.fraction);
  for (const [key, example] of [["every", 100], ["maxDocs", 200]] as const) {
    const value = config[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      const field = `validation.${key}`;
      throw new ConfigError(
        [field],
        (n) => `${n(field)} must be a positive integer, got ${value}; try ${n(field)} ${example}`,
      );
    }
  }
}

function checkFraction(fraction: number): void {
  if (!(fraction > 0 && fraction < 1)) {
    throw new ConfigError(
      ["validation.fraction"],
      (n) =>
        `${n("validation.fraction")} must be between 0 and 1 (exclusive), got ${fraction}; try ${
          n("validation.fraction")
        } 0.1`,
    );
  }
}

/** Documents for training and documents held out. */
export interface DocSplit<T> {
  /** The documents trained on. */
  train: T[];
  /** The documents held out. */
  val: T[];
}

/**
 * Holds out the last `ceil(fraction * docs.length)` documents; both parts must be non-empty.
 *
 * @example
 * ```ts
 * import { splitDocs } from "./split.ts";
 * const { train, val } = splitDocs(["a", "b", "c", "d", "e"], 0.3);
 * console.log(train, val); // ["a", "b", "c"] ["d", "e"]
 * ```
 */
export function splitDocs<T>(docs: readonly T[], fraction: number): DocSplit<T> {
  const numTrain = numTrainDocs(docs.length, fraction);
  return { train: docs.slice(0, numTrain), val: docs.slice(numTrain) };
}

/**
 * How many of `numDocs` documents train when the last `ceil(fraction * numDocs)` are held out
 * (`splitDocs`); at least one must train.
 */
export function numTrainDocs(numDocs: number, fraction: number): number {
  checkFraction(fraction);
  const numTrain = numDocs - Math.ceil(fraction * numDocs);
  if (numTrain < 1) {
    throw new ConfigError(
      ["validation.fraction"],
      (n) =>
        `${n("validation.fraction")} ${fraction} holds out all ${numDocs} documents, leaving none to ` +
        `train on; use a smaller ${n("validation.fraction")} or more data`,
    );
  }
  return numTrain;
}

/**
 * The mean over documents of each document's loss (the training loss's definition: the
 * mean of `-log p(next token)` over its positions), on at most `maxDocs` of them, computed by
 * `source` (an engine, or a model on its `ValueEngine`; every engine gives the same bits).
 * Nothing is updated: parameters, gradients and optimizer state stay as they were.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * import { evaluateLoss } from "./split.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * const loss = evaluateLoss(model, [[26, 4, 12, 12, 0, 26], [26, 0, 21, 0, 26]]);
 * console.log(loss > 3 && loss < 3.6); // true: about ln(27) = 3.30 before training
 * ```
 */
export function evaluateLoss(
  source: GPT | Engine,
  docs: DocumentList,
  options: { maxDocs?: number } = {},
): number {
  const engine = asEngine(source);
  const n = Math.min(docs.length, options.maxDocs ?? docs.length);
  if (n < 1) throw new RangeError("evaluateLoss needs at least one document");
  // One document at a time and summed here, then divided: the same bits on every engine.
  let total = 0;
  for (let i = 0; i < n; i++) total += engine.loss([docs.at(i)!]);
  return total / n;
}
