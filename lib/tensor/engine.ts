/**
 * The tensor engine: training and sampling a core `GPT` with `TensorGPT`, on minibatches. Batch
 * size 1 is microgpt's step, to the bit: the same loss and the same gradients as the `Value`
 * engine, so the same Adam updates and the same printed output.
 *
 * @module
 */

import type { Adam } from "../adam.ts";
import type { Batch, Engine, Sequence, SequenceOptions } from "../engine.ts";
import type { GPT } from "../model.ts";
import { makeBatch } from "./batch.ts";
import { TensorGPT } from "./gpt.ts";
import { TensorSequence } from "./sequence.ts";
import type { Tensor } from "./tensor.ts";

/**
 * The `Engine` on tensors: loss, gradient, Adam update and sequences for one `GPT`, on minibatches.
 *
 * It works on its own copy of the weights, in parameter order (`parameterShapes`): the
 * constructor and `loadWeights()` read them from the model, `storeWeights()` writes them back.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * import { ValueEngine } from "../value_engine.ts";
 * import { TensorEngine } from "./engine.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * const emma = [26, 4, 12, 12, 0, 26];
 * const engine = new TensorEngine(model);
 * console.log(engine.lossAndGradient([emma]) === new ValueEngine(model).lossAndGradient([emma])); // true: the same bits
 * const ava = [26, 0, 21, 0, 26];
 * console.log(engine.lossAndGradient([emma, ava]).toFixed(4)); // 3.1295: the mean of the two documents' losses
 * ```
 */
export class TensorEngine implements Engine {
  readonly name = "tensor";
  /** The weights, in parameter order. */
  readonly weights: Float64Array; // [numParams]
  /** d(loss)/d(weight) of the last `lossAndGradient`, same order. */
  readonly grads: Float64Array; // [numParams]
  /** The model on tensors, over `weights` and `grads`. */
  readonly gpt: TensorGPT;

  /** The tensor engine of `model`, holding a copy of its current weights. */
  constructor(readonly model: GPT) {
    this.gpt = new TensorGPT(model);
    this.weights = this.gpt.weights;
    this.grads = this.gpt.grads;
  }

  /** Copies the model's current weights into `weights`. */
  loadWeights(): void {
    this.model.getWeights(this.weights);
  }

  /** Copies `weights` back into the model's parameters. */
  storeWeights(): void {
    this.model.setWeights(this.weights);
  }

  /** A copy of `grads`. */
  gradient(): Float64Array {
    return this.grads.slice();
  }

  /**
   * The loss of a batch of documents (token ids `[BOS, ..., BOS]`, at most `blockSize` positions
   * of each used), padded to the longest and masked: the mean over documents of each document's
   * mean position loss, so one document gives exactly `documentLoss`. Leaves its gradient in `grads`.
   */
  lossAndGradient(batch: Batch): number {
    const loss = this.batchLoss(batch);
    this.grads.fill(0);
    loss.backward();
    return loss.at(0, 0);
  }

  /** The loss of a batch, like `lossAndGradient` but without the gradient (`grads` stay as they are). */
  loss(batch: Batch): number {
    return this.batchLoss(batch).at(0, 0);
  }

  private batchLoss(batch: Batch): Tensor {
    return this.gpt.loss(makeBatch(batch, this.model.config.blockSize, this.model.vocabSize));
  }

  /**
   * One Adam update of `weights` from `grads` (step `step` of `numSteps`), exactly as the Value
   * engine's; the moments live in `adam`; zeroes `grads`. The model is not touched: `storeWeights()`.
   */
  update(adam: Adam, step: number, numSteps: number): void {
    adam.stepArrays(this.weights, this.grads, step, numSteps);
  }

  /**
   * A new sequence with its own KV cache (`TensorSequence`), computed from `weights`: the `Value`
   * engine's probabilities and attention weights, to the last bit.
   */
  startSequence(options: SequenceOptions = {}): Sequence {
    return new TensorSequence(this.gpt, options);
  }
}
