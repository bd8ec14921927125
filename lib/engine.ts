/**
 * The `Engine` interface: what training, validation and sampling need from whatever computes
 * the model — the loss and its gradient for a batch of documents, the loss alone, Adam's
 * update, next-token probabilities one position at a time, and how the weights move between
 * the engine and the model. `ValueEngine` (the readable `Value` graph) is the reference; other
 * engines (`lib/fast/`, ...) compute the same numbers their own way.
 *
 * @module
 */

import type { Adam } from "./adam.ts";
import type { GPT } from "./model.ts";

/**
 * Documents to compute one loss over, each as token ids `[BOS, ..., BOS]` (only the first
 * `blockSize` positions of a longer one are used). One document is microgpt's step.
 */
export type Batch = readonly (readonly number[])[];

/** Options of `Engine.startSequence`. */
export interface SequenceOptions {
  /** Keep every attention weight, for plots (`Sequence.attention`). */
  recordAttention?: boolean;
}

/**
 * One sequence being generated: tokens go in one position at a time (the engine keeps their
 * keys and values in the sequence's own cache) and out come the next token's probabilities.
 * Every engine computes them with the same floating-point operations, so a sampling loop over
 * any engine draws the same tokens from the same generator.
 */
export interface Sequence {
  /** How many positions have been fed. */
  readonly length: number;
  /**
   * `attention[layer][head][query][key]`: row `t` holds the weights of position `t` over
   * positions `0..t`; null unless the sequence records attention.
   */
  readonly attention: number[][][][] | null;
  /**
   * Feeds `token` at the next position and returns the next token's probabilities,
   * `softmax(logits / temperature)`. The array may be reused by the next call: copy it to keep it.
   */
  probabilities(token: number, temperature: number): ArrayLike<number>;
  /** Feeds `token` at the next position without computing probabilities (e.g. a forced prefix). */
  feed(token: number): void;
}

/**
 * Computes one GPT: training (loss and gradient, Adam's update), validation (loss only) and
 * sampling (probabilities one position at a time).
 *
 * The model (`GPT`, its `Value` parameters) holds the canonical weights, the ones checkpoints
 * save. An engine may keep its own copy: `loadWeights()` reads the model's weights into the
 * engine, `storeWeights()` writes the engine's back into the model. Between the two, only the
 * engine's copy changes (`update`); `Trainer` decides when to move them.
 *
 * The loss of a batch is the mean over its documents of each document's mean loss over its
 * positions, `-log p(next token)`. For one document it is exactly microgpt's loss, and every
 * engine must give it bit for bit (the same operations in the same order); gradients may
 * differ in the last bits (sums in another order). An engine that cannot do a batch of several
 * documents throws a RangeError that says so.
 *
 * @example
 * ```ts
 * import { Adam } from "./adam.ts";
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import type { Engine } from "./engine.ts";
 * import { GPT } from "./model.ts";
 * import { Random } from "./random.ts";
 * import { ValueEngine } from "./value_engine.ts";
 *
 * // microgpt's training step, on any engine
 * function trainStep(engine: Engine, adam: Adam, doc: number[], step: number, numSteps: number): number {
 *   const loss = engine.lossAndGradient([doc]);
 *   engine.update(adam, step, numSteps);
 *   return loss;
 * }
 * const engine: Engine = new ValueEngine(GPT.init(DEFAULT_CONFIG, 27, new Random(42)));
 * const adam = new Adam(engine.model.parameters.length);
 * const emma = [26, 4, 12, 12, 0, 26];
 * const first = trainStep(engine, adam, emma, 0, 10);
 * console.log(trainStep(engine, adam, emma, 1, 10) < first); // true: the loss on "emma" went down
 *
 * // sampling: feed BOS, draw the first letter
 * const sequence = engine.startSequence();
 * const probs = sequence.probabilities(26, 0.5);
 * console.log(probs.length, sequence.length); // 27 1
 * ```
 */
export interface Engine {
  /** The engine's name, as flags and run records give it (`value`, `fast`, ...). */
  readonly name: string;
  /** The model this engine computes: its config, vocabulary size and canonical weights. */
  readonly model: GPT;
  /**
   * The loss of `batch` and its gradient with respect to every parameter (replacing any
   * earlier gradient; see `gradient()`), computed from the engine's weights.
   */
  lossAndGradient(batch: Batch): number;
  /** The loss of `batch` alone: forward only, no gradient or weight changes. */
  loss(batch: Batch): number;
  /** d(loss)/d(parameter) of the last `lossAndGradient`, in parameter order (a copy); `update` zeroes it. */
  gradient(): Float64Array;
  /** One Adam update of the engine's weights from its gradient (step `step`, 0-based, of `numSteps`); zeroes the gradient. */
  update(adam: Adam, step: number, numSteps: number): void;
  /** Reads the model's weights into the engine (after the model changed). */
  loadWeights(): void;
  /** Writes the engine's weights into the model. */
  storeWeights(): void;
  /** A new sequence to generate from, with its own cache, computed from the engine's weights. */
  startSequence(options?: SequenceOptions): Sequence;
}
