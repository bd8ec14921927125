/**
 * The tensor ops, micrograd style: each op checks its input shapes, computes its result, and says
 * right beside it how the output's gradient flows back (`+=` into the inputs' `grad`).
 *
 * Every op computes with the same floating-point operations, in the same order, as microgpt's
 * scalar `Value` graph does for the same numbers, forward and backward, so a model built from them
 * gets the `Value` engine's loss and gradients to the last bit:
 * - a sum is Python's `sum`, `((0 + x0) + x1) + ...`: an accumulator that starts at 0;
 * - `x / n` for a plain number is `x * n ** -1`, `a - m` is `a + (-m)` (IEEE's `a - m` exactly);
 * - a gradient is the sum of what each use of a number passes back, added one use at a time in
 *   the order the `Value` engine's backward pass meets those uses. That pass walks microgpt's
 *   depth-first topological order in reverse, which meets the uses made *last* in the forward pass
 *   *first*: so `linear`'s weight gradient adds the input rows last row first, its input gradient
 *   adds the weight rows last row first, and so on; each op below says which order it uses and
 *   why. (Float addition is not associative: another order changes the last bits.)
 *
 * @module
 */

import { Tensor } from "./tensor.ts";

// --- shape checks at the boundary ---------------------------------------------------------------

function requireShape(op: string, name: string, t: Tensor, rows: number, cols: number): void {
  if (t.rows !== rows || t.cols !== cols) {
    throw new RangeError(`${op}: ${name} must be [${rows}][${cols}], got ${t.shape}`);
  }
}

function requireIds(op: string, ids: Int32Array, limit: number): void {
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= limit) {
      throw new RangeError(`${op}: id ${ids[i]} at ${i} is outside 0..${limit - 1}`);
    }
  }
}

// --- elementwise ----------------------------------------------------------------------------------

/**
 * `a + b`, element by element (the residual connection).
 *
 * @example
 * ```ts
 * import { add } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(add(Tensor.from([[1, 2]]), Tensor.from([[10, 20]])).toArray()); // [ [ 11, 22 ] ]
 * ```
 */
export function add(a: Tensor, b: Tensor): Tensor {
  requireShape("add", "b", b, a.rows, a.cols);
  const y = new Float64Array(a.size);
  for (let i = 0; i < y.length; i++) y[i] = a.data[i] + b.data[i];
  return new Tensor(a.rows, a.cols, y, {
    parents: [a, b],
    op: "add",
    backward: (dy) => {
      const da = a.grad;
      const db = b.grad;
      for (let i = 0; i < dy.length; i++) {
        da[i] += dy[i];
        db[i] += dy[i];
      }
    },
  });
}

/**
 * `x * c` for a plain number `c`.
 *
 * @example
 * ```ts
 * import { scale } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(scale(Tensor.from([[1, -2]]), 0.5).toArray()); // [ [ 0.5, -1 ] ]
 * ```
 */
export function scale(x: Tensor, c: number): Tensor {
  const y = new Float64Array(x.size);
  for (let i = 0; i < y.length; i++) y[i] = x.data[i] * c;
  return new Tensor(x.rows, x.cols, y, {
    parents: [x],
    op: "scale",
    backward: (dy) => {
      const dx = x.grad;
      for (let i = 0; i < dy.length; i++) dx[i] += c * dy[i];
    },
  });
}

/**
 * `max(0, x)`, element by element.
 *
 * @example
 * ```ts
 * import { relu } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(relu(Tensor.from([[-1, 0, 2]])).toArray()); // [ [ 0, 0, 2 ] ]
 * ```
 */
export function relu(x: Tensor): Tensor {
  const y = new Float64Array(x.size);
  for (let i = 0; i < y.length; i++) y[i] = x.data[i] > 0 ? x.data[i] : 0;
  return new Tensor(x.rows, x.cols, y, {
    parents: [x],
    op: "relu",
    backward: (dy) => {
      const dx = x.grad;
      for (let i = 0; i < dy.length; i++) dx[i] += (x.data[i] > 0 ? 1 : 0) * dy[i];
    },
  });
}

// --- matrix products ------------------------------------------------------------------------------

/**
 * For input row `p` of `linear`, the order in which the weight rows' contributions to that row's
 * gradient are added (a permutation of `0..nout-1`).
 */
export type SumOrder = (p: number) => Int32Array;

const lastFirstCache = new Map<number, Int32Array>();

/**
 * The default `SumOrder`: last row first, `nout-1, ..., 0`. microgpt computes a linear layer's
 * outputs row 0 first, so its graph lists row 0's products first and its backward pass meets
 * them last.
 *
 * @example
 * ```ts
 * import { lastFirst } from "./ops.ts";
 * console.log(Array.from(lastFirst(4)(0))); // [ 3, 2, 1, 0 ]
 * ```
 */
export function lastFirst(nout: number): SumOrder {
  let order = lastFirstCache.get(nout);
  if (order === undefined) {
    order = new Int32Array(nout);
    for (let k = 0; k < nout; k++) order[k] = nout - 1 - k;
    lastFirstCache.set(nout, order);
  }
  const rows = order;
  return () => rows;
}

/**
 * `x W^T`: each row of `x` [N][nin] through the weight matrix `w` [nout][nin], giving [N][nout]
 * with `y[p][r] = sum_i(w[r][i] * x[p][i])` (microgpt's `linear`, one row of `x` per position).
 *
 * Backward: `dW[r][i] += dy[p][r] * x[p][i]` over the rows `p` of `x`, last row first (a weight is
 * used once per position, and later positions come later in the graph); `dx[p][i] += dy[p][r] *
 * w[r][i]` over the weight rows `r` in `order(p)` (default: last row first).
 *
 * @example
 * ```ts
 * import { linear } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * const w = Tensor.from([[1, 2], [0, -1], [1, 1]]); // [3][2]
 * console.log(linear(Tensor.from([[3, 4]]), w).toArray()); // [ [ 11, -4, 7 ] ]
 * ```
 */
export function linear(x: Tensor, w: Tensor, order: SumOrder = lastFirst(w.rows)): Tensor {
  const N = x.rows;
  const nin = w.cols;
  const nout = w.rows;
  requireShape("linear", "x", x, N, nin);
  const y = new Float64Array(N * nout);
  const xs = x.data;
  const ws = w.data;
  for (let p = 0; p < N; p++) {
    for (let r = 0; r < nout; r++) {
      let s = 0;
      for (let i = 0; i < nin; i++) s += ws[r * nin + i] * xs[p * nin + i];
      y[p * nout + r] = s;
    }
  }
  return new Tensor(N, nout, y, {
    parents: [x, w],
    op: "linear",
    backward: (dy) => {
      // A zero in dy (a padding row, a unit the ReLU switched off) adds only zeros: skipping it
      // leaves every sum's bits as they are (a gradient starts at +0 and never becomes -0).
      const dw = w.grad;
      for (let p = N - 1; p >= 0; p--) {
        for (let r = 0; r < nout; r++) {
          const d = dy[p * nout + r];
          if (d === 0) continue;
          for (let i = 0; i < nin; i++) dw[r * nin + i] += d * xs[p * nin + i];
        }
      }
      const dx = x.grad;
      for (let p = 0; p < N; p++) {
        const rows = order(p);
        for (let k = 0; k < nout; k++) {
          const r = rows[k];
          const d = dy[p * nout + r];
          if (d === 0) continue;
          for (let i = 0; i < nin; i++) dx[p * nin + i] += d * ws[r * nin + i];
        }
      }
    },
  });
}

/**
 * `a b`: [M][K] times [K][N] gives [M][N], `y[m][n] = sum_k(a[m][k] * b[k][n])` (attention's
 * weights times values). Backward: `da[m][k]` adds over `n` and `db[k][n]` over `m`, last first.
 *
 * @example
 * ```ts
 * import { matmul } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(matmul(Tensor.from([[1, 2]]), Tensor.from([[3], [4]])).toArray()); // [ [ 11 ] ]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const M = a.rows;
  const K = a.cols;
  const N = b.cols;
  requireShape("matmul", "b", b, K, N);
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a.data[m * K + k] * b.data[k * N + n];
      y[m * N + n] = s;
    }
  }
  return new Tensor(M, N, y, {
    parents: [a, b],
    op: "matmul",
    backward: (dy) => {
      const da = a.grad;
      const db = b.grad;
      for (let m = 0; m < M; m++) {
        for (let k = 0; k < K; k++) {
          for (let n = N - 1; n >= 0; n--) da[m * K + k] += dy[m * N + n] * b.data[k * N + n];
        }
      }
      for (let m = M - 1; m >= 0; m--) {
        for (let k = 0; k < K; k++) {
          const am = a.data[m * K + k];
          for (let n = 0; n < N; n++) db[k * N + n] += am * dy[m * N + n];
        }
      }
    },
  });
}

// --- normalisation and softmax -------------------------------------------------------------------

/**
 * RMSNorm of each row: `x * (ms + 1e-5) ** -0.5` with `ms = sum(x_i * x_i) * n ** -1`.
 *
 * Backward, per row, as the `Value` graph passes it: first each `y_i = x_i * scale` gives
 * `scale * dy_i` to `x_i`; then `scale` collects `x_i * dy_i`, last element first; it flows back
 * through the power (`-0.5 * eps ** -1.5`) and the division by n to every square `x_i * x_i`, which
 * passes it to `x_i` twice (`x_i` is both of its operands).
 *
 * @example
 * ```ts
 * import { rmsnorm } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(rmsnorm(Tensor.from([[3, -3]])).toArray()[0].map((v) => v.toFixed(4))); // [ "1.0000", "-1.0000" ]
 * ```
 */
export function rmsnorm(x: Tensor): Tensor {
  const { rows, cols } = x;
  const xs = x.data;
  const y = new Float64Array(x.size);
  const eps = new Float64Array(rows); // ms + 1e-5, per row
  const invCols = cols ** -1;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let sumSq = 0;
    for (let i = 0; i < cols; i++) sumSq += xs[o + i] * xs[o + i];
    eps[r] = sumSq * invCols + 1e-5;
    const s = eps[r] ** -0.5;
    for (let i = 0; i < cols; i++) y[o + i] = xs[o + i] * s;
  }
  return new Tensor(rows, cols, y, {
    parents: [x],
    op: "rmsnorm",
    backward: (dy) => {
      const dx = x.grad;
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        const s = eps[r] ** -0.5;
        for (let i = 0; i < cols; i++) dx[o + i] += s * dy[o + i];
        let dScale = 0;
        for (let i = cols - 1; i >= 0; i--) dScale += xs[o + i] * dy[o + i];
        const dSumSq = invCols * ((-0.5 * eps[r] ** -1.5) * dScale);
        for (let i = 0; i < cols; i++) {
          dx[o + i] += xs[o + i] * dSumSq;
          dx[o + i] += xs[o + i] * dSumSq;
        }
      }
    },
  });
}

/**
 * Softmax of each row: `e_i = exp(x_i - max)`, `p_i = e_i * total ** -1` with `total = sum(e)`;
 * the max is a plain number that only keeps `exp` from overflowing. With `causal`, row `r` uses
 * only columns `0..r` (a position attends to itself and the positions before it) and the rest
 * of the row is 0.
 *
 * Backward, per row, as the `Value` graph passes it: `total` collects `-total ** -2 * e_i * dp_i`,
 * last column first (it is used by one `total ** -1` per column, made in column order), then each
 * `e_i` gets `total ** -1 * dp_i` from its `p_i` before the total's gradient from the sum, and
 * passes `e_i * de_i` to `x_i`.
 *
 * @example
 * ```ts
 * import { softmax } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(softmax(Tensor.from([[1, 1, 1, 1]])).toArray()); // [ [ 0.25, 0.25, 0.25, 0.25 ] ]
 * console.log(softmax(Tensor.from([[5, 7], [1, 1]]), { causal: true }).toArray()); // [ [ 1, 0 ], [ 0.5, 0.5 ] ]
 * ```
 */
export function softmax(x: Tensor, options: { causal?: boolean } = {}): Tensor {
  const { rows, cols } = x;
  const causal = options.causal ?? false;
  if (causal && rows > cols) {
    throw new RangeError(`softmax: a causal mask needs rows <= cols, got ${x.shape}`);
  }
  const exps = new Float64Array(x.size);
  const totals = new Float64Array(rows);
  const y = new Float64Array(x.size);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const n = causal ? r + 1 : cols;
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (x.data[o + i] > max) max = x.data[o + i];
    let total = 0;
    for (let i = 0; i < n; i++) {
      exps[o + i] = Math.exp(x.data[o + i] - max);
      total += exps[o + i];
    }
    totals[r] = total;
    const inv = total ** -1;
    for (let i = 0; i < n; i++) y[o + i] = exps[o + i] * inv;
  }
  return new Tensor(rows, cols, y, {
    parents: [x],
    op: "softmax",
    backward: (dy) => {
      const dx = x.grad;
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        const n = causal ? r + 1 : cols;
        const inv = totals[r] ** -1;
        const dInv = -1 * totals[r] ** -2; // d(total ** -1) / d(total)
        let dTotal = 0;
        for (let i = n - 1; i >= 0; i--) dTotal += dInv * (exps[o + i] * dy[o + i]);
        for (let i = 0; i < n; i++) dx[o + i] += exps[o + i] * (inv * dy[o + i] + dTotal);
      }
    },
  });
}

// --- loss -----------------------------------------------------------------------------------------

/**
 * The loss of each row: `-log p[target]`, computed as `log(p) * -1`, for `probs` [N][V] and one
 * target per row; a negative target marks a padding row, whose loss is 0 and passes no gradient.
 * Gives [N][1].
 *
 * @example
 * ```ts
 * import { nll } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * const losses = nll(Tensor.from([[0.5, 0.5], [0.25, 0.75]]), Int32Array.of(1, -1));
 * console.log(losses.toArray()); // [ [ 0.6931471805599453 ], [ 0 ] ]
 * ```
 */
export function nll(probs: Tensor, targets: Int32Array): Tensor {
  const { rows, cols } = probs;
  if (targets.length !== rows) {
    throw new RangeError(`nll: ${rows} rows need ${rows} targets, got ${targets.length}`);
  }
  for (let p = 0; p < rows; p++) {
    if (targets[p] >= cols) {
      throw new RangeError(`nll: target ${targets[p]} at ${p} is outside 0..${cols - 1}`);
    }
  }
  const y = new Float64Array(rows);
  for (let p = 0; p < rows; p++) {
    if (targets[p] >= 0) y[p] = Math.log(probs.data[p * cols + targets[p]]) * -1;
  }
  return new Tensor(rows, 1, y, {
    parents: [probs],
    op: "nll",
    backward: (dy) => {
      const dp = probs.grad;
      for (let p = 0; p < rows; p++) {
        const i = p * cols + targets[p];
        if (targets[p] >= 0) dp[i] += (1 / probs.data[i]) * (-1 * dy[p]);
      }
    },
  });
}

/**
 * Cross-entropy of each row of `logits` [N][V] against its target: `nll(softmax(logits))`, the
 * two steps microgpt takes. Gives [N][1]; padding rows (negative targets) give 0.
 *
 * @example
 * ```ts
 * import { crossEntropy } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(crossEntropy(Tensor.from([[0, 0, 0, 0]]), Int32Array.of(2)).at(0, 0)); // 1.3862943611198906 (ln 4)
 * ```
 */
export function crossEntropy(logits: Tensor, targets: Int32Array): Tensor {
  return nll(softmax(logits), targets);
}

/**
 * The loss of a batch, from `losses` [B*T][1] (document b's position t at row `b*T + t`): each
 * document's mean over its `lengths[b]` positions, `sum(losses) * (1 / n)` as microgpt takes it,
 * then the mean over documents, `sum(means) * (1 / B)`. Gives [1][1]. With one document this is
 * microgpt's loss, to the bit (`m * (1 / 1)` is `m`).
 *
 * @example
 * ```ts
 * import { documentMeanLoss } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * const losses = Tensor.from([[1], [3], [2], [0]]); // two documents of T = 2 positions
 * console.log(documentMeanLoss(losses, [2, 1]).at(0, 0)); // 2: the mean of 2 and 2
 * ```
 */
export function documentMeanLoss(losses: Tensor, lengths: readonly number[]): Tensor {
  const B = lengths.length;
  const T = B > 0 ? losses.rows / B : 0;
  if (B === 0 || !Number.isInteger(T)) {
    throw new RangeError(`documentMeanLoss: ${losses.rows} rows do not split into ${B} documents`);
  }
  requireShape("documentMeanLoss", "losses", losses, B * T, 1);
  for (const n of lengths) {
    if (!Number.isInteger(n) || n < 1 || n > T) {
      throw new RangeError(`documentMeanLoss: length ${n} is outside 1..${T}`);
    }
  }
  let total = 0;
  for (let b = 0; b < B; b++) {
    let sum = 0;
    for (let t = 0; t < lengths[b]; t++) sum += losses.data[b * T + t];
    total += sum * (1 / lengths[b]);
  }
  const y = Float64Array.of(total * (1 / B));
  return new Tensor(1, 1, y, {
    parents: [losses],
    op: "documentMeanLoss",
    backward: (dy) => {
      const dl = losses.grad;
      const dMean = (1 / B) * dy[0];
      for (let b = 0; b < B; b++) {
        const dSum = (1 / lengths[b]) * dMean;
        for (let t = 0; t < lengths[b]; t++) dl[b * T + t] += dSum;
      }
    },
  });
}

// --- moving rows and columns ----------------------------------------------------------------------

/**
 * Rows `ids[p]` of `table` [V][C]: the embedding lookup, giving [ids.length][C]. Backward: each
 * table row adds the gradients of the rows that copied it, last first.
 *
 * @example
 * ```ts
 * import { embedding } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * const table = Tensor.from([[0, 0], [1, 1], [2, 2]]);
 * console.log(embedding(table, Int32Array.of(2, 0, 2)).toArray()); // [ [ 2, 2 ], [ 0, 0 ], [ 2, 2 ] ]
 * ```
 */
export function embedding(table: Tensor, ids: Int32Array): Tensor {
  requireIds("embedding", ids, table.rows);
  const C = table.cols;
  const y = new Float64Array(ids.length * C);
  for (let p = 0; p < ids.length; p++) {
    for (let i = 0; i < C; i++) y[p * C + i] = table.data[ids[p] * C + i];
  }
  return new Tensor(ids.length, C, y, {
    parents: [table],
    op: "embedding",
    backward: (dy) => {
      const dt = table.grad;
      for (let p = ids.length - 1; p >= 0; p--) {
        for (let i = 0; i < C; i++) dt[ids[p] * C + i] += dy[p * C + i];
      }
    },
  });
}

/**
 * The block of `x` of `rows` rows from `row0` and `cols` columns from `col0` (a copy).
 *
 * @example
 * ```ts
 * import { slice } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(slice(Tensor.from([[1, 2, 3], [4, 5, 6]]), 1, 1, 1, 2).toArray()); // [ [ 5, 6 ] ]
 * ```
 */
export function slice(x: Tensor, row0: number, rows: number, col0: number, cols: number): Tensor {
  if (row0 < 0 || rows < 0 || row0 + rows > x.rows || col0 < 0 || cols < 0 || col0 + cols > x.cols) {
    throw new RangeError(`slice: rows ${row0}..+${rows}, columns ${col0}..+${cols} are outside ${x.shape}`);
  }
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = (row0 + r) * x.cols + col0;
    for (let c = 0; c < cols; c++) y[r * cols + c] = x.data[o + c];
  }
  return new Tensor(rows, cols, y, {
    parents: [x],
    op: "slice",
    backward: (dy) => {
      const dx = x.grad;
      for (let r = 0; r < rows; r++) {
        const o = (row0 + r) * x.cols + col0;
        for (let c = 0; c < cols; c++) dx[o + c] += dy[r * cols + c];
      }
    },
  });
}

/**
 * Tensors of the same number of rows side by side (attention's heads into one row per position).
 *
 * @example
 * ```ts
 * import { concatCols } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(concatCols([Tensor.from([[1], [2]]), Tensor.from([[3, 4], [5, 6]])]).toArray()); // [ [ 1, 3, 4 ], [ 2, 5, 6 ] ]
 * ```
 */
export function concatCols(parts: readonly Tensor[]): Tensor {
  const rows = parts.length > 0 ? parts[0].rows : 0;
  let cols = 0;
  for (const t of parts) {
    requireShape("concatCols", "every part", t, rows, t.cols);
    cols += t.cols;
  }
  const y = new Float64Array(rows * cols);
  let c0 = 0;
  for (const t of parts) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < t.cols; c++) y[r * cols + c0 + c] = t.data[r * t.cols + c];
    }
    c0 += t.cols;
  }
  return new Tensor(rows, cols, y, {
    parents: parts,
    op: "concatCols",
    backward: (dy) => {
      let c0 = 0;
      for (const t of parts) {
        const dt = t.grad;
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < t.cols; c++) dt[r * t.cols + c] += dy[r * cols + c0 + c];
        }
        c0 += t.cols;
      }
    },
  });
}

/**
 * Tensors of the same number of columns one below the other (the documents of a batch).
 *
 * @example
 * ```ts
 * import { concatRows } from "./ops.ts";
 * import { Tensor } from "./tensor.ts";
 * console.log(concatRows([Tensor.from([[1, 2]]), Tensor.from([[3, 4]])]).toArray()); // [ [ 1, 2 ], [ 3, 4 ] ]
 * ```
 */
export function concatRows(parts: readonly Tensor[]): Tensor {
  const cols = parts.length > 0 ? parts[0].cols : 0;
  let rows = 0;
  for (const t of parts) {
    requireShape("concatRows", "every part", t, t.rows, cols);
    rows += t.rows;
  }
  const y = new Float64Array(rows * cols);
  let offset = 0;
  for (const t of parts) {
    y.set(t.data, offset);
    offset += t.size;
  }
  return new Tensor(rows, cols, y, {
    parents: parts,
    op: "concatRows",
    backward: (dy) => {
      let offset = 0;
      for (const t of parts) {
        const dt = t.grad;
        for (let i = 0; i < t.size; i++) dt[i] += dy[offset + i];
        offset += t.size;
      }
    },
  });
}
