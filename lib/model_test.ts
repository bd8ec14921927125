import assert from "node:assert/strict";
import { DEFAULT_CONFIG, type GPTConfig } from "./config.ts";
import { GPT, KVCache, linear, rmsnorm, softmax } from "./model.ts";
import { Random } from "./random.ts";
import { parameterName, parameterShapes } from "./parameters.ts";
import { documentLoss } from "./value_engine.ts";
import { Value } from "./value.ts";

Deno.test("GPT.init: shapes, count and draw order of microgpt", () => {
  const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
  assert.equal(model.parameters.length, 4192);
  const names = model.stateDict().map(([name, m]) => `${name}:${m.length}x${m[0].length}`);
  assert.deepEqual(names, [
    "wte:27x16",
    "wpe:16x16",
    "lm_head:27x16",
    "layer0.attn_wq:16x16",
    "layer0.attn_wk:16x16",
    "layer0.attn_wv:16x16",
    "layer0.attn_wo:16x16",
    "layer0.mlp_fc1:64x16",
    "layer0.mlp_fc2:16x64",
  ]);
  // Parameters are drawn with gauss(0, 0.08) in the flat order, row by row.
  const rng = new Random(42);
  assert.ok(model.parameters.every((p) => p.data === rng.gauss(0, 0.08)));
  assert.equal(GPT.init({ ...DEFAULT_CONFIG, nLayer: 2 }, 27, new Random(1)).parameters.length, 4192 + 3072);
});

Deno.test("GPT.fromMatrices, stateDict and the flat weights follow parameterShapes", async (t) => {
  const config: GPTConfig = { nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 4 };
  const model = GPT.init(config, 6, new Random(7));
  await t.step("stateDict is the layout table, matrix by matrix", () => {
    assert.deepEqual(
      model.stateDict().map(([name, m]) => [name, m.length, m[0].length]),
      parameterShapes(config, 6),
    );
  });
  await t.step("a model rebuilt from its state dict has the same weights, in the same order", () => {
    const state = new Map(model.stateDict());
    const copy = GPT.fromMatrices(config, 6, (name) => state.get(name)!);
    assert.deepEqual(copy.getWeights(), model.getWeights());
    assert.equal(copy.layers[1].mlpFc2, model.layers[1].mlpFc2);
  });
  await t.step("setWeights writes back what getWeights read", () => {
    const w = model.getWeights();
    w[5] = 0.25;
    model.setWeights(w);
    assert.equal(model.parameters[5].data, 0.25);
    assert.throws(() => model.setWeights([1, 2]), /the model has \d+ parameters, got 2 weights/);
  });
  await t.step("a matrix of the wrong shape is refused, by name", () => {
    assert.throws(
      () =>
        GPT.fromMatrices(
          config,
          6,
          (name, rows, cols) =>
            name === "wpe" ? [] : [...Array(rows)].map(() => [...Array(cols)].map(() => new Value(0))),
        ),
      /matrix wpe must be 4 x 8/,
    );
  });
});

Deno.test("softmax, rmsnorm and linear compute the right numbers", () => {
  const p = softmax([1, 2, 3].map((x) => new Value(x)));
  const e = [1, 2, 3].map((x) => Math.exp(x - 3));
  const total = e[0] + e[1] + e[2];
  p.forEach((pi, i) => assert.ok(Math.abs(pi.data - e[i] / total) < 1e-15));
  const r = rmsnorm([3, 4].map((x) => new Value(x)));
  const scale = (12.5 + 1e-5) ** -0.5;
  assert.deepEqual(r.map((v) => v.data), [3 * scale, 4 * scale]);
  const y = linear([new Value(2), new Value(3)], [[new Value(1), new Value(-1)], [
    new Value(0.5),
    new Value(2),
  ]]);
  assert.deepEqual(y.map((v) => v.data), [-1, 7]);
});

Deno.test("the KV cache grows by one position per forward and records attention rows", () => {
  const config: GPTConfig = { nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 6 };
  const model = GPT.init(config, 5, new Random(3));
  const cache = new KVCache(config, { recordAttention: true });
  for (let pos = 0; pos < 4; pos++) model.forward(pos % 5, pos, cache);
  assert.equal(cache.length, 4);
  const attention = cache.attention!;
  assert.equal(attention.length, 2);
  for (const layer of attention) {
    assert.equal(layer.length, 2);
    for (const head of layer) {
      assert.deepEqual(head.map((row) => row.length), [1, 2, 3, 4]);
      for (const row of head) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    }
  }
  assert.throws(() => model.forward(0, 6, cache), /position 6/);
  assert.throws(() => model.forward(5, 0, cache), /token 5/);
});

Deno.test("whole-model gradient check: backward matches central differences for every parameter", async (t) => {
  const configs: GPTConfig[] = [
    { nEmbd: 4, nHead: 2, nLayer: 1, blockSize: 4 },
    { nEmbd: 6, nHead: 3, nLayer: 2, blockSize: 3 },
  ];
  for (const config of configs) {
    await t.step(JSON.stringify(config), () => {
      const vocabSize = 5;
      const model = GPT.init(config, vocabSize, new Random(11));
      // Larger weights than the 0.08 init so every path carries a visible gradient.
      for (const p of model.parameters) p.data *= 5;
      const tokens = [4, 0, 3, 1, 2, 4];
      documentLoss(model, tokens).backward();
      const h = 1e-5;
      let worst = 0;
      let worstAt = "";
      for (const [index, p] of model.parameters.entries()) {
        const saved = p.data;
        p.data = saved + h;
        const plus = documentLoss(model, tokens).data;
        p.data = saved - h;
        const minus = documentLoss(model, tokens).data;
        p.data = saved;
        const numeric = (plus - minus) / (2 * h);
        const err = Math.abs(p.grad - numeric) / Math.max(1e-3, Math.abs(numeric) + Math.abs(p.grad));
        if (err > worst) {
          const name = parameterName(config, vocabSize, index);
          [worst, worstAt] = [err, `${name}: backward ${p.grad}, numeric ${numeric}`];
        }
      }
      assert.ok(worst < 1e-5, `largest relative difference ${worst.toExponential(2)} at ${worstAt}`);
      assert.ok(model.parameters.some((p) => Math.abs(p.grad) > 1e-3), "gradients should not all be tiny");
    });
  }
});
