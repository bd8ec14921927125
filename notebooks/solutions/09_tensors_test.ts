/**
 * Notebook 09's exercises: every worked solution passes its check, and a deliberately wrong
 * answer to each fails it (so a check that cannot fail would be caught here).
 */
import assert from "node:assert/strict";
import { attentionHead, linear, matmul, scale, softmax, Tensor } from "../../lib/tensor/mod.ts";
import {
  checkAttentionHead,
  checkBatchDocs,
  checkPaddingFraction,
  checkSquare,
} from "../exercises/09_tensors.ts";
import { batchDocs, head, paddingFraction, square } from "./09_tensors.ts";

Deno.test("exercise 1: which documents a step takes", () => {
  assert.match(checkBatchDocs(batchDocs), /^✓/);
  // wrong: forgets to wrap around the list
  const noWrap = (step: number, batchSize: number) =>
    Array.from({ length: batchSize }, (_, b) => step * batchSize + b);
  assert.match(
    checkBatchDocs(noWrap),
    /^✗ step 9, batch size 1, 5 documents: you gave \[9\], Trainer takes \[4\]$/,
  );
});

Deno.test("exercise 2: an op with its backward", () => {
  assert.match(checkSquare(square), /^✓/);
  // wrong: sets the gradient instead of adding to it (x is used twice in the check)
  const overwrites = (x: Tensor) =>
    new Tensor(x.rows, x.cols, x.data.map((v) => v * v), {
      parents: [x],
      backward: (dy) => dy.forEach((d, i) => (x.grad[i] = 2 * x.data[i] * d)),
    });
  assert.match(checkSquare(overwrites), /^✗ gradient of \[1\]\[1\].*did backward add into x\.grad/);
  assert.match(checkSquare((x) => x), /^✗ values/);
  assert.match(
    checkSquare(() => {
      throw new Error("TODO");
    }),
    /^✗ your code threw: Error: TODO$/,
  );
});

Deno.test("exercise 3: one attention head from four ops", () => {
  assert.match(checkAttentionHead(head), /^✓/);
  assert.match(checkAttentionHead((q, k, v) => attentionHead(q, k, v, true).out), /^✓/);
  // wrong: no causal mask, so position 0 also looks at the positions after it
  const unmasked = (q: Tensor, k: Tensor, v: Tensor) =>
    matmul(softmax(scale(linear(q, k), (q.cols ** 0.5) ** -1)), v);
  assert.match(checkAttentionHead(unmasked), /^✗ values: position 0 .*the causal mask/);
});

Deno.test("exercise 4: how much of a batch is padding", () => {
  assert.match(checkPaddingFraction(paddingFraction), /^✓/);
  // wrong: forgets that a document is cut to the context
  const uncut = (docs: number[][]) => {
    const T = Math.max(...docs.map((d) => d.length - 1));
    return 1 - docs.reduce((a, d) => a + d.length - 1, 0) / (docs.length * T);
  };
  assert.match(checkPaddingFraction(uncut), /^✗ documents of .* context \d+: you gave .*, makeBatch pads/);
});
