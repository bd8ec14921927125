/** The shared exercise checks: one line each, right answers pass, wrong ones fail, nothing throws. */
import assert from "node:assert/strict";
import { Value } from "../../lib/mod.ts";
import {
  attempt,
  choice,
  fail,
  gradient,
  largestDifference,
  numbers,
  pass,
  prediction,
  show,
} from "./check.ts";

Deno.test("a result shows itself as its line: console.log, strings, and a Jupyter cell", () => {
  const ok = pass("fine");
  assert.equal(`${ok}`, "✓ fine");
  assert.equal(Deno.inspect(fail("off")), "✗ off");
  const bundle = (ok as unknown as Record<symbol, () => Record<string, string>>)
    [Symbol.for("Jupyter.display")]();
  assert.equal(bundle["text/plain"], "✓ fine");
  assert.match(
    bundle["text/html"],
    /^<pre style="color: #1a7f37;[^"]*word-break: normal[^"]*">✓ fine<\/pre>$/,
  );
  const escaped = (fail("a <b>") as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ]();
  assert.match(escaped["text/html"], /color: #cf222e.*✗ a &lt;b&gt;/);
});

Deno.test("attempt() turns the learner's exception into a ✗ line", () => {
  assert.equal(attempt(() => pass("x")).ok, true);
  assert.equal(attempt(() => JSON.parse("{")).message.slice(0, 31), "✗ your code threw SyntaxError: ");
  assert.equal(
    attempt(() => {
      throw "plain";
    }).message,
    "✗ your code threw plain",
  );
});

Deno.test("numbers(): the largest difference and where it is; NaN and lengths count as wrong", () => {
  assert.deepEqual(largestDifference([1, 2, 3], [1, 2.5, 3]), { largest: 0.5, at: 1 });
  assert.deepEqual(largestDifference([1, NaN], [1, 2]), { largest: Infinity, at: 1 });
  assert.deepEqual(largestDifference([1], [1, 2]), { largest: Infinity, at: -1 });
  assert.equal(numbers("v", [1, 2], [1, 2 + 1e-13]).message, "✓ v (largest difference 9.99e-14)");
  assert.equal(numbers("v", [1, 2.5], [1, 2]).message, "✗ v: [1] is 2.5, expected 2 (difference 0.5)");
  assert.equal(numbers("v", [NaN], [2]).message, "✗ v: [0] is NaN, expected 2 (difference NaN)");
  assert.equal(numbers("v", [1], [1, 2]).message, "✗ v: you gave 1 numbers, expected 2");
  assert.equal(numbers("v", [1.5], [1], { tolerance: 0.6, name: () => "x" }).ok, true);
});

Deno.test("prediction() and choice()", () => {
  assert.equal(prediction("p", 3, 3).message, "✓ p: you said 3, it is 3");
  assert.equal(prediction("p", 3.1, 3, 0.05).message, "✗ p: you said 3.1, it is 3");
  assert.match(prediction("p", undefined as unknown as number, 3).message, /^✗ p: replace the placeholder/);
  assert.equal(choice("q", "a", "a", ["a", "b"], "because").message, "✓ q a: because");
  assert.equal(choice("q", "b", "a", ["a", "b"], "because").message, "✗ q b? Not quite; think again");
  assert.equal(choice("q", "?", "a", ["a", "b"], "because").message, '✗ q: answer one of "a", "b"');
});

Deno.test("gradient(): passes every primitive, catches a wrong local derivative", () => {
  assert.ok(gradient((x) => x[0].mul(x[1]).add(x[0].pow(2)).exp().log().relu(), [0.3, 1.2]).ok);
  const wrong = gradient((x) => new Value(Math.sin(x[0].data), x[0], 1), [0.5]);
  assert.match(
    wrong.message,
    /^✗ d\/dx0: autograd says 1, finite differences say 0\.877583 \(at x0 = 0\.5\)/,
  );
  assert.match(
    gradient(() => {
      throw new RangeError("no");
    }, [1]).message,
    /^✗ your code threw RangeError: no$/,
  );
});

Deno.test("show(): short numbers", () => {
  assert.deepEqual([show(3), show(Math.log(27)), show(1e-5), show(12345678.9), show(NaN)], [
    "3",
    "3.29584",
    "1.00e-5",
    "1.23e+7",
    "NaN",
  ]);
});
