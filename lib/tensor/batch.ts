/**
 * A minibatch: B documents side by side, each cut to the model's context, padded to the longest
 * and masked, as the `[B*T]` rows the tensor GPT works on.
 *
 * @module
 */

/** B documents as `[B*T]` rows: document b's position t is row `b*T + t`. */
export interface PaddedBatch {
  /** Number of documents. */
  B: number;
  /** Positions per document: the longest document's, at most the context. */
  T: number;
  /** The token at each position (padding rows hold token 0). */
  tokens: Int32Array; // [B*T]
  /** Each row's position in its document, `t`, for the position embedding. */
  positions: Int32Array; // [B*T]
  /** The token that should come next, or -1 on a padding row (masked out of the loss). */
  targets: Int32Array; // [B*T]
  /** How many positions of each document count: `min(blockSize, tokens - 1)`. */
  lengths: number[]; // [B]
}

/**
 * The batch of `docs` (each `[BOS, ..., BOS]`) for a model with context `blockSize` and
 * `vocabSize` tokens: position `t` of a document reads token `t` and predicts token `t + 1`, for
 * the first `min(blockSize, length - 1)` positions, exactly as microgpt trains on one document.
 *
 * @example
 * ```ts
 * import { makeBatch } from "./batch.ts";
 * const batch = makeBatch([[26, 4, 26], [26, 0, 21, 0, 26]], 16, 27);
 * console.log(batch.B, batch.T, batch.lengths); // 2 4 [ 2, 4 ]
 * console.log(Array.from(batch.targets)); // [ 4, 26, -1, -1, 0, 21, 0, 26 ]
 * ```
 */
export function makeBatch(
  docs: readonly (readonly number[])[],
  blockSize: number,
  vocabSize = Infinity,
): PaddedBatch {
  if (docs.length === 0) throw new RangeError("a batch needs at least one document");
  const lengths = docs.map((doc) => {
    const n = Math.min(blockSize, doc.length - 1);
    if (n < 1) throw new RangeError("a document needs at least two tokens ([BOS, BOS] at least)");
    for (let t = 0; t <= n; t++) requireToken(doc[t], vocabSize);
    return n;
  });
  const B = docs.length;
  const T = Math.max(...lengths);
  const tokens = new Int32Array(B * T);
  const positions = new Int32Array(B * T);
  const targets = new Int32Array(B * T).fill(-1);
  docs.forEach((doc, b) => {
    for (let t = 0; t < T; t++) {
      positions[b * T + t] = t;
      if (t < lengths[b]) {
        tokens[b * T + t] = doc[t];
        targets[b * T + t] = doc[t + 1];
      }
    }
  });
  return { B, T, tokens, positions, targets, lengths };
}

function requireToken(token: number, vocabSize: number): void {
  if (!Number.isInteger(token) || token < 0 || token >= vocabSize) {
    throw new RangeError(`token ${token} is outside the vocabulary 0..${vocabSize - 1}`);
  }
}

/**
 * The batch of one sequence (of `vocabSize` tokens) without targets, for running the model forward.
 *
 * @example
 * ```ts
 * import { sequenceBatch } from "./batch.ts";
 * console.log(sequenceBatch([26, 4]).T); // 2
 * ```
 */
export function sequenceBatch(tokens: readonly number[], vocabSize = Infinity): PaddedBatch {
  for (const token of tokens) requireToken(token, vocabSize);
  const T = tokens.length;
  return {
    B: 1,
    T,
    tokens: Int32Array.from(tokens),
    positions: Int32Array.from({ length: T }, (_, t) => t),
    targets: new Int32Array(T).fill(-1),
    lengths: [T],
  };
}
