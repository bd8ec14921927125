/**
 * The fast engine: the same GPT, the same loss and the same gradients as the `Value` engine,
 * computed on flat `Float64Array`s with a hand-written backward pass instead of a graph of
 * scalar nodes. The forward pass keeps every floating-point operation of the `Value` engine in
 * the same order, so the loss is bit for bit the same; only the order in which gradients are
 * summed differs (a relative difference around 1e-15).
 *
 * @module
 */

import type { Adam } from "../adam.ts";
import { headDim } from "../config.ts";
import type { Batch, Engine, Sequence, SequenceOptions } from "../engine.ts";
import type { GPT } from "../model.ts";
import { type LayerMatrix, layerName, parameterLayout } from "../parameters.ts";
import {
  inputGradientFromActive,
  linear,
  linearBackward,
  linearFromActive,
  linearFromActiveBackward,
  rmsnorm,
  rmsnormBackward,
  softmaxInPlace,
  weightGradient,
} from "./kernels.ts";

/** Where each matrix starts in the flat parameter array (the order of `parameterShapes`, row-major). */
interface Layout {
  wte: number; // [vocabSize][nEmbd]
  wpe: number; // [blockSize][nEmbd]
  lmHead: number; // [vocabSize][nEmbd]
  layers: Record<LayerMatrix, number>[]; // [nLayer]
  numParams: number;
}

function layoutOf(model: GPT): Layout {
  const { nEmbd, nLayer } = model.config;
  const { slots, numParams } = parameterLayout(model.config, model.vocabSize);
  const at = (name: string): number => slots.get(name)!.offset;
  const layers = Array.from({ length: nLayer }, (_, l) => {
    const of = (field: LayerMatrix): number => at(layerName(l, field));
    const layer = {
      attnWq: of("attnWq"),
      attnWk: of("attnWk"),
      attnWv: of("attnWv"),
      attnWo: of("attnWo"),
      mlpFc1: of("mlpFc1"),
      mlpFc2: of("mlpFc2"),
    };
    // q, k and v are computed as one stacked [3*nEmbd][nEmbd] matrix: wq, wk, wv must follow each other.
    if (layer.attnWk !== layer.attnWq + nEmbd * nEmbd || layer.attnWv !== layer.attnWk + nEmbd * nEmbd) {
      throw new Error("the parameter layout must keep attn_wq, attn_wk and attn_wv next to each other");
    }
    return layer;
  });
  return { wte: at("wte"), wpe: at("wpe"), lmHead: at("lm_head"), layers, numParams };
}

/** What one layer keeps from the forward pass for the backward pass, all positions. */
interface LayerActivations {
  /** Input of the layer (the attention residual). */
  xIn: Float64Array; // [T][nEmbd]
  /** rmsnorm(xIn) and its scale. */
  norm1: Float64Array; // [T][nEmbd]
  scale1: Float64Array; // [T]
  /** Each position's query, key and value side by side (attn_wq, _wk, _wv are one stacked matrix). */
  qkv: Float64Array; // [T][3*nEmbd]
  /** Attention weights: row t of head h holds the softmax over key positions 0..t. */
  attn: Float64Array; // [nHead][T][T]
  /** The heads' outputs, concatenated. */
  attnOut: Float64Array; // [T][nEmbd]
  /** attn_wo · attnOut + xIn: the MLP residual. */
  xMid: Float64Array; // [T][nEmbd]
  norm2: Float64Array; // [T][nEmbd]
  scale2: Float64Array; // [T]
  /** mlp_fc1 output before the ReLU. */
  hidden: Float64Array; // [T][4*nEmbd]
  /**
   * The units the ReLU lets through (hidden > 0), as indices: row t holds
   * `activeCount[t]` of them. Only these reach mlp_fc2 or pass a gradient back.
   */
  active: Int32Array; // [T][4*nEmbd]
  activeCount: Int32Array; // [T]
}

/**
 * The forward state of one sequence, indexed by position: a position's row doubles as its
 * key/value cache. Training uses one; each sampled sequence gets its own.
 */
class Activations {
  readonly tokens: Int32Array; // [T]
  readonly xEmb: Float64Array; // [T][nEmbd]  wte[token] + wpe[pos]
  readonly scale0: Float64Array; // [T]
  readonly acts: LayerActivations[]; // [nLayer]
  readonly xOut: Float64Array; // [T][nEmbd]  the last layer's output
  readonly logits: Float64Array; // [T][vocabSize]
  readonly probs: Float64Array; // [T][vocabSize]

  constructor(model: GPT) {
    const { nEmbd: C, nHead, nLayer, blockSize: T } = model.config;
    const V = model.vocabSize;
    this.tokens = new Int32Array(T);
    this.xEmb = new Float64Array(T * C);
    this.scale0 = new Float64Array(T);
    this.acts = [];
    for (let l = 0; l < nLayer; l++) {
      this.acts.push({
        xIn: new Float64Array(T * C),
        norm1: new Float64Array(T * C),
        scale1: new Float64Array(T),
        qkv: new Float64Array(T * 3 * C),
        attn: new Float64Array(nHead * T * T),
        attnOut: new Float64Array(T * C),
        xMid: new Float64Array(T * C),
        norm2: new Float64Array(T * C),
        scale2: new Float64Array(T),
        hidden: new Float64Array(T * 4 * C),
        active: new Int32Array(T * 4 * C),
        activeCount: new Int32Array(T),
      });
    }
    this.xOut = new Float64Array(T * C);
    this.logits = new Float64Array(T * V);
    this.probs = new Float64Array(T * V);
  }
}

/**
 * A training and inference engine for one `GPT`, on flat arrays.
 *
 * It works on its own copy of the weights: `loadWeights()` reads them from
 * `model.parameters` (the constructor does too) and `storeWeights()` writes them back.
 * `Trainer` does that around its steps.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { FastEngine } from "./engine.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * import { documentLoss } from "../value_engine.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * const tokens = [26, 4, 12, 12, 0, 26]; // "emma"
 * const engine = new FastEngine(model);
 * const loss = engine.lossAndGradient([tokens]);
 * console.log(loss === documentLoss(model, tokens).data); // true: the same bits
 * console.log(engine.grads.length); // 4192, in the order of model.parameters
 * ```
 */
export class FastEngine implements Engine {
  readonly name = "fast";
  /** The weights, in the order of `model.parameters`. */
  readonly weights: Float64Array; // [numParams]
  /** d(loss)/d(weight) of the last `lossAndGradient`, same order. */
  readonly grads: Float64Array; // [numParams]
  private readonly layout: Layout;
  private readonly nEmbd: number;
  private readonly nHead: number;
  private readonly headDim: number;
  private readonly blockSize: number;
  private readonly vocabSize: number;
  /** `(headDim ** 0.5) ** -1`: the Value engine divides by `headDim ** 0.5` this way. */
  private readonly attnScale: number;
  /** The forward state of training and of `forward`. */
  private readonly work: Activations;

  // Backward scratch.
  private readonly dx: Float64Array; // [T][nEmbd]  gradient flowing down the residual stream
  private readonly dxMid: Float64Array; // [T][nEmbd]
  private readonly dNorm: Float64Array; // [T][nEmbd]
  private readonly dHidden: Float64Array; // [T][4*nEmbd]
  private readonly dAttnOut: Float64Array; // [T][nEmbd]
  private readonly dqkv: Float64Array; // [T][3*nEmbd]
  private readonly dAttn: Float64Array; // [T]
  private readonly dLogits: Float64Array; // [T][vocabSize]

  /** The fast engine of `model`, holding a copy of its current weights. */
  constructor(readonly model: GPT) {
    const { nEmbd, nHead, blockSize } = model.config;
    this.layout = layoutOf(model);
    if (this.layout.numParams !== model.parameters.length) {
      throw new RangeError(
        `the model has ${model.parameters.length} parameters but its shape needs ${this.layout.numParams}`,
      );
    }
    this.nEmbd = nEmbd;
    this.nHead = nHead;
    this.headDim = headDim(model.config);
    this.blockSize = blockSize;
    this.vocabSize = model.vocabSize;
    this.attnScale = (this.headDim ** 0.5) ** -1;
    this.weights = new Float64Array(this.layout.numParams);
    this.grads = new Float64Array(this.layout.numParams);
    this.work = new Activations(model);

    const T = blockSize;
    const C = nEmbd;
    this.dx = new Float64Array(T * C);
    this.dxMid = new Float64Array(T * C);
    this.dNorm = new Float64Array(T * C);
    this.dHidden = new Float64Array(T * 4 * C);
    this.dAttnOut = new Float64Array(T * C);
    this.dqkv = new Float64Array(T * 3 * C);
    this.dAttn = new Float64Array(T);
    this.dLogits = new Float64Array(T * model.vocabSize);
    this.loadWeights();
  }

  /** Copies the model's current weights (`model.parameters[i].data`) into `weights`. */
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
   * One token at position `pos` through the model, given that positions `0..pos-1` were run
   * before it (their keys and values are kept): returns the next-token logits, a view that
   * the next call at the same position overwrites. Uses `weights` as they are; call
   * `loadWeights()` first if the model's parameters changed. (Sampling: `startSequence`.)
   */
  forward(token: number, pos: number): Float64Array {
    return this.forwardAt(this.work, token, pos);
  }

  /**
   * A new sequence with its own forward state: its probabilities are the `Value` engine's,
   * `softmax(logits / temperature)`, to the last bit. Attention weights are always at hand
   * (the forward pass keeps them); `recordAttention` makes `attention` return them.
   */
  startSequence(options: SequenceOptions = {}): Sequence {
    const work = new Activations(this.model);
    let length = 0;
    return {
      get length() {
        return length;
      },
      get attention() {
        return options.recordAttention ? attentionRows(work, length) : null;
      },
      probabilities: (token: number, temperature: number): Float64Array =>
        this.probabilitiesAt(work, token, length++, temperature),
      feed: (token: number): void => {
        this.forwardAt(work, token, length++);
      },
    };
  }

  /** One token at position `pos` of `work`'s sequence; the next-token logits (a view). */
  private forwardAt(work: Activations, token: number, pos: number): Float64Array {
    if (!Number.isInteger(pos) || pos < 0 || pos >= this.blockSize) {
      throw new RangeError(`position ${pos} is outside the context 0..${this.blockSize - 1}`);
    }
    this.setToken(work, pos, token);
    this.forwardPositions(work, pos, pos + 1);
    return work.logits.subarray(pos * this.vocabSize, (pos + 1) * this.vocabSize);
  }

  /** `forwardAt`, then `softmax(logits / temperature)` as sampling computes it on the Value engine. */
  private probabilitiesAt(work: Activations, token: number, pos: number, temperature: number): Float64Array {
    const logits = this.forwardAt(work, token, pos);
    const V = this.vocabSize;
    const probs = work.probs.subarray(pos * V, (pos + 1) * V);
    const invTemperature = temperature ** -1; // l / T is l * T ** -1 in the Value engine
    let maxValue = -Infinity;
    for (let i = 0; i < V; i++) {
      probs[i] = logits[i] * invTemperature;
      if (probs[i] > maxValue) maxValue = probs[i];
    }
    softmaxInPlace(probs, 0, V, maxValue);
    return probs;
  }

  /** Puts `token` at position `pos` of `work`, checked against the vocabulary. */
  private setToken(work: Activations, pos: number, token: number): void {
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new RangeError(`token ${token} is outside the vocabulary 0..${this.vocabSize - 1}`);
    }
    work.tokens[pos] = token;
  }

  /**
   * Positions `from..to-1` through the model, layer by layer (positions before `from` must
   * have been run already). Every number is computed by the same expression, in the same
   * order, as `GPT.forward` one token at a time; running a layer for several positions at
   * once only lets independent dot products overlap.
   */
  private forwardPositions(work: Activations, from: number, to: number): void {
    const C = this.nEmbd;
    const V = this.vocabSize;
    const w = this.weights;
    const layout = this.layout;
    const rows = to - from;
    const row0 = from * C;

    // x = rmsnorm(wte[token] + wpe[pos])
    const xEmb = work.xEmb;
    const firstIn = work.acts.length > 0 ? work.acts[0].xIn : work.xOut;
    for (let pos = from; pos < to; pos++) {
      const row = pos * C;
      const te = layout.wte + work.tokens[pos] * C;
      const pe = layout.wpe + pos * C;
      for (let i = 0; i < C; i++) xEmb[row + i] = w[te + i] + w[pe + i];
      work.scale0[pos] = rmsnorm(xEmb, row, C, firstIn, row);
    }

    for (let l = 0; l < work.acts.length; l++) {
      const a = work.acts[l];
      const lw = layout.layers[l];
      const xNext = l + 1 < work.acts.length ? work.acts[l + 1].xIn : work.xOut;
      // 1) Multi-head attention
      for (let pos = from; pos < to; pos++) a.scale1[pos] = rmsnorm(a.xIn, pos * C, C, a.norm1, pos * C);
      linear(w, lw.attnWq, 3 * C, C, a.norm1, row0, rows, a.qkv, 3 * row0); // wq, wk, wv follow each other
      for (let pos = from; pos < to; pos++) this.attention(a, pos);
      linear(w, lw.attnWo, C, C, a.attnOut, row0, rows, a.xMid, row0);
      for (let i = row0; i < to * C; i++) a.xMid[i] = a.xMid[i] + a.xIn[i];
      // 2) MLP
      for (let pos = from; pos < to; pos++) a.scale2[pos] = rmsnorm(a.xMid, pos * C, C, a.norm2, pos * C);
      linear(w, lw.mlpFc1, 4 * C, C, a.norm2, row0, rows, a.hidden, 4 * row0);
      for (let pos = from; pos < to; pos++) {
        const hiddenRow = pos * 4 * C;
        let count = 0;
        for (let i = 0; i < 4 * C; i++) if (a.hidden[hiddenRow + i] > 0) a.active[hiddenRow + count++] = i;
        a.activeCount[pos] = count;
      }
      linearFromActive(
        w,
        lw.mlpFc2,
        C,
        4 * C,
        a.hidden,
        a.active,
        a.activeCount,
        4 * row0,
        from,
        rows,
        xNext,
        row0,
      );
      for (let i = row0; i < to * C; i++) xNext[i] = xNext[i] + a.xMid[i];
    }
    linear(w, layout.lmHead, V, C, work.xOut, row0, rows, work.logits, from * V);
  }

  /** Each head of position `pos` attends over positions 0..pos of this layer. */
  private attention(a: LayerActivations, pos: number): void {
    const C = this.nEmbd;
    const T = this.blockSize;
    const hd = this.headDim;
    const scale = this.attnScale;
    const { qkv, attn, attnOut } = a;
    const S = 3 * C; // qkv row: q at 0, k at C, v at 2C
    const qh = pos * S; // this position's query
    for (let h = 0; h < this.nHead; h++) {
      const hs = h * hd;
      const weights = (h * T + pos) * T; // attn[h][pos][0..pos]
      // logit_t = sum_j(q[j] * k_t[j]) / sqrt(hd), then softmax as the Value engine does it
      let maxLogit = -Infinity;
      for (let t = 0; t <= pos; t++) {
        const kt = t * S + C + hs;
        let dot = qkv[qh + hs] * qkv[kt];
        for (let j = 1; j < hd; j++) dot += qkv[qh + hs + j] * qkv[kt + j];
        const logit = dot * scale;
        attn[weights + t] = logit;
        if (logit > maxLogit) maxLogit = logit;
      }
      softmaxInPlace(attn, weights, pos + 1, maxLogit);
      // out_j = sum_t(w_t * v_t[j])
      const v0 = 2 * C + hs;
      for (let j = 0; j < hd; j++) {
        let out = attn[weights] * qkv[v0 + j];
        for (let t = 1; t <= pos; t++) out += attn[weights + t] * qkv[t * S + v0 + j];
        attnOut[pos * C + hs + j] = out;
      }
    }
  }

  /**
   * The loss of a batch, exactly as `batchLoss` computes it on the Value engine (one
   * document: `documentLoss`; several: `sum(losses) * (1 / B)`), and its gradient with respect
   * to every weight in `grads`. Uses `weights` as they are: call `loadWeights()` after changing
   * the model.
   */
  lossAndGradient(batch: Batch): number {
    checkBatch(batch);
    this.grads.fill(0);
    let total = 0;
    for (let b = 0; b < batch.length; b++) {
      const tokens = batch[b];
      const n = this.positions(tokens);
      const loss = this.forwardLoss(this.work, tokens, n);
      this.backward(tokens, n, batch.length);
      total = b === 0 ? loss : total + loss;
    }
    return batch.length === 1 ? total : total * (1 / batch.length);
  }

  /** The loss of a batch, like `lossAndGradient` but without the gradient (`grads` stay as they are). */
  loss(batch: Batch): number {
    checkBatch(batch);
    let total = 0;
    for (let b = 0; b < batch.length; b++) {
      const loss = this.forwardLoss(this.work, batch[b], this.positions(batch[b]));
      total = b === 0 ? loss : total + loss;
    }
    return batch.length === 1 ? total : total * (1 / batch.length);
  }

  /**
   * One Adam update of `weights` from `grads` (step `step` of `numSteps`), exactly as the
   * Value engine's; the moments live in `adam`. The model is not touched: `storeWeights()`.
   */
  update(adam: Adam, step: number, numSteps: number): void {
    adam.stepArrays(this.weights, this.grads, step, numSteps);
  }

  /** How many positions of a document the loss covers: at most `blockSize`, at least 1. */
  private positions(tokens: readonly number[]): number {
    const n = Math.min(this.blockSize, tokens.length - 1);
    if (n < 1) throw new RangeError("a document needs at least two tokens ([BOS, BOS] at least)");
    return n;
  }

  /** Runs positions 0..n-1 and returns `(1/n) * sum(-log p(next token))`, keeping the probabilities. */
  private forwardLoss(work: Activations, tokens: readonly number[], n: number): number {
    for (let pos = 0; pos < n; pos++) this.setToken(work, pos, tokens[pos]);
    this.forwardPositions(work, 0, n);
    const V = this.vocabSize;
    const probs = work.probs;
    const logits = work.logits;
    let lossSum = 0;
    for (let pos = 0; pos < n; pos++) {
      const p = pos * V;
      let maxLogit = -Infinity;
      for (let i = 0; i < V; i++) {
        probs[p + i] = logits[p + i];
        if (logits[p + i] > maxLogit) maxLogit = logits[p + i];
      }
      softmaxInPlace(probs, p, V, maxLogit);
      // loss_pos = -log(p_target), as log(p) * -1; the sum starts from 0 + loss_0
      const target = tokens[pos + 1];
      if (!Number.isInteger(target) || target < 0 || target >= V) {
        throw new RangeError(`token ${target} is outside the vocabulary 0..${V - 1}`);
      }
      const lossPos = Math.log(probs[p + target]) * -1;
      lossSum = pos === 0 ? lossPos : lossSum + lossPos;
    }
    return lossSum * (1 / n);
  }

  /**
   * Adds to `grads` d(loss)/d(weight) for the document just run forward, one of a batch of
   * `batchSize` (whose loss is the mean of the documents' losses).
   */
  private backward(tokens: readonly number[], n: number, batchSize: number): void {
    const C = this.nEmbd;
    const V = this.vocabSize;
    const w = this.weights;
    const g = this.grads;
    const layout = this.layout;
    const work = this.work;
    const { dx, dNorm, dLogits } = this;
    const probs = work.probs;

    // loss = (1/n) * sum(-log p_target): d(loss)/d(logit_i) = (p_i - [i = target]) / n (and / B)
    const invN = batchSize === 1 ? 1 / n : (1 / batchSize) * (1 / n);
    for (let pos = 0; pos < n; pos++) {
      const p = pos * V;
      const target = tokens[pos + 1];
      for (let i = 0; i < V; i++) dLogits[p + i] = (probs[p + i] - (i === target ? 1 : 0)) * invN;
    }
    dx.fill(0, 0, n * C);
    linearBackward(w, g, layout.lmHead, V, C, work.xOut, 0, n, dLogits, 0, dx, 0);

    for (let l = work.acts.length - 1; l >= 0; l--) this.layerBackward(l, n);

    // x = rmsnorm(wte[token] + wpe[pos]): both embeddings get d(loss)/d(wte[token] + wpe[pos])
    dNorm.fill(0, 0, n * C);
    for (let pos = 0; pos < n; pos++) {
      const row = pos * C;
      rmsnormBackward(work.xEmb, row, C, work.scale0[pos], dx, row, dNorm, row);
      const te = layout.wte + work.tokens[pos] * C;
      const pe = layout.wpe + pos * C;
      for (let i = 0; i < C; i++) {
        g[te + i] += dNorm[row + i];
        g[pe + i] += dNorm[row + i];
      }
    }
  }

  /**
   * Backward through layer `l` for positions 0..n-1: `dx` holds d(loss)/d(layer output) on
   * entry and d(loss)/d(layer input) on exit.
   */
  private layerBackward(l: number, n: number): void {
    const C = this.nEmbd;
    const C4 = 4 * C;
    const T = this.blockSize;
    const hd = this.headDim;
    const w = this.weights;
    const g = this.grads;
    const lw = this.layout.layers[l];
    const a = this.work.acts[l];
    const { dx, dxMid, dNorm, dHidden, dAttnOut, dqkv, dAttn } = this;

    // MLP: out = fc2 · relu(fc1 · rmsnorm(xMid)) + xMid
    dxMid.set(dx.subarray(0, n * C));
    dHidden.fill(0, 0, n * C4); // the dead units' entries stay 0
    linearFromActiveBackward(w, g, lw.mlpFc2, C, C4, a.hidden, a.active, a.activeCount, n, dx, dHidden);
    dNorm.fill(0, 0, n * C);
    weightGradient(g, lw.mlpFc1, C4, C, a.norm2, 0, n, dHidden, 0);
    inputGradientFromActive(w, lw.mlpFc1, C4, C, a.active, a.activeCount, n, dHidden, dNorm);
    for (let pos = 0; pos < n; pos++) {
      rmsnormBackward(a.xMid, pos * C, C, a.scale2[pos], dNorm, pos * C, dxMid, pos * C);
    }

    // xMid = wo · attnOut + xIn
    dx.set(dxMid.subarray(0, n * C));
    dAttnOut.fill(0, 0, n * C);
    linearBackward(w, g, lw.attnWo, C, C, a.attnOut, 0, n, dxMid, 0, dAttnOut, 0);

    // Attention: keys and values of position t get gradient from every query at pos >= t.
    const S = 3 * C; // qkv row: q at 0, k at C, v at 2C
    dqkv.fill(0, 0, n * S);
    const { qkv, attn } = a;
    const scale = this.attnScale;
    for (let pos = 0; pos < n; pos++) {
      const qh = pos * S;
      for (let h = 0; h < this.nHead; h++) {
        const hs = h * hd;
        const weights = (h * T + pos) * T;
        const dOutRow = pos * C + hs;
        // out_j = sum_t(w_t * v_t[j])
        let weightedSum = 0;
        for (let t = 0; t <= pos; t++) {
          const vt = t * S + 2 * C + hs;
          const wt = attn[weights + t];
          let dw = 0;
          for (let j = 0; j < hd; j++) {
            const dOut = dAttnOut[dOutRow + j];
            dw += dOut * qkv[vt + j];
            dqkv[vt + j] += wt * dOut;
          }
          dAttn[t] = dw;
          weightedSum += wt * dw;
        }
        // softmax, then logit_t = (q · k_t) * scale
        for (let t = 0; t <= pos; t++) {
          const dLogit = attn[weights + t] * (dAttn[t] - weightedSum) * scale;
          const kt = t * S + C + hs;
          for (let j = 0; j < hd; j++) {
            dqkv[qh + hs + j] += dLogit * qkv[kt + j];
            dqkv[kt + j] += dLogit * qkv[qh + hs + j];
          }
        }
      }
    }

    // q, k, v = wq/wk/wv · rmsnorm(xIn), as one stacked matrix; the residual's gradient is already in dx
    dNorm.fill(0, 0, n * C);
    linearBackward(w, g, lw.attnWq, 3 * C, C, a.norm1, 0, n, dqkv, 0, dNorm, 0);
    for (let pos = 0; pos < n; pos++) {
      rmsnormBackward(a.xIn, pos * C, C, a.scale1[pos], dNorm, pos * C, dx, pos * C);
    }
  }
}

function checkBatch(batch: Batch): void {
  if (batch.length === 0) throw new RangeError("a batch needs at least one document");
}

/** The attention rows of positions 0..length-1, `[layer][head][query][key]`, copied out of `work`. */
function attentionRows(work: Activations, length: number): number[][][][] {
  return work.acts.map((a) => {
    const T = work.tokens.length;
    const nHead = a.attn.length / (T * T);
    return Array.from(
      { length: nHead },
      (_, h) =>
        Array.from(
          { length },
          (_, q) => Array.from(a.attn.subarray((h * T + q) * T, (h * T + q) * T + q + 1)),
        ),
    );
  });
}
