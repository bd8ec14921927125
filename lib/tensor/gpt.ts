/**
 * microgpt's GPT written with matrix operations: the forward pass of a whole batch in a dozen
 * tensor ops, nanoGPT style, on a copy of a core `GPT`'s weights in its parameter order. With one
 * document it computes the `Value` engine's loss and gradients to the last bit.
 *
 * @module
 */

import type { GPTConfig } from "../config.ts";
import type { GPT } from "../model.ts";
import { layerName, parameterLayout } from "../parameters.ts";
import type { PaddedBatch } from "./batch.ts";
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
 * One attention head: `softmax(q k^T / sqrt(headDim)) v` for queries `q` [Tq][hd] over keys `k` and
 * values `v` [Tk][hd]. With `causal`, query row `t` sees keys `0..t` only (a document's own past).
 * Gives the head's output [Tq][hd] and its attention weights [Tq][Tk].
 *
 * @example
 * ```ts
 * import { attentionHead } from "./gpt.ts";
 * import { Tensor } from "./tensor.ts";
 * const q = Tensor.from([[1], [1]]), k = Tensor.from([[0], [0]]), v = Tensor.from([[5], [7]]);
 * const { out, weights } = attentionHead(q, k, v, true);
 * console.log(out.toArray(), weights.toArray()); // [ [ 5 ], [ 6 ] ] [ [ 1, 0 ], [ 0.5, 0.5 ] ]
 * ```
 */
export function attentionHead(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  causal: boolean,
): { out: Tensor; weights: Tensor } {
  const weights = softmax(scale(linear(q, k), (q.cols ** 0.5) ** -1), { causal }); // [Tq][Tk]
  return { out: matmul(weights, v), weights }; // [Tq][hd]
}

/**
 * Causal self-attention of `qkv` [B*T][3*nEmbd] (each row: the query, key and value of one
 * position), per document and per head (`attentionHead`); the heads side by side, the documents
 * one below the other. Gives [B*T][nEmbd].
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
      heads.push(attentionHead(q, k, v, true).out); // [T][hd]
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
 * import { documentLoss } from "../value_engine.ts";
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
    this.weights = model.getWeights();
    this.grads = new Float64Array(this.weights.length);
    const { nEmbd: C, nLayer } = this.config;
    const { slots } = parameterLayout(this.config, this.vocabSize);
    // A matrix as a tensor over its stretch of `weights` and `grads`; `rows` may cover the next matrices too.
    const view = (name: string, rows = slots.get(name)!.rows): Tensor => {
      const { offset, cols } = slots.get(name)!;
      const end = offset + rows * cols;
      return new Tensor(rows, cols, this.weights.subarray(offset, end), {
        grad: this.grads.subarray(offset, end),
      });
    };
    this.wte = view("wte");
    this.wpe = view("wpe");
    this.lmHead = view("lm_head");
    this.layers = [];
    for (let l = 0; l < nLayer; l++) {
      const [wq, wk, wv] = (["attnWq", "attnWk", "attnWv"] as const).map((f) =>
        slots.get(layerName(l, f))!.offset
      );
      if (wk !== wq + C * C || wv !== wk + C * C) {
        throw new Error("the parameter layout must keep attn_wq, attn_wk and attn_wv next to each other");
      }
      this.layers.push({
        attnWqkv: view(layerName(l, "attnWq"), 3 * C), // attn_wk and attn_wv follow attn_wq
        attnWo: view(layerName(l, "attnWo")),
        mlpFc1: view(layerName(l, "mlpFc1")),
        mlpFc2: view(layerName(l, "mlpFc2")),
      });
    }
    this.qkvRows = qkvGradientOrder(C, this.config.nHead);
    this.targetLastOrders = Array.from(
      { length: this.vocabSize },
      (_, t) => targetLastOrder(this.vocabSize, t),
    );
  }

  /** The next-token logits of every row of the batch, [B*T][vocabSize]. */
  logits(batch: PaddedBatch): Tensor {
    const { B, T, tokens, positions, targets } = batch;
    const attend = (qkv: Tensor) => causalSelfAttention(qkv, B, T, this.config.nHead);
    return this.forward(tokens, positions, attend, this.lmHeadOrder(targets));
  }

  /**
   * The whole model on rows of (token, position): embeddings, the layers, the logits [rows][V].
   * `attend(qkv, layer)` is attention: over each document of a batch (`logits`), or over a
   * sequence's cached keys and values (`TensorSequence`). `order` is lm_head's gradient order.
   */
  forward(
    tokens: Int32Array, // [rows]
    positions: Int32Array, // [rows]
    attend: (qkv: Tensor, layer: number) => Tensor,
    order: SumOrder = lastFirst(this.vocabSize),
  ): Tensor {
    let x = rmsnorm(add(embedding(this.wte, tokens), embedding(this.wpe, positions))); // [rows][C]
    for (const [l, layer] of this.layers.entries()) {
      const qkv = linear(rmsnorm(x), layer.attnWqkv, this.qkvOrder()); // [rows][3C]
      x = add(linear(attend(qkv, l), layer.attnWo), x); // [rows][C]
      x = add(linear(relu(linear(rmsnorm(x), layer.mlpFc1)), layer.mlpFc2), x); // [rows][C]
    }
    return linear(x, this.lmHead, order); // [rows][V]
  }

  /** The batch's loss, [1][1]: the mean over documents of each document's mean position loss. */
  loss(batch: PaddedBatch): Tensor {
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
