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
import type { GPT } from "../model.ts";

/** Where each matrix starts in the flat parameter array (microgpt's order, row-major). */
interface Layout {
  wte: number; // [vocabSize][nEmbd]
  wpe: number; // [blockSize][nEmbd]
  lmHead: number; // [vocabSize][nEmbd]
  layers: LayerLayout[]; // [nLayer]
  numParams: number;
}

interface LayerLayout {
  attnWq: number; // [nEmbd][nEmbd]
  attnWk: number; // [nEmbd][nEmbd]
  attnWv: number; // [nEmbd][nEmbd]
  attnWo: number; // [nEmbd][nEmbd]
  mlpFc1: number; // [4*nEmbd][nEmbd]
  mlpFc2: number; // [nEmbd][4*nEmbd]
}

function layoutOf(model: GPT): Layout {
  const { nEmbd, blockSize, nLayer } = model.config;
  const square = nEmbd * nEmbd;
  const wte = 0;
  const wpe = wte + model.vocabSize * nEmbd;
  const lmHead = wpe + blockSize * nEmbd;
  let offset = lmHead + model.vocabSize * nEmbd;
  const layers: LayerLayout[] = [];
  for (let l = 0; l < nLayer; l++) {
    layers.push({
      attnWq: offset,
      attnWk: offset + square,
      attnWv: offset + 2 * square,
      attnWo: offset + 3 * square,
      mlpFc1: offset + 4 * square,
      mlpFc2: offset + 8 * square,
    });
    offset += 12 * square;
  }
  return { wte, wpe, lmHead, layers, numParams: offset };
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
 * A training and inference engine for one `GPT`, on flat arrays.
 *
 * It works on its own copy of the weights: `loadWeights()` reads them from
 * `model.parameters` (the constructor does too) and `storeWeights()` writes them back.
 * `Trainer` (with `engine: "fast"`) does that around its steps.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { FastEngine } from "./engine.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * import { documentLoss } from "../train.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * const tokens = [26, 4, 12, 12, 0, 26]; // "emma"
 * const engine = new FastEngine(model);
 * const loss = engine.lossAndGradient(tokens);
 * console.log(loss === documentLoss(model, tokens).data); // true: the same bits
 * console.log(engine.grads.length); // 4192, in the order of model.parameters
 * ```
 */
export class FastEngine {
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

  // Forward state, indexed by position (a position's row doubles as its key/value cache).
  private readonly tokens: Int32Array; // [T]
  private readonly xEmb: Float64Array; // [T][nEmbd]  wte[token] + wpe[pos]
  private readonly scale0: Float64Array; // [T]
  private readonly acts: LayerActivations[]; // [nLayer]
  private readonly xOut: Float64Array; // [T][nEmbd]  the last layer's output
  private readonly logits: Float64Array; // [T][vocabSize]
  private readonly probs: Float64Array; // [T][vocabSize]

  // Backward scratch.
  private readonly dx: Float64Array; // [T][nEmbd]  gradient flowing down the residual stream
  private readonly dxMid: Float64Array; // [T][nEmbd]
  private readonly dNorm: Float64Array; // [T][nEmbd]
  private readonly dHidden: Float64Array; // [T][4*nEmbd]
  private readonly dAttnOut: Float64Array; // [T][nEmbd]
  private readonly dqkv: Float64Array; // [T][3*nEmbd]
  private readonly dAttn: Float64Array; // [T]
  private readonly dLogits: Float64Array; // [T][vocabSize]

  constructor(readonly model: GPT) {
    const { nEmbd, nHead, nLayer, blockSize } = model.config;
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

    const T = blockSize;
    const C = nEmbd;
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
    this.logits = new Float64Array(T * model.vocabSize);
    this.probs = new Float64Array(T * model.vocabSize);
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
    const params = this.model.parameters;
    const w = this.weights;
    for (let i = 0; i < w.length; i++) w[i] = params[i].data;
  }

  /** Copies `weights` back into the model's parameters. */
  storeWeights(): void {
    const params = this.model.parameters;
    const w = this.weights;
    for (let i = 0; i < w.length; i++) params[i].data = w[i];
  }

  /**
   * One token at position `pos` through the model, given that positions `0..pos-1` were run
   * before it (their keys and values are kept): returns the next-token logits, a view that
   * the next call at the same position overwrites. Uses `weights` as they are; call
   * `loadWeights()` first if the model's parameters changed.
   */
  forward(token: number, pos: number): Float64Array {
    if (!Number.isInteger(pos) || pos < 0 || pos >= this.blockSize) {
      throw new RangeError(`position ${pos} is outside the context 0..${this.blockSize - 1}`);
    }
    this.setToken(pos, token);
    this.forwardPositions(pos, pos + 1);
    return this.logits.subarray(pos * this.vocabSize, (pos + 1) * this.vocabSize);
  }

  /**
   * `forward`, then the next token's probabilities at `temperature`, as sampling computes
   * them on the Value engine: `softmax(logits / temperature)`. A view that the next call at
   * the same position overwrites.
   */
  nextTokenProbabilities(token: number, pos: number, temperature: number): Float64Array {
    const logits = this.forward(token, pos);
    const V = this.vocabSize;
    const probs = this.probs.subarray(pos * V, (pos + 1) * V);
    const invTemperature = temperature ** -1; // l / T is l * T ** -1 in the Value engine
    let maxValue = -Infinity;
    for (let i = 0; i < V; i++) {
      probs[i] = logits[i] * invTemperature;
      if (probs[i] > maxValue) maxValue = probs[i];
    }
    softmaxInPlace(probs, 0, V, maxValue);
    return probs;
  }

  private setToken(pos: number, token: number): void {
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new RangeError(`token ${token} is outside the vocabulary 0..${this.vocabSize - 1}`);
    }
    this.tokens[pos] = token;
  }

  /**
   * Positions `from..to-1` through the model, layer by layer (positions before `from` must
   * have been run already). Every number is computed by the same expression, in the same
   * order, as `GPT.forward` one token at a time; running a layer for several positions at
   * once only lets independent dot products overlap.
   */
  private forwardPositions(from: number, to: number): void {
    const C = this.nEmbd;
    const V = this.vocabSize;
    const w = this.weights;
    const layout = this.layout;
    const rows = to - from;
    const row0 = from * C;

    // x = rmsnorm(wte[token] + wpe[pos])
    const xEmb = this.xEmb;
    const firstIn = this.acts.length > 0 ? this.acts[0].xIn : this.xOut;
    for (let pos = from; pos < to; pos++) {
      const row = pos * C;
      const te = layout.wte + this.tokens[pos] * C;
      const pe = layout.wpe + pos * C;
      for (let i = 0; i < C; i++) xEmb[row + i] = w[te + i] + w[pe + i];
      this.scale0[pos] = rmsnorm(xEmb, row, C, firstIn, row);
    }

    for (let l = 0; l < this.acts.length; l++) {
      const a = this.acts[l];
      const lw = layout.layers[l];
      const xNext = l + 1 < this.acts.length ? this.acts[l + 1].xIn : this.xOut;
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
    linear(w, layout.lmHead, V, C, this.xOut, row0, rows, this.logits, from * V);
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
   * The loss of one document (token ids `[BOS, ..., BOS]`, at most `blockSize` positions
   * used), exactly as `documentLoss` computes it, and its gradient with respect to every
   * weight in `grads`. Uses `weights` as they are: call `loadWeights()` after changing the model.
   */
  lossAndGradient(tokens: readonly number[]): number {
    const n = this.positions(tokens);
    const loss = this.forwardLoss(tokens, n);
    this.backward(tokens, n);
    return loss;
  }

  /** The loss of one document, like `lossAndGradient` but without the gradient (`grads` stay as they are). */
  loss(tokens: readonly number[]): number {
    return this.forwardLoss(tokens, this.positions(tokens));
  }

  private positions(tokens: readonly number[]): number {
    const n = Math.min(this.blockSize, tokens.length - 1);
    if (n < 1) throw new RangeError("a document needs at least two tokens ([BOS, BOS] at least)");
    return n;
  }

  /** Runs positions 0..n-1 and returns `(1/n) * sum(-log p(next token))`, keeping the probabilities. */
  private forwardLoss(tokens: readonly number[], n: number): number {
    for (let pos = 0; pos < n; pos++) this.setToken(pos, tokens[pos]);
    this.forwardPositions(0, n);
    const V = this.vocabSize;
    const probs = this.probs;
    const logits = this.logits;
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

  /** Fills `grads` with d(loss)/d(weight) for the document just run forward. */
  private backward(tokens: readonly number[], n: number): void {
    const C = this.nEmbd;
    const V = this.vocabSize;
    const w = this.weights;
    const g = this.grads;
    const layout = this.layout;
    const { dx, dNorm, dLogits, probs } = this;
    g.fill(0);

    // loss = (1/n) * sum(-log p_target): d(loss)/d(logit_i) = (p_i - [i = target]) / n
    const invN = 1 / n;
    for (let pos = 0; pos < n; pos++) {
      const p = pos * V;
      const target = tokens[pos + 1];
      for (let i = 0; i < V; i++) dLogits[p + i] = (probs[p + i] - (i === target ? 1 : 0)) * invN;
    }
    dx.fill(0, 0, n * C);
    linearBackward(w, g, layout.lmHead, V, C, this.xOut, 0, n, dLogits, 0, dx, 0);

    for (let l = this.acts.length - 1; l >= 0; l--) this.layerBackward(l, n);

    // x = rmsnorm(wte[token] + wpe[pos]): both embeddings get d(loss)/d(wte[token] + wpe[pos])
    dNorm.fill(0, 0, n * C);
    for (let pos = 0; pos < n; pos++) {
      const row = pos * C;
      rmsnormBackward(this.xEmb, row, C, this.scale0[pos], dx, row, dNorm, row);
      const te = layout.wte + this.tokens[pos] * C;
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
    const a = this.acts[l];
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

  /**
   * One Adam update of `weights` from `grads` (step `step` of `numSteps`), exactly as the
   * Value engine's; the moments live in `adam`. The model is not touched: `storeWeights()`.
   */
  applyAdam(adam: Adam, step: number, numSteps: number): void {
    adam.stepArrays(this.weights, this.grads, step, numSteps);
  }
}

/**
 * `out[p][r] = sum_i(w[r][i] * x[p][i])` for `rows` input vectors `x[p]` (stride `nin`) and the
 * `nout` x `nin` matrix at `w[wOff..]`. Each sum runs left to right like `sum()` (whose
 * leading `0 + x0` only changes the sign of an exact zero). Two positions times four rows
 * are computed together: eight independent sums in flight, and each number loaded serves
 * two or four products.
 */
function linear(
  w: Float64Array,
  wOff: number,
  nout: number,
  nin: number,
  x: Float64Array,
  xOff: number,
  rows: number,
  out: Float64Array,
  outOff: number,
): void {
  let p = 0;
  for (; p + 2 <= rows; p += 2) {
    const xa = xOff + p * nin;
    const xb = xa + nin;
    const oa = outOff + p * nout;
    const ob = oa + nout;
    let r = 0;
    for (; r + 4 <= nout; r += 4) {
      const w0 = wOff + r * nin;
      const w1 = w0 + nin;
      const w2 = w1 + nin;
      const w3 = w2 + nin;
      let xi = x[xa];
      let yi = x[xb];
      let a0 = w[w0] * xi;
      let a1 = w[w1] * xi;
      let a2 = w[w2] * xi;
      let a3 = w[w3] * xi;
      let b0 = w[w0] * yi;
      let b1 = w[w1] * yi;
      let b2 = w[w2] * yi;
      let b3 = w[w3] * yi;
      for (let i = 1; i < nin; i++) {
        xi = x[xa + i];
        yi = x[xb + i];
        const v0 = w[w0 + i];
        const v1 = w[w1 + i];
        const v2 = w[w2 + i];
        const v3 = w[w3 + i];
        a0 += v0 * xi;
        a1 += v1 * xi;
        a2 += v2 * xi;
        a3 += v3 * xi;
        b0 += v0 * yi;
        b1 += v1 * yi;
        b2 += v2 * yi;
        b3 += v3 * yi;
      }
      out[oa + r] = a0;
      out[oa + r + 1] = a1;
      out[oa + r + 2] = a2;
      out[oa + r + 3] = a3;
      out[ob + r] = b0;
      out[ob + r + 1] = b1;
      out[ob + r + 2] = b2;
      out[ob + r + 3] = b3;
    }
    for (; r < nout; r++) {
      const wr = wOff + r * nin;
      let a = w[wr] * x[xa];
      let b = w[wr] * x[xb];
      for (let i = 1; i < nin; i++) {
        a += w[wr + i] * x[xa + i];
        b += w[wr + i] * x[xb + i];
      }
      out[oa + r] = a;
      out[ob + r] = b;
    }
  }
  for (; p < rows; p++) {
    const xp = xOff + p * nin;
    const op = outOff + p * nout;
    let r = 0;
    for (; r + 4 <= nout; r += 4) {
      const w0 = wOff + r * nin;
      const w1 = w0 + nin;
      const w2 = w1 + nin;
      const w3 = w2 + nin;
      const x0 = x[xp];
      let s0 = w[w0] * x0;
      let s1 = w[w1] * x0;
      let s2 = w[w2] * x0;
      let s3 = w[w3] * x0;
      for (let i = 1; i < nin; i++) {
        const xi = x[xp + i];
        s0 += w[w0 + i] * xi;
        s1 += w[w1 + i] * xi;
        s2 += w[w2 + i] * xi;
        s3 += w[w3 + i] * xi;
      }
      out[op + r] = s0;
      out[op + r + 1] = s1;
      out[op + r + 2] = s2;
      out[op + r + 3] = s3;
    }
    for (; r < nout; r++) {
      const wr = wOff + r * nin;
      let s = w[wr] * x[xp];
      for (let i = 1; i < nin; i++) s += w[wr + i] * x[xp + i];
      out[op + r] = s;
    }
  }
}

/**
 * Backward of `linear` for `rows` positions: the weight gradient into `g` and the input
 * gradient into `dx` (both accumulate).
 */
function linearBackward(
  w: Float64Array,
  g: Float64Array,
  wOff: number,
  nout: number,
  nin: number,
  x: Float64Array,
  xOff: number,
  rows: number,
  dy: Float64Array,
  dyOff: number,
  dx: Float64Array,
  dxOff: number,
): void {
  weightGradient(g, wOff, nout, nin, x, xOff, rows, dy, dyOff);
  inputGradient(w, wOff, nout, nin, rows, dy, dyOff, dx, dxOff);
}

/**
 * `g[r][i] += sum_p(dy[p][r] * x[p][i])` over `rows` positions: the gradient of `linear`'s
 * weights, as tiles of rows r, r+1 times columns i..i+3 kept in registers over the positions.
 */
function weightGradient(
  g: Float64Array,
  wOff: number,
  nout: number,
  nin: number,
  x: Float64Array,
  xOff: number,
  rows: number,
  dy: Float64Array,
  dyOff: number,
): void {
  for (let r = 0; r < nout; r += 2) {
    const two = r + 1 < nout; // an odd last row runs as a pair whose second half is dropped
    const r1 = two ? r + 1 : r;
    const ga = wOff + r * nin;
    const gb = wOff + r1 * nin;
    let i = 0;
    for (; i + 4 <= nin; i += 4) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let p = 0; p < rows; p++) {
        const dp = dyOff + p * nout;
        const da = dy[dp + r];
        const db = dy[dp + r1];
        const xp = xOff + p * nin + i;
        const x0 = x[xp];
        const x1 = x[xp + 1];
        const x2 = x[xp + 2];
        const x3 = x[xp + 3];
        a0 += da * x0;
        a1 += da * x1;
        a2 += da * x2;
        a3 += da * x3;
        b0 += db * x0;
        b1 += db * x1;
        b2 += db * x2;
        b3 += db * x3;
      }
      g[ga + i] += a0;
      g[ga + i + 1] += a1;
      g[ga + i + 2] += a2;
      g[ga + i + 3] += a3;
      if (two) {
        g[gb + i] += b0;
        g[gb + i + 1] += b1;
        g[gb + i + 2] += b2;
        g[gb + i + 3] += b3;
      }
    }
    for (; i < nin; i++) {
      let a = 0;
      let b = 0;
      for (let p = 0; p < rows; p++) {
        const xpi = x[xOff + p * nin + i];
        a += dy[dyOff + p * nout + r] * xpi;
        b += dy[dyOff + p * nout + r1] * xpi;
      }
      g[ga + i] += a;
      if (two) g[gb + i] += b;
    }
  }
}

/**
 * `dx[p][i] += sum_r(dy[p][r] * w[r][i])` over `rows` positions: the gradient of `linear`'s
 * input, as tiles of positions p, p+1 times columns i..i+3 kept in registers over the rows.
 */
function inputGradient(
  w: Float64Array,
  wOff: number,
  nout: number,
  nin: number,
  rows: number,
  dy: Float64Array,
  dyOff: number,
  dx: Float64Array,
  dxOff: number,
): void {
  for (let p = 0; p < rows; p += 2) {
    const two = p + 1 < rows;
    const p1 = two ? p + 1 : p;
    const da = dyOff + p * nout;
    const db = dyOff + p1 * nout;
    const xa = dxOff + p * nin;
    const xb = dxOff + p1 * nin;
    let i = 0;
    for (; i + 4 <= nin; i += 4) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      for (let r = 0; r < nout; r++) {
        const wr = wOff + r * nin + i;
        const w0 = w[wr];
        const w1 = w[wr + 1];
        const w2 = w[wr + 2];
        const w3 = w[wr + 3];
        const ya = dy[da + r];
        const yb = dy[db + r];
        a0 += ya * w0;
        a1 += ya * w1;
        a2 += ya * w2;
        a3 += ya * w3;
        b0 += yb * w0;
        b1 += yb * w1;
        b2 += yb * w2;
        b3 += yb * w3;
      }
      dx[xa + i] += a0;
      dx[xa + i + 1] += a1;
      dx[xa + i + 2] += a2;
      dx[xa + i + 3] += a3;
      if (two) {
        dx[xb + i] += b0;
        dx[xb + i + 1] += b1;
        dx[xb + i + 2] += b2;
        dx[xb + i + 3] += b3;
      }
    }
    for (; i < nin; i++) {
      let a = 0;
      let b = 0;
      for (let r = 0; r < nout; r++) {
        const wri = w[wOff + r * nin + i];
        a += dy[da + r] * wri;
        b += dy[db + r] * wri;
      }
      dx[xa + i] += a;
      if (two) dx[xb + i] += b;
    }
  }
}

/**
 * `linear` for an input after a ReLU, `x[p][i]` for the active units only (a dead unit adds
 * `w * 0`, which leaves every sum as it is, up to the sign of an exact zero). Positions
 * `first..first+rows-1`: `x` and `active` from row offset `xOff`, `out` from `outOff`.
 */
function linearFromActive(
  w: Float64Array,
  wOff: number,
  nout: number,
  nin: number,
  x: Float64Array,
  active: Int32Array,
  activeCount: Int32Array,
  xOff: number,
  first: number,
  rows: number,
  out: Float64Array,
  outOff: number,
): void {
  for (let p = 0; p < rows; p++) {
    const xp = xOff + p * nin;
    const list = xp; // active has the same row layout as x
    const count = activeCount[first + p];
    const op = outOff + p * nout;
    let r = 0;
    for (; r + 4 <= nout; r += 4) {
      const w0 = wOff + r * nin;
      const w1 = w0 + nin;
      const w2 = w1 + nin;
      const w3 = w2 + nin;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < count; k++) {
        const i = active[list + k];
        const xi = x[xp + i];
        s0 += w[w0 + i] * xi;
        s1 += w[w1 + i] * xi;
        s2 += w[w2 + i] * xi;
        s3 += w[w3 + i] * xi;
      }
      out[op + r] = s0;
      out[op + r + 1] = s1;
      out[op + r + 2] = s2;
      out[op + r + 3] = s3;
    }
    for (; r < nout; r++) {
      const wr = wOff + r * nin;
      let s = 0;
      for (let k = 0; k < count; k++) {
        const i = active[list + k];
        s += w[wr + i] * x[xp + i];
      }
      out[op + r] = s;
    }
  }
}

/**
 * Backward of `linearFromActive` for positions 0..rows-1: the weight gradient of the active
 * columns, and `dx` at the active units only (the ReLU stops the gradient of the others;
 * their entries are left as they are, so the caller zeroes `dx` first).
 */
function linearFromActiveBackward(
  w: Float64Array,
  g: Float64Array,
  wOff: number,
  nout: number,
  nin: number,
  x: Float64Array,
  active: Int32Array,
  activeCount: Int32Array,
  rows: number,
  dy: Float64Array,
  dx: Float64Array,
): void {
  for (let p = 0; p < rows; p++) {
    const xp = p * nin;
    const count = activeCount[p];
    const dp = p * nout;
    // Weight gradient: four rows share each active unit's index and value.
    let r = 0;
    for (; r + 4 <= nout; r += 4) {
      const d0 = dy[dp + r];
      const d1 = dy[dp + r + 1];
      const d2 = dy[dp + r + 2];
      const d3 = dy[dp + r + 3];
      const g0 = wOff + r * nin;
      const g1 = g0 + nin;
      const g2 = g1 + nin;
      const g3 = g2 + nin;
      for (let k = 0; k < count; k++) {
        const i = active[xp + k];
        const xi = x[xp + i];
        g[g0 + i] += d0 * xi;
        g[g1 + i] += d1 * xi;
        g[g2 + i] += d2 * xi;
        g[g3 + i] += d3 * xi;
      }
    }
    for (; r < nout; r++) {
      const d = dy[dp + r];
      const gr = wOff + r * nin;
      for (let k = 0; k < count; k++) {
        const i = active[xp + k];
        g[gr + i] += d * x[xp + i];
      }
    }
    // Input gradient at the active units, four at a time.
    let k = 0;
    for (; k + 4 <= count; k += 4) {
      const i0 = wOff + active[xp + k];
      const i1 = wOff + active[xp + k + 1];
      const i2 = wOff + active[xp + k + 2];
      const i3 = wOff + active[xp + k + 3];
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let r = 0; r < nout; r++) {
        const d = dy[dp + r];
        const wr = r * nin;
        s0 += d * w[i0 + wr];
        s1 += d * w[i1 + wr];
        s2 += d * w[i2 + wr];
        s3 += d * w[i3 + wr];
      }
      dx[i0 - wOff + xp] = s0;
      dx[i1 - wOff + xp] = s1;
      dx[i2 - wOff + xp] = s2;
      dx[i3 - wOff + xp] = s3;
    }
    for (; k < count; k++) {
      const i = active[xp + k];
      let s = 0;
      for (let r = 0; r < nout; r++) s += dy[dp + r] * w[wOff + r * nin + i];
      dx[xp + i] = s;
    }
  }
}

/**
 * The input gradient of a `linear` whose outputs go through a ReLU, for positions
 * 0..rows-1: only the active output rows carry a gradient (`dy` is read at those only).
 */
function inputGradientFromActive(
  w: Float64Array,
  wOff: number,
  nout: number,
  nin: number,
  active: Int32Array,
  activeCount: Int32Array,
  rows: number,
  dy: Float64Array,
  dx: Float64Array,
): void {
  for (let p = 0; p < rows; p++) {
    const xp = p * nin;
    const list = p * nout;
    const count = activeCount[p];
    let i = 0;
    for (; i + 4 <= nin; i += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < count; k++) {
        const r = active[list + k];
        const d = dy[list + r];
        const wr = wOff + r * nin + i;
        s0 += d * w[wr];
        s1 += d * w[wr + 1];
        s2 += d * w[wr + 2];
        s3 += d * w[wr + 3];
      }
      dx[xp + i] += s0;
      dx[xp + i + 1] += s1;
      dx[xp + i + 2] += s2;
      dx[xp + i + 3] += s3;
    }
    for (; i < nin; i++) {
      let s = 0;
      for (let k = 0; k < count; k++) {
        const r = active[list + k];
        s += dy[list + r] * w[wOff + r * nin + i];
      }
      dx[xp + i] += s;
    }
  }
}

/**
 * `y = x * (ms + 1e-5) ** -0.5` with `ms = sum(x_i * x_i) * (1 / len)`, in the Value engine's
 * order; returns the scale.
 */
function rmsnorm(x: Float64Array, xOff: number, len: number, y: Float64Array, yOff: number): number {
  let sumSq = x[xOff] * x[xOff];
  for (let i = 1; i < len; i++) sumSq += x[xOff + i] * x[xOff + i];
  const ms = sumSq * len ** -1;
  const scale = (ms + 1e-5) ** -0.5;
  for (let i = 0; i < len; i++) y[yOff + i] = x[xOff + i] * scale;
  return scale;
}

/** Backward of `rmsnorm`: `dx += scale * dy - scale³ / len * (dy · x) * x`. */
function rmsnormBackward(
  x: Float64Array,
  xOff: number,
  len: number,
  scale: number,
  dy: Float64Array,
  dyOff: number,
  dx: Float64Array,
  dxOff: number,
): void {
  let dot = 0;
  for (let i = 0; i < len; i++) dot += dy[dyOff + i] * x[xOff + i];
  const k = scale * scale * scale * dot / len;
  for (let i = 0; i < len; i++) dx[dxOff + i] += scale * dy[dyOff + i] - k * x[xOff + i];
}

/**
 * Softmax of `z[off..off+len)` in place, as the Value engine computes it:
 * `e_i = exp(z_i + -max)`, `total = sum(e)`, `p_i = e_i * total ** -1`.
 */
function softmaxInPlace(z: Float64Array, off: number, len: number, maxValue: number): void {
  const negMax = -maxValue;
  let total = 0;
  for (let i = 0; i < len; i++) {
    const e = Math.exp(z[off + i] + negMax);
    z[off + i] = e;
    total = i === 0 ? e : total + e;
  }
  const inv = total ** -1;
  for (let i = 0; i < len; i++) z[off + i] = z[off + i] * inv;
}
