/**
 * What only the fast engine has: `forward` one position at a time, and a Trainer that keeps the
 * engine's own weights between steps (modelSync) or switches engines mid-run. (What every engine
 * must do against the `Value` engine — loss bits, gradients within 1e-10, batches, Adam, weights,
 * sequences, sampling — is `lib/experiment/engines_test.ts`.)
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../config.ts";
import { GPT, KVCache } from "../model.ts";
import { parameterName } from "../parameters.ts";
import { Random } from "../random.ts";
import { Trainer } from "../train.ts";
import { ValueEngine } from "../value_engine.ts";
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

Deno.test("FastEngine.forward", async (t) => {
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

  await t.step("rejects tokens and positions outside the model", () => {
    assert.throws(() => engine.forward(13, 0), /token 13 is outside the vocabulary 0..12/);
    assert.throws(() => engine.forward(0, 8), /position 8 is outside the context 0..7/);
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
