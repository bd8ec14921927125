/** Notebook 01's exercises: every worked solution passes its check, and wrong answers fail it. */
import assert from "node:assert/strict";
import type { Random } from "../../lib/mod.ts";
import * as check from "../exercises/01_dataset.ts";
import * as solution from "./01_dataset.ts";

Deno.test("exercise 1: Fisher–Yates as Python's random.shuffle", () => {
  assert.equal(
    check.shuffle(solution.shuffle).message,
    "✓ the same order as Random.shuffle, for every seed tried",
  );
  // wrong: walks upwards, so the draws land on other positions
  const upwards = (items: string[], rng: Random) => {
    for (let i = 1; i < items.length; i++) {
      const j = rng.randbelow(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
  };
  assert.match(
    check.shuffle(upwards).message,
    /^✗ seed 42, 10 items: position \d holds name\d, Random.shuffle puts name\d there/,
  );
  // wrong: draws from the whole list every time (a biased shuffle)
  const biased = (items: string[], rng: Random) => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = rng.randbelow(items.length);
      [items[i], items[j]] = [items[j], items[i]];
    }
  };
  assert.equal(check.shuffle(biased).ok, false);
});

Deno.test("exercise 2: entropy", () => {
  assert.equal(
    check.entropy(solution.entropy).message,
    "✓ -Σ p ln p, zero counts included (27 equal counts give ln 27)",
  );
  // wrong: 0 · ln 0 computed as NaN
  const naive = (counts: number[]) => {
    const total = counts.reduce((a, b) => a + b, 0);
    return -counts.reduce((h, n) => h + (n / total) * Math.log(n / total), 0);
  };
  assert.match(check.entropy(naive).message, /^✗ counts \[3,1,0,4\]: you gave NaN, .*0 · ln 0 counts as 0/);
  assert.match(check.entropy((counts) => Math.log(counts.length)).message, /^✗ counts \[3,1,0,4\]/);
});

Deno.test("exercise 3: predictions per pass", () => {
  const docs = ["emma", "ava", "zoë"];
  assert.equal(
    check.predictionsPerPass(solution.predictionsPerPass(docs), docs).message,
    "✓ predictions in one pass: you said 13, it is 13",
  );
  assert.equal(check.predictionsPerPass(10, docs).ok, false); // forgot the end of each name
});
