import assert from "node:assert/strict";
import { checkpointToJson, parseCheckpoint } from "./checkpoint.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { createEngine, engineName } from "./engines.ts";
import { type ExperimentRun, resumeExperiment, runExperiment, sha256Hex } from "./experiment.ts";
import { GPT } from "../model.ts";
import { Random } from "../random.ts";
import { type ExperimentConfig, experimentConfig, withoutTimings } from "./run_record.ts";
import { evaluateLoss, splitDocs } from "./split.ts";
import { Tokenizer } from "../tokenizer.ts";
import { Trainer } from "../train.ts";

const NAMES = [
  "emma",
  "olivia",
  "ava",
  "isabella",
  "sophia",
  "mia",
  "amelia",
  "harper",
  "evelyn",
  "abigail",
  "liam",
  "noah",
  "oliver",
  "elijah",
  "james",
  "william",
  "benjamin",
  "lucas",
  "henry",
  "theodore",
];
const DATA = new TextEncoder().encode(NAMES.join("\n") + "\n");

function config(overrides: Parameters<typeof experimentConfig>[0] = {}): ExperimentConfig {
  return experimentConfig({
    seed: 11,
    dataPath: "names20.txt",
    train: { steps: 40 },
    sample: { numSamples: 5 },
    engine: "fast",
    ...overrides,
  });
}

/** Stops at `stop`, round-trips the checkpoint through its JSON text, and resumes to the end. */
async function stopAndResume(cfg: ExperimentConfig, stop: number): Promise<ExperimentRun> {
  const first = await runExperiment(cfg, { data: DATA, stopAt: stop });
  assert.equal(first.record.status, "stopped");
  assert.equal(first.record.samples.length, 0);
  assert.equal(first.checkpoint.step, stop);
  const checkpoint = parseCheckpoint(checkpointToJson(first.checkpoint), "mem");
  return await resumeExperiment(checkpoint, {}, { data: DATA });
}

Deno.test("runExperiment()", async (t) => {
  await t.step("records the config, data, losses, samples and program", async () => {
    const cfg = config();
    const { record, checkpoint } = await runExperiment(cfg, { data: DATA });
    assert.equal(record.format, "microgpt-run");
    assert.equal(record.status, "finished");
    assert.deepEqual(record.config, cfg);
    assert.equal(record.data.sha256, await sha256Hex(DATA));
    assert.equal(record.data.numDocs, 20);
    assert.equal(record.data.vocab, "abcdeghijlmnoprstuvwy");
    // wte and lm_head 22x16 (21 characters + BOS), wpe 16x16, one layer 12 x 16x16
    assert.equal(record.numParams, 2 * 22 * 16 + 16 * 16 + 12 * 16 * 16);
    assert.equal(record.losses.length, 40);
    assert.ok(record.losses.every((l) => l > 0 && l < 5));
    assert.equal(record.samples.length, 5);
    assert.equal(record.resumedFrom, null);
    assert.equal(record.program.name, "microgpt-ts");
    assert.equal(record.timings.segments.length, 1);
    assert.equal(checkpoint.step, 40);
  });
  await t.step("does exactly microgpt's computation: shuffle, init and train by hand agree", async () => {
    const cfg = config({ engine: "value", train: { steps: 15 } });
    const { record } = await runExperiment(cfg, { data: DATA });
    const rng = new Random(cfg.seed);
    const docs = [...NAMES];
    rng.shuffle(docs);
    const tok = Tokenizer.fromDocs(docs);
    const model = GPT.init(cfg.model, tok.vocabSize, rng);
    const trainer = new Trainer(model, docs.map((d) => tok.encode(d)), cfg.train);
    assert.deepEqual(record.losses, [...trainer.steps()].map((s) => s.loss));
  });
  await t.step(
    "the value and fast engines record the same run (to rounding) and name their engine",
    async () => {
      const a = await runExperiment(config({ engine: "value", train: { steps: 12 } }), { data: DATA });
      const b = await runExperiment(config({ engine: "fast", train: { steps: 12 } }), { data: DATA });
      a.record.losses.forEach((loss, i) =>
        assert.ok(Math.abs(loss - b.record.losses[i]) < 1e-9, `step ${i + 1}`)
      );
      assert.deepEqual([a.record.config.engine, b.record.config.engine], ["value", "fast"]);
      assert.deepEqual(a.record.timings.segments.map((s) => s.engine), ["value"]);
    },
  );
  await t.step("bad stop points are UsageErrors", async () => {
    await assert.rejects(
      () => runExperiment(config(), { data: DATA, stopAt: 0 }),
      /stopAt must be an integer in 1\.\.40/,
    );
    await assert.rejects(
      () => runExperiment(config(), { data: DATA, stopAt: 41 }),
      /stopAt must be an integer in 1\.\.40/,
    );
  });
  await t.step("empty data and a missing file are UsageErrors", async () => {
    await assert.rejects(
      () => runExperiment(config(), { data: new TextEncoder().encode("\n \n") }),
      /has no documents/,
    );
    await assert.rejects(
      () => runExperiment(config({ dataPath: "/nonexistent/x.txt" })),
      /data file not found/,
    );
  });
});

Deno.test("resume equivalence", async (t) => {
  const cfg = config();
  const full = await runExperiment(cfg, { data: DATA });
  for (const stop of [1, 17, 20, 39]) {
    await t.step(`stopped at ${stop} and resumed: the same losses, samples and final state`, async () => {
      const resumed = await stopAndResume(cfg, stop);
      assert.equal(resumed.record.resumedFrom, stop);
      assert.deepEqual(withoutTimings(resumed.record), { ...withoutTimings(full.record), resumedFrom: stop });
      assert.deepEqual(resumed.checkpoint.params, full.checkpoint.params);
      assert.deepEqual(resumed.checkpoint.adam, full.checkpoint.adam);
      assert.deepEqual(resumed.checkpoint.rng, full.checkpoint.rng);
      assert.deepEqual(resumed.record.timings.segments.map((s) => [s.startStep, s.endStep]), [[0, stop], [
        stop,
        40,
      ]]);
    });
  }
  await t.step("in three legs (stop at 10, resume to 25, resume to the end)", async () => {
    const a = await runExperiment(cfg, { data: DATA, stopAt: 10 });
    const b = await runExperiment(cfg, { data: DATA, stopAt: 25, resume: a.checkpoint });
    assert.equal(b.record.status, "stopped");
    const c = await runExperiment(cfg, {
      data: DATA,
      resume: parseCheckpoint(checkpointToJson(b.checkpoint), "mem"),
    });
    assert.deepEqual(c.record.losses, full.record.losses);
    assert.deepEqual(c.record.samples, full.record.samples);
  });
  await t.step("on the value engine too, and across engines", async () => {
    const value = config({ engine: "value", train: { steps: 14 } });
    const whole = await runExperiment(value, { data: DATA });
    const resumed = await stopAndResume(value, 6);
    assert.deepEqual(resumed.record.losses, whole.record.losses);
    assert.deepEqual(resumed.record.samples, whole.record.samples);
    const first = await runExperiment(value, { data: DATA, stopAt: 6 });
    const fast = await resumeExperiment(first.checkpoint, { engine: "fast" }, { data: DATA });
    assert.deepEqual(fast.record.losses.slice(0, 6), whole.record.losses.slice(0, 6));
    fast.record.losses.forEach((loss, i) => assert.ok(Math.abs(loss - whole.record.losses[i]) < 1e-9));
    assert.deepEqual(fast.record.timings.segments.map((s) => s.engine), ["value", "fast"]);
  });
  await t.step(
    "a run PyTorch trained (engine torch) continues on the fast engine, its segments kept",
    async () => {
      const value = config({ engine: "value", train: { steps: 14 } });
      const whole = await runExperiment(value, { data: DATA });
      const first = await runExperiment(value, { data: DATA, stopAt: 6 });
      // What torch/microgpt.py writes: the run's engine and its segment say torch, where and how.
      const torch = structuredClone(first.checkpoint);
      torch.experiment.engine = "torch";
      torch.history.segments = [{
        ...torch.history.segments[0],
        engine: "torch",
        device: "cpu",
        processes: 2,
      }];
      const checkpoint = parseCheckpoint(checkpointToJson(torch), "mem");
      assert.deepEqual(checkpoint.history.segments[0], torch.history.segments[0]);
      const resumed = await resumeExperiment(checkpoint, {}, { data: DATA });
      assert.equal(resumed.record.config.engine, "fast");
      assert.deepEqual(resumed.record.timings.segments.map((s) => [s.engine, s.device, s.processes]), [
        ["torch", "cpu", 2],
        ["fast", undefined, undefined],
      ]);
      resumed.record.losses.forEach((loss, i) => assert.ok(Math.abs(loss - whole.record.losses[i]) < 1e-9));
      assert.deepEqual(resumed.record.samples, whole.record.samples);
      const tensor = await resumeExperiment(checkpoint, { engine: "tensor" }, { data: DATA });
      assert.deepEqual(tensor.record.losses, whole.record.losses); // the tensor engine: the Value engine's bits
      await assert.rejects(
        () => runExperiment(checkpoint.experiment, { data: DATA, resume: checkpoint }),
        (e: Error) => e instanceof ConfigError && /the engine 'torch' is PyTorch/.test(e.message),
      );
    },
  );
  await t.step("with a batch size: the checkpoint carries it and the resumed run keeps it", async () => {
    const batched = config({ engine: "tensor", train: { steps: 12, batchSize: 4 } });
    const whole = await runExperiment(batched, { data: DATA });
    assert.notDeepEqual(
      whole.record.losses,
      (await runExperiment(config({ train: { steps: 12 } }), { data: DATA })).record.losses,
    );
    const first = await runExperiment(batched, { data: DATA, stopAt: 5 });
    const checkpoint = parseCheckpoint(checkpointToJson(first.checkpoint), "mem");
    assert.equal(checkpoint.experiment.train.batchSize, 4);
    const resumed = await resumeExperiment(checkpoint, { engine: "fast" }, { data: DATA });
    assert.equal(resumed.record.config.train.batchSize, 4);
    assert.deepEqual(resumed.record.losses.slice(0, 5), whole.record.losses.slice(0, 5));
    resumed.record.losses.forEach((loss, i) => assert.ok(Math.abs(loss - whole.record.losses[i]) < 1e-12));
    assert.deepEqual(resumed.record.samples, whole.record.samples);
  });
  await t.step("resuming with other sampling settings only changes the samples", async () => {
    const first = await runExperiment(cfg, { data: DATA, stopAt: 30 });
    const more = await resumeExperiment(first.checkpoint, { sample: { numSamples: 8 } }, { data: DATA });
    assert.deepEqual(more.record.losses, full.record.losses);
    assert.deepEqual(more.record.samples.slice(0, 5), full.record.samples);
    assert.equal(more.record.samples.length, 8);
  });
});

Deno.test("resume mismatches are one-line UsageErrors", async (t) => {
  const cfg = config();
  const { checkpoint } = await runExperiment(cfg, { data: DATA, stopAt: 5 });
  await t.step("changed data", async () => {
    const other = new TextEncoder().encode(NAMES.join("\n") + "\nzoe\n");
    await assert.rejects(
      () => runExperiment(cfg, { data: other, resume: checkpoint }),
      (e: Error) => e instanceof UsageError && /SHA-256 differs/.test(e.message) && !e.message.includes("\n"),
    );
  });
  await t.step("changed settings", async () => {
    await assert.rejects(
      () => runExperiment({ ...cfg, seed: 12 }, { data: DATA, resume: checkpoint }),
      /cannot resume: seed is 12 but the checkpoint's run used 11/,
    );
    await assert.rejects(
      () => runExperiment(config({ train: { steps: 50 } }), { data: DATA, resume: checkpoint }),
      /cannot resume: steps is 50 but the checkpoint.s run used 40/,
    );
    await assert.rejects(
      () => runExperiment(config({ train: { steps: 40, batchSize: 2 } }), { data: DATA, resume: checkpoint }),
      /cannot resume: batchSize is 2 but the checkpoint.s run used 1/,
    );
    await assert.rejects(
      () => runExperiment(config({ validation: { fraction: 0.1 } }), { data: DATA, resume: checkpoint }),
      /cannot resume: validation is on but the checkpoint.s run had it off/,
    );
  });
  await t.step("stop point not after the checkpoint", async () => {
    await assert.rejects(
      () => runExperiment(cfg, { data: DATA, resume: checkpoint, stopAt: 5 }),
      /stopAt must be an integer in 6\.\.40/,
    );
  });
  await t.step("an already finished run", async () => {
    const done = await runExperiment(cfg, { data: DATA });
    await assert.rejects(
      () => resumeExperiment(done.checkpoint, {}, { data: DATA }),
      /already finished .*deno task sample/,
    );
  });
});

Deno.test("held-out validation", async (t) => {
  const cfg = config({ validation: { fraction: 0.25, every: 10, maxDocs: 3 }, train: { steps: 35 } });
  const seen: number[] = [];
  const run = await runExperiment(cfg, { data: DATA, onValidation: (v) => seen.push(v.step) });
  await t.step("every K steps and at the last step, on at most maxDocs held-out documents", () => {
    assert.deepEqual(run.record.validationLosses.map((v) => v.step), [10, 20, 30, 35]);
    assert.deepEqual(seen, [10, 20, 30, 35]);
    assert.ok(run.record.validationLosses.every((v) => v.numDocs === 3));
    assert.equal(run.record.data.numValDocs, 5);
    assert.equal(run.record.data.numTrainDocs, 15);
  });
  // The same computation by hand: shuffle with the seed, hold out the last quarter.
  const rng = new Random(cfg.seed);
  const docs = [...NAMES];
  rng.shuffle(docs);
  const tok = Tokenizer.fromDocs(docs);
  const { train, val } = splitDocs(docs, 0.25);
  await t.step("training never sees the held-out documents", () => {
    const model = GPT.init(cfg.model, tok.vocabSize, rng);
    const trainer = new Trainer(model, train.map((d) => tok.encode(d)), {
      ...cfg.train,
      engine: createEngine(engineName(cfg.engine), model),
    });
    assert.deepEqual(run.record.losses, [...trainer.steps()].map((s) => s.loss));
  });
  await t.step("the final val loss is the model's loss on the first 3 held-out documents", () => {
    const expected = evaluateLoss(run.model, val.map((d) => tok.encode(d)), { maxDocs: 3 });
    assert.equal(run.record.validationLosses[3].loss, expected);
    assert.ok(expected > 1 && expected < 5, `val loss ${expected}`);
  });
  await t.step("the vocabulary still covers every held-out character", () => {
    for (const doc of val) for (const ch of doc) assert.ok(tok.chars.includes(ch));
    assert.equal(run.record.data.vocab, tok.chars.join(""));
  });
  await t.step("off by default: no validation, every document trains", async () => {
    const plain = await runExperiment(config({ train: { steps: 3 } }), { data: DATA });
    assert.deepEqual(plain.record.validationLosses, []);
    assert.equal(plain.record.data.numTrainDocs, 20);
  });
  await t.step("a resumed run measures the same validation losses", async () => {
    const resumed = await stopAndResume(cfg, 15);
    assert.deepEqual(resumed.record.validationLosses, run.record.validationLosses);
  });
});
