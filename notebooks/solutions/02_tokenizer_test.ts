/** Notebook 02's exercises: every worked solution passes its check, and wrong answers fail it. */
import assert from "node:assert/strict";
import * as check from "../exercises/02_tokenizer.ts";
import * as solution from "./02_tokenizer.ts";

Deno.test("exercise 1: encode", () => {
  assert.equal(check.encode(solution.encode).message, "✓ the same ids as Tokenizer.encode, BOS at both ends");
  // wrong: BOS only at the start
  const oneBos = (
    text: string,
    chars: readonly string[],
  ) => [chars.length, ...[...text].map((c) => chars.indexOf(c))];
  assert.match(
    check.encode(oneBos).message,
    /^✗ encode\("emma"\) with chars " abeilmovzë": you gave \[11,3,6,6,1\], the tokenizer gives \[11,3,6,6,1,11\] \(BOS is 11\)$/,
  );
  // wrong: UTF-16 units instead of characters (ë is one character either way; the test's ë is precomposed)
  const units = (
    text: string,
    chars: readonly string[],
  ) => [chars.length, ...text.split("").map((c) => chars.indexOf(c)), chars.length];
  assert.ok(check.encode(units).ok, "ë is a single code unit, so splitting on units is fine here");
});

Deno.test("exercise 2: decode", () => {
  assert.equal(check.decode(solution.decode).message, "✓ the same text as Tokenizer.decode, BOS dropped");
  // wrong: drops only the first and last token
  const ends = (ids: number[], chars: readonly string[]) => ids.slice(1, -1).map((id) => chars[id]).join("");
  assert.match(check.decode(ends).message, /^✗ decode\(\[.*\]\): you gave .*, the tokenizer gives /);
});

Deno.test("exercise 3: examples in isabella", () => {
  assert.equal(
    check.examplesOfIsabella(solution.examplesOfIsabella).message,
    "✓ next-token examples in isabella: you said 9, it is 9",
  );
  assert.equal(check.examplesOfIsabella(8).ok, false); // forgot the end
});

Deno.test("exercise 4: less smoothing", () => {
  assert.ok(check.lessSmoothing(solution.lessSmoothing).ok);
  assert.equal(check.lessSmoothing("goes up").ok, false);
  // the claim, measured on a few names: the loss with +0.01 is below the loss with +1
  const names = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia"].map((n) => `.${n}.`);
  const loss = (alpha: number) => {
    const counts = new Map<string, number>();
    const rows = new Map<string, number>();
    for (const n of names) {
      for (let i = 0; i + 1 < n.length; i++) {
        counts.set(n.slice(i, i + 2), (counts.get(n.slice(i, i + 2)) ?? 0) + 1);
        rows.set(n[i], (rows.get(n[i]) ?? 0) + 1);
      }
    }
    let total = 0;
    let count = 0;
    for (const n of names) {
      for (let i = 0; i + 1 < n.length; i++, count++) {
        total -= Math.log((counts.get(n.slice(i, i + 2))! + alpha) / (rows.get(n[i])! + 27 * alpha));
      }
    }
    return total / count;
  };
  assert.ok(loss(0.01) < loss(1));
});
