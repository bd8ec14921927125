/**
 * The fast engine's kernels: `linear`, RMSNorm and softmax on flat `Float64Array`s with their
 * backward passes. Each forward kernel repeats the `Value` engine's floating-point operations in
 * the same order (so its results are the same bits); loops are unrolled so that independent
 * sums overlap and each number loaded serves several products.
 *
 * @module
 */

/**
 * `out[p][r] = sum_i(w[r][i] * x[p][i])` for `rows` input vectors `x[p]` (stride `nin`) and the
 * `nout` x `nin` matrix at `w[wOff..]`. Each sum runs left to right like `sum()` (whose
 * leading `0 + x0` only changes the sign of an exact zero). Two positions times four rows
 * are computed together: eight independent sums in flight, and each number loaded serves
 * two or four products.
 */
export function linear(
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
export function linearBackward(
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
export function weightGradient(
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
export function inputGradient(
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
export function linearFromActive(
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
export function linearFromActiveBackward(
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
export function inputGradientFromActive(
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
export function rmsnorm(x: Float64Array, xOff: number, len: number, y: Float64Array, yOff: number): number {
  let sumSq = x[xOff] * x[xOff];
  for (let i = 1; i < len; i++) sumSq += x[xOff + i] * x[xOff + i];
  const ms = sumSq * len ** -1;
  const scale = (ms + 1e-5) ** -0.5;
  for (let i = 0; i < len; i++) y[yOff + i] = x[xOff + i] * scale;
  return scale;
}

/** Backward of `rmsnorm`: `dx += scale * dy - scale³ / len * (dy · x) * x`. */
export function rmsnormBackward(
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
export function softmaxInPlace(z: Float64Array, off: number, len: number, maxValue: number): void {
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
