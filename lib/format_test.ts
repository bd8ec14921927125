import assert from "node:assert/strict";
import { formatFixed, formatInt, formatNumber, formatVector, LINE_WIDTH, wrapWords } from "./format.ts";

// Made by CPython: python3 tests/fixtures/make_cpython_fixtures.py > tests/fixtures/cpython.json
const { formatting } = JSON.parse(
  await Deno.readTextFile(new URL("../tests/fixtures/cpython.json", import.meta.url)),
) as { formatting: [number, string, string, string][] };

Deno.test("formatFixed() prints what Python's format() prints", () => {
  let ties = 0;
  for (const [x, f4, f2, f0] of formatting) {
    assert.equal(formatFixed(x, 4), f4, `${x}:.4f`);
    assert.equal(formatFixed(x, 2), f2, `${x}:.2f`);
    assert.equal(formatFixed(x, 0), f0, `${x}:.0f`);
    if (x.toFixed(4) !== f4) ties++;
  }
  // The fixture must contain cases where JS toFixed is wrong, or this test proves nothing.
  assert.ok(ties > 10, `only ${ties} cases where toFixed differs from Python`);
});

Deno.test("formatFixed() of non-finite numbers, formatInt()", () => {
  assert.equal(formatFixed(NaN, 4), "nan");
  assert.equal(formatFixed(Infinity, 4), "inf");
  assert.equal(formatFixed(-Infinity, 4), "-inf");
  assert.equal(formatInt(7, 4), "   7");
  assert.equal(formatInt(12345, 4), "12345");
});

Deno.test("formatNumber(): whole numbers whole, tiny ones in exponent form, the rest to `digits`", () => {
  assert.equal(formatNumber(4192), "4192");
  assert.equal(formatNumber(-3), "-3");
  assert.equal(formatNumber(2.53125), "2.5312"); // Python's rounding, not toFixed's 2.5313
  assert.equal(formatNumber(0.1 + 0.2, 2), "0.30");
  assert.equal(formatNumber(3.2e-11), "3.2e-11");
  assert.equal(formatNumber(-0.00004), "-4.0e-5");
  assert.equal(formatNumber(0.0001), "1.0e-4"); // "0.0001" would show one significant digit
  assert.equal(formatNumber(0.0012), "0.0012");
  assert.equal(formatNumber(1e-10, 10), "1.0e-10");
  assert.equal(formatNumber(NaN), "nan");
});

Deno.test("formatVector(): aligned columns, lines broken between numbers, never inside one", () => {
  assert.equal(formatVector([0.5, -0.25, 1]), " 0.500 -0.250  1.000");
  assert.equal(formatVector([1, 2, 3, 4], { digits: 1, width: 10 }), "1.0 2.0\n3.0 4.0");
  assert.equal(formatVector([{ data: 0.125 }, { data: 2 }], { digits: 2 }), "0.12 2.00"); // Values, Python's ties-to-even
  assert.equal(formatVector(Float64Array.of(-1, 1), { digits: 0 }), "-1  1");
  const long = formatVector(Array.from({ length: 64 }, (_, i) => (i % 3 - 1) * i / 7));
  for (const line of long.split("\n")) assert.ok(line.length <= LINE_WIDTH, `${line.length}: ${line}`);
  assert.equal(long.split(/\s+/).filter((x) => x !== "").length, 64);
  assert.equal(formatVector([]), "");
});

Deno.test("wrapWords(): lines of at most `width`, broken between words", () => {
  assert.equal(wrapWords(["biad", "amadon", "karel", "mararo"], 12), "biad amadon\nkarel mararo");
  assert.equal(wrapWords("  a  b c ", 3), "a b\nc");
  assert.equal(wrapWords(["abcdefgh", "x"], 4), "abcdefgh\nx"); // a long word keeps a line of its own
  const names = Array.from({ length: 200 }, (_, i) => "name".repeat(1 + (i % 3)));
  const text = wrapWords(names);
  assert.ok(text.split("\n").every((line) => line.length <= LINE_WIDTH));
  assert.deepEqual(text.split(/\s+/), names);
  assert.equal(wrapWords([]), "");
});
