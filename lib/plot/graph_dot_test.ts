import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { opOf, renderDotSvg, valueGraphDot, valueGraphSvg } from "./graph_dot.ts";
import { Value } from "../value.ts";

Deno.test("opOf()", async (t) => {
  await t.step("recognises every primitive op from its numbers", () => {
    const a = new Value(-1.5);
    const b = new Value(4);
    assert.equal(opOf(a), "leaf");
    assert.equal(opOf(a.add(b)), "+");
    assert.equal(opOf(a.mul(b)), "*");
    assert.equal(opOf(b.mul(b)), "*");
    assert.equal(opOf(new Value(1).mul(new Value(1))), "*"); // derivatives 1 and 1, but 1*1 is not 1+1
    assert.equal(opOf(b.exp()), "exp");
    assert.equal(opOf(b.log()), "log");
    assert.equal(opOf(a.relu()), "relu");
    assert.equal(opOf(b.relu()), "relu");
    assert.equal(opOf(b.pow(2)), "^2");
    assert.equal(opOf(b.pow(-0.5)), "^-0.5");
    assert.equal(opOf(a.pow(3)), "^3");
  });
  await t.step("composites show as the primitives they are made of", () => {
    const a = new Value(3);
    assert.equal(opOf(a.neg()), "*");
    assert.equal(opOf(a.sub(1)), "+");
    assert.equal(opOf(a.div(new Value(2))), "*");
  });
  await t.step("a node whose operands changed afterwards is '?'", () => {
    const a = new Value(2);
    const b = new Value(5);
    const c = a.add(b);
    a.data = 10;
    assert.equal(opOf(c), "?");
  });
});

Deno.test("valueGraphDot()", async (t) => {
  await t.step("one box per value and one oval per op, edges operand -> op -> result", () => {
    const a = new Value(2);
    const b = new Value(-3);
    const c = a.mul(b); // -6
    const d = c.add(10); // 4, the 10 enters as a leaf
    d.backward();
    const dot = valueGraphDot(d, { names: new Map([[a, "a"], [b, "b"], [d, "d"]]) });
    assert.deepEqual(dot.split("\n").filter((l) => l.includes("shape=record")).length, 5);
    assert.ok(dot.includes('n0 [label="{ a | data 2.0000 | grad -3.0000 }", shape=record];'));
    assert.ok(dot.includes('n1 [label="{ b | data -3.0000 | grad 2.0000 }", shape=record];'));
    assert.ok(dot.includes('n2_op [label="*", shape=ellipse];'));
    assert.ok(dot.includes("  n0 -> n2_op;\n  n1 -> n2_op;"));
    assert.ok(dot.includes('n3 [label="{ data 10.0000 | grad 1.0000 }", shape=record];'));
    assert.ok(dot.includes('n4 [label="{ d | data 4.0000 | grad 1.0000 }", shape=record];'));
    assert.ok(dot.includes('n4_op [label="+", shape=ellipse];'));
    assert.equal(dot, valueGraphDot(d, { names: new Map([[a, "a"], [b, "b"], [d, "d"]]) }));
  });
  await t.step("escapes record syntax in names and can hide grads", () => {
    const a = new Value(1);
    const dot = valueGraphDot(a, { names: new Map([[a, "x|{y}"]]), showGrad: false, digits: 1 });
    assert.ok(dot.includes('n0 [label="{ x\\|\\{y\\} | data 1.0 }", shape=record];'));
  });
  await t.step("refuses graphs too large to read", () => {
    let x = new Value(1);
    for (let i = 0; i < 150; i++) x = x.add(1);
    assert.throws(
      () => valueGraphDot(x),
      (err) => err instanceof UsageError && /301 nodes/.test(err.message),
    );
    assert.ok(valueGraphDot(x, { maxNodes: 400 }).includes("n300"));
  });
});

Deno.test("renderDotSvg()", async (t) => {
  await t.step("renders a graph to SVG with its labels", async () => {
    const a = new Value(2);
    const svg = await valueGraphSvg(a.mul(a).exp().log(), { names: new Map([[a, "a"]]) });
    assert.match(svg, /<svg[\s\S]*<\/svg>/);
    assert.equal((svg.match(/class="node"/g) ?? []).length, 4 + 3);
    assert.ok(svg.includes(">exp</text>"));
    assert.ok(svg.includes(">a</text>"));
  });
  await t.step("invalid DOT is a UsageError", async () => {
    await assert.rejects(renderDotSvg("digraph { a -> "), UsageError);
  });
});
