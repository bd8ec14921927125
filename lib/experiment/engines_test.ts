/**
 * Engine conformance: every engine of `ENGINES` is held to the `Value` engine by one suite — the
 * same loss bits, gradients within the engine's declared tolerance (a mismatch names the weight,
 * llm.c style), batches that are the mean of their documents, Adam's update, weights moved in and
 * out, sequences with the same probabilities and attention, sampling that draws the same names,
 * and training with `Trainer`. A new engine in `ENGINES` is checked here by adding one line to
 * `TOLERANCES`.
 */
import assert from "node:assert/strict";
import { Adam } from "../adam.ts";
import { DEFAULT_CONFIG, type GPTConfig } from "../config.ts";
import type { Engine } from "../engine.ts";
import { GPT } from "../model.ts";
import { parameterName } from "../parameters.ts";
import { Random } from "../random.ts";
import { sampleName, sampleNames } from "../sample.ts";
import { Tokenizer } from "../tokenizer.ts";
import { type ModelSync, Trainer } from "../train.ts";
import { ValueEngine } from "../value_engine.ts";
import {
  createEngine,
  ENGINE_NAMES,
  engineList,
  type EngineName,
  engineName,
  isRecordedEngineName,
  RECORDED_ENGINE_NAMES,
  recordedEngineName,
  runnableEngine,
} from "./engines.ts";

/**
 * How close each engine's gradient comes to the `Value` engine's, relative to the larger of the
 * two entries: 0 means the same bits. The fast engine's backward pass adds in its own order; the
 * tensor engine adds in the `Value` graph's order (`lib/tensor/ops.ts`).
 */
const TOLERANCES: Record<EngineName, { gradient: number }> = {
  value: { gradient: 0 },
  fast: { gradient: 1e-10 },
  tensor: { gradient: 0 },
};

/** A document of `length` random characters as `[BOS, ..., BOS]`, BOS being `vocabSize - 1`. */
function randomDoc(rng: Random, vocabSize: number, length: number): number[] {
  const bos = vocabSize - 1;
  return [bos, ...Array.from({ length }, () => rng.randbelow(bos)), bos];
}

/**
 * Asserts that two arrays in parameter order agree within `tolerance`, relative to the larger
 * magnitude of each pair (or to 1e-8 of the largest entry, for entries near 0 left by
 * cancellation, which another summing order changes relatively more); a mismatch names the
 * weight, llm.c style: `NOT OK fast gradient: layer0.attn_wq[3][2] differs by 2.1e-9 (got ..., value ...)`.
 */
function assertClose(
  model: GPT,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  let largest = 0;
  for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(expected[i]));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    if (Object.is(actual[i], expected[i])) continue;
    const scale = Math.max(Math.abs(actual[i]), Math.abs(expected[i]), 1e-8 * largest);
    const e = scale === 0 ? 0 : Math.abs(actual[i] - expected[i]) / scale;
    if (!(e <= worst)) [worst, at] = [Number.isNaN(e) ? Infinity : e, i];
  }
  if (worst > tolerance) {
    assert.fail(
      `NOT OK ${what}: ${parameterName(model.config, model.vocabSize, at)} differs by ${
        worst.toExponential(2)
      } (relative; got ${actual[at]}, value ${expected[at]}; tolerance ${tolerance})`,
    );
  }
}

interface Case {
  config: GPTConfig;
  vocabSize: number;
  docLength: number;
}

/** Shapes chosen by hand: the reference, longer than the context, [BOS, BOS], one position, heads of width 1. */
const FIXED_CASES: Case[] = [
  { config: DEFAULT_CONFIG, vocabSize: 27, docLength: 5 },
  { config: DEFAULT_CONFIG, vocabSize: 27, docLength: 20 },
  { config: { nEmbd: 12, nHead: 3, nLayer: 2, blockSize: 8 }, vocabSize: 11, docLength: 7 },
  { config: { nEmbd: 8, nHead: 1, nLayer: 3, blockSize: 6 }, vocabSize: 5, docLength: 9 },
  { config: { nEmbd: 6, nHead: 2, nLayer: 1, blockSize: 3 }, vocabSize: 30, docLength: 0 },
  { config: { nEmbd: 10, nHead: 5, nLayer: 2, blockSize: 12 }, vocabSize: 9, docLength: 11 },
  { config: { nEmbd: 4, nHead: 4, nLayer: 1, blockSize: 1 }, vocabSize: 3, docLength: 4 },
];

/** Random shapes: 1-4 heads of width 1-4, 1-3 layers, context 1-12, vocabulary 2-31, documents up to 4 longer than the context. */
function randomCases(rng: Random, count: number): Case[] {
  return Array.from({ length: count }, () => {
    const nHead = 1 + rng.randbelow(4);
    const blockSize = 1 + rng.randbelow(12);
    return {
      config: { nEmbd: nHead * (1 + rng.randbelow(4)), nHead, nLayer: 1 + rng.randbelow(3), blockSize },
      vocabSize: 2 + rng.randbelow(30),
      docLength: rng.randbelow(blockSize + 4),
    };
  });
}

/** Names to train a small model on, for the sampling checks. */
const NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];

const CASES = [...FIXED_CASES, ...randomCases(new Random(77), 10)];

function caseName({ config, vocabSize, docLength }: Case): string {
  return `n_embd ${config.nEmbd}, n_head ${config.nHead}, n_layer ${config.nLayer}, ` +
    `block_size ${config.blockSize}, vocab ${vocabSize}, ${docLength} characters`;
}

Deno.test("the registry: every engine by name, and a clear error for an unknown one", () => {
  assert.deepEqual(ENGINE_NAMES, ["value", "fast", "tensor"]);
  assert.equal(engineList(), "value, fast or tensor");
  const model = GPT.init(DEFAULT_CONFIG, 27, new Random(1));
  for (const name of ENGINE_NAMES) {
    const engine = createEngine(name, model);
    assert.equal(engine.name, name);
    assert.equal(engine.model, model);
  }
  assert.throws(() => engineName("gpu"), /unknown engine 'gpu'; use engine value, fast or tensor/);
});

Deno.test("recorded engines: a file may name torch (PyTorch's port); it continues on one of ours", () => {
  assert.deepEqual(RECORDED_ENGINE_NAMES, ["value", "fast", "tensor", "torch"]);
  assert.equal(isRecordedEngineName("torch"), true);
  assert.equal(isRecordedEngineName("gpu"), false);
  assert.equal(recordedEngineName("torch"), "torch");
  assert.throws(() => recordedEngineName("gpu"), /unknown engine 'gpu'/);
  assert.throws(
    () => engineName("torch"),
    /the engine 'torch' is PyTorch \(python3 torch\/microgpt\.py\), which does not run here; use engine value, fast or tensor/,
  );
  assert.deepEqual(RECORDED_ENGINE_NAMES.map(runnableEngine), ["value", "fast", "tensor", "fast"]);
});

for (const name of ENGINE_NAMES) {
  const tolerance = TOLERANCES[name].gradient;

  Deno.test(`${name} engine: one document's loss is the Value engine's bits, its gradient within ${tolerance}`, async (t) => {
    for (const [index, c] of CASES.entries()) {
      await t.step(caseName(c), () => {
        const rng = new Random(1000 + index);
        const model = GPT.init(c.config, c.vocabSize, rng);
        const doc = randomDoc(rng, c.vocabSize, c.docLength);
        const engine = createEngine(name, model);
        const value = new ValueEngine(model);
        assert.equal(engine.lossAndGradient([doc]), value.lossAndGradient([doc]));
        const expected = value.gradient();
        assertClose(model, engine.gradient(), expected, tolerance, `${name} gradient`);
        // Every weight the document reaches gets a gradient; the others exactly 0.
        const got = engine.gradient();
        assert.ok(got.some((g) => g !== 0));
        expected.forEach((g, i) =>
          assert.equal(got[i] === 0, g === 0, parameterName(c.config, c.vocabSize, i))
        );
      });
    }
  });

  Deno.test(`${name} engine: a batch is the mean of its documents`, async (t) => {
    const config = { nEmbd: 12, nHead: 3, nLayer: 2, blockSize: 8 };
    const rng = new Random(77);
    const model = GPT.init(config, 11, rng);
    // lengths 3, 9 (longer than the context), 0 ([BOS, BOS]) and 5: padded to 8 positions where padding applies
    const batch = [3, 9, 0, 5].map((n) => randomDoc(rng, 11, n));
    const engine = createEngine(name, model);
    const value = new ValueEngine(model);

    await t.step("the loss is the Value engine's bits, and the mean of the documents' losses", () => {
      const loss = engine.lossAndGradient(batch);
      assert.equal(loss, value.lossAndGradient(batch));
      assert.equal(engine.loss(batch), loss);
      const each = batch.map((doc) => value.loss([doc]));
      assert.ok(Math.abs(loss - each.reduce((a, b) => a + b) / 4) <= 1e-15 * loss);
    });
    await t.step(`the gradient is the Value engine's within ${tolerance}`, () => {
      engine.lossAndGradient(batch);
      value.lossAndGradient(batch);
      assertClose(model, engine.gradient(), value.gradient(), tolerance, `${name} batch gradient`);
    });
    await t.step("B = 4: the gradient is the mean of the four B = 1 gradients, within 1e-12", () => {
      const mean = new Float64Array(model.parameters.length);
      for (const doc of batch) {
        engine.lossAndGradient([doc]);
        engine.gradient().forEach((g, i) => (mean[i] += g / batch.length));
      }
      engine.lossAndGradient(batch);
      assertClose(model, engine.gradient(), mean, 1e-12, `${name} B = 4 gradient vs the mean of four B = 1`);
    });
  });

  Deno.test(`${name} engine: loss, gradient, update, weights`, async (t) => {
    const doc = [26, 4, 12, 12, 0, 26];

    await t.step("loss() is lossAndGradient's loss and leaves the gradient alone", () => {
      const engine = createEngine(name, GPT.init(DEFAULT_CONFIG, 27, new Random(9)));
      const withGrad = engine.lossAndGradient([doc]);
      const grad = engine.gradient();
      assert.equal(engine.loss([doc]), withGrad);
      assert.equal(engine.loss([[26, 8, 9, 26]]), new ValueEngine(engine.model).loss([[26, 8, 9, 26]]));
      assert.deepEqual(engine.gradient(), grad);
    });
    await t.step("lossAndGradient replaces the gradient, update zeroes it", () => {
      const engine = createEngine(name, GPT.init(DEFAULT_CONFIG, 27, new Random(9)));
      engine.lossAndGradient([doc]);
      const once = engine.gradient();
      engine.lossAndGradient([doc]);
      assert.deepEqual(engine.gradient(), once);
      engine.update(new Adam(engine.model.parameters.length), 0, 10);
      assert.ok(engine.gradient().every((g) => g === 0));
    });
    await t.step("update is the Value engine's Adam step", () => {
      const model = GPT.init(DEFAULT_CONFIG, 27, new Random(3));
      const twin = GPT.init(DEFAULT_CONFIG, 27, new Random(3));
      const engine = createEngine(name, model);
      const value = new ValueEngine(twin);
      const [adam, valueAdam] = [new Adam(model.parameters.length), new Adam(model.parameters.length)];
      for (let step = 0; step < 3; step++) {
        engine.lossAndGradient([doc]);
        engine.update(adam, step, 10);
        value.lossAndGradient([doc]);
        value.update(valueAdam, step, 10);
      }
      engine.storeWeights();
      // Adam divides by sqrt(v): a gradient off by 1e-10 moves a weight by about as much, relatively.
      assertClose(
        model,
        model.getWeights(),
        twin.getWeights(),
        100 * tolerance,
        `${name} weights after 3 updates`,
      );
      assertClose(model, adam.m, valueAdam.m, 10 * tolerance, `${name} adam.m`);
    });
    await t.step("weights move between the model and the engine only on request", () => {
      const model = GPT.init({ nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 4 }, 7, new Random(3));
      const engine = createEngine(name, model);
      const before = engine.loss([[6, 1, 2, 6]]);
      model.parameters.forEach((p) => (p.data *= 2));
      if (name !== "value") assert.equal(engine.loss([[6, 1, 2, 6]]), before, "still the old weights");
      engine.loadWeights();
      const doubled = engine.loss([[6, 1, 2, 6]]);
      assert.notEqual(doubled, before);
      assert.equal(doubled, new ValueEngine(model).loss([[6, 1, 2, 6]]));
      engine.lossAndGradient([[6, 1, 2, 6]]);
      engine.update(new Adam(model.parameters.length), 0, 1);
      const stored = model.getWeights();
      engine.storeWeights();
      if (name !== "value") assert.notDeepEqual(model.getWeights(), stored, "storeWeights wrote the update");
      assert.equal(engine.loss([[6, 1, 2, 6]]), new ValueEngine(model).loss([[6, 1, 2, 6]]));
    });
    await t.step("refuses what the model cannot compute", () => {
      const engine = createEngine(
        name,
        GPT.init({ nEmbd: 8, nHead: 2, nLayer: 1, blockSize: 4 }, 13, new Random(1)),
      );
      assert.throws(() => engine.lossAndGradient([]), /at least one document/);
      assert.throws(() => engine.loss([[12]]), /at least two tokens/);
      assert.throws(() => engine.loss([[40, 12]]), /token 40 is outside the vocabulary 0..12/);
      const full = engine.startSequence();
      for (const token of [12, 1, 2, 3]) full.feed(token);
      assert.throws(() => full.feed(0), /position 4 is outside the context 0..3/);
      assert.throws(() => engine.startSequence().feed(13), /token 13 is outside the vocabulary 0..12/);
    });
  });

  Deno.test(`${name} engine: sequences and sampling`, async (t) => {
    const tokenizer = Tokenizer.fromDocs(NAMES);
    const config = { ...DEFAULT_CONFIG, nLayer: 2, blockSize: 10 };
    // A trained model, so that the distributions are far from uniform.
    const model = GPT.init(config, tokenizer.vocabSize, new Random(3));
    new Trainer(model, NAMES.map((d) => tokenizer.encode(d)), {
      steps: 60,
      engine: createEngine("fast", model),
    })
      .steps().forEach(() => {});
    const engine: Engine = createEngine(name, model);
    const value = new ValueEngine(model);
    const tokens = [tokenizer.bos, 4, 12, 12, 0, 7, 1, 9, 3, 5];

    await t.step("a sequence gives the Value engine's probabilities and attention, bit for bit", () => {
      for (const temperature of [0.5, 1, 1.7]) {
        const got = engine.startSequence({ recordAttention: true });
        const expected = value.startSequence({ recordAttention: true });
        for (const token of tokens) {
          assert.deepEqual(
            Array.from(got.probabilities(token, temperature)),
            Array.from(expected.probabilities(token, temperature)),
          );
        }
        assert.equal(got.length, tokens.length);
        assert.deepEqual(got.attention, expected.attention);
      }
      assert.equal(engine.startSequence().attention, null, "recorded only when asked");
    });
    await t.step("sequences keep their own caches, apart from each other and from training", () => {
      const a = engine.startSequence();
      const b = engine.startSequence();
      const first = Array.from(a.probabilities(tokenizer.bos, 1));
      a.feed(3);
      engine.loss([[tokenizer.bos, 5, tokenizer.bos]]);
      assert.deepEqual(Array.from(b.probabilities(tokenizer.bos, 1)), first);
      const expected = value.startSequence();
      expected.feed(tokenizer.bos);
      expected.feed(3);
      assert.deepEqual(Array.from(a.probabilities(0, 1)), Array.from(expected.probabilities(0, 1)));
    });
    await t.step("sampling draws the Value engine's names, prefixes included", () => {
      for (const temperature of [0.5, 1, 1.7]) {
        const [rng, valueRng] = [new Random(temperature * 10), new Random(temperature * 10)];
        assert.deepEqual(
          sampleNames(engine, tokenizer, rng, { temperature, numSamples: 12 }),
          sampleNames(value, tokenizer, valueRng, { temperature, numSamples: 12 }),
        );
        assert.equal(rng.random(), valueRng.random(), "the generators made the same number of draws");
      }
      for (const prefix of ["a", "is", "evelynnnn"]) {
        const got = sampleName(engine, tokenizer, new Random(5), { prefix });
        assert.equal(got.text, sampleName(value, tokenizer, new Random(5), { prefix }).text);
        assert.ok(got.text.startsWith(prefix));
      }
    });
  });

  Deno.test(`${name} engine: Trainer trains like the Value engine`, async (t) => {
    /** 20 steps of a small run, each step on the engine named for it. */
    const run = (engines: EngineName[], options: { batchSize?: number; modelSync?: ModelSync } = {}) => {
      const rng = new Random(11);
      const model = GPT.init({ nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 8 }, 10, rng);
      const docs = Array.from({ length: 7 }, (_, i) => randomDoc(rng, 10, 2 + i));
      const make = { value: new ValueEngine(model), [name]: createEngine(name, model) };
      const trainer = new Trainer(model, docs, {
        steps: engines.length,
        ...options,
        engine: make[engines[0]],
      });
      const losses = engines.map((engine) => {
        trainer.engine = make[engine];
        return trainer.step().loss;
      });
      return { model, losses };
    };
    const tol = 1e3 * tolerance; // a gradient off in the last bits moves every later step a little

    for (const batchSize of [1, 3]) {
      await t.step(`batch size ${batchSize}`, () => {
        const got = run(Array(20).fill(name), { batchSize });
        const expected = run(Array(20).fill("value"), { batchSize });
        assert.equal(got.losses[0], expected.losses[0], "step 1 starts from the same weights: the same bits");
        assertClose(got.model, got.losses, expected.losses, tol, `${name} losses, B = ${batchSize}`);
        assertClose(got.model, got.model.getWeights(), expected.model.getWeights(), tol, `${name} weights`);
        assert.ok(got.losses[19] < got.losses[0] - 0.3, "the loss goes down");
      });
    }
    await t.step("switching to and from the Value engine between steps, with either modelSync", () => {
      const expected = run(Array(20).fill("value"));
      const mixed = Array.from({ length: 20 }, (_, i): EngineName => (i % 3 === 1 ? "value" : name));
      for (const modelSync of ["every-step", "on-demand"] as const) {
        const got = run(mixed, { modelSync });
        assertClose(got.model, got.losses, expected.losses, tol, `${name} losses (${modelSync})`);
        assertClose(
          got.model,
          got.model.getWeights(),
          expected.model.getWeights(),
          tol,
          `weights (${modelSync})`,
        );
      }
    });
    await t.step("every-step: the model is current after each step, and a change to it is trained on", () => {
      const model = GPT.init(DEFAULT_CONFIG, 27, new Random(2));
      const trainer = new Trainer(model, [[26, 4, 12, 26], [26, 1, 26]], {
        steps: 5,
        engine: createEngine(name, model),
      });
      const before = model.parameters[700].data;
      trainer.step();
      assert.notEqual(model.parameters[700].data, before);
      model.parameters.forEach((p) => (p.data = 0));
      trainer.step();
      assert.ok(
        model.parameters.every((p) => Math.abs(p.data) < 0.03),
        "one Adam step from 0 moves at most ~lr",
      );
    });
    await t.step("on-demand: the model is written when asked, when steps() ends and at the end", () => {
      const model = GPT.init(DEFAULT_CONFIG, 27, new Random(2));
      const engine = createEngine(name, model);
      const trainer = new Trainer(model, [[26, 4, 12, 26]], { steps: 5, engine, modelSync: "on-demand" });
      const before = model.parameters[700].data;
      trainer.step();
      if (name !== "value") assert.equal(model.parameters[700].data, before, "not written back yet");
      trainer.syncModel();
      const afterOne = model.parameters[700].data;
      assert.notEqual(afterOne, before);
      for (const _ of trainer.steps(3)) {
        if (name !== "value") assert.equal(model.parameters[700].data, afterOne);
      }
      assert.notEqual(model.parameters[700].data, afterOne, "steps() wrote them back when it ended");
      trainer.step();
      trainer.step();
      assert.ok(trainer.done);
      const atEnd = model.getWeights();
      engine.storeWeights();
      assert.deepEqual(model.getWeights(), atEnd, "the last step wrote the engine's weights into the model");
    });
  });
}
