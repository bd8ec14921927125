/** Notebook 03's exercises: every worked solution passes its check, and wrong answers fail it. */
import assert from "node:assert/strict";
import { Value } from "../../lib/mod.ts";
import * as check from "../exercises/03_autograd.ts";
import * as solution from "./03_autograd.ts";

Deno.test("exercise 1: dL/da of a * a + a", () => {
  assert.equal(
    check.squarePlusA(solution.squarePlusA).message,
    "✓ dL/da of a * a + a at a = 3: you said 7, it is 7",
  );
  assert.equal(check.squarePlusA(4).ok, false); // counted a once in a * a
});

Deno.test("exercise 2: tanh as a new op", () => {
  assert.match(
    check.tanh(solution.tanh).message,
    /^✓ tanh's values and gradients \(gradients match finite differences/,
  );
  // wrong local derivative: 1 - t instead of 1 - t²
  const wrongGrad = (x: Value) => new Value(Math.tanh(x.data), x, 1 - Math.tanh(x.data));
  assert.match(
    check.tanh(wrongGrad).message,
    /^✗ d\/dx\d: autograd says .*, finite differences say .*a local derivative is wrong/,
  );
  // wrong value
  assert.match(
    check.tanh((x) => x.relu()).message,
    /^✗ tanh values: tanh\(3\) is 3, expected 0\.995055 \(difference 2\.00495\)$/,
  );
  // right values but the graph is cut: a leaf, so no gradient reaches x
  assert.equal(check.tanh((x) => new Value(Math.tanh(x.data))).ok, false);
});

Deno.test("exercise 3: a broken derivative, caught", () => {
  assert.match(
    check.caughtByGradientCheck(solution.badExp).message,
    /^✓ the gradient check caught it: d\/dx0: autograd says/,
  );
  assert.equal(
    check.caughtByGradientCheck((x) => x.exp()).message,
    "✗ the gradient check found nothing wrong: give badExp a wrong local derivative",
  );
  assert.match(
    check.caughtByGradientCheck((x) => x.mul(2)).message,
    /^✗ badExp\(0\.8\) is 1\.6, not e\^0\.8/,
  );
});

Deno.test("exercise 4: backward by hand", () => {
  assert.equal(
    check.backward(solution.backward).message,
    "✓ gradients like Value.backward, a node used 3 times included (largest difference 0)",
  );
  assert.ok(check.backward((root) => root.backward()).ok);
  // wrong: = instead of +=, so a node used twice keeps only one contribution
  const assigns = (root: Value) => {
    const order = root.topologicalOrder();
    root.grad = 1;
    for (const v of order.reverse()) {
      if (v.a !== null) v.a.grad = v.da * v.grad;
      if (v.b !== null) v.b.grad = v.db * v.grad;
    }
  };
  assert.match(
    check.backward(assigns).message,
    /^✗ gradients like Value.backward.*: d\/d[abc] is .*, expected /,
  );
  // wrong: forgets to start from d(root)/d(root) = 1
  const noSeed = (root: Value) => {
    for (const v of root.topologicalOrder().reverse()) {
      if (v.a !== null) v.a.grad += v.da * v.grad;
      if (v.b !== null) v.b.grad += v.db * v.grad;
    }
  };
  assert.match(check.backward(noSeed).message, /^✗ .*: d\/d[abc] is 0, expected/);
});

Deno.test("the gradient check itself fails on a wrong derivative and passes on every primitive", () => {
  assert.ok(check.gradient((x) => x[0].pow(3).add(x[1].log()).mul(x[0].exp()).relu(), [0.7, 2]).ok);
  assert.equal(check.gradient((x) => new Value(x[0].data ** 2, x[0], 1), [1.5]).ok, false);
});
