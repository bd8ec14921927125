/** Notebook 08's exercises: every worked solution passes its check, and wrong answers fail it. */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG, GPT, Random, Tokenizer } from "../../lib/mod.ts";
import * as check from "../exercises/08_efficiency.ts";
import * as solution from "./08_efficiency.ts";

Deno.test("exercise 1: nodes for ava", () => {
  const tokenizer = Tokenizer.fromDocs(["abcdefghijklmnopqrstuvwxyz"]);
  const model = GPT.init(DEFAULT_CONFIG, tokenizer.vocabSize, new Random(42));
  assert.match(
    check.nodesForAva(solution.nodesForAva, model, tokenizer).message,
    /^✓ one step on ava builds about 30,000: [\d,]+ nodes for 4 positions/,
  );
  assert.equal(check.nodesForAva("about 3,000", model, tokenizer).ok, false);
});

Deno.test("exercise 2: y = W x on flat arrays", () => {
  assert.equal(check.matvec(solution.matvec).message, "✓ y = W x on flat arrays, the same bits as linear");
  // wrong: reads the matrix column-major (W transposed)
  const transposed = (w: Float64Array, x: Float64Array, rows: number, _cols: number) =>
    Float64Array.from({ length: rows }, (_, r) => x.reduce((t, xc, c) => t + w[c * rows + r] * xc, 0));
  assert.match(check.matvec(transposed).message, /^✗ matvec 3 x 2: y\[\d\] is .*, expected /);
  // right up to rounding: sums right to left
  const backwards = (w: Float64Array, x: Float64Array, rows: number, cols: number) =>
    Float64Array.from({ length: rows }, (_, r) => {
      let t = 0;
      for (let c = cols - 1; c >= 0; c--) t += w[r * cols + c] * x[c];
      return t;
    });
  assert.match(
    check.matvec(backwards).message,
    /^✓ y = W x on flat arrays(, the same bits as linear| \(within 1e-12 of linear\))$/,
  );
});

Deno.test("exercise 3: the backward of linear by hand", () => {
  assert.equal(
    check.linearBackward(solution.linearBackward).message,
    "✓ dW = dy xᵀ and dx = Wᵀ dy, as the Value graph's backward() finds them",
  );
  // wrong: dx = W dy's shape confused: uses each row's first weight only
  const wrongDx = (w: Float64Array, x: Float64Array, dy: Float64Array, rows: number, cols: number) => {
    const { dw } = solution.linearBackward(w, x, dy, rows, cols);
    const dx = Float64Array.from({ length: cols }, (_, c) => w[c] * dy[0]);
    return { dw, dx };
  };
  assert.match(
    check.linearBackward(wrongDx).message,
    /^✗ dx, 3 x 2: dx\[\d\] is .*\(dx sums over the rows: Wᵀ dy\)$/,
  );
  const wrongDw = (w: Float64Array, x: Float64Array, dy: Float64Array, rows: number, cols: number) => ({
    dw: new Float64Array(rows * cols),
    dx: solution.linearBackward(w, x, dy, rows, cols).dx,
  });
  assert.match(check.linearBackward(wrongDw).message, /^✗ dw, 1 x 1: dw\[0\]\[0\] is 0, expected /);
});
