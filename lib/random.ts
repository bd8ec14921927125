/**
 * A seeded random generator that reproduces CPython 3.11's `random` module bit for bit:
 * the MT19937 core, `seed`, `random`, `getrandbits`, `shuffle`, `gauss` (with its cached
 * second value) and `choices` with weights.
 *
 * @module
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** Everything needed to resume a generator exactly where it was. */
export interface RandomState {
  /** The 624 words of the Mersenne Twister state. */
  mt: number[];
  /** Position of the next word to temper (624 means "regenerate first"). */
  index: number;
  /** The second normal deviate `gauss` keeps for its next call, or null. */
  gaussNext: number | null;
}

/**
 * CPython-compatible random number generator.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * const rng = new Random(42);
 * console.log(rng.random()); // 0.6394267984578837, as Python's random.seed(42); random.random()
 * ```
 */
export class Random {
  private mt = new Uint32Array(N);
  private index = N + 1;
  private gaussNext: number | null = null;

  /** Creates a generator seeded like `random.Random(seed)`. */
  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  /** Re-seeds like Python's `random.seed(n)` for an integer `n` (negative seeds use `|n|`). */
  seed(seed: number | bigint): void {
    if (typeof seed === "number" && !Number.isSafeInteger(seed)) {
      throw new RangeError(`seed must be an integer, got ${seed}`);
    }
    let n = BigInt(seed);
    if (n < 0n) n = -n;
    // The key is n's 32-bit words, least significant first; 0 gives the key [0].
    const key: number[] = [];
    do {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    } while (n > 0n);
    this.initByArray(key);
    this.gaussNext = null;
  }

  /** MT19937's `init_genrand`: the state from one 32-bit seed. */
  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 * prev + i, mod 2^32, without losing bits to float rounding.
      mt[i] = Math.imul(1812433253, prev) + i;
    }
    this.index = N;
  }

  /** MT19937's `init_by_array`: the state from a key of 32-bit words (what `seed` uses). */
  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (mt[i] ^ Math.imul(prev, 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000; // MSB is 1, assuring a non-zero initial array
  }

  /** The next raw 32-bit output of MT19937, as an unsigned integer. */
  u32(): number {
    const mt = this.mt;
    if (this.index >= N) {
      let kk = 0;
      let y: number;
      for (; kk < N - M; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A float in [0, 1) with 53 random bits, like `random.random()`. */
  random(): number {
    const a = this.u32() >>> 5;
    const b = this.u32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * An integer of `k` random bits, like `random.getrandbits(k)`, for `0 <= k <= 53`
   * (words are drawn least significant first, as CPython does).
   */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 53) {
      throw new RangeError(`getrandbits(k) needs an integer 0 <= k <= 53, got ${k}`);
    }
    if (k === 0) return 0;
    if (k <= 32) return this.u32() >>> (32 - k);
    const low = this.u32();
    const high = this.u32() >>> (64 - k);
    return high * 4294967296 + low;
  }

  /** A uniform integer in [0, n), like CPython's `_randbelow` (rejection sampling on bits). */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new RangeError(`randbelow(n) needs a positive integer, got ${n}`);
    }
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /**
   * Shuffles `items` (an array, or a typed array of indexes) in place, like `random.shuffle`
   * (Fisher-Yates from the end). The draws depend only on the length.
   */
  shuffle<T>(items: { length: number; [index: number]: T }): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
  }

  /** A normal deviate, like `random.gauss(mu, sigma)`: Box-Muller, caching the second value. */
  gauss(mu = 0, sigma = 1): number {
    let z = this.gaussNext;
    this.gaussNext = null;
    if (z === null) {
      const x2pi = this.random() * 2 * Math.PI;
      const g2rad = Math.sqrt(-2 * Math.log(1 - this.random()));
      z = Math.cos(x2pi) * g2rad;
      this.gaussNext = Math.sin(x2pi) * g2rad;
    }
    return mu + z * sigma;
  }

  /**
   * Picks one index of `weights` with probability proportional to its weight, like
   * `random.choices(range(len(weights)), weights=weights)[0]`.
   */
  choice(weights: ArrayLike<number>): number {
    const n = weights.length;
    if (n === 0) throw new RangeError("choice() needs at least one weight");
    const cumulative = new Float64Array(n);
    let running = 0;
    for (let i = 0; i < n; i++) {
      running += weights[i];
      cumulative[i] = running;
    }
    const total = cumulative[n - 1];
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new RangeError(`choice() needs a positive finite total weight, got ${total}`);
    }
    return bisectRight(cumulative, this.random() * total, 0, n - 1);
  }

  /** A copy of the generator's full state. */
  getState(): RandomState {
    return { mt: Array.from(this.mt), index: this.index, gaussNext: this.gaussNext };
  }

  /**
   * A second generator in this one's state: both then draw the same numbers, independently.
   *
   * @example
   * ```ts
   * import { Random } from "./random.ts";
   * const a = new Random(42);
   * const b = a.clone();
   * console.log(a.random() === b.random()); // true
   * ```
   */
  clone(): Random {
    const copy = new Random(0);
    copy.setState(this.getState());
    return copy;
  }

  /** Restores a state from `getState()`; the generator then continues exactly from there. */
  setState(state: RandomState): void {
    const { mt, index, gaussNext } = state;
    if (
      !Array.isArray(mt) || mt.length !== N ||
      !mt.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
    ) {
      throw new RangeError(`random state needs ${N} unsigned 32-bit words`);
    }
    if (!Number.isInteger(index) || index < 0 || index > N) {
      throw new RangeError(`random state index must be in 0..${N}, got ${index}`);
    }
    if (gaussNext !== null && !Number.isFinite(gaussNext)) {
      throw new RangeError("random state gaussNext must be a finite number or null");
    }
    this.mt.set(mt);
    this.index = index;
    this.gaussNext = gaussNext;
  }
}

/** Python's `int.bit_length()` for a non-negative safe integer. */
function bitLength(n: number): number {
  return n <= 0xffffffff ? 32 - Math.clz32(n) : n.toString(2).length;
}

/** Python's `bisect.bisect_right(a, x, lo, hi)`. */
function bisectRight(a: ArrayLike<number>, x: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < a[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
