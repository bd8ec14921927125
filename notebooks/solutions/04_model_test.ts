/** Notebook 04's exercises: every worked solution passes its check, and wrong answers fail it. */
import assert from "node:assert/strict";
import { type LayerWeights, linear, softmax, type Value } from "../../lib/mod.ts";
import * as check from "../exercises/04_model.ts";
import * as solution from "./04_model.ts";

Deno.test("exercise 1: parameters at width 32", () => {
  assert.equal(
    check.parametersAtWidth32(solution.parametersAtWidth32).message,
    "✓ parameters with nEmbd 32: you said 14528, it is 14528",
  );
  assert.equal(check.parametersAtWidth32(8384).ok, false); // twice as many: wrong, the blocks grow as the square
});

Deno.test("exercise 2: parameters with one head", () => {
  assert.match(
    check.parametersWithOneHead(solution.parametersWithOneHead).message,
    /^✓ parameters with 1 head: you said 4192, it is 4192: the heads split/,
  );
  assert.equal(
    check.parametersWithOneHead(1048).message,
    "✗ parameters with 1 head: you said 1048, it is 4192",
  );
});

Deno.test("exercise 3: softmax without subtracting the largest logit", () => {
  assert.match(
    check.naiveSoftmaxBreaks(solution.naiveSoftmax).message,
    /^✓ naiveSoftmax\(\[1000, 999\]\) is \[NaN,NaN\]: e\^1000 overflows.*\[0\.731059,0\.268941\]$/,
  );
  assert.match(
    check.naiveSoftmaxBreaks(softmax).message,
    /^✗ naiveSoftmax\(\[1000, 999\]\) is \[0\.731059,0\.268941\]: it still subtracts/,
  );
  assert.match(
    check.naiveSoftmaxBreaks((z) => z).message,
    /^✗ naiveSoftmax is not a softmax on small logits/,
  );
});

Deno.test("exercise 4: the MLP", () => {
  assert.equal(check.mlp(solution.mlp).message, "✓ mlp's outputs and gradients match linear → relu → linear");
  // wrong: forgets the relu
  const linearOnly = (x: Value[], layer: LayerWeights) => linear(linear(x, layer.mlpFc1), layer.mlpFc2);
  assert.match(
    check.mlp(linearOnly).message,
    /^✗ mlp outputs: \[\d+\] is .*\(fc1, relu, fc2, in that order\)$/,
  );
  // wrong: right numbers, but computed outside the graph (no gradients flow)
  const detached = (x: Value[], layer: LayerWeights) =>
    solution.mlp(x, layer).map((v) => v.mul(0).add(v.data));
  assert.match(check.mlp(detached).message, /^✗ mlpFc1 gradients: /);
});
