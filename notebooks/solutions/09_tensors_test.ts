/**
 * Notebook 09's exercises: every worked solution passes its check, and a deliberately wrong
 * answer to each fails it (so a check that cannot fail would be caught here).
 */
import assert from "node:assert/strict";
import { attentionHead, linear, matmul, scale, softmax, Tensor } from "../../lib/tensor/mod.ts";
import * as check from "../exercises/09_tensors.ts";
import * as solution from "./09_tensors.ts";

Deno.test("exercise 1: which documents a step takes", () => {
  assert.match(check.batchDocs(solution.batchDocs).message, /^✓/);
  // wrong: forgets to wrap around the list
  const noWrap = (step: number, batchSize: number) =>
    Array.from({ length: batchSize }, (_, b) => step * batchSize + b);
  assert.match(
    check.batchDocs(noWrap).message,
    /^✗ step 9, batch size 1, 5 documents: you gave \[9\], Trainer takes \[4\]$/,
  );
});

Deno.test("exercise 2: an op with its backward", () => {
  assert.match(check.square(solution.square).message, /^✓/);
  // wrong: sets the gradient instead of adding to it (x is used twice in the check)
  const overwrites = (x: Tensor) =>
    new Tensor(x.rows, x.cols, x.data.map((v) => v * v), {
      parents: [x],
      backward: (dy) => dy.forEach((d, i) => (x.grad[i] = 2 * x.data[i] * d)),
    });
  assert.match(check.square(overwrites).message, /^✗ gradient of \[1\]\[1\].*did backward add into x\.grad/);
  assert.match(check.square((x) => x).message, /^✗ values/);
  assert.equal(
    check.square(() => {
      throw new Error("TODO");
    }).message,
    "✗ your code threw Error: TODO",
  );
});

Deno.test("exercise 3: one attention head from four ops", () => {
  assert.match(check.attentionHead(solution.head).message, /^✓/);
  assert.ok(check.attentionHead((q, k, v) => attentionHead(q, k, v, true).out).ok);
  // wrong: no causal mask, so position 0 also looks at the positions after it
  const unmasked = (q: Tensor, k: Tensor, v: Tensor) =>
    matmul(softmax(scale(linear(q, k), (q.cols ** 0.5) ** -1)), v);
  assert.match(check.attentionHead(unmasked).message, /^✗ values: position 0 .*the causal mask/);
});

Deno.test("exercise 4: how much of a batch is padding", () => {
  assert.match(check.paddingFraction(solution.paddingFraction).message, /^✓/);
  // wrong: forgets that a document is cut to the context
  const uncut = (docs: number[][]) => {
    const T = Math.max(...docs.map((d) => d.length - 1));
    return 1 - docs.reduce((a, d) => a + d.length - 1, 0) / (docs.length * T);
  };
  assert.match(
    check.paddingFraction(uncut).message,
    /^✗ documents of .* context \d+: you gave .*, makeBatch pads/,
  );
});
