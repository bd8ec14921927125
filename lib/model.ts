/**
 * The GPT of microgpt.py, on the `Value` engine: parameters created in the reference order,
 * `linear`, `softmax`, `rmsnorm`, and one token's forward pass through embeddings, attention
 * with a key/value cache, MLP and residuals to the next-token logits.
 *
 * @module
 */

import { type GPTConfig, headDim, validateGPTConfig } from "./config.ts";
import type { Random } from "./random.ts";
import { sum, Value } from "./value.ts";

/** A weight matrix: `nout` rows of `nin` values; `linear` maps [nin] to [nout]. */
export type Matrix = Value[][];

/** The weights of one transformer layer. */
export interface LayerWeights {
  attnWq: Matrix; // [nEmbd][nEmbd]
  attnWk: Matrix; // [nEmbd][nEmbd]
  attnWv: Matrix; // [nEmbd][nEmbd]
  attnWo: Matrix; // [nEmbd][nEmbd]
  mlpFc1: Matrix; // [4*nEmbd][nEmbd]
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
  /** Every parameter, in microgpt's order: wte, wpe, lm_head, then each layer's six matrices. */
  readonly parameters: Value[];

  constructor(
    readonly config: GPTConfig,
    readonly vocabSize: number,
    readonly wte: Matrix, // [vocabSize][nEmbd]
    readonly wpe: Matrix, // [blockSize][nEmbd]
    readonly lmHead: Matrix, // [vocabSize][nEmbd]
    readonly layers: LayerWeights[], // [nLayer]
  ) {
    validateGPTConfig(config);
    this.parameters = this.stateDict().flatMap(([, m]) => m.flat());
  }

  /** Fresh random weights, drawn in microgpt's order (which fixes every random draw). */
  static init(config: GPTConfig, vocabSize: number, rng: Random): GPT {
    validateGPTConfig(config);
    const { nEmbd, blockSize, nLayer } = config;
    const wte = matrix(vocabSize, nEmbd, rng);
    const wpe = matrix(blockSize, nEmbd, rng);
    const lmHead = matrix(vocabSize, nEmbd, rng);
    const layers: LayerWeights[] = [];
    for (let l = 0; l < nLayer; l++) {
      layers.push({
        attnWq: matrix(nEmbd, nEmbd, rng),
        attnWk: matrix(nEmbd, nEmbd, rng),
        attnWv: matrix(nEmbd, nEmbd, rng),
        attnWo: matrix(nEmbd, nEmbd, rng),
        mlpFc1: matrix(4 * nEmbd, nEmbd, rng),
        mlpFc2: matrix(nEmbd, 4 * nEmbd, rng),
      });
    }
    return new GPT(config, vocabSize, wte, wpe, lmHead, layers);
  }

  /** The named matrices with microgpt's names (`wte`, `layer0.attn_wq`, ...), in order. */
  stateDict(): [string, Matrix][] {
    const entries: [string, Matrix][] = [["wte", this.wte], ["wpe", this.wpe], ["lm_head", this.lmHead]];
    this.layers.forEach((layer, l) => {
      entries.push(
        [`layer${l}.attn_wq`, layer.attnWq],
        [`layer${l}.attn_wk`, layer.attnWk],
        [`layer${l}.attn_wv`, layer.attnWv],
        [`layer${l}.attn_wo`, layer.attnWo],
        [`layer${l}.mlp_fc1`, layer.mlpFc1],
        [`layer${l}.mlp_fc2`, layer.mlpFc2],
      );
    });
    return entries;
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
