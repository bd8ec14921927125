/**
 * microgpt's GPT written with matrix operations: the forward pass of a whole batch in a dozen
 * tensor ops, nanoGPT style, on a copy of a core `GPT`'s weights in its parameter order. With one
 * document it computes the `Value` engine's loss and gradients to the last bit.
 *
 * @module
 */

import type { GPTConfig } from "../config.ts";
import type { GPT } from "../model.ts";
import type { Batch } from "./batch.ts";
import {
  add,
  concatCols,
  concatRows,
  crossEntropy,
  documentMeanLoss,
  embedding,
  lastFirst,
  linear,
  matmul,
  relu,
  rmsnorm,
  scale,
  slice,
  softmax,
  type SumOrder,
} from "./ops.ts";
import { Tensor } from "./tensor.ts";

/** One transformer layer's weights as tensors. */
export interface TensorLayer {
  /** attn_wq, attn_wk and attn_wv one below the other (they are adjacent in the parameter list). */
  attnWqkv: Tensor; // [3*nEmbd][nEmbd]
  attnWo: Tensor; // [nEmbd][nEmbd]
  mlpFc1: Tensor; // [4*nEmbd][nEmbd]
  mlpFc2: Tensor; // [nEmbd][4*nEmbd]
}

/**
 * Causal self-attention of `qkv` [B*T][3*nEmbd] (each row: the query, key and value of one
 * position), per document and per head: `softmax(q k^T / sqrt(headDim))` with a causal mask,
 * times `v`; the heads side by side, the documents one below the other. Gives [B*T][nEmbd].
 *
 * @example
 * ```ts
 * import { causalSelfAttention } from "./gpt.ts";
 * import { Tensor } from "./tensor.ts";
 * // one document of two positions, one head of width 1: q, k, v per row
 * const out = causalSelfAttention(Tensor.from([[1, 0, 5], [1, 0, 7]]), 1, 2, 1);
 * console.log(out.toArray()); // [ [ 5 ], [ 6 ] ]: position 1 averages both values (equal keys)
 * ```
 */
export function causalSelfAttention(qkv: Tensor, B: number, T: number, nHead: number): Tensor {
  const C = qkv.cols / 3;
  const hd = C / nHead;
  if (qkv.rows !== B * T || !Number.isInteger(C) || !Number.isInteger(hd)) {
    throw new RangeError(
      `causalSelfAttention: qkv ${qkv.shape} is not [${B * T}][3 * a multiple of ${nHead}]`,
    );
  }
  const docs: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    const heads: Tensor[] = [];
    for (let h = 0; h < nHead; h++) {
      const q = slice(qkv, b * T, T, h * hd, hd); // [T][hd]
      const k = slice(qkv, b * T, T, C + h * hd, hd); // [T][hd]
      const v = slice(qkv, b * T, T, 2 * C + h * hd, hd); // [T][hd]
      const att = softmax(scale(linear(q, k), (hd ** 0.5) ** -1), { causal: true }); // [T][T]
      heads.push(matmul(att, v)); // [T][hd]
    }
    docs.push(concatCols(heads)); // [T][C]
  }
  return concatRows(docs); // [B*T][C]
}

/**
 * The GPT on tensors, with its own copy of a core `GPT`'s weights (so the same seed gives the same
 * weights). Its parameter tensors are views into two flat arrays in the order of
 * `model.parameters` (microgpt's order): `weights`, and `grads`, where `backward()` accumulates.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * import { documentLoss } from "../train.ts";
 * import { makeBatch } from "./batch.ts";
 * import { TensorGPT } from "./gpt.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * const gpt = new TensorGPT(model);
 * const emma = [26, 4, 12, 12, 0, 26];
 * const loss = gpt.loss(makeBatch([emma], 16));
 * console.log(loss.at(0, 0) === documentLoss(model, emma).data); // true: the same bits
 * loss.backward(); // gradients in gpt.grads, in the order of model.parameters
 * ```
 */
export class TensorGPT {
  readonly config: GPTConfig;
  readonly vocabSize: number;
  /** Every weight, in the order of `model.parameters`. */
  readonly weights: Float64Array; // [numParams]
  /** d(loss)/d(weight), same order; `backward()` adds to it, so zero it between steps. */
  readonly grads: Float64Array; // [numParams]
  readonly wte: Tensor; // [vocabSize][nEmbd]
  readonly wpe: Tensor; // [blockSize][nEmbd]
  readonly lmHead: Tensor; // [vocabSize][nEmbd]
  readonly layers: TensorLayer[]; // [nLayer]
  private readonly qkvRows: Int32Array;
  private readonly targetLastOrders: Int32Array[];

  constructor(model: GPT) {
    this.config = model.config;
    this.vocabSize = model.vocabSize;
    this.weights = Float64Array.from(model.parameters, (p) => p.data);
    this.grads = new Float64Array(this.weights.length);
    const { nEmbd: C, nLayer, blockSize } = this.config;
    const layout = parameterOffsets(model);
    const view = (name: string, rows: number, cols: number): Tensor => {
      const start = layout.get(name)!;
      const end = start + rows * cols;
      return new Tensor(rows, cols, this.weights.subarray(start, end), {
        grad: this.grads.subarray(start, end),
      });
    };
    this.wte = view("wte", this.vocabSize, C);
    this.wpe = view("wpe", blockSize, C);
    this.lmHead = view("lm_head", this.vocabSize, C);
    this.layers = [];
    for (let l = 0; l < nLayer; l++) {
      this.layers.push({
        attnWqkv: view(`layer${l}.attn_wq`, 3 * C, C), // attn_wk and attn_wv follow attn_wq
        attnWo: view(`layer${l}.attn_wo`, C, C),
        mlpFc1: view(`layer${l}.mlp_fc1`, 4 * C, C),
        mlpFc2: view(`layer${l}.mlp_fc2`, C, 4 * C),
      });
    }
    this.qkvRows = qkvGradientOrder(C, this.config.nHead);
    this.targetLastOrders = Array.from(
      { length: this.vocabSize },
      (_, t) => targetLastOrder(this.vocabSize, t),
    );
  }

  /** The next-token logits of every row of the batch, [B*T][vocabSize]. */
  logits(batch: Batch): Tensor {
    const { B, T } = batch;
    let x = rmsnorm(add(embedding(this.wte, batch.tokens), embedding(this.wpe, batch.positions))); // [B*T][C]
    for (const layer of this.layers) {
      const qkv = linear(rmsnorm(x), layer.attnWqkv, this.qkvOrder()); // [B*T][3C]
      x = add(linear(causalSelfAttention(qkv, B, T, this.config.nHead), layer.attnWo), x); // [B*T][C]
      x = add(linear(relu(linear(rmsnorm(x), layer.mlpFc1)), layer.mlpFc2), x); // [B*T][C]
    }
    return linear(x, this.lmHead, this.lmHeadOrder(batch.targets)); // [B*T][V]
  }

  /** The batch's loss, [1][1]: the mean over documents of each document's mean position loss. */
  loss(batch: Batch): Tensor {
    return documentMeanLoss(crossEntropy(this.logits(batch), batch.targets), batch.lengths);
  }

  // --- the two places where the Value graph sums a gradient in an order of its own ----------------
  //
  // microgpt's backward pass adds the contributions to a number's gradient in the reverse of the
  // order in which its depth-first search (build_topo) first reached each use of the number.
  // For most uses that is simply "made last, met first" (`lastFirst`); for two it is not.

  /**
   * The normalized input of a layer feeds 3*nEmbd rows (q, k, v). The search reaches them
   * through attention, head by head: first all of the head's query rows (for its product with
   * key 0), then the new key's rows (at t = pos), then the value rows, in the order the head's
   * outputs use them. The gradient sums the reverse: heads last first, each head's v rows, k rows
   * and q rows, last first (`qkvGradientOrder`). At a document's first position key 0 is the new
   * key, so q's and k's rows alternate there instead; but a softmax over one key is exactly 1
   * whatever its logit (`e = exp(0) = 1`, `de = 1 * dw + -1 * (1 * dw) = 0`), so q and k get
   * exactly zero gradient at position 0 and that order never shows.
   */
  private qkvOrder(): SumOrder {
    return () => this.qkvRows;
  }

  /**
   * The last layer's output feeds every row of lm_head. The loss only uses the target's
   * probability, so the search reaches the target's logit first (through `p_target`) and the
   * others through the softmax's sum, in order. The gradient sums the rows last first, the
   * target's row at the very end. (Rows without a target, padding, use `lastFirst`.)
   */
  private lmHeadOrder(targets: Int32Array): SumOrder {
    const plain = lastFirst(this.vocabSize)(0);
    return (p) => (targets[p] >= 0 ? this.targetLastOrders[targets[p]] : plain);
  }
}

/**
 * The order of the rows of the stacked [q; k; v] weights (3*nEmbd of them) in which the gradient
 * of the layer's normalized input adds their contributions (see `TensorGPT.qkvOrder`).
 *
 * @example
 * ```ts
 * import { qkvGradientOrder } from "./gpt.ts";
 * // nEmbd 4, 2 heads of width 2: rows 0-3 are q, 4-7 k, 8-11 v
 * console.log(Array.from(qkvGradientOrder(4, 2))); // [ 11, 10, 7, 6, 3, 2, 9, 8, 5, 4, 1, 0 ]
 * ```
 */
export function qkvGradientOrder(nEmbd: number, nHead: number): Int32Array {
  const hd = nEmbd / nHead;
  const order: number[] = [];
  for (let h = nHead - 1; h >= 0; h--) {
    for (const part of [2, 1, 0]) { // v, k, q
      for (let j = hd - 1; j >= 0; j--) order.push(part * nEmbd + h * hd + j);
    }
  }
  return Int32Array.from(order);
}

/** `vocabSize-1, ..., 0` without `target`, then `target` (see `TensorGPT.lmHeadOrder`). */
function targetLastOrder(vocabSize: number, target: number): Int32Array {
  const order: number[] = [];
  for (let r = vocabSize - 1; r >= 0; r--) if (r !== target) order.push(r);
  order.push(target);
  return Int32Array.from(order);
}

/**
 * Where each named matrix of `model` (`wte`, `layer0.attn_wq`, ...) starts in the flat list of
 * its parameters.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * import { parameterOffsets } from "./gpt.ts";
 * const offsets = parameterOffsets(GPT.init(DEFAULT_CONFIG, 27, new Random(42)));
 * console.log(offsets.get("lm_head"), offsets.get("layer0.attn_wq")); // 688 1120
 * ```
 */
export function parameterOffsets(model: GPT): Map<string, number> {
  const offsets = new Map<string, number>();
  let offset = 0;
  for (const [name, matrix] of model.stateDict()) {
    offsets.set(name, offset);
    for (const row of matrix) offset += row.length;
  }
  return offsets;
}
