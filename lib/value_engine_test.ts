/** The Value engine: the reference every engine is held to. */
import assert from "node:assert/strict";
import { Adam } from "./adam.ts";
import { DEFAULT_CONFIG } from "./config.ts";
import { GPT } from "./model.ts";
import { Random } from "./random.ts";
import { batchLoss, documentLoss, ValueEngine, valueGraphSize } from "./value_engine.ts";

const EMMA = [26, 4, 12, 12, 0, 26];
const AVA = [26, 0, 21, 0, 26];

Deno.test("ValueEngine", async (t) => {
  const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
  const engine = new ValueEngine(model);

  await t.step("a batch of one is microgpt's step, node for node", () => {
    assert.equal(batchLoss(model, [EMMA]).topologicalOrder().length, valueGraphSize(model, EMMA));
    assert.equal(engine.loss([EMMA]), documentLoss(model, EMMA).data);
  });
  await t.step("a batch's loss is the mean of its documents' losses", () => {
    const each = [EMMA, AVA].map((doc) => documentLoss(model, doc).data);
    assert.equal(engine.loss([EMMA, AVA]), (0 + each[0] + each[1]) * (1 / 2));
  });
  await t.step("lossAndGradient replaces the gradient (it does not add to the last one)", () => {
    engine.lossAndGradient([EMMA]);
    const once = engine.gradient();
    engine.lossAndGradient([EMMA]);
    assert.deepEqual(engine.gradient(), once);
    assert.ok(once.some((g) => g !== 0));
  });
  await t.step("update is Adam's step on the model's parameters, and zeroes the gradient", () => {
    const before = model.getWeights();
    engine.lossAndGradient([EMMA]);
    const grad = engine.gradient();
    const adam = new Adam(model.parameters.length);
    engine.update(adam, 0, 10);
    assert.ok(engine.gradient().every((g) => g === 0));
    const expected = before.slice();
    new Adam(model.parameters.length).stepArrays(expected, grad, 0, 10);
    assert.deepEqual(model.getWeights(), expected);
  });
  await t.step("load and store have nothing to move: the model's parameters are the weights", () => {
    const before = model.getWeights();
    engine.storeWeights();
    engine.loadWeights();
    assert.deepEqual(model.getWeights(), before);
  });
  await t.step("a sequence feeds one position per call and records attention when asked", () => {
    const sequence = engine.startSequence({ recordAttention: true });
    sequence.feed(26);
    const probs = sequence.probabilities(4, 0.5);
    assert.equal(sequence.length, 2);
    assert.ok(Math.abs(Array.from(probs).reduce((a, b) => a + b) - 1) < 1e-12);
    assert.deepEqual(sequence.attention!.map((layer) => layer.map((head) => head.length)), [[2, 2, 2, 2]]);
    assert.equal(engine.startSequence().attention, null);
  });
});

Deno.test("valueGraphSize()", async (t) => {
  await t.step("counts every node of one step's graph", () => {
    // n_embd 2, 1 head, 1 layer, vocab 2, one position. By hand: embeddings 2 adds; two
    // rmsnorms before attention, 12 nodes each (2 squares, leaf 0 and 2 adds, leaf and mul
    // for /2, leaf and add for +1e-5, pow, 2 products); q, k, v 3 x 2 rows x 5; attention
    // 7 (logit) + 7 (softmax) + 6 (weighted sum); wo 10; residual 2; rmsnorm 12; fc1 8 x 5;
    // relu 8; fc2 2 x 17; residual 2; lm_head 2 x 5; loss softmax 4 x 2 + 3 (only the
    // target's probability is used), log, neg 2; mean 4; parameters reached 2 + 2 + 48 + 4.
    const tiny = GPT.init({ nEmbd: 2, nHead: 1, nLayer: 1, blockSize: 2 }, 2, new Random(1));
    const expected = 2 + 12 + 12 + 30 + 20 + 10 + 2 + 12 + 40 + 8 + 34 + 2 + 10 + 11 + 1 + 2 + 4 + 56;
    assert.equal(expected, 268);
    assert.equal(valueGraphSize(tiny, [1, 1]), expected);
  });

  await t.step("grows with the document", () => {
    const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
    const sizes = [1, 2, 5].map((n) => valueGraphSize(model, [26, ...Array(n - 1).fill(3), 26]));
    assert.ok(sizes[0] > 10_000 && sizes[0] < sizes[1] && sizes[1] < sizes[2]);
  });
});
