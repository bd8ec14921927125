import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { meanStd } from "../stats.ts";
import { runExperiment } from "./experiment.ts";
import { type RunRecord, withoutTimings } from "./run_record.ts";
import { groupTable, runSweep, settingOf, sweepConfigs, sweepTable, varyingSettings } from "./sweep.ts";

const NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];

Deno.test("sweepConfigs()", async (t) => {
  await t.step("grid combinations in order, seeds innermost, base settings shared", () => {
    const configs = sweepConfigs({
      base: { train: { steps: 7 }, engine: "fast" },
      seeds: [3, 4],
      grid: { nEmbd: [8, 16], learningRate: [0.01, 0.02] },
    });
    assert.deepEqual(
      configs.map((c) => [c.model.nEmbd, c.train.learningRate, c.seed]),
      [[8, 0.01, 3], [8, 0.01, 4], [8, 0.02, 3], [8, 0.02, 4], [16, 0.01, 3], [16, 0.01, 4], [16, 0.02, 3], [
        16,
        0.02,
        4,
      ]],
    );
    assert.ok(configs.every((c) => c.train.steps === 7 && c.engine === "fast"));
  });
  await t.step("the batch size is a grid axis; a config without one reads as 1", () => {
    const configs = sweepConfigs({ seeds: [1], grid: { batchSize: [1, 4, 16] } });
    assert.deepEqual(configs.map((c) => c.train.batchSize), [1, 4, 16]);
    assert.equal(settingOf(sweepConfigs({ seeds: [1] })[0], "batchSize"), 1);
    assert.throws(
      () => sweepConfigs({ seeds: [1], grid: { batchSize: [0] } }),
      /batchSize must be a positive integer/,
    );
  });
  await t.step("an invalid combination or an empty list is a UsageError before any run", () => {
    assert.throws(() => sweepConfigs({ seeds: [] }), /at least one seed/);
    assert.throws(
      () => sweepConfigs({ seeds: [1], grid: { nHead: [3] } }),
      /nEmbd a multiple of nHead/,
    );
    assert.throws(() => sweepConfigs({ seeds: [1], grid: { steps: [] } }), /has no values/);
  });
});

Deno.test("runSweep()", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_sweep_" });
  const dataPath = `${dir}/names.txt`;
  await Deno.writeTextFile(dataPath, NAMES.join("\n"));
  const spec = {
    base: { dataPath, train: { steps: 25 }, sample: { numSamples: 4 }, engine: "fast" as const },
    seeds: [1, 2, 3],
    grid: { learningRate: [0.01, 0.02] },
  };
  try {
    let one: RunRecord[] = [];
    await t.step("one worker: records in run order, each the same as running it alone", async () => {
      const finished: number[] = [];
      one = await runSweep(spec, {
        workers: 1,
        onRun: (_r, index, done, total) => finished.push(index, done, total),
      });
      assert.equal(one.length, 6);
      assert.deepEqual(one.map((r) => [r.config.train.learningRate, r.config.seed]), [
        [0.01, 1],
        [0.01, 2],
        [0.01, 3],
        [0.02, 1],
        [0.02, 2],
        [0.02, 3],
      ]);
      assert.deepEqual(finished, [0, 1, 6, 1, 2, 6, 2, 3, 6, 3, 4, 6, 4, 5, 6, 5, 6, 6]);
      const alone = await runExperiment(sweepConfigs(spec)[4]);
      assert.deepEqual(withoutTimings(one[4]), withoutTimings(alone.record));
    });
    await t.step("two workers give exactly the same records", async () => {
      const two = await runSweep(spec, { workers: 2 });
      assert.deepEqual(two.map(withoutTimings), one.map(withoutTimings));
    });
    await t.step("seeds give different runs", () => {
      assert.notDeepEqual(one[0].losses, one[1].losses);
      assert.notDeepEqual(one[0].samples, one[1].samples);
    });
    await t.step("a failing run fails the sweep with its one-line error", async () => {
      await assert.rejects(
        () => runSweep({ ...spec, seeds: [1], grid: { learningRate: [1e6] } }, { workers: 1 }),
        (e: Error) => e instanceof UsageError && /^run 1 \(seed 1\): training diverged/.test(e.message),
      );
      await assert.rejects(
        () => runSweep({ ...spec, base: { ...spec.base, dataPath: `${dir}/none.txt` } }),
        /data file not found/,
      );
      await assert.rejects(() => runSweep(spec, { workers: 0 }), /workers must be a positive integer/);
    });
    await t.step("tables show the settings that vary", () => {
      assert.deepEqual(varyingSettings(one), ["learningRate"]);
      const rows = sweepTable(one);
      assert.deepEqual(rows.map((r) => [r.run, r.seed, r.settings]), [
        [1, 1, { learningRate: 0.01 }],
        [2, 2, { learningRate: 0.01 }],
        [3, 3, { learningRate: 0.01 }],
        [4, 1, { learningRate: 0.02 }],
        [5, 2, { learningRate: 0.02 }],
        [6, 3, { learningRate: 0.02 }],
      ]);
      assert.equal(rows[0].finalLoss, (one[0].losses[22] + one[0].losses[23] + one[0].losses[24]) / 3);
      assert.equal(rows[0].valLoss, null);
      const groups = groupTable(one);
      assert.deepEqual(groups.map((g) => [g.settings, g.runs]), [[{ learningRate: 0.01 }, 3], [{
        learningRate: 0.02,
      }, 3]]);
      assert.equal(groups[1].finalLossMean, meanStd(rows.slice(3).map((r) => r.finalLoss)).mean);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
