/** The fast engine against the Value engine: the same loss bits, gradients within 1e-10, the same training. */
import assert from "node:assert/strict";
import { Adam } from "../adam.ts";
import { DEFAULT_CONFIG, type GPTConfig } from "../config.ts";
import { GPT, KVCache } from "../model.ts";
import { parameterName } from "../parameters.ts";
import { Random } from "../random.ts";
import { Trainer } from "../train.ts";
import { documentLoss, ValueEngine } from "../value_engine.ts";
import { FastEngine } from "./engine.ts";

/** A document of `length` random characters as `[BOS, ..., BOS]`, BOS being `vocabSize - 1`. */
function randomDoc(rng: Random, vocabSize: number, length: number): number[] {
  const bos = vocabSize - 1;
  return [bos, ...Array.from({ length }, () => rng.randbelow(bos)), bos];
}

/**
 * Asserts that two arrays in parameter order agree within `tolerance` (relative to the larger
 * magnitude); a mismatch names the weight, llm.c style: `layer0.attn_wq[3][2]: fast ..., value ...`.
 */
function assertClose(
  model: GPT,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(Math.abs(actual[i]), Math.abs(expected[i]));
    const e = scale === 0 ? 0 : Math.abs(actual[i] - expected[i]) / scale;
    if (e > worst) [worst, at] = [e, i];
  }
  if (worst > tolerance) {
    assert.fail(
      `NOT OK ${what}: ${parameterName(model.config, model.vocabSize, at)} differs by ${
        worst.toExponential(2)
      } ` +
        `(relative; fast ${actual[at]}, value ${expected[at]}; tolerance ${tolerance})`,
    );
  }
}

const CASES: { config: GPTConfig; vocabSize: number; docLength: number }[] = [
  { config: DEFAULT_CONFIG, vocabSize: 27, docLength: 5 },
  { config: DEFAULT_CONFIG, vocabSize: 27, docLength: 20 }, // longer than the context: 16 positions
  { config: { nEmbd: 12, nHead: 3, nLayer: 2, blockSize: 8 }, vocabSize: 11, docLength: 7 },
  { config: { nEmbd: 8, nHead: 1, nLayer: 3, blockSize: 6 }, vocabSize: 5, docLength: 9 },
  { config: { nEmbd: 6, nHead: 2, nLayer: 1, blockSize: 3 }, vocabSize: 30, docLength: 0 }, // [BOS, BOS]
  { config: { nEmbd: 10, nHead: 5, nLayer: 2, blockSize: 12 }, vocabSize: 9, docLength: 11 },
  { config: { nEmbd: 32, nHead: 4, nLayer: 1, blockSize: 16 }, vocabSize: 27, docLength: 9 },
];

Deno.test("FastEngine computes the Value engine's loss and gradients", async (t) => {
  for (const [index, { config, vocabSize, docLength }] of CASES.entries()) {
    const name = `n_embd ${config.nEmbd}, n_head ${config.nHead}, n_layer ${config.nLayer}, ` +
      `block_size ${config.blockSize}, vocab ${vocabSize}, ${docLength} characters`;
    await t.step(name, () => {
      const rng = new Random(1000 + index);
      const model = GPT.init(config, vocabSize, rng);
      const tokens = randomDoc(rng, vocabSize, docLength);
      const fast = new FastEngine(model);
      const value = new ValueEngine(model);
      const fastLoss = fast.lossAndGradient([tokens]);
      // The forward pass repeats every operation in order, so the loss is the same bits.
      assert.equal(fastLoss, value.lossAndGradient([tokens]));
      const valueGrads = value.gradient();
      assertClose(model, fast.gradient(), valueGrads, 1e-10, "gradient");
      // Every weight that the document touches gets a gradient; unused ones get exactly 0.
      assert.ok(fast.grads.some((g) => g !== 0));
      valueGrads.forEach((g, i) => assert.equal(fast.grads[i] === 0, g === 0, `parameter ${i}`));
    });
  }
});

Deno.test("a batch of documents: the mean of their losses, on both engines", async (t) => {
  const config = { nEmbd: 12, nHead: 3, nLayer: 2, blockSize: 8 };
  const rng = new Random(77);
  const model = GPT.init(config, 11, rng);
  const batch = [3, 9, 0, 5].map((n) => randomDoc(rng, 11, n));
  const fast = new FastEngine(model);
  const value = new ValueEngine(model);

  await t.step("the loss is the same bits on both", () => {
    const loss = fast.lossAndGradient(batch);
    assert.equal(loss, value.lossAndGradient(batch));
    assert.equal(fast.loss(batch), loss);
    assert.equal(value.loss(batch), loss);
    const each = batch.map((doc) => documentLoss(model, doc).data);
    assert.ok(Math.abs(loss - each.reduce((a, b) => a + b) / 4) < 1e-15);
  });
  await t.step("the gradients agree, and are the mean of the documents' gradients", () => {
    fast.lossAndGradient(batch);
    value.lossAndGradient(batch);
    assertClose(model, fast.gradient(), value.gradient(), 1e-10, "batch gradient");
    const mean = new Float64Array(fast.grads.length);
    for (const doc of batch) {
      fast.lossAndGradient([doc]);
      fast.grads.forEach((g, i) => (mean[i] += g / batch.length));
    }
    fast.lossAndGradient(batch);
    assertClose(model, fast.gradient(), mean, 1e-12, "batch gradient vs mean of four");
  });
  await t.step("an empty batch is refused", () => {
    assert.throws(() => fast.lossAndGradient([]), /at least one document/);
    assert.throws(() => value.loss([]), /at least one document/);
  });
});

Deno.test("FastEngine.forward and sequences", async (t) => {
  const config = { nEmbd: 12, nHead: 3, nLayer: 2, blockSize: 8 };
  const model = GPT.init(config, 13, new Random(5));
  const engine = new FastEngine(model);
  const tokens = [12, 3, 0, 7, 7, 11, 2, 5];

  await t.step("forward gives GPT.forward's logits, bit for bit, one position at a time", () => {
    const cache = new KVCache(config);
    for (const [pos, token] of tokens.entries()) {
      const fast = Array.from(engine.forward(token, pos));
      const value = model.forward(token, pos, cache).map((v) => v.data);
      assert.deepEqual(fast, value, `position ${pos}`);
    }
  });

  await t.step("a sequence gives the Value engine's probabilities and attention, bit for bit", () => {
    for (const temperature of [0.5, 1, 1.7]) {
      const fast = engine.startSequence({ recordAttention: true });
      const value = new ValueEngine(model).startSequence({ recordAttention: true });
      for (const token of tokens) {
        assert.deepEqual(
          Array.from(fast.probabilities(token, temperature)),
          value.probabilities(token, temperature),
        );
      }
      assert.equal(fast.length, tokens.length);
      assert.deepEqual(fast.attention, value.attention);
    }
    assert.equal(engine.startSequence().attention, null, "recorded only when asked");
  });

  await t.step("sequences keep their own caches, apart from training", () => {
    const a = engine.startSequence();
    const b = engine.startSequence();
    const first = Array.from(a.probabilities(12, 1));
    a.feed(3);
    engine.lossAndGradient([[12, 5, 12]]); // uses the engine's own forward state
    assert.deepEqual(Array.from(b.probabilities(12, 1)), first);
    const ref = new ValueEngine(model).startSequence();
    ref.feed(12);
    ref.feed(3);
    assert.deepEqual(Array.from(a.probabilities(0, 1)), ref.probabilities(0, 1));
  });

  await t.step("rejects tokens and positions outside the model", () => {
    assert.throws(() => engine.forward(13, 0), /token 13 is outside the vocabulary 0..12/);
    assert.throws(() => engine.forward(0, 8), /position 8 is outside the context 0..7/);
    assert.throws(() => engine.lossAndGradient([[12]]), /at least two tokens/);
    assert.throws(() => engine.loss([[12, 40]]), /token 40 is outside the vocabulary/);
    const full = engine.startSequence();
    for (const token of tokens) full.feed(token);
    assert.throws(() => full.feed(0), /position 8 is outside the context/);
  });
});

Deno.test("FastEngine.loss", async (t) => {
  await t.step("is lossAndGradient's loss and leaves the gradients alone", () => {
    const model = GPT.init(DEFAULT_CONFIG, 27, new Random(9));
    const engine = new FastEngine(model);
    const doc = [26, 1, 2, 3, 26];
    const withGrad = engine.lossAndGradient([doc]);
    const grads = engine.gradient();
    assert.equal(engine.loss([doc]), withGrad);
    assert.equal(engine.loss([[26, 8, 9, 26]]), documentLoss(model, [26, 8, 9, 26]).data);
    assert.deepEqual(engine.grads, grads);
  });
});

Deno.test("FastEngine weights", async (t) => {
  const model = GPT.init(DEFAULT_CONFIG, 27, new Random(3));
  const engine = new FastEngine(model);

  await t.step("are the model's parameters in order, read and written on request", () => {
    assert.equal(engine.weights.length, 4192);
    assert.deepEqual(Array.from(engine.weights), model.parameters.map((p) => p.data));
    model.parameters[7].data = 0.5;
    assert.notEqual(engine.weights[7], 0.5);
    engine.loadWeights();
    assert.equal(engine.weights[7], 0.5);
    engine.weights[4000] = -2;
    engine.storeWeights();
    assert.equal(model.parameters[4000].data, -2);
  });

  await t.step("take the Value engine's Adam update", () => {
    const doc = [26, 4, 12, 12, 0, 26];
    const valueAdam = new Adam(model.parameters.length);
    const fastAdam = new Adam(model.parameters.length);
    engine.loadWeights();
    engine.lossAndGradient([doc]);
    engine.update(fastAdam, 0, 10);
    assert.ok(engine.grads.every((g) => g === 0), "the update zeroes the gradient");
    const value = new ValueEngine(model);
    value.lossAndGradient([doc]);
    value.update(valueAdam, 0, 10);
    assertClose(model, engine.weights, model.getWeights(), 1e-12, "weights after one update");
    assertClose(model, fastAdam.m, valueAdam.m, 1e-10, "adam.m");
    assertClose(model, fastAdam.v, valueAdam.v, 1e-10, "adam.v");
  });
});

type EngineKind = "value" | "fast";

/** `steps` steps of a small run on one engine (or alternating), returning losses and final weights. */
function run(
  engines: EngineKind[],
  modelSync: "every-step" | "on-demand" = "every-step",
): { model: GPT; losses: number[]; weights: Float64Array; m: Float64Array } {
  const rng = new Random(11);
  const config = { nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 8 };
  const model = GPT.init(config, 10, rng);
  const docs = Array.from({ length: 7 }, (_, i) => randomDoc(rng, 10, 2 + i));
  const make = { value: new ValueEngine(model), fast: new FastEngine(model) };
  const trainer = new Trainer(model, docs, { steps: engines.length, engine: make[engines[0]], modelSync });
  const losses: number[] = [];
  for (const engine of engines) {
    trainer.engine = make[engine];
    losses.push(trainer.step().loss);
  }
  return { model, losses, weights: model.getWeights(), m: trainer.adam.m };
}

Deno.test("Trainer with the fast engine", async (t) => {
  const steps = 40;
  const value = run(Array(steps).fill("value"));
  const fast = run(Array(steps).fill("fast"));

  await t.step("trains like the Value engine", () => {
    assert.equal(fast.losses[0], value.losses[0]); // same weights, same bits
    assertClose(fast.model, fast.losses, value.losses, 1e-12, "losses");
    assert.ok(fast.losses[steps - 1] < fast.losses[0] - 0.3, "the loss goes down");
    assertClose(fast.model, fast.weights, value.weights, 1e-9, "weights");
    assertClose(fast.model, fast.m, value.m, 1e-7, "adam.m");
  });

  await t.step("may switch engines between steps", () => {
    const engines = Array.from({ length: steps }, (_, i): EngineKind => (i % 3 === 1 ? "value" : "fast"));
    for (const modelSync of ["every-step", "on-demand"] as const) {
      const mixed = run(engines, modelSync);
      assertClose(mixed.model, mixed.losses, value.losses, 1e-12, `losses (${modelSync})`);
      assertClose(mixed.model, mixed.weights, value.weights, 1e-9, `weights (${modelSync})`);
    }
  });

  await t.step("refuses an engine of another model", () => {
    const model = GPT.init(DEFAULT_CONFIG, 27, new Random(2));
    const other = GPT.init(DEFAULT_CONFIG, 27, new Random(3));
    assert.throws(() => new Trainer(model, [[26, 26]], { engine: new FastEngine(other) }), /another model/);
  });

  await t.step("keeps the model current after every step (every-step)", () => {
    const rng = new Random(2);
    const model = GPT.init(DEFAULT_CONFIG, 27, rng);
    const docs = [randomDoc(rng, 27, 4), randomDoc(rng, 27, 6)];
    const trainer = new Trainer(model, docs, { steps: 5, engine: new FastEngine(model) });
    const before = model.parameters[700].data;
    trainer.step();
    assert.notEqual(model.parameters[700].data, before);
    // A change made to the model between steps is what the next step starts from.
    model.parameters.forEach((p) => (p.data = 0));
    trainer.step();
    assert.ok(
      model.parameters.every((p) => Math.abs(p.data) < 0.03),
      "one Adam step from 0 moves at most ~lr",
    );
  });

  await t.step("with modelSync on-demand writes the model back when asked and at the end", () => {
    const deferred = run(Array(steps).fill("fast"), "on-demand");
    assert.deepEqual(deferred.losses, fast.losses);
    assert.deepEqual(deferred.weights, fast.weights); // the last step wrote them back
    const rng = new Random(2);
    const model = GPT.init(DEFAULT_CONFIG, 27, rng);
    const docs = [randomDoc(rng, 27, 4)];
    const trainer = new Trainer(model, docs, {
      steps: 5,
      engine: new FastEngine(model),
      modelSync: "on-demand",
    });
    const before = model.parameters[700].data;
    trainer.step();
    assert.equal(model.parameters[700].data, before, "not written back yet");
    trainer.syncModel();
    assert.notEqual(model.parameters[700].data, before);
    const afterOne = model.parameters[700].data;
    for (const _ of trainer.steps(3)) assert.equal(model.parameters[700].data, afterOne);
    assert.notEqual(model.parameters[700].data, afterOne, "steps() wrote them back when it ended");
  });
});
