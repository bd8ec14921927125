/**
 * Generating with the tensor GPT one position at a time, with a KV cache: each layer keeps the
 * keys and values of the positions fed so far, and a new position's query attends over them.
 * The result is the same numbers as running the whole prefix again (a position never sees
 * later ones), computed for one row instead of all of them.
 *
 * @module
 */

import type { Sequence, SequenceOptions } from "../engine.ts";
import type { TensorGPT } from "./gpt.ts";
import { attentionHead } from "./gpt.ts";
import { concatCols, scale, slice, softmax } from "./ops.ts";
import { Tensor } from "./tensor.ts";

/**
 * One sequence on a `TensorGPT`: feed tokens one position at a time, read the next token's
 * probabilities; bit for bit the `Value` engine's.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * import { TensorGPT } from "./gpt.ts";
 * import { TensorSequence } from "./sequence.ts";
 * const sequence = new TensorSequence(new TensorGPT(GPT.init(DEFAULT_CONFIG, 27, new Random(42))));
 * sequence.feed(26); // BOS
 * const probs = sequence.probabilities(4, 0.5); // after "e"
 * console.log(probs.length, sequence.length); // 27 2
 * ```
 */
export class TensorSequence implements Sequence {
  readonly attention: number[][][][] | null;
  readonly #gpt: TensorGPT;
  /** Per layer, the keys and the values of positions 0..length-1, row after row. */
  readonly #keys: Float64Array[]; // [nLayer][blockSize*nEmbd]
  readonly #values: Float64Array[]; // [nLayer][blockSize*nEmbd]
  #length = 0;

  /** An empty sequence of `gpt`, computed from its weights as they are at each call. */
  constructor(gpt: TensorGPT, options: SequenceOptions = {}) {
    const { nEmbd, nHead, nLayer, blockSize } = gpt.config;
    this.#gpt = gpt;
    this.#keys = Array.from({ length: nLayer }, () => new Float64Array(blockSize * nEmbd));
    this.#values = Array.from({ length: nLayer }, () => new Float64Array(blockSize * nEmbd));
    this.attention = options.recordAttention
      ? Array.from({ length: nLayer }, () => Array.from({ length: nHead }, () => []))
      : null;
  }

  get length(): number {
    return this.#length;
  }

  probabilities(token: number, temperature: number): Float64Array {
    const logits = this.#forward(token); // [1][V]
    return softmax(scale(logits, temperature ** -1)).data; // logits / T, as the Value engine divides
  }

  feed(token: number): void {
    this.#forward(token);
  }

  /** `token` at the next position through the model: its logits [1][V]. */
  #forward(token: number): Tensor {
    const { vocabSize, config: { blockSize } } = this.#gpt;
    if (!Number.isInteger(token) || token < 0 || token >= vocabSize) {
      throw new RangeError(`token ${token} is outside the vocabulary 0..${vocabSize - 1}`);
    }
    if (this.#length >= blockSize) {
      throw new RangeError(`position ${this.#length} is outside the context 0..${blockSize - 1}`);
    }
    const attend = (qkv: Tensor, layer: number) => this.#attend(qkv, layer);
    const logits = this.#gpt.forward(Int32Array.of(token), Int32Array.of(this.#length), attend);
    this.#length++;
    return logits;
  }

  /** The new position's attention (`qkv` [1][3C]) over the cached positions and itself: [1][C]. */
  #attend(qkv: Tensor, layer: number): Tensor {
    const { nEmbd: C, nHead } = this.#gpt.config;
    const hd = C / nHead;
    const t = this.#length; // the new position
    this.#keys[layer].set(qkv.data.subarray(C, 2 * C), t * C);
    this.#values[layer].set(qkv.data.subarray(2 * C, 3 * C), t * C);
    const keys = new Tensor(t + 1, C, this.#keys[layer].slice(0, (t + 1) * C)); // [t+1][C]
    const values = new Tensor(t + 1, C, this.#values[layer].slice(0, (t + 1) * C)); // [t+1][C]
    const heads: Tensor[] = [];
    for (let h = 0; h < nHead; h++) {
      const q = slice(qkv, 0, 1, h * hd, hd); // [1][hd]
      const k = slice(keys, 0, t + 1, h * hd, hd); // [t+1][hd]
      const v = slice(values, 0, t + 1, h * hd, hd); // [t+1][hd]
      const { out, weights } = attentionHead(q, k, v, false); // the cache holds only the past
      this.attention?.[layer][h].push(Array.from(weights.data));
      heads.push(out); // [1][hd]
    }
    return concatCols(heads); // [1][C]
  }
}
