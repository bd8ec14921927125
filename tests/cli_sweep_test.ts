/** `deno task sweep`: parallel runs whose output never depends on the number of workers. */
import assert from "node:assert/strict";
import { type CliOutput, runScript } from "./cli.ts";

function sweep(args: string[]): Promise<CliOutput> {
  return runScript("cli/sweep.ts", args);
}

type JsonRecord = Record<string, unknown>;

function withoutTimings(records: JsonRecord[]): JsonRecord[] {
  return records.map(({ timings: _timings, runId: _runId, ...rest }) => rest);
}

Deno.test("CLI: deno task sweep", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_sweep_cli_" });
  try {
    const args = [
      "--seeds",
      "1..3",
      "--steps",
      "40",
      "--lr",
      "0.01,0.02",
      "--samples",
      "3",
      "--val-fraction",
      "0.1",
    ];
    const one = await sweep([...args, "--workers", "1", "--out", `${dir}/one`]);
    assert.equal(one.code, 0, one.stderr);
    const two = await sweep([...args, "--workers", "2", "--out", `${dir}/two`]);
    assert.equal(two.code, 0, two.stderr);
    await t.step("stdout is the same with 1 or 2 workers", () => {
      assert.equal(two.stdout, one.stdout);
    });
    await t.step("one row per run in run order, then mean ± std per setting", () => {
      const lines = one.stdout.trimEnd().split("\n");
      assert.match(lines[0], /^run +seed +lr +final loss +val loss +samples$/);
      assert.deepEqual(lines.slice(1, 7).map((l) => l.split(/ +/).slice(0, 3)), [
        ["1", "1", "0.01"],
        ["2", "2", "0.01"],
        ["3", "3", "0.01"],
        ["4", "1", "0.02"],
        ["5", "2", "0.02"],
        ["6", "3", "0.02"],
      ]);
      assert.equal(lines[7], "");
      assert.match(lines[8], /^lr +runs +final loss \(mean ± std\) +val loss \(mean ± std\)$/);
      assert.match(lines[9], /^0\.01 +3 +\d\.\d{4} ± \d\.\d{4} +\d\.\d{4} ± \d\.\d{4}$/);
      assert.match(lines[10], /^0\.02 +3 /);
      assert.equal(lines.length, 11);
      assert.match(one.stderr, /\[6\/6\] run \d \(seed \d\): final loss \d\.\d{4}/);
    });
    await t.step("the records are identical apart from timings", async () => {
      const a = JSON.parse(await Deno.readTextFile(`${dir}/one/sweep.json`));
      const b = JSON.parse(await Deno.readTextFile(`${dir}/two/sweep.json`));
      assert.equal(a.format, "microgpt-sweep");
      assert.equal(a.records.length, 6);
      assert.deepEqual(withoutTimings(b.records), withoutTimings(a.records));
      const run5 = JSON.parse(await Deno.readTextFile(`${dir}/one/run-005.json`));
      assert.deepEqual(run5, a.records[4]);
      assert.equal(run5.config.seed, 2);
      assert.equal(run5.config.train.learningRate, 0.02);
      assert.equal(run5.config.engine, "fast");
      assert.equal(run5.losses.length, 40);
      assert.equal(run5.validationLosses.length, 1);
    });
    await t.step("mistakes are one-line errors before any run", async () => {
      for (
        const [flags, pattern] of [
          [["--seeds", "5..1"], /--seeds range 5\.\.1 is empty/],
          [["--seeds", "a,b"], /--seeds needs integers separated by commas/],
          [["--lr", "0.01,x"], /--lr needs numbers separated by commas, got '0\.01,x'/],
          [["--lr", "1..3"], /--lr takes a comma-separated list, not a range/],
          [["--n-head", "3"], /--n-embd \(16\) must be divisible by --n-head \(3\)/],
          [["--workers", "0"], /--workers must be a positive integer/],
          [["--engine", "gpu"], /unknown engine 'gpu'/],
        ] as [string[], RegExp][]
      ) {
        const out = await sweep(flags);
        assert.equal(out.code, 2, out.stderr);
        assert.equal(out.stderr.trimEnd().split("\n").length, 1, out.stderr);
        assert.match(out.stderr, pattern);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
