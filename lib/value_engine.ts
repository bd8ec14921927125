/**
 * The readable engine: the loss as a graph of `Value` nodes (`documentLoss`), `backward()`
 * for the gradient, Adam on the `Value` parameters, and sampling through `GPT.forward` with a
 * KV cache. Its weights are the model's own parameters. Every other engine is held to it.
 *
 * @module
 */

import type { Adam } from "./adam.ts";
import type { Batch, Engine, Sequence, SequenceOptions } from "./engine.ts";
import { GPT, KVCache, softmax } from "./model.ts";
import { sum, type Value } from "./value.ts";

/**
 * The loss of one document (token ids `[BOS, ..., BOS]`): the mean over positions of
 * `-log p(next token)`, as a graph node ready for `backward()`. At most `blockSize`
 * positions are used.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { documentLoss } from "./value_engine.ts";
 * import { GPT } from "./model.ts";
 * import { Random } from "./random.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * const loss = documentLoss(model, [26, 4, 12, 12, 0, 26]); // "emma"
 * console.log(loss.data > 3 && loss.data < 3.6); // true: about ln(27) = 3.30 before training
 * ```
 */
export function documentLoss(model: GPT, tokens: readonly number[]): Value {
  const n = Math.min(model.config.blockSize, tokens.length - 1);
  if (n < 1) throw new RangeError("a document needs at least two tokens ([BOS, BOS] at least)");
  const cache = new KVCache(model.config);
  const losses: Value[] = [];
  for (let pos = 0; pos < n; pos++) {
    const logits = model.forward(tokens[pos], pos, cache);
    const probs = softmax(logits);
    const target = tokens[pos + 1];
    if (!Number.isInteger(target) || target < 0 || target >= model.vocabSize) {
      throw new RangeError(`token ${target} is outside the vocabulary 0..${model.vocabSize - 1}`);
    }
    losses.push(probs[target].log().neg());
  }
  return sum(losses).mul(1 / n);
}

/**
 * The loss of a batch as a graph node: one document's is `documentLoss` itself (microgpt's
 * step, node for node); several documents' is `sum(losses) * (1 / B)`.
 */
export function batchLoss(model: GPT, batch: Batch): Value {
  if (batch.length === 0) throw new RangeError("a batch needs at least one document");
  if (batch.length === 1) return documentLoss(model, batch[0]);
  return sum(batch.map((doc) => documentLoss(model, doc))).mul(1 / batch.length);
}

/**
 * The `Value` engine: computes on the model's own parameters, so there is nothing to load
 * or store.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { GPT } from "./model.ts";
 * import { Random } from "./random.ts";
 * import { ValueEngine } from "./value_engine.ts";
 * const engine = new ValueEngine(GPT.init(DEFAULT_CONFIG, 27, new Random(42)));
 * const loss = engine.lossAndGradient([[26, 4, 12, 12, 0, 26]]);
 * console.log(loss.toFixed(4), engine.model.parameters[0].grad === engine.gradient()[0]); // 3.3660 true
 * ```
 */
export class ValueEngine implements Engine {
  readonly name = "value";

  /** The Value engine of `model`. */
  constructor(readonly model: GPT) {}

  lossAndGradient(batch: Batch): number {
    const loss = batchLoss(this.model, batch);
    for (const p of this.model.parameters) p.grad = 0; // backward() accumulates
    loss.backward();
    return loss.data;
  }

  loss(batch: Batch): number {
    return batchLoss(this.model, batch).data; // a graph is built but backward() never runs
  }

  gradient(): Float64Array {
    return Float64Array.from(this.model.parameters, (p) => p.grad);
  }

  update(adam: Adam, step: number, numSteps: number): void {
    adam.step(this.model.parameters, step, numSteps);
  }

  /** Nothing to do: the engine computes on the model's parameters. */
  loadWeights(): void {}

  /** Nothing to do: the engine computes on the model's parameters. */
  storeWeights(): void {}

  startSequence(options: SequenceOptions = {}): Sequence {
    return new ValueSequence(this.model, options);
  }
}

/** A sequence on the `Value` engine: `GPT.forward` with its KV cache, one position per call. */
class ValueSequence implements Sequence {
  readonly #model: GPT;
  readonly #cache: KVCache;

  constructor(model: GPT, options: SequenceOptions) {
    this.#model = model;
    this.#cache = new KVCache(model.config, { recordAttention: options.recordAttention });
  }

  get length(): number {
    return this.#cache.length;
  }

  get attention(): number[][][][] | null {
    return this.#cache.attention;
  }

  probabilities(token: number, temperature: number): number[] {
    const logits = this.#model.forward(token, this.#cache.length, this.#cache);
    return softmax(logits.map((l) => l.div(temperature))).map((p) => p.data);
  }

  feed(token: number): void {
    this.#model.forward(token, this.#cache.length, this.#cache);
  }
}

/**
 * An engine for `source`: the engine itself, or the `Value` engine of a model (so functions
 * that take an engine also take a plain `GPT`).
 */
export function asEngine(source: GPT | Engine): Engine {
  return source instanceof GPT ? new ValueEngine(source) : source;
}

/**
 * How many `Value` nodes one training step on `tokens` builds (the loss and everything it
 * depends on, parameters included): the work the readable engine does per step, node by
 * node, where the fast engine runs loops over flat arrays.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { valueGraphSize } from "./value_engine.ts";
 * import { GPT } from "./model.ts";
 * import { Random } from "./random.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * console.log(valueGraphSize(model, [26, 4, 12, 12, 0, 26])); // 43091 nodes for "emma" (5 positions)
 * ```
 */
export function valueGraphSize(model: GPT, tokens: readonly number[]): number {
  return documentLoss(model, tokens).topologicalOrder().length;
}
