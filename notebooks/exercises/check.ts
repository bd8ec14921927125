/**
 * What every exercise check shares: a result that shows itself as one line, `✓ ...` when the
 * answer is right and `✗ ...` saying what is off (llm.c style: the largest difference and where
 * it is), and the generic checks (a prediction, a multiple-choice answer, numbers that must
 * match, a gradient against finite differences). A check never throws: an error in the
 * learner's code becomes a `✗` line, so a notebook runs top to bottom with any answer.
 *
 * In a notebook a check is the last expression of its cell and shows its line:
 * `check.rmsnorm(rmsnorm);`. In code, `result.ok` says whether it passed.
 *
 * @module
 */

import { Value } from "../../lib/mod.ts";

/** The outcome of a check: whether it passed, and the line that says so. */
export class CheckResult {
  /** `message` starts with `✓ ` when `ok`, `✗ ` when not. */
  constructor(readonly ok: boolean, readonly message: string) {}

  /** The line, as `console.log` and string interpolation show it. */
  toString(): string {
    return this.message;
  }

  /** How Deno's `console.log` shows a result: its line. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.message;
  }

  /** How a Jupyter cell shows a result that is its last expression: the line, green or red. */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    const color = this.ok ? "#1a7f37" : "#cf222e";
    const escaped = this.message.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    return {
      "text/plain": this.message,
      // pre-wrap breaks a long line between words (the classic UI's own style breaks inside them)
      "text/html":
        `<pre style="color: ${color}; white-space: pre-wrap; word-break: normal; margin: 0">${escaped}</pre>`,
    };
  }
}

/**
 * A passed check: `✓ what`.
 *
 * @example
 * ```ts
 * import { pass } from "./check.ts";
 * console.log(pass("rmsnorm matches the library").message); // ✓ rmsnorm matches the library
 * ```
 */
export function pass(what: string): CheckResult {
  return new CheckResult(true, `✓ ${what}`);
}

/**
 * A failed check: `✗ what`.
 *
 * @example
 * ```ts
 * import { fail } from "./check.ts";
 * console.log(fail("entry 3 differs").ok); // false
 * ```
 */
export function fail(what: string): CheckResult {
  return new CheckResult(false, `✗ ${what}`);
}

/**
 * Runs a check; an exception thrown by the learner's code becomes a `✗` line naming it, so
 * the cell (and the notebook) still runs to the end.
 *
 * @example
 * ```ts
 * import { attempt, pass } from "./check.ts";
 * console.log(attempt(() => { throw new Error("TODO"); }).message); // ✗ your code threw Error: TODO
 * console.log(attempt(() => pass("fine")).ok); // true
 * ```
 */
export function attempt(check: () => CheckResult): CheckResult {
  try {
    return check();
  } catch (error) {
    return fail(
      `your code threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
}

/** A number as the checks print it: up to 6 significant digits, exponent form when tiny or huge. */
export function show(x: number): string {
  if (Number.isInteger(x) || !Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  return abs !== 0 && (abs < 1e-4 || abs >= 1e6) ? x.toExponential(2) : String(Number(x.toPrecision(6)));
}

/** Where two lists of numbers differ most, llm.c style: the largest absolute difference and its index. */
export interface Difference {
  /** The largest |got - expected| (Infinity for a NaN or a length mismatch). */
  largest: number;
  /** Its index (-1 for a length mismatch). */
  at: number;
}

/**
 * The largest absolute difference between `got` and `expected`, and where it is.
 *
 * @example
 * ```ts
 * import { largestDifference } from "./check.ts";
 * console.log(largestDifference([1, 2, 3], [1, 2.5, 3])); // { largest: 0.5, at: 1 }
 * ```
 */
export function largestDifference(got: ArrayLike<number>, expected: ArrayLike<number>): Difference {
  if (got.length !== expected.length) return { largest: Infinity, at: -1 };
  let largest = 0;
  let at = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - expected[i]);
    if (!(d <= largest)) { // a NaN counts as the largest difference of all
      largest = Number.isNaN(d) ? Infinity : d;
      at = i;
      if (largest === Infinity) break;
    }
  }
  return { largest, at };
}

/**
 * `got` against `expected`, number by number: `✓ what (largest difference d)` when every
 * difference is within `tolerance`, else `✗` naming the worst entry. `name(i)` says what entry
 * `i` is (default `[i]`).
 *
 * @example
 * ```ts
 * import { numbers } from "./check.ts";
 * console.log(numbers("softmax", [0.5, 0.5], [0.5, 0.5]).message); // ✓ softmax (largest difference 0)
 * console.log(numbers("softmax", [0.4, 0.6], [0.5, 0.5]).message);
 * // ✗ softmax: [0] is 0.4, expected 0.5 (difference 0.1)
 * ```
 */
export function numbers(
  what: string,
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: { tolerance?: number; name?: (i: number) => string } = {},
): CheckResult {
  const { tolerance = 1e-12, name = (i: number) => `[${i}]` } = options;
  if (got.length !== expected.length) {
    return fail(`${what}: you gave ${got.length} numbers, expected ${expected.length}`);
  }
  const { largest, at } = largestDifference(got, expected);
  if (largest <= tolerance) return pass(`${what} (largest difference ${show(largest)})`);
  return fail(
    `${what}: ${name(at)} is ${show(got[at])}, expected ${show(expected[at])} (difference ${
      show(Math.abs(got[at] - expected[at]))
    })`,
  );
}

/**
 * A prediction checked against what really happens: `✓` when `yours` is within `tolerance` of
 * `actual`. Either way the line gives the actual value, so running it teaches something.
 *
 * @example
 * ```ts
 * import { prediction } from "./check.ts";
 * console.log(prediction("the uniform loss", 3.3, Math.log(27), 0.01).message);
 * // ✓ the uniform loss: you said 3.3, it is 3.29584
 * ```
 */
export function prediction(what: string, yours: number, actual: number, tolerance = 0): CheckResult {
  if (typeof yours !== "number" || Number.isNaN(yours)) {
    return fail(`${what}: replace the placeholder with your prediction (a number)`);
  }
  const line = `${what}: you said ${show(yours)}, it is ${show(actual)}`;
  return Math.abs(yours - actual) <= tolerance ? pass(line) : fail(line);
}

/**
 * A multiple-choice answer: `✓` with the reason when `yours` is `right`; `✗` listing the
 * choices when it is not one of them, else saying it is not the answer (without giving it away).
 *
 * @example
 * ```ts
 * import { choice } from "./check.ts";
 * const choices = ["up", "down"] as const;
 * console.log(choice("the loss goes", "down", "down", choices, "less smoothing fits the counts").message);
 * // ✓ the loss goes down: less smoothing fits the counts
 * console.log(choice("the loss goes", "sideways", "down", choices, "").message);
 * // ✗ the loss goes: answer one of "up", "down"
 * ```
 */
export function choice(
  question: string,
  yours: string,
  right: string,
  choices: readonly string[],
  why: string,
): CheckResult {
  if (!choices.includes(yours)) {
    return fail(`${question}: answer one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`);
  }
  return yours === right
    ? pass(`${question} ${right}: ${why}`)
    : fail(`${question} ${yours}? Not quite; think again`);
}

/**
 * Autograd against finite differences: builds `f(inputs)` from fresh `Value`s, runs
 * `backward()`, and compares each input's `grad` with the central difference
 * `(f(x + h) - f(x - h)) / 2h`. `✓` when every gradient agrees within `tolerance` (relative to
 * the larger of the two and 1). This is the check that catches a wrong local derivative.
 *
 * @example
 * ```ts
 * import { gradient } from "./check.ts";
 * console.log(gradient((x) => x[0].mul(x[1]).exp(), [0.5, -1]).ok); // true
 * ```
 */
export function gradient(
  f: (x: Value[]) => Value,
  inputs: readonly number[],
  options: { h?: number; tolerance?: number } = {},
): CheckResult {
  const { h = 1e-6, tolerance = 1e-6 } = options;
  return attempt(() => {
    const xs = inputs.map((x) => new Value(x));
    f(xs).backward();
    const at = (i: number, delta: number) => f(inputs.map((x, j) => new Value(j === i ? x + delta : x))).data;
    const numeric = inputs.map((_, i) => (at(i, h) - at(i, -h)) / (2 * h));
    let worst = { error: 0, i: 0 };
    xs.forEach((x, i) => {
      const error = Math.abs(x.grad - numeric[i]) / Math.max(1, Math.abs(x.grad), Math.abs(numeric[i]));
      if (!(error <= worst.error)) worst = { error: Number.isNaN(error) ? Infinity : error, i };
    });
    const { i } = worst;
    return worst.error <= tolerance
      ? pass(`gradients match finite differences (largest relative difference ${show(worst.error)})`)
      : fail(
        `d/dx${i}: autograd says ${show(xs[i].grad)}, finite differences say ${show(numeric[i])} ` +
          `(at x${i} = ${show(inputs[i])}): a local derivative is wrong`,
      );
  });
}
