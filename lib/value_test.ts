import assert from "node:assert/strict";
import { Random } from "./random.ts";
import { sum, Value } from "./value.ts";

/** d f / d x by central differences, f evaluated on plain numbers through Value. */
function numericGrad(f: (xs: Value[]) => Value, at: number[], i: number, h = 1e-6): number {
  const plus = at.slice();
  const minus = at.slice();
  plus[i] += h;
  minus[i] -= h;
  return (f(plus.map((x) => new Value(x))).data - f(minus.map((x) => new Value(x))).data) / (2 * h);
}

/** Asserts backward() agrees with central differences at `at`, naming the largest error. */
function checkGrad(name: string, f: (xs: Value[]) => Value, at: number[], tol = 1e-6): void {
  const xs = at.map((x) => new Value(x));
  f(xs).backward();
  for (let i = 0; i < at.length; i++) {
    const expected = numericGrad(f, at, i);
    const err = Math.abs(xs[i].grad - expected) / Math.max(1, Math.abs(expected));
    assert.ok(err < tol, `${name}: d/dx${i} backward ${xs[i].grad} vs numeric ${expected} (error ${err})`);
  }
}

Deno.test("each op's local derivatives match central finite differences", async (t) => {
  const cases: [string, (v: Value[]) => Value, number[][]][] = [
    ["add", ([a, b]) => a.add(b), [[1.5, -2], [0.3, 0.7]]],
    ["mul", ([a, b]) => a.mul(b), [[1.5, -2], [-0.3, 0.7]]],
    ["pow 2", ([a]) => a.pow(2), [[1.7], [-0.4]]],
    ["pow -1", ([a]) => a.pow(-1), [[1.7], [-0.4]]],
    ["pow -0.5", ([a]) => a.pow(-0.5), [[1.7], [0.2]]],
    ["pow 3.5", ([a]) => a.pow(3.5), [[1.3]]],
    ["log", ([a]) => a.log(), [[1.7], [0.05]]],
    ["exp", ([a]) => a.exp(), [[1.7], [-3]]],
    ["relu", ([a]) => a.relu(), [[1.7], [-0.4]]],
    ["neg", ([a]) => a.neg(), [[1.7]]],
    ["sub", ([a, b]) => a.sub(b), [[1.5, -2]]],
    ["div", ([a, b]) => a.div(b), [[1.5, -2], [0.3, 0.7]]],
    ["number operands", ([a]) => a.add(3).mul(2).sub(1).div(4), [[0.9]]],
    ["sum", (xs) => sum(xs), [[1, 2, 3, -4]]],
    ["a composite", ([a, b, c]) => a.mul(b).add(c.exp()).log().mul(a.relu()).div(b.pow(2).add(1)), [[
      0.8,
      -1.3,
      0.4,
    ]]],
  ];
  for (const [name, f, points] of cases) {
    await t.step(name, () => {
      for (const at of points) checkGrad(name, f, at);
    });
  }
});

Deno.test("ops compute microgpt's values and local derivatives exactly", () => {
  const a = new Value(3);
  const b = new Value(-2);
  const m = a.mul(b);
  assert.deepEqual([m.data, m.da, m.db], [-6, -2, 3]);
  const p = a.pow(-1);
  assert.deepEqual([p.data, p.da], [3 ** -1, -1 * 3 ** -2]);
  const r = b.relu();
  assert.deepEqual([r.data, r.da], [0, 0]);
  // Plain numbers enter as one leaf, negated/inverted first: z - m is z + leaf(-m), s / 16 is s * leaf(1/16).
  const d = a.sub(5);
  assert.equal(d.b?.data, -5);
  const q = a.div(16);
  assert.equal(q.b?.data, 0.0625);
  // sum starts from 0: ((0 + x0) + x1), where 0 + x0 is x0 + leaf(0).
  const s = sum([a, b]);
  assert.equal(s.a?.a, a);
  assert.equal(s.a?.b?.data, 0);
  assert.equal(s.b, b);
});

Deno.test("gradients accumulate when a node is used twice", () => {
  const x = new Value(3);
  const y = x.mul(x).add(x); // x^2 + x
  y.backward();
  assert.equal(x.grad, 7);
});

Deno.test("backward() handles a 100,000-node chain without overflowing the stack", () => {
  const x = new Value(0.5);
  let y = x;
  for (let i = 0; i < 100_000; i++) y = y.mul(1.000001).add(1e-7);
  y.backward();
  // y = x * 1.000001^100000 + ..., so dy/dx = 1.000001^100000
  const expected = 1.000001 ** 100_000;
  assert.ok(Math.abs(x.grad - expected) < 1e-9, `grad ${x.grad} vs ${expected}`);
  assert.equal(y.topologicalOrder().length, 1 + 4 * 100_000);
});

/** microgpt's recursive build_topo, as the reference for the iterative one. */
function recursiveTopo(root: Value): Value[] {
  const topo: Value[] = [];
  const visited = new Set<Value>();
  const build = (v: Value) => {
    if (visited.has(v)) return;
    visited.add(v);
    if (v.a) build(v.a);
    if (v.b) build(v.b);
    topo.push(v);
  };
  build(root);
  return topo;
}

Deno.test("topological order is exactly the recursive depth-first order", () => {
  const rng = new Random(7);
  for (let trial = 0; trial < 20; trial++) {
    // A random DAG with plenty of shared nodes.
    const nodes = Array.from({ length: 5 }, () => new Value(rng.random()));
    for (let i = 0; i < 200; i++) {
      const a = nodes[rng.randbelow(nodes.length)];
      const b = nodes[rng.randbelow(nodes.length)];
      const op = rng.randbelow(4);
      nodes.push(op === 0 ? a.add(b) : op === 1 ? a.mul(b) : op === 2 ? a.relu() : a.mul(0.5).exp());
    }
    const root = nodes[nodes.length - 1];
    const expected = recursiveTopo(root);
    const sameNodes = (order: Value[]) =>
      order.length === expected.length && order.every((v, i) => v === expected[i]);
    assert.ok(sameNodes(root.topologicalOrder()));
    // And twice in a row (the visit stamps must not leak between passes).
    assert.ok(sameNodes(root.topologicalOrder()));
  }
});
