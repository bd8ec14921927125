import assert from "node:assert/strict";
import { DEFAULT_CONFIG, DEFAULT_SAMPLE_CONFIG, DEFAULT_TRAIN_CONFIG } from "../config.ts";
import { ConfigError, UsageError } from "../errors.ts";
import {
  DEFAULT_EXPERIMENT,
  experimentConfig,
  finalLoss,
  parseExperimentConfig,
  readRunRecord,
  type RunRecord,
  withoutTimings,
  writeRunRecord,
} from "./run_record.ts";

Deno.test("experimentConfig()", async (t) => {
  await t.step("defaults are microgpt.py's run", () => {
    const config = experimentConfig();
    assert.deepEqual(config, {
      seed: 42,
      dataPath: "data/names.txt",
      model: DEFAULT_CONFIG,
      train: DEFAULT_TRAIN_CONFIG,
      sample: DEFAULT_SAMPLE_CONFIG,
      validation: null,
      engine: "value",
    });
    assert.deepEqual(config, DEFAULT_EXPERIMENT);
  });
  await t.step("nested overrides keep the other defaults; undefined means default", () => {
    const config = experimentConfig({
      seed: 7,
      model: { nLayer: 2, nEmbd: undefined },
      train: { steps: 300 },
      validation: { fraction: 0.2, every: undefined },
    });
    assert.equal(config.seed, 7);
    assert.deepEqual(config.model, { ...DEFAULT_CONFIG, nLayer: 2 });
    assert.deepEqual(config.train, { ...DEFAULT_TRAIN_CONFIG, steps: 300 });
    assert.deepEqual(config.validation, { fraction: 0.2, every: 100, maxDocs: 200 });
  });
  await t.step("bad settings are ConfigErrors naming the field", () => {
    const cases: [() => unknown, RegExp, string[]][] = [
      [() => experimentConfig({ model: { nHead: 3 } }), /nEmbd a multiple of nHead/, ["nEmbd", "nHead"]],
      [() => experimentConfig({ seed: 1.5 }), /^seed must be an integer, got 1\.5/, ["seed"]],
      [() => experimentConfig({ validation: { fraction: 2 } }), /^validation\.fraction must be/, [
        "validation.fraction",
      ]],
      [() => experimentConfig({ engine: "gpu" as "fast" }), /use engine value, fast or tensor/, ["engine"]],
      [() => experimentConfig({ train: { batchSize: 0 } }), /^batchSize must be a positive integer, got 0/, [
        "batchSize",
      ]],
      [() => experimentConfig({ train: { batchSize: 2.5 } }), /^batchSize must be a positive integer/, [
        "batchSize",
      ]],
    ];
    for (const [make, pattern, fields] of cases) {
      assert.throws(make, (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, pattern);
        assert.deepEqual(e.fields, fields);
        return true;
      });
    }
  });
});

Deno.test("parseExperimentConfig()", async (t) => {
  await t.step("reads back a config written as JSON", () => {
    const config = experimentConfig({ seed: 3, validation: { fraction: 0.1 } });
    assert.deepEqual(parseExperimentConfig(JSON.parse(JSON.stringify(config)), "x"), config);
  });
  await t.step("a missing or wrong field is a one-line UsageError naming the source", () => {
    const good = JSON.parse(JSON.stringify(experimentConfig()));
    const cases: [unknown, RegExp][] = [
      [null, /the file is not an object/],
      [{ ...good, model: undefined }, /: model is missing/],
      [{ ...good, train: { ...good.train, steps: "10" } }, /: train\.steps is not a finite number/],
      [{ ...good, seed: "42" }, /: seed is not a finite number/],
      [{ ...good, validation: { fraction: 0.1, every: 5 } }, /: validation\.maxDocs is missing/],
      [{ ...good, engine: "gpu" }, /: engine is not an engine \(value, fast, tensor, torch\)/],
      [
        { ...good, model: { ...good.model, nHead: 5 } },
        /bad experiment config: nEmbd \(16\) must be divisible by nHead \(5\)/,
      ],
    ];
    for (const [value, pattern] of cases) {
      assert.throws(
        () => parseExperimentConfig(value, "ckpt.json"),
        (e: Error) =>
          e instanceof UsageError && e.message.startsWith("ckpt.json: ") && pattern.test(e.message) &&
          !e.message.includes("\n"),
      );
    }
  });
});

Deno.test("finalLoss()", async (t) => {
  await t.step("finalLoss averages the last tenth by default", () => {
    const losses = Array.from({ length: 20 }, (_, i) => i);
    assert.equal(finalLoss({ losses }), (18 + 19) / 2);
    assert.equal(finalLoss({ losses }, 1), 19);
    assert.equal(finalLoss({ losses: [2.5] }), 2.5);
    assert.ok(Number.isNaN(finalLoss({ losses: [] })));
  });
});

Deno.test("writeRunRecord() / readRunRecord()", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_run_record_" });
  const record: RunRecord = {
    format: "microgpt-run",
    version: 1,
    program: { name: "microgpt-ts", version: "0.1.0", deno: "2", v8: "1" },
    status: "finished",
    config: experimentConfig({ train: { steps: 2 } }),
    data: { path: "d.txt", sha256: "0".repeat(64), numDocs: 3, numTrainDocs: 3, numValDocs: 0, vocab: "abc" },
    numParams: 10,
    step: 2,
    losses: [3.3, -0],
    validationLosses: [],
    samples: ["ab", "c"],
    resumedFrom: null,
    timings: {
      startedAt: "2025-01-01T00:00:00.000Z",
      trainSeconds: 1,
      validationSeconds: 0,
      sampleSeconds: 0,
      totalSeconds: 1,
      stepsPerSecond: 2,
      segments: [{ startStep: 0, endStep: 2, seconds: 1, engine: "value" }],
    },
  };
  try {
    await t.step("round-trips exactly", async () => {
      await writeRunRecord(`${dir}/run.json`, record);
      const back = await readRunRecord(`${dir}/run.json`);
      assert.deepEqual(back, record);
      assert.ok(Object.is(back.losses[1], -0));
      assert.deepEqual(withoutTimings(back), withoutTimings(record));
      assert.equal("timings" in withoutTimings(back), false);
    });
    await t.step("a missing, foreign or broken file is a one-line UsageError that says where", async () => {
      await assert.rejects(() => readRunRecord(`${dir}/none.json`), /run record not found/);
      await Deno.writeTextFile(`${dir}/other.json`, '{"format": "something"}');
      await assert.rejects(
        () => readRunRecord(`${dir}/other.json`),
        /other\.json: format is not "microgpt-run"/,
      );
      await Deno.writeTextFile(`${dir}/cut.json`, '{"format": "microgpt-run", "vers');
      await assert.rejects(() => readRunRecord(`${dir}/cut.json`), /cut\.json is not valid JSON/);
      const broken = structuredClone(record) as unknown as {
        losses: unknown[];
        timings: { segments: unknown[] };
      };
      broken.losses[0] = "3.3";
      await Deno.writeTextFile(`${dir}/loss.json`, JSON.stringify(broken));
      await assert.rejects(
        () => readRunRecord(`${dir}/loss.json`),
        /loss\.json: losses\[0\] is not a finite number/,
      );
      broken.losses[0] = 3.3;
      broken.timings.segments[0] = { startStep: 0, endStep: 2, seconds: 1, engine: "gpu" };
      await Deno.writeTextFile(`${dir}/seg.json`, JSON.stringify(broken));
      await assert.rejects(
        () => readRunRecord(`${dir}/seg.json`),
        /timings\.segments\[0\]\.engine is not an engine/,
      );
    });
    await t.step("a record PyTorch's port wrote: Python and PyTorch, its device, engine torch", async () => {
      const torch: RunRecord = {
        ...structuredClone(record),
        program: { name: "microgpt-torch", version: "0.1.0", python: "3.11.2", torch: "1.13.0" },
        config: { ...record.config, engine: "torch" },
        timings: {
          ...record.timings,
          segments: [{
            startStep: 0,
            endStep: 2,
            seconds: 1,
            engine: "torch",
            device: "cuda:0",
            processes: 8,
          }],
        },
        torch: {
          device: "cuda:0",
          deviceName: "H100",
          dtype: "float32",
          processes: 8,
          batchSizePerProcess: 4,
        },
      };
      await writeRunRecord(`${dir}/torch.json`, torch);
      assert.deepEqual(await readRunRecord(`${dir}/torch.json`), torch);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
