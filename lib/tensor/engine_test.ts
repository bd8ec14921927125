/**
 * What only the tensor engine has: its parameter tensors are views of the model's weights in
 * parameter order, padding rows change nothing, and a sequence's KV cache gives the numbers of
 * running the whole prefix again. (What every engine must do, bit for bit against the `Value`
 * engine, is `lib/experiment/engines_test.ts`.)
 */
import assert from "node:assert/strict";
import { GPT } from "../model.ts";
import { Random } from "../random.ts";
import { ValueEngine } from "../value_engine.ts";
import { makeBatch, sequenceBatch } from "./batch.ts";
import { TensorEngine } from "./engine.ts";
import { scale, softmax } from "./ops.ts";
import { Tensor } from "./tensor.ts";

/** A document of `length` random characters as `[BOS, ..., BOS]`, BOS being `vocabSize - 1`. */
function randomDoc(rng: Random, vocabSize: number, length: number): number[] {
  const bos = vocabSize - 1;
  return [bos, ...Array.from({ length }, () => rng.randbelow(bos)), bos];
}

Deno.test("the parameter tensors are views of the weights, matrix by matrix as the layout table names them", () => {
  const model = GPT.init({ nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 4 }, 7, new Random(3));
  const { gpt, weights, grads } = new TensorEngine(model);
  assert.deepEqual(weights, model.getWeights());
  // wte[1][2], layer 1's attn_wv[3][4] (inside the stacked q, k, v), mlp_fc2[7][31]
  assert.equal(gpt.wte.at(1, 2), model.wte[1][2].data);
  assert.equal(gpt.layers[1].attnWqkv.at(2 * 8 + 3, 4), model.layers[1].attnWv[3][4].data);
  assert.equal(gpt.layers[1].mlpFc2.at(7, 31), model.layers[1].mlpFc2[7][31].data);
  assert.equal(gpt.lmHead.rows * gpt.lmHead.cols, 7 * 8);
  weights[7 * 8 + 1] = 0.5; // wpe[0][1]
  assert.equal(gpt.wpe.at(0, 1), 0.5, "a view, not a copy");
  gpt.wpe.grad[1] = 2;
  assert.equal(grads[7 * 8 + 1], 2);
});

Deno.test("padding: a document's loss and gradient do not depend on the longer documents beside it", () => {
  const config = { nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 8 };
  const rng = new Random(31);
  const model = GPT.init(config, 10, rng);
  const [short, long] = [randomDoc(rng, 10, 2), randomDoc(rng, 10, 9)];
  const batch = makeBatch([short, long], 8, 10);
  assert.deepEqual([batch.T, batch.lengths], [8, [3, 8]]);
  assert.deepEqual(Array.from(batch.targets.subarray(0, 8)), [...short.slice(1), -1, -1, -1, -1, -1]);
  const engine = new TensorEngine(model);
  const value = new ValueEngine(model);
  // The pair's loss and gradient are the Value engine's (which has no padding), to the bit.
  assert.equal(engine.lossAndGradient([short, long]), value.lossAndGradient([short, long]));
  assert.deepEqual(engine.gradient(), value.gradient());
  // A padding row predicts nothing: its logits row exists but its loss is 0 and passes no gradient.
  const losses = engine.gpt.loss(batch).parents[0]; // [B*T][1], before the mean
  assert.deepEqual(Array.from(losses.data.subarray(3, 8)), [0, 0, 0, 0, 0]);
});

Deno.test("a sequence's KV cache gives the logits of running the whole prefix again", () => {
  const config = { nEmbd: 12, nHead: 3, nLayer: 2, blockSize: 8 };
  const model = GPT.init(config, 13, new Random(5));
  const engine = new TensorEngine(model);
  const tokens = [12, 3, 0, 7, 7, 11, 2, 5];
  const whole = engine.gpt.logits(sequenceBatch(tokens, 13)); // [8][13], every position at once
  const sequence = engine.startSequence();
  for (const [pos, token] of tokens.entries()) {
    const probs = sequence.probabilities(token, 0.7);
    const expected = softmax(scale(new Tensor(1, 13, whole.row(pos).slice()), 0.7 ** -1)).data;
    assert.deepEqual(probs, expected, `position ${pos}`);
  }
});
