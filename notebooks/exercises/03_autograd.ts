/**
 * The checks of notebook 03's exercises ("Try it"). Each takes your answer and shows one line:
 * `✓ ...` when it is right, `✗ ...` saying what is off. Worked solutions:
 * `notebooks/solutions/03_autograd.ts`. `gradient` is the notebook's gradient check: any
 * expression of `Value`s against finite differences.
 *
 * @module
 */

import { Value } from "../../lib/mod.ts";
import { attempt, type CheckResult, fail, gradient, numbers, pass, prediction, show } from "./check.ts";

export { gradient } from "./check.ts";

/**
 * Exercise 1 (predict, then run): dL/da for `L = a * a + a` at `a = 3`.
 *
 * @example
 * ```ts
 * import { squarePlusA } from "./03_autograd.ts";
 * console.log(squarePlusA(7).ok); // true
 * ```
 */
export function squarePlusA(yours: number): CheckResult {
  const a = new Value(3);
  a.mul(a).add(a).backward();
  return attempt(() => prediction("dL/da of a * a + a at a = 3", yours, a.grad));
}

/**
 * Exercise 2 (implement a piece): `tanh(x)` must be a new primitive op: the value `Math.tanh`
 * and the local derivative `1 - tanh²`, made with `new Value(data, operand, derivative)`.
 *
 * @example
 * ```ts
 * import { tanh } from "./03_autograd.ts";
 * console.log(tanh((x) => x).message.startsWith("✗")); // true
 * ```
 */
export function tanh(yours: (x: Value) => Value): CheckResult {
  return attempt(() => {
    const inputs = [-2, -0.3, 0, 0.7, 3];
    const got = inputs.map((x) => yours(new Value(x)).data);
    const values = numbers("tanh values", got, inputs.map(Math.tanh), { name: (i) => `tanh(${inputs[i]})` });
    if (!values.ok) return values;
    // used twice and mixed with other ops, so the derivative must flow through the graph
    const grads = gradient((x) => yours(x[0].mul(x[1])).mul(yours(x[0])), [0.4, -1.3]);
    return grads.ok ? pass(`tanh's values and gradients (${grads.message.slice(2)})`) : grads;
  });
}

/**
 * Exercise 3 (break something on purpose): `badExp(x)` must compute `e^x` correctly but carry
 * a wrong local derivative; this check passes when the gradient check catches it.
 *
 * @example
 * ```ts
 * import { caughtByGradientCheck } from "./03_autograd.ts";
 * console.log(caughtByGradientCheck((x) => x.exp()).message.startsWith("✗")); // true: nothing is broken
 * ```
 */
export function caughtByGradientCheck(badExp: (x: Value) => Value): CheckResult {
  return attempt(() => {
    const x = 0.8;
    const value = badExp(new Value(x)).data;
    if (Math.abs(value - Math.exp(x)) > 1e-12) {
      return fail(
        `badExp(${x}) is ${show(value)}, not e^${x} = ${show(Math.exp(x))}: break only the derivative`,
      );
    }
    const verdict = gradient((xs) => badExp(xs[0].mul(2)).add(xs[1]), [x / 2, 1]);
    return verdict.ok
      ? fail("the gradient check found nothing wrong: give badExp a wrong local derivative")
      : pass(`the gradient check caught it: ${verdict.message.slice(2)}`);
  });
}

/** The expression exercise 4 is checked on: every primitive op, and `a` used three times. */
function expression(a: Value, b: Value, c: Value): Value {
  const e = a.mul(b).add(c.exp()); // a*b + e^c
  return e.mul(a).relu().add(e.pow(2)).add(a.log()).mul(b.sub(a)); // a used again and again
}

/**
 * Exercise 4 (implement a piece): `backward(root)` must fill in `grad` of every `Value` that
 * `root` depends on (`root.grad` = 1, then the chain rule in reverse topological order, adding
 * with `+=`), using the fields `a`, `b` (the operands) and `da`, `db` (the local derivatives).
 *
 * @example
 * ```ts
 * import { backward } from "./03_autograd.ts";
 * console.log(backward(() => {}).message.startsWith("✗")); // true
 * ```
 */
export function backward(yours: (root: Value) => void): CheckResult {
  return attempt(() => {
    const inputs = [1.5, -0.5, 0.3];
    const mine = inputs.map((x) => new Value(x));
    const theirs = inputs.map((x) => new Value(x));
    yours(expression(mine[0], mine[1], mine[2]));
    expression(theirs[0], theirs[1], theirs[2]).backward();
    return numbers(
      "gradients like Value.backward, a node used 3 times included",
      mine.map((v) => v.grad),
      theirs.map((v) => v.grad),
      { name: (i) => `d/d${"abc"[i]}`, tolerance: 1e-12 },
    );
  });
}
