/**
 * The GPT of microgpt.py, on the `Value` engine: parameters created in the reference order,
 * `linear`, `softmax`, `rmsnorm`, and one token's forward pass through embeddings, attention
 * with a key/value cache, MLP and residuals to the next-token logits.
 *
 * @module
 */

import { type GPTConfig, headDim, validateGPTConfig } from "./config.ts";
import { requireModelFits } from "./memory.ts";
import { LAYER_MATRICES, type LayerMatrix, layerName, parameterShapes } from "./parameters.ts";
import type { Random } from "./random.ts";
import { sum, Value } from "./value.ts";

/** A weight matrix: `nout` rows of `nin` values; `linear` maps [nin] to [nout]. */
export type Matrix = Value[][];

/** The weights of one transformer layer (their order and names: `LAYER_MATRICES`). */
export interface LayerWeights {
  /** The queries' projection. */
  attnWq: Matrix; // [nEmbd][nEmbd]
  /** The keys' projection. */
  attnWk: Matrix; // [nEmbd][nEmbd]
  /** The values' projection. */
  attnWv: Matrix; // [nEmbd][nEmbd]
  /** The attention output's projection. */
  attnWo: Matrix; // [nEmbd][nEmbd]
  /** The MLP's first layer (widens 4x). */
  mlpFc1: Matrix; // [4*nEmbd][nEmbd]
  /** The MLP's second layer (back to nEmbd). */
  mlpFc2: Matrix; // [nEmbd][4*nEmbd]
}

/** Standard deviation of the Gaussian every weight starts from. */
export const INIT_STD = 0.08;

/** A matrix of fresh leaves drawn from `gauss(0, std)`, row by row (microgpt's `matrix`). */
export function matrix(nout: number, nin: number, rng: Random, std = INIT_STD): Matrix {
  const rows: Matrix = [];
  for (let o = 0; o < nout; o++) {
    const row: Value[] = [];
    for (let i = 0; i < nin; i++) row.push(new Value(rng.gauss(0, std)));
    rows.push(row);
  }
  return rows;
}

/**
 * `linear(x, W)`: for each row `w` of W, `sum(w[i] * x[i])`, weight on the left.
 *
 * @example
 * ```ts
 * import { linear } from "./model.ts";
 * import { Value } from "./value.ts";
 * const w = [[new Value(1), new Value(2)], [new Value(0), new Value(-1)]];
 * console.log(linear([new Value(3), new Value(4)], w).map((v) => v.data)); // [11, -4]
 * ```
 */
export function linear(x: readonly Value[], w: Matrix): Value[] {
  const out: Value[] = [];
  for (const row of w) {
    // sum(w[i] * x[i]) written out: ((0 + w0*x0) + w1*x1) + ...
    let total = row[0].mul(x[0]).add(0);
    for (let i = 1; i < row.length; i++) total = total.add(row[i].mul(x[i]));
    out.push(total);
  }
  return out;
}

/**
 * Softmax: `exp(z_i - max)` over their sum. The max is a plain number (no gradient flows
 * through it; it only keeps exp from overflowing), and each output divides by the total
 * separately, as microgpt does.
 *
 * @example
 * ```ts
 * import { softmax } from "./model.ts";
 * import { Value } from "./value.ts";
 * const p = softmax([new Value(1), new Value(1), new Value(1), new Value(1)]);
 * console.log(p.map((v) => v.data)); // [0.25, 0.25, 0.25, 0.25]
 * ```
 */
export function softmax(logits: readonly Value[]): Value[] {
  let maxVal = -Infinity;
  for (const z of logits) if (z.data > maxVal) maxVal = z.data;
  const exps = logits.map((z) => z.sub(maxVal).exp());
  const total = sum(exps);
  return exps.map((e) => e.div(total));
}

/**
 * RMSNorm: scales `x` so the mean of its squares is 1 (plus 1e-5 for safety).
 *
 * @example
 * ```ts
 * import { rmsnorm } from "./model.ts";
 * import { Value } from "./value.ts";
 * console.log(rmsnorm([new Value(3), new Value(-3)]).map((v) => v.data.toFixed(4))); // ["1.0000", "-1.0000"]
 * ```
 */
export function rmsnorm(x: readonly Value[]): Value[] {
  const ms = sum(x.map((xi) => xi.mul(xi))).div(x.length);
  const scale = ms.add(1e-5).pow(-0.5);
  return x.map((xi) => xi.mul(scale));
}

/**
 * The keys and values of the positions seen so far, per layer: attention at position `t`
 * looks at positions `0..t`. Optionally records every attention weight for plotting.
 */
export class KVCache {
  /** keys[layer][t] is the key vector of position t. */
  readonly keys: Value[][][]; // [nLayer][T][nEmbd]
  /** values[layer][t] is the value vector of position t. */
  readonly values: Value[][][]; // [nLayer][T][nEmbd]
  /**
   * attention[layer][head][t] is the softmax weight row of query position t over key
   * positions 0..t, when the cache was made with `recordAttention: true`; else null.
   */
  readonly attention: number[][][][] | null; // [nLayer][nHead][T][t+1]

  /** An empty cache for a model of shape `config`; `recordAttention` keeps every attention weight. */
  constructor(config: GPTConfig, options: { recordAttention?: boolean } = {}) {
    this.keys = Array.from({ length: config.nLayer }, () => []);
    this.values = Array.from({ length: config.nLayer }, () => []);
    this.attention = options.recordAttention
      ? Array.from({ length: config.nLayer }, () => Array.from({ length: config.nHead }, () => []))
      : null;
  }

  /** How many positions are cached. */
  get length(): number {
    return this.keys[0].length;
  }
}

/** Throws a RangeError unless `vocabSize` is a whole number of at least 1 (`BOS` alone). */
function checkVocabSize(vocabSize: number): void {
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 1) {
    throw new RangeError(
      `vocabSize must be a whole number of tokens, at least 1 (the characters and BOS), got ${vocabSize}; ` +
        "pass tokenizer.vocabSize",
    );
  }
}

/**
 * The GPT: token and position embeddings, `nLayer` blocks of attention and MLP, and the
 * `lmHead` that turns the final vector into one logit per token of the vocabulary.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { GPT, KVCache, softmax } from "./model.ts";
 * import { Random } from "./random.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * console.log(model.parameters.length); // 4192
 * const logits = model.forward(26, 0, new KVCache(model.config));
 * console.log(softmax(logits).length); // 27
 * ```
 */
export class GPT {
  /** Every parameter, in microgpt's order (`parameterShapes`): wte, wpe, lm_head, then each layer's six matrices. */
  readonly parameters: Value[];

  /** A model from its matrices (`GPT.init` and `GPT.fromMatrices` make them in order). */
  constructor(
    readonly config: GPTConfig,
    readonly vocabSize: number,
    readonly wte: Matrix, // [vocabSize][nEmbd]
    readonly wpe: Matrix, // [blockSize][nEmbd]
    readonly lmHead: Matrix, // [vocabSize][nEmbd]
    readonly layers: LayerWeights[], // [nLayer]
  ) {
    validateGPTConfig(config);
    checkVocabSize(vocabSize);
    this.parameters = this.stateDict().flatMap(([, m]) => m.flat());
  }

  /**
   * A model whose matrices come from `matrixOf(name, rows, cols)`, asked for in parameter
   * order (`parameterShapes`); each must have that shape.
   */
  static fromMatrices(
    config: GPTConfig,
    vocabSize: number,
    matrixOf: (name: string, rows: number, cols: number) => Matrix,
  ): GPT {
    validateGPTConfig(config);
    checkVocabSize(vocabSize);
    requireModelFits(config, vocabSize);
    const matrices = new Map<string, Matrix>();
    for (const [name, rows, cols] of parameterShapes(config, vocabSize)) {
      const m = matrixOf(name, rows, cols);
      if (m.length !== rows || m.some((row) => row.length !== cols)) {
        throw new RangeError(`matrix ${name} must be ${rows} x ${cols}`);
      }
      matrices.set(name, m);
    }
    const layers = Array.from({ length: config.nLayer }, (_, l): LayerWeights => {
      const m = (field: LayerMatrix): Matrix => matrices.get(layerName(l, field))!;
      return {
        attnWq: m("attnWq"),
        attnWk: m("attnWk"),
        attnWv: m("attnWv"),
        attnWo: m("attnWo"),
        mlpFc1: m("mlpFc1"),
        mlpFc2: m("mlpFc2"),
      };
    });
    return new GPT(
      config,
      vocabSize,
      matrices.get("wte")!,
      matrices.get("wpe")!,
      matrices.get("lm_head")!,
      layers,
    );
  }

  /** Fresh random weights, drawn in microgpt's order (which fixes every random draw). */
  static init(config: GPTConfig, vocabSize: number, rng: Random): GPT {
    return GPT.fromMatrices(config, vocabSize, (_, rows, cols) => matrix(rows, cols, rng));
  }

  /** The named matrices with microgpt's names (`wte`, `layer0.attn_wq`, ...), in parameter order. */
  stateDict(): [string, Matrix][] {
    const entries: [string, Matrix][] = [["wte", this.wte], ["wpe", this.wpe], ["lm_head", this.lmHead]];
    this.layers.forEach((layer, l) => {
      for (const [field, name] of LAYER_MATRICES) entries.push([`layer${l}.${name}`, layer[field]]);
    });
    return entries;
  }

  /** Every parameter's value in parameter order, written into `out` (a new array by default). */
  getWeights(out: Float64Array = new Float64Array(this.parameters.length)): Float64Array {
    const params = this.parameters;
    for (let i = 0; i < params.length; i++) out[i] = params[i].data;
    return out;
  }

  /** Sets every parameter's value from `weights`, in parameter order (grads are left as they are). */
  setWeights(weights: ArrayLike<number>): void {
    const params = this.parameters;
    if (weights.length !== params.length) {
      throw new RangeError(`the model has ${params.length} parameters, got ${weights.length} weights`);
    }
    for (let i = 0; i < params.length; i++) params[i].data = weights[i];
  }

  /**
   * One token at position `pos` through the model: returns the logits for the next token
   * and appends this position's keys and values to `cache`.
   */
  forward(token: number, pos: number, cache: KVCache): Value[] {
    const { nHead, nLayer, blockSize } = this.config;
    if (!Number.isInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new RangeError(`token ${token} is outside the vocabulary 0..${this.vocabSize - 1}`);
    }
    if (!Number.isInteger(pos) || pos < 0 || pos >= blockSize) {
      throw new RangeError(`position ${pos} is outside the context 0..${blockSize - 1}`);
    }
    const hd = headDim(this.config);
    const tokEmb = this.wte[token]; // [nEmbd]
    const posEmb = this.wpe[pos]; // [nEmbd]
    let x = tokEmb.map((t, i) => t.add(posEmb[i])); // [nEmbd]
    x = rmsnorm(x);

    for (let l = 0; l < nLayer; l++) {
      const layer = this.layers[l];
      // 1) Multi-head attention
      let residual = x;
      x = rmsnorm(x);
      const q = linear(x, layer.attnWq); // [nEmbd]
      const k = linear(x, layer.attnWk); // [nEmbd]
      const v = linear(x, layer.attnWv); // [nEmbd]
      cache.keys[l].push(k);
      cache.values[l].push(v);
      const keys = cache.keys[l]; // [T][nEmbd]
      const values = cache.values[l]; // [T][nEmbd]
      const xAttn: Value[] = []; // [nEmbd]
      for (let h = 0; h < nHead; h++) {
        const hs = h * hd;
        // How well this position's query matches each cached key, scaled by 1/sqrt(headDim).
        const attnLogits = keys.map((kt) => { // [T]
          const dots: Value[] = [];
          for (let j = 0; j < hd; j++) dots.push(q[hs + j].mul(kt[hs + j]));
          return sum(dots).div(hd ** 0.5);
        });
        const attnWeights = softmax(attnLogits); // [T]
        cache.attention?.[l][h].push(attnWeights.map((w) => w.data));
        // The head's output: the values, weighted by attention.
        for (let j = 0; j < hd; j++) {
          const weighted: Value[] = [];
          for (let t = 0; t < values.length; t++) weighted.push(attnWeights[t].mul(values[t][hs + j]));
          xAttn.push(sum(weighted));
        }
      }
      x = linear(xAttn, layer.attnWo);
      x = x.map((xi, i) => xi.add(residual[i]));
      // 2) MLP
      residual = x;
      x = rmsnorm(x);
      x = linear(x, layer.mlpFc1); // [4*nEmbd]
      x = x.map((xi) => xi.relu());
      x = linear(x, layer.mlpFc2); // [nEmbd]
      x = x.map((xi, i) => xi.add(residual[i]));
    }
    return linear(x, this.lmHead); // [vocabSize]
  }
}
