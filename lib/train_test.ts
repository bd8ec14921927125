/** Trainer's batches: which documents each step takes, and that a batched step is the batch's loss. */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "./config.ts";
import { GPT } from "./model.ts";
import { Random } from "./random.ts";
import { Trainer } from "./train.ts";
import { ValueEngine } from "./value_engine.ts";

const DOCS = [[26, 0, 26], [26, 1, 26], [26, 2, 26], [26, 3, 26], [26, 4, 26]];

Deno.test("Trainer.batchAt", async (t) => {
  const model = GPT.init(DEFAULT_CONFIG, 27, new Random(1));

  await t.step("batch size 1 (the default) is microgpt's docs[step % N]", () => {
    const trainer = new Trainer(model, DOCS);
    for (const step of [0, 1, 4, 5, 7, 999]) assert.deepEqual(trainer.batchAt(step), [DOCS[step % 5]]);
  });
  await t.step("batch size B takes documents step*B .. step*B+B-1, wrapping around", () => {
    const trainer = new Trainer(model, DOCS, { batchSize: 3 });
    const ids = (step: number) => trainer.batchAt(step).map((doc) => doc[1]);
    assert.deepEqual([ids(0), ids(1), ids(2), ids(5)], [[0, 1, 2], [3, 4, 0], [1, 2, 3], [0, 1, 2]]);
  });
  await t.step("a batch larger than the data repeats documents", () => {
    const trainer = new Trainer(model, DOCS.slice(0, 2), { batchSize: 5 });
    assert.deepEqual(trainer.batchAt(1).map((doc) => doc[1]), [1, 0, 1, 0, 1]);
  });
  await t.step("a batch size that is not a positive integer is a ConfigError naming batchSize", () => {
    assert.throws(
      () => new Trainer(model, DOCS, { batchSize: 0 }),
      /^ConfigError: batchSize must be a positive integer, got 0/,
    );
  });
});

Deno.test("a batched step's loss is the Value engine's loss of its batch, and Adam follows its gradient", () => {
  const model = GPT.init(DEFAULT_CONFIG, 27, new Random(2));
  const twin = GPT.init(DEFAULT_CONFIG, 27, new Random(2));
  const trainer = new Trainer(model, DOCS, { batchSize: 2, steps: 4 });
  const reference = new Trainer(twin, DOCS, { steps: 4 });
  const value = new ValueEngine(twin);
  for (let step = 0; step < 4; step++) {
    const batch = [DOCS[(2 * step) % 5], DOCS[(2 * step + 1) % 5]];
    const expected = value.lossAndGradient(batch);
    value.update(reference.adam, step, 4);
    assert.equal(trainer.step().loss, expected);
  }
  assert.deepEqual(model.getWeights(), twin.getWeights());
});

Deno.test("Trainer refuses an engine of another model", () => {
  const model = GPT.init(DEFAULT_CONFIG, 27, new Random(2));
  const other = new ValueEngine(GPT.init(DEFAULT_CONFIG, 27, new Random(3)));
  assert.throws(() => new Trainer(model, DOCS, { engine: other }), /another model/);
  const trainer = new Trainer(model, DOCS);
  assert.throws(() => (trainer.engine = other), /another model/);
});
