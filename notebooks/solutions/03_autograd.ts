/**
 * Worked solutions to notebook 03's exercises. Try them yourself first; each one passes its
 * check in `notebooks/exercises/03_autograd.ts` (`03_autograd_test.ts` runs them).
 *
 * @module
 */

import { Value } from "../../lib/mod.ts";

/** Exercise 1: dL/da = 2a + 1 = 7: `a` reaches L along three edges (a·a twice, and + a). */
export const squarePlusA = 7;

/**
 * Exercise 2: a primitive op is its value and its local derivative, d tanh(x)/dx = 1 - tanh²(x).
 *
 * @example
 * ```ts
 * import { tanh } from "./03_autograd.ts";
 * import { Value } from "../../lib/mod.ts";
 * const y = tanh(new Value(0.5));
 * y.backward();
 * console.log(y.data.toFixed(4)); // 0.4621
 * ```
 */
export function tanh(x: Value): Value {
  const t = Math.tanh(x.data);
  return new Value(t, x, 1 - t * t);
}

/**
 * Exercise 3: the right value e^x, with the wrong local derivative 1 (it should be e^x).
 *
 * @example
 * ```ts
 * import { badExp } from "./03_autograd.ts";
 * import { Value } from "../../lib/mod.ts";
 * console.log(badExp(new Value(0)).data); // 1
 * ```
 */
export function badExp(x: Value): Value {
  return new Value(Math.exp(x.data), x, 1);
}

/**
 * Exercise 4: list the nodes so each comes after its operands (depth-first), then walk the
 * list backwards, each node adding `local derivative × its grad` to each operand.
 *
 * @example
 * ```ts
 * import { backward } from "./03_autograd.ts";
 * import { Value } from "../../lib/mod.ts";
 * const a = new Value(3);
 * backward(a.mul(a));
 * console.log(a.grad); // 6
 * ```
 */
export function backward(root: Value): void {
  const order: Value[] = [];
  const seen = new Set<Value>();
  const visit = (v: Value): void => {
    if (seen.has(v)) return;
    seen.add(v);
    if (v.a !== null) visit(v.a);
    if (v.b !== null) visit(v.b);
    order.push(v);
  };
  visit(root);
  root.grad = 1;
  for (const v of order.reverse()) {
    if (v.a !== null) v.a.grad += v.da * v.grad;
    if (v.b !== null) v.b.grad += v.db * v.grad;
  }
}
