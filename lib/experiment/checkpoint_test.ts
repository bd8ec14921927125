import assert from "node:assert/strict";
import { Adam } from "../adam.ts";
import {
  adamFromCheckpoint,
  type Checkpoint,
  checkpointChecksum,
  checkpointToJson,
  loadCheckpoint,
  makeCheckpoint,
  modelFromCheckpoint,
  parseCheckpoint,
  rngFromCheckpoint,
  sampleFromCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
import { UsageError } from "../errors.ts";
import { GPT } from "../model.ts";
import { shuffledDataset } from "../dataset.ts";
import { Random } from "../random.ts";
import { experimentConfig } from "./run_record.ts";
import { sampleNames } from "../sample.ts";
import { Trainer } from "../train.ts";
import { createEngine, type EngineName } from "./engines.ts";

const NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];
const STEPS = 30;

/** A run trained `stop` of `STEPS` steps on NAMES: everything a checkpoint needs. */
function trainedRun(stop: number, engine: EngineName = "fast") {
  const experiment = experimentConfig({
    seed: 5,
    model: { nEmbd: 8, nHead: 2 },
    train: { steps: STEPS },
    engine,
  });
  const { docs, tokenizer, tokens, rng } = shuffledDataset([...NAMES], experiment.seed);
  const model = GPT.init(experiment.model, tokenizer.vocabSize, rng);
  const trainer = new Trainer(model, tokens, { ...experiment.train, engine: createEngine(engine, model) });
  const losses = [...trainer.steps(stop)].map((s) => s.loss);
  const history = {
    losses,
    validationLosses: [],
    segments: [{ startStep: 0, endStep: stop, seconds: 0.5, engine }],
  };
  const checkpoint = makeCheckpoint({
    experiment,
    data: { sha256: "ab".repeat(32), numDocs: docs.length },
    tokenizer,
    model,
    adam: trainer.adam,
    step: trainer.nextStep,
    rng,
    history,
  });
  return { experiment, rng, tokenizer, tokens, model, trainer, checkpoint };
}

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

Deno.test("checkpoint round trip", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_checkpoint_" });
  try {
    const run = trainedRun(12);
    const path = `${dir}/checkpoint.json`;
    await saveCheckpoint(path, run.checkpoint);
    const loaded = await loadCheckpoint(path);

    await t.step("the file reads back as the same checkpoint, with its checksum", () => {
      const { checksum, ...rest } = loaded;
      assert.deepEqual(rest, run.checkpoint);
      assert.equal(checksum, checkpointChecksum(run.checkpoint));
      assert.match(checksum!, /^sha256:[0-9a-f]{64}$/);
      assert.equal(loaded.step, 12);
      assert.equal(loaded.history.losses.length, 12);
    });
    await t.step("every parameter and Adam moment is bit-identical", () => {
      const model = modelFromCheckpoint(loaded);
      bitsEqual(model.parameters.map((p) => p.data), run.model.parameters.map((p) => p.data), "params");
      assert.ok(model.parameters.every((p) => p.grad === 0));
      const adam = adamFromCheckpoint(loaded);
      bitsEqual(adam.m, run.trainer.adam.m, "adam.m");
      bitsEqual(adam.v, run.trainer.adam.v, "adam.v");
      assert.deepEqual(adam.config, run.trainer.adam.config);
    });
    await t.step("the generator continues exactly where it was", () => {
      const a = rngFromCheckpoint(loaded);
      const b = new Random(0);
      b.setState(run.rng.getState());
      for (let i = 0; i < 5; i++) assert.equal(a.gauss(), b.gauss());
    });
    await t.step("training on from the loaded checkpoint matches training on from the original", () => {
      const model = modelFromCheckpoint(loaded);
      const resumed = new Trainer(model, run.tokens, {
        ...loaded.experiment.train,
        adam: adamFromCheckpoint(loaded),
        startStep: loaded.step,
        engine: createEngine("fast", model),
      });
      const a = [...run.trainer.steps()].map((s) => s.loss);
      const b = [...resumed.steps()].map((s) => s.loss);
      assert.equal(a.length, STEPS - 12);
      bitsEqual(b, a, "losses");
      bitsEqual(model.parameters.map((p) => p.data), run.model.parameters.map((p) => p.data), "params after");
      bitsEqual(resumed.adam.v, run.trainer.adam.v, "adam.v after");
    });
    await t.step("-0 survives (JSON.stringify alone would write 0)", () => {
      const ckpt = structuredClone(run.checkpoint);
      ckpt.params.wte[0][0] = -0;
      ckpt.adam.m[3] = -0;
      const back = parseCheckpoint(checkpointToJson(ckpt), "mem");
      assert.ok(Object.is(back.params.wte[0][0], -0));
      assert.ok(Object.is(back.adam.m[3], -0));
    });
    await t.step("a diverged state is refused on save and nothing is written", async () => {
      const ckpt = structuredClone(run.checkpoint);
      ckpt.params.wpe[1][2] = NaN;
      await assert.rejects(() => saveCheckpoint(`${dir}/nan.json`, ckpt), /the run diverged/);
      await assert.rejects(() => Deno.stat(`${dir}/nan.json`), Deno.errors.NotFound);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseCheckpoint() rejects broken files with one line", async (t) => {
  const good: Checkpoint = trainedRun(4).checkpoint;
  const text = checkpointToJson(good);
  // An edited file with its checksum made again: what the checks behind the checksum see.
  const edit = (change: (json: Record<string, unknown> & Checkpoint) => void): string => {
    const json = JSON.parse(text);
    change(json);
    json.checksum = checkpointChecksum(json);
    return JSON.stringify(json);
  };
  const cases: [string, string, RegExp][] = [
    ["truncated", text.slice(0, text.length >> 1), /is not valid JSON .*truncated or corrupt; re-create it/],
    ["empty", "", /is not valid JSON/],
    ["not an object", "[1, 2]", /not a JSON object/],
    [
      "foreign format",
      edit((j) => (j.format = "pytorch" as "microgpt-checkpoint")),
      /not a microgpt checkpoint/,
    ],
    [
      "newer version",
      edit((j) => (j.version = 2 as 1)),
      /format version 2, but this program .* reads version 1/,
    ],
    ["garbage", "\u0000\u0001binary", /is not valid JSON/],
    ["NaN in the text", text.replace(/("wte": \[\n\s*\[)[^,]+/, "$1NaN"), /is not valid JSON/],
    [
      "bad batch size",
      edit((j) => (j.experiment.train.batchSize = -4)),
      /bad experiment config: batchSize must be a positive integer, got -4/,
    ],
    [
      "batch size of the wrong type",
      edit((j) => (j.experiment.train.batchSize = "4" as unknown as number)),
      /experiment\.train\.batchSize is not a finite number/,
    ],
    [
      "bad config",
      edit((j) => (j.experiment.model.nHead = 3)),
      /bad experiment config: nEmbd \(8\) must be divisible by nHead \(3\)/,
    ],
    [
      "config field of the wrong type",
      edit((j) => (j.experiment.train.steps = "30" as unknown as number)),
      /experiment\.train\.steps is not a finite number/,
    ],
    ["missing field", edit((j) => delete (j as Partial<Checkpoint>).history), /: history is missing/],
    [
      "unknown engine",
      edit((j) => (j.history.segments[0].engine = "gpu" as "fast")),
      /history\.segments\[0\]\.engine is not an engine/,
    ],
    [
      "vocab shorter than wte",
      edit((j) => j.vocab.pop()),
      /params\.wte should have \d+ rows \(vocab size \d+, model nEmbd 8/,
    ],
    ["vocab unsorted", edit((j) => j.vocab.reverse()), /not strictly sorted/],
    ["vocab entry not a char", edit((j) => (j.vocab[0] = "ab")), /vocab\[0\] is not a single character/],
    ["short row", edit((j) => j.params.wpe[3].pop()), /params\.wpe\[3\] should have 8 numbers/],
    ["missing layer", edit((j) => (j.experiment.model.nLayer = 2)), /params has no matrix 'layer1.attn_wq'/],
    ["extra matrix", edit((j) => (j.params.extra = [[1]])), /unexpected matrix 'extra'/],
    [
      "non-number",
      edit((j) => (j.params.lm_head[0][1] = "0.5" as unknown as number)),
      /params\.lm_head\[0\]\[1\] is not a finite number/,
    ],
    [
      "null weight",
      edit((j) => (j.params.wte[2][0] = null as unknown as number)),
      /params\.wte\[2\]\[0\] is not a finite number/,
    ],
    ["adam too short", edit((j) => j.adam.m.pop()), /adam\.m should hold \d+ numbers/],
    ["negative second moment", edit((j) => (j.adam.v[0] = -1)), /adam\.v\[0\] is not a finite non-negative/],
    ["step past the schedule", edit((j) => (j.step = 31)), /step must be an integer in 0\.\.30/],
    ["rng words", edit((j) => (j.rng.mt = [1, 2, 3])), /random generator state \(rng\) is invalid/],
    ["rng index", edit((j) => (j.rng.index = 700)), /random generator state \(rng\) is invalid/],
    ["rng word", edit((j) => (j.rng.mt[5] = 1.5)), /rng\.mt\[5\] is not a non-negative integer/],
    ["history length", edit((j) => j.history.losses.pop()), /history\.losses should hold 4 losses/],
    ["data hash", edit((j) => (j.data.sha256 = "xyz")), /data\.sha256 is not a SHA-256/],
    [
      "a weight changed, the checksum not",
      text.replace(/("wte": \[\n\s*\[-?\d\.\d)/, "$19"),
      /its contents do not match its checksum \(the file changed or was corrupted after it was written\)/,
    ],
    [
      "a checksum that is not one",
      text.replace(/"checksum": "sha256:[0-9a-f]+"/, '"checksum": "md5:00"'),
      /checksum is not "sha256:" and 64 hex digits/,
    ],
    [
      "nested 5000 deep",
      `{"format": ${"[".repeat(5000)}${"]".repeat(5000)}}`,
      /nests arrays and objects more than 32 deep/,
    ],
  ];
  for (const [name, broken, pattern] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => parseCheckpoint(broken, "run/checkpoint.json"),
        (e: Error) => {
          assert.ok(e instanceof UsageError, `${name}: ${e}`);
          assert.match(e.message, /^checkpoint run\/checkpoint\.json/);
          assert.match(e.message, pattern);
          assert.ok(!e.message.includes("\n"), `${name}: message has several lines`);
          return true;
        },
      );
    });
  }
  await t.step("the intact text parses", () => {
    assert.deepEqual(parseCheckpoint(text, "ok"), { ...good, checksum: checkpointChecksum(good) });
  });
  await t.step("a file without a checksum (written before checksums) loads unchecked", () => {
    const old = JSON.parse(text);
    delete old.checksum;
    assert.deepEqual(parseCheckpoint(JSON.stringify(old), "old"), good);
  });
  await t.step("the checksum covers fields this program does not know (train.batchSize)", () => {
    const json = JSON.parse(text);
    json.experiment.train.batchSize = 4;
    assert.throws(() => parseCheckpoint(JSON.stringify(json), "new"), /do not match its checksum/);
    json.checksum = checkpointChecksum(json);
    assert.equal(parseCheckpoint(JSON.stringify(json), "new").step, good.step);
  });
});

Deno.test("loadCheckpoint() file errors", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_checkpoint_" });
  try {
    await t.step("missing file and directory", async () => {
      await assert.rejects(() => loadCheckpoint(`${dir}/none.json`), /checkpoint not found: .*none\.json/);
      await assert.rejects(() => loadCheckpoint(dir), /checkpoint path is a directory/);
    });
    await t.step("binary garbage", async () => {
      await Deno.writeFile(`${dir}/bin.json`, new Uint8Array([0xff, 0xfe, 0x00, 0x81]));
      await assert.rejects(() => loadCheckpoint(`${dir}/bin.json`), UsageError);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sampleFromCheckpoint()", async (t) => {
  const run = trainedRun(STEPS);
  const ckpt = parseCheckpoint(checkpointToJson(run.checkpoint), "mem");
  await t.step("without a seed it continues the run's generator: the run's own samples", () => {
    const expected = sampleNames(run.model, run.tokenizer, run.rng, { numSamples: 8, temperature: 0.5 });
    assert.deepEqual(sampleFromCheckpoint(ckpt, { numSamples: 8 }), expected);
    assert.deepEqual(sampleFromCheckpoint(ckpt, { numSamples: 8 }), expected); // the checkpoint is not consumed
  });
  await t.step("a seed gives a fresh, repeatable generator", () => {
    const a = sampleFromCheckpoint(ckpt, { numSamples: 6, seed: 9 });
    assert.deepEqual(sampleFromCheckpoint(ckpt, { numSamples: 6, seed: 9 }), a);
    const model = modelFromCheckpoint(ckpt);
    assert.deepEqual(
      a,
      sampleNames(model, run.tokenizer, new Random(9), { numSamples: 6, temperature: 0.5 }),
    );
  });
  await t.step(
    "a checkpoint PyTorch trained (engine torch) samples on the fast engine: the same names",
    () => {
      const torch = parseCheckpoint(
        checkpointToJson({ ...ckpt, experiment: { ...ckpt.experiment, engine: "torch" } }),
        "mem",
      );
      assert.equal(torch.experiment.engine, "torch");
      const rng = rngFromCheckpoint(ckpt);
      const expected = sampleNames(run.model, run.tokenizer, rng, { numSamples: 8, temperature: 0.5 });
      assert.deepEqual(sampleFromCheckpoint(torch, { numSamples: 8 }), expected);
    },
  );
  await t.step("a prefix starts every sample", () => {
    const names = sampleFromCheckpoint(ckpt, { numSamples: 10, seed: 1, prefix: "is", temperature: 1 });
    assert.equal(names.length, 10);
    for (const name of names) assert.ok(name.startsWith("is"), name);
  });
  await t.step("bad options are one-line UsageErrors", () => {
    assert.throws(
      () => sampleFromCheckpoint(ckpt, { prefix: "xq" }),
      /prefix character "x" is not in the model's vocabulary/,
    );
    assert.throws(
      () => sampleFromCheckpoint(ckpt, { prefix: "a".repeat(16) }),
      /context holds 16 tokens \(BOS and 15 characters\); use at most 15/,
    );
    assert.throws(
      () => sampleFromCheckpoint(ckpt, { temperature: 0 }),
      /: temperature must be a number of at least 1e-300/,
    );
    assert.throws(
      () => sampleFromCheckpoint(ckpt, { numSamples: -1 }),
      /: numSamples must be a non-negative/,
    );
    assert.throws(() => sampleFromCheckpoint(ckpt, { seed: 0.5 }), /: seed must be an integer/);
  });
});

Deno.test("makeCheckpoint() copies", async (t) => {
  await t.step("later training does not change a checkpoint taken earlier", () => {
    const run = trainedRun(5);
    const before = structuredClone(run.checkpoint);
    [...run.trainer.steps(10)];
    assert.deepEqual(run.checkpoint, before);
    assert.ok(run.trainer.adam instanceof Adam);
  });
});
