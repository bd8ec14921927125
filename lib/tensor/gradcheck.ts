/**
 * Checking gradients against finite differences: nudge one input number at a time, watch the
 * output move, and compare the slope with what `backward()` computed.
 *
 * @module
 */

/**
 * d(sum_k seed_k * f_k)/d x[i] for every element of `x`, by the fourth-order central difference
 * `(f(x - 2h) - 8 f(x - h) + 8 f(x + h) - f(x + 2h)) / (12 h)`, where `f` returns the outputs (a
 * tensor's `data`) and `seed` weighs them (default: all 1, e.g. for one loss). The error shrinks
 * like h^4 (h = 5e-4: about 1e-12 on smooth functions of moderate curvature); the differences are taken output by
 * output, so the outputs a nudge does not touch cancel exactly instead of adding rounding noise.
 * `f` must read `x`, which is changed in place and restored.
 *
 * @example
 * ```ts
 * import { numericalGradient } from "./gradcheck.ts";
 * const x = Float64Array.of(1, 2);
 * const g = numericalGradient(() => [x[0] ** 3 + Math.sin(x[1])], x);
 * console.log(Math.abs(g[0] - 3) < 1e-12, Math.abs(g[1] - Math.cos(2)) < 1e-12); // true true
 * ```
 */
export function numericalGradient(
  f: () => ArrayLike<number>,
  x: Float64Array,
  seed?: ArrayLike<number>,
  h = 5e-4,
): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    const at = (d: number): Float64Array => {
      x[i] = x0 + d;
      return Float64Array.from(f());
    };
    const [m2, m1, p1, p2] = [at(-2 * h), at(-h), at(h), at(2 * h)];
    let sum = 0;
    for (let k = 0; k < m2.length; k++) sum += (seed?.[k] ?? 1) * ((m2[k] - p2[k]) + 8 * (p1[k] - m1[k]));
    grad[i] = sum / (12 * h);
    x[i] = x0;
  }
  return grad;
}

/**
 * How far apart two gradients are: the largest `|a_i - b_i| / max(|a_i|, |b_i|, floor)`, and
 * where. The default floor is the largest entry of either, which makes it the largest difference
 * relative to the gradient's scale: finite differences carry rounding noise of about 1e-13 on
 * every entry, so an entry that is 0 or tiny cannot be matched relative to itself. `floor = 0`
 * compares every entry relative to itself.
 *
 * @example
 * ```ts
 * import { relativeError } from "./gradcheck.ts";
 * const a = [2, 1, 0];
 * const b = [2, 1 + 2e-10, 1e-14];
 * console.log(relativeError(a, b).error.toExponential(1)); // 1.0e-10: the difference 2e-10, relative to 2
 * console.log(relativeError(a, b, 0)); // { error: 1, at: 2 }: 0 against 1e-14, relative to itself
 * ```
 */
export function relativeError(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  floor?: number,
): { error: number; at: number } {
  if (a.length !== b.length) throw new RangeError(`the gradients have ${a.length} and ${b.length} entries`);
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i]), Math.abs(b[i]));
  const scale = floor ?? largest;
  let error = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const denominator = Math.max(Math.abs(a[i]), Math.abs(b[i]), scale);
    const e = a[i] === b[i] ? 0 : Math.abs(a[i] - b[i]) / denominator;
    if (!(e <= error)) { // NaN counts as the largest error
      error = Number.isNaN(e) ? Infinity : e;
      at = i;
    }
  }
  return { error, at };
}
