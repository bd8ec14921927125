/** The fast engine against the Value engine: the same loss bits, gradients within 1e-10, the same training. */
import assert from "node:assert/strict";
import { Adam } from "../adam.ts";
import { DEFAULT_CONFIG, type GPTConfig } from "../config.ts";
import { FastEngine } from "./engine.ts";
import { GPT, KVCache } from "../model.ts";
import { Random } from "../random.ts";
import { documentLoss, Trainer } from "../train.ts";

/** A document of `length` random characters as `[BOS, ..., BOS]`, BOS being `vocabSize - 1`. */
function randomDoc(rng: Random, vocabSize: number, length: number): number[] {
  const bos = vocabSize - 1;
  return [bos, ...Array.from({ length }, () => rng.randbelow(bos)), bos];
}

/** The largest elementwise relative difference `|a - b| / max(|a|, |b|)` and where it is. */
function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): { error: number; at: number } {
  assert.equal(a.length, b.length);
  let error = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const scale = Math.max(Math.abs(a[i]), Math.abs(b[i]));
    const e = scale === 0 ? 0 : Math.abs(a[i] - b[i]) / scale;
    if (e > error) {
      error = e;
      at = i;
    }
  }
  return { error, at };
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
      const engine = new FastEngine(model);
      const fastLoss = engine.lossAndGradient(tokens);
      const valueLoss = documentLoss(model, tokens);
      valueLoss.backward();
      // The forward pass repeats every operation in order, so the loss is the same bits.
      assert.equal(fastLoss, valueLoss.data);
      const valueGrads = model.parameters.map((p) => p.grad);
      const { error, at } = maxRelativeError(engine.grads, valueGrads);
      assert.ok(
        error <= 1e-10,
        `NOT OK: largest relative gradient difference ${error} at parameter ${at} ` +
          `(fast ${engine.grads[at]}, value ${valueGrads[at]})`,
      );
      // Every weight that the document touches gets a gradient; unused ones get exactly 0.
      assert.ok(engine.grads.some((g) => g !== 0));
      valueGrads.forEach((g, i) => assert.equal(engine.grads[i] === 0, g === 0, `parameter ${i}`));
    });
  }
});

Deno.test("FastEngine.forward", async (t) => {
  const config = { nEmbd: 12, nHead: 3, nLayer: 2, blockSize: 8 };
  const model = GPT.init(config, 13, new Random(5));
  const engine = new FastEngine(model);

  await t.step("gives GPT.forward's logits, bit for bit, one position at a time", () => {
    const cache = new KVCache(config);
    for (const [pos, token] of [12, 3, 0, 7, 7, 11, 2, 5].entries()) {
      const fast = Array.from(engine.forward(token, pos));
      const value = model.forward(token, pos, cache).map((v) => v.data);
      assert.deepEqual(fast, value, `position ${pos}`);
    }
  });

  await t.step("rejects tokens and positions outside the model", () => {
    assert.throws(() => engine.forward(13, 0), /token 13 is outside the vocabulary 0..12/);
    assert.throws(() => engine.forward(0, 8), /position 8 is outside the context 0..7/);
    assert.throws(() => engine.lossAndGradient([12]), /at least two tokens/);
    assert.throws(() => engine.loss([12, 40]), /token 40 is outside the vocabulary/);
  });
});

Deno.test("FastEngine.loss", async (t) => {
  await t.step("is lossAndGradient's loss and leaves the gradients alone", () => {
    const model = GPT.init(DEFAULT_CONFIG, 27, new Random(9));
    const engine = new FastEngine(model);
    const doc = [26, 1, 2, 3, 26];
    const withGrad = engine.lossAndGradient(doc);
    const grads = engine.grads.slice();
    assert.equal(engine.loss(doc), withGrad);
    assert.equal(engine.loss([26, 8, 9, 26]), documentLoss(model, [26, 8, 9, 26]).data);
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
    engine.lossAndGradient(doc);
    engine.applyAdam(fastAdam, 0, 10);
    documentLoss(model, doc).backward();
    valueAdam.step(model.parameters, 0, 10);
    const { error } = maxRelativeError(engine.weights, model.parameters.map((p) => p.data));
    assert.ok(error <= 1e-12, `largest relative weight difference ${error}`);
    assert.ok(maxRelativeError(fastAdam.m, valueAdam.m).error <= 1e-10);
    assert.ok(maxRelativeError(fastAdam.v, valueAdam.v).error <= 1e-10);
  });
});

/** `steps` steps of a small run on one engine (or alternating), returning losses and final weights. */
function run(
  engines: ("value" | "fast")[],
  modelSync: "every-step" | "on-demand" = "every-step",
): { losses: number[]; weights: number[]; m: Float64Array; trainer: Trainer } {
  const rng = new Random(11);
  const config = { nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 8 };
  const model = GPT.init(config, 10, rng);
  const docs = Array.from({ length: 7 }, (_, i) => randomDoc(rng, 10, 2 + i));
  const trainer = new Trainer(model, docs, { steps: engines.length, engine: engines[0], modelSync });
  const losses: number[] = [];
  for (const engine of engines) {
    trainer.engine = engine;
    losses.push(trainer.step().loss);
  }
  return { losses, weights: model.parameters.map((p) => p.data), m: trainer.adam.m, trainer };
}

Deno.test("Trainer with engine: fast", async (t) => {
  const steps = 40;
  const value = run(Array(steps).fill("value"));
  const fast = run(Array(steps).fill("fast"));

  await t.step("trains like the Value engine", () => {
    assert.equal(fast.losses[0], value.losses[0]); // same weights, same bits
    const { error, at } = maxRelativeError(fast.losses, value.losses);
    assert.ok(error <= 1e-12, `loss differs by ${error} at step ${at}`);
    assert.ok(fast.losses[steps - 1] < fast.losses[0] - 0.3, "the loss goes down");
    assert.ok(maxRelativeError(fast.weights, value.weights).error <= 1e-9);
    assert.ok(maxRelativeError(fast.m, value.m).error <= 1e-7);
  });

  await t.step("may switch engines between steps", () => {
    const engines = Array.from(
      { length: steps },
      (_, i): "value" | "fast" => (i % 3 === 1 ? "value" : "fast"),
    );
    for (const modelSync of ["every-step", "on-demand"] as const) {
      const mixed = run(engines, modelSync);
      assert.ok(maxRelativeError(mixed.losses, value.losses).error <= 1e-12, modelSync);
      assert.ok(maxRelativeError(mixed.weights, value.weights).error <= 1e-9, modelSync);
    }
  });

  await t.step("keeps the model current after every step (every-step)", () => {
    const rng = new Random(2);
    const model = GPT.init(DEFAULT_CONFIG, 27, rng);
    const docs = [randomDoc(rng, 27, 4), randomDoc(rng, 27, 6)];
    const trainer = new Trainer(model, docs, { steps: 5, engine: "fast" });
    const before = model.parameters[700].data;
    trainer.step();
    assert.notEqual(model.parameters[700].data, before);
    // A change made to the model between steps is what the next step starts from.
    model.parameters.forEach((p) => (p.data = 0));
    trainer.step();
    const engine = new FastEngine(model); // reads the model as it is now
    assert.ok(engine.weights.every((w) => Math.abs(w) < 0.03), "one Adam step from 0 moves at most ~lr");
  });

  await t.step("with modelSync on-demand writes the model back when asked and at the end", () => {
    const deferred = run(Array(steps).fill("fast"), "on-demand");
    assert.deepEqual(deferred.losses, fast.losses);
    assert.deepEqual(deferred.weights, fast.weights); // the last step wrote them back
    const rng = new Random(2);
    const model = GPT.init(DEFAULT_CONFIG, 27, rng);
    const docs = [randomDoc(rng, 27, 4)];
    const trainer = new Trainer(model, docs, { steps: 5, engine: "fast", modelSync: "on-demand" });
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
