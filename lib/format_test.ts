import assert from "node:assert/strict";
import { formatFixed, formatInt } from "./format.ts";

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
