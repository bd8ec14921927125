/**
 * Statistics over losses and runs, in one place: mean and sample standard deviation, the
 * smoothing of a loss curve (an exponential moving average, TensorBoard style, or a trailing
 * window), the mean ± std band across runs, and a 2-D PCA projection. Figures, tables and
 * sweep summaries all use these.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/**
 * The mean of `xs` (NaN for none), summed left to right.
 *
 * @example
 * ```ts
 * import { mean } from "./stats.ts";
 * console.log(mean([1, 2, 3, 4])); // 2.5
 * ```
 */
export function mean(xs: readonly number[]): number {
  let total = 0;
  for (const x of xs) total += x;
  return total / xs.length;
}

/**
 * Mean and sample standard deviation (n - 1 in the denominator; 0 for one value).
 *
 * @example
 * ```ts
 * import { meanStd } from "./stats.ts";
 * console.log(meanStd([2, 4, 4, 4, 5, 5, 7, 9])); // { mean: 5, std: 2.138089935299395 }
 * ```
 */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  if (xs.length === 0) return { mean: NaN, std: NaN };
  const m = mean(xs);
  if (xs.length === 1) return { mean: m, std: 0 };
  let squares = 0;
  for (const x of xs) squares += (x - m) ** 2;
  return { mean: m, std: Math.sqrt(squares / (xs.length - 1)) };
}

/** Default smoothing of loss curves: each point of the line is an average of about 10 steps. */
export const DEFAULT_SMOOTHING = 0.9;

/** Throws a one-line UsageError unless `smoothing` is in [0, 1). */
export function checkSmoothing(smoothing: number): void {
  if (!(smoothing >= 0 && smoothing < 1)) {
    throw new UsageError(
      `smoothing must be in [0, 1), got ${smoothing}; 0 is no smoothing, 0.9 a typical value`,
    );
  }
}

/**
 * An exponential moving average with bias correction (as TensorBoard smooths): point `t`
 * is the average of all points up to `t` with weights `smoothing^(t-i)`, so the line starts
 * at the first value instead of at 0. Non-finite values are skipped.
 *
 * @example
 * ```ts
 * import { smoothLosses } from "./stats.ts";
 * console.log(smoothLosses([4, 2, 2], 0.5)); // [4, 2.6666666666666665, 2.2857142857142856]
 * console.log(smoothLosses([4, 2], 0)); // [4, 2]
 * ```
 */
export function smoothLosses(values: readonly number[], smoothing: number = DEFAULT_SMOOTHING): number[] {
  checkSmoothing(smoothing);
  const out: number[] = [];
  let average = 0;
  let weight = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      average = smoothing * average + (1 - smoothing) * v;
      weight = smoothing * weight + (1 - smoothing);
    }
    out.push(weight === 0 ? NaN : average / weight);
  }
  return out;
}

/**
 * A trailing moving average: `out[i]` is the mean of `xs[max(0, i - window + 1) .. i]`.
 *
 * @example
 * ```ts
 * import { movingAverage } from "./stats.ts";
 * console.log(movingAverage([1, 2, 3, 4], 2)); // [1, 1.5, 2.5, 3.5]
 * ```
 */
export function movingAverage(xs: readonly number[], window: number): number[] {
  if (!Number.isSafeInteger(window) || window < 1) {
    throw new RangeError(`window must be a positive integer, got ${window}`);
  }
  const out: number[] = [];
  let total = 0;
  for (let i = 0; i < xs.length; i++) {
    total += xs[i];
    if (i >= window) total -= xs[i - window];
    out.push(total / Math.min(i + 1, window));
  }
  return out;
}

/** Mean and spread of the loss curves of several runs, step by step. */
export interface LossBand {
  /** 1-based step numbers. */
  steps: number[];
  /** The mean across runs at each step. */
  mean: number[];
  /** Sample standard deviation across the runs at that step (0 where only one is left). */
  std: number[];
  /** `mean - std` and `mean + std`. */
  lower: number[];
  /** See `lower`. */
  upper: number[];
}

/**
 * The mean ± std band of several runs' losses (e.g. seeds), each first smoothed by
 * `smoothLosses` with `smoothing` (default 0: none). Runs may differ in length: each step
 * uses the runs that reached it, and skips non-finite values.
 *
 * @example
 * ```ts
 * import { lossBand } from "./stats.ts";
 * const band = lossBand([{ losses: [3, 2, 1] }, { losses: [1, 2] }]);
 * console.log(band.mean, band.std); // [2, 2, 1] [1.4142135623730951, 0, 0]
 * ```
 */
export function lossBand(
  runs: readonly { losses: readonly number[] }[],
  options: { smoothing?: number } = {},
): LossBand {
  if (runs.length === 0) throw new UsageError("a loss band needs at least one run; pass [{ losses }, ...]");
  const smoothing = options.smoothing ?? 0;
  const curves = runs.map((run) => smoothLosses(run.losses, smoothing));
  const length = Math.max(...curves.map((c) => c.length));
  const band: LossBand = { steps: [], mean: [], std: [], lower: [], upper: [] };
  for (let t = 0; t < length; t++) {
    const column = curves.filter((c) => t < c.length && Number.isFinite(c[t])).map((c) => c[t]);
    const { mean, std } = column.length > 0 ? meanStd(column) : { mean: NaN, std: NaN };
    band.steps.push(t + 1);
    band.mean.push(mean);
    band.std.push(std);
    band.lower.push(mean - std);
    band.upper.push(mean + std);
  }
  return band;
}

/** The result of `pca2`: every row projected on the two main directions of variation. */
export interface Projection2D {
  /** [rows][2]: the coordinates of each row on PC1 and PC2. */
  points: [number, number][];
  /** The share of the total variance along PC1 and PC2 (0..1). */
  explained: [number, number];
}

/**
 * Principal component analysis to 2-D: the rows are centred and projected on the two
 * eigenvectors of their covariance with the largest eigenvalues (Jacobi's method, exact and
 * deterministic; each direction's sign makes its largest component positive).
 *
 * @example
 * ```ts
 * import { pca2 } from "./stats.ts";
 * const { points, explained } = pca2([[0, 0], [2, 2], [4, 4]]); // points on a line
 * console.log(points.map(([a]) => a.toFixed(3)), explained[0]); // ["-2.828", "0.000", "2.828"] 1
 * ```
 */
export function pca2(rows: readonly (readonly number[])[]): Projection2D {
  if (rows.length === 0) throw new UsageError("PCA needs at least one row of numbers");
  const d = rows[0].length;
  for (const [i, row] of rows.entries()) {
    if (row.length !== d) {
      throw new UsageError(`row ${i} has ${row.length} numbers, row 0 has ${d}; rows must match`);
    }
    const j = row.findIndex((v) => !Number.isFinite(v));
    if (j !== -1) {
      throw new UsageError(
        `PCA needs finite numbers, but row ${i}, column ${j} is ${row[j]}; drop or fix that row`,
      );
    }
  }
  const n = rows.length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((a, r) => a + r[j], 0) / n); // [d]
  const centred = rows.map((r) => r.map((v, j) => v - mean[j])); // [n][d]
  const cov = Array.from(
    { length: d },
    (_, a) =>
      Array.from({ length: d }, (_, b) => centred.reduce((s, r) => s + r[a] * r[b], 0) / Math.max(1, n - 1)),
  ); // [d][d]
  const { values, vectors } = symmetricEigen(cov);
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  const direction = (k: number): number[] => {
    if (k >= d) return new Array<number>(d).fill(0);
    const v = vectors.map((row) => row[order[k]]); // column order[k]
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[big]) + 1e-12) big = j;
    return v[big] < 0 ? v.map((x) => -x) : v;
  };
  const pc1 = direction(0);
  const pc2 = direction(1);
  const total = values.reduce((a, b) => a + Math.max(0, b), 0);
  const share = (k: number) => (k < d && total > 0 ? Math.max(0, values[order[k]]) / total : 0);
  const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, j) => s + v * b[j], 0);
  return {
    points: centred.map((r) => [dot(r, pc1), dot(r, pc2)]),
    explained: [share(0), share(1)],
  };
}

/** Eigenvalues and eigenvectors (as columns) of a symmetric matrix by cyclic Jacobi rotations. */
function symmetricEigen(matrix: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
  const d = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v = Array.from(
    { length: d },
    (_, i) => Array.from({ length: d }, (_, j): number => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p][q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        // The rotation angle that zeroes a[p][q] (Numerical Recipes' stable form).
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((row, i) => row[i]), vectors: v };
}
