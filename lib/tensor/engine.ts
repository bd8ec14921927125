/**
 * The tensor engine: training and sampling a core `GPT` with `TensorGPT`, on minibatches. Batch
 * size 1 is microgpt's step, to the bit: the same loss and the same gradients as the `Value`
 * engine, so the same Adam updates and the same printed output.
 *
 * @module
 */

import type { Adam } from "../adam.ts";
import type { GPT } from "../model.ts";
import { makeBatch, sequenceBatch } from "./batch.ts";
import { TensorGPT } from "./gpt.ts";
import { scale, softmax } from "./ops.ts";
import { Tensor } from "./tensor.ts";

/**
 * Loss, gradient, Adam update and next-token probabilities for one `GPT`, on tensors.
 *
 * It works on its own copy of the weights, in the order of `model.parameters`: the constructor
 * and `loadWeights()` read them from the model, `storeWeights()` writes them back.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * import { documentLoss } from "../train.ts";
 * import { TensorEngine } from "./engine.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * const emma = [26, 4, 12, 12, 0, 26];
 * const engine = new TensorEngine(model);
 * console.log(engine.lossAndGradient([emma]) === documentLoss(model, emma).data); // true: the same bits
 * const ava = [26, 0, 21, 0, 26];
 * console.log(engine.lossAndGradient([emma, ava]).toFixed(4)); // 3.1295: the mean of the two documents' losses
 * ```
 */
export class TensorEngine {
  /** The weights, in the order of `model.parameters`. */
  readonly weights: Float64Array; // [numParams]
  /** d(loss)/d(weight) of the last `lossAndGradient`, same order. */
  readonly grads: Float64Array; // [numParams]
  /** The model on tensors, over `weights` and `grads`. */
  readonly gpt: TensorGPT;
  /** The tokens of the sequence `forward` is running, one per position so far. */
  private readonly sequence: number[] = [];

  constructor(readonly model: GPT) {
    this.gpt = new TensorGPT(model);
    this.weights = this.gpt.weights;
    this.grads = this.gpt.grads;
  }

  /** Copies the model's current weights (`model.parameters[i].data`) into `weights`. */
  loadWeights(): void {
    const params = this.model.parameters;
    for (let i = 0; i < this.weights.length; i++) this.weights[i] = params[i].data;
  }

  /** Copies `weights` back into the model's parameters. */
  storeWeights(): void {
    const params = this.model.parameters;
    for (let i = 0; i < this.weights.length; i++) params[i].data = this.weights[i];
  }

  /**
   * The loss of a batch of documents (token ids `[BOS, ..., BOS]`, at most `blockSize` positions
   * of each used): the mean over documents of each document's mean position loss, so one document
   * gives exactly `documentLoss`. Leaves its gradient in `grads`.
   */
  lossAndGradient(docs: readonly (readonly number[])[]): number {
    const loss = this.batchLoss(docs);
    this.grads.fill(0);
    loss.backward();
    return loss.at(0, 0);
  }

  /** The loss of a batch, like `lossAndGradient` but without the gradient (`grads` stay as they are). */
  loss(docs: readonly (readonly number[])[]): number {
    return this.batchLoss(docs).at(0, 0);
  }

  private batchLoss(docs: readonly (readonly number[])[]): Tensor {
    return this.gpt.loss(makeBatch(docs, this.model.config.blockSize, this.model.vocabSize));
  }

  /**
   * One Adam update of `weights` from `grads` (step `step` of `numSteps`), exactly as the Value
   * engine's; the moments live in `adam`. The model is not touched: `storeWeights()`.
   */
  update(adam: Adam, step: number, numSteps: number): void {
    adam.stepArrays(this.weights, this.grads, step, numSteps);
  }

  /**
   * The next-token logits after `token` at position `pos` of the sequence being run (positions
   * `0..pos-1` must have been given before; `pos` 0 starts a new sequence). A fresh array,
   * bit for bit `GPT.forward`'s. It runs the whole prefix again (a few hundred rows at most).
   */
  forward(token: number, pos: number): Float64Array {
    const { blockSize } = this.model.config;
    if (!Number.isInteger(pos) || pos < 0 || pos >= blockSize) {
      throw new RangeError(`position ${pos} is outside the context 0..${blockSize - 1}`);
    }
    if (pos > this.sequence.length) {
      throw new RangeError(`position ${pos} needs positions 0..${pos - 1} to be run first`);
    }
    this.sequence.length = pos;
    this.sequence.push(token);
    try {
      return this.gpt.logits(sequenceBatch(this.sequence, this.model.vocabSize)).row(pos).slice();
    } catch (error) {
      this.sequence.length = pos; // a bad token leaves the sequence as it was
      throw error;
    }
  }

  /**
   * `forward`, then the next token's probabilities at `temperature`, as sampling computes them
   * on the Value engine: `softmax(logits / temperature)`, the division being `* temperature ** -1`.
   */
  nextTokenProbabilities(token: number, pos: number, temperature: number): Float64Array {
    const logits = new Tensor(1, this.model.vocabSize, this.forward(token, pos));
    return softmax(scale(logits, temperature ** -1)).data;
  }
}
