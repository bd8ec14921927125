/** `deno task train --val-fraction F`: held-out documents and `val loss` lines; off by default. */
import assert from "node:assert/strict";
import { type CliOutput, runScript } from "./cli.ts";

function train(args: string[]): Promise<CliOutput> {
  return runScript("cli/train.ts", args);
}

Deno.test("CLI: --val-fraction", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_val_cli_" });
  try {
    const args = [
      "--engine",
      "fast",
      "--steps",
      "120",
      "--val-fraction",
      "0.1",
      "--val-every",
      "50",
      "--val-docs",
      "300",
    ];
    const { code, stdout, stderr } = await train([...args, "--out", dir]);
    assert.equal(code, 0, stderr);
    const lines = stdout.split("\n");
    await t.step("the header says how the documents were split (the last ceil(10%) held out)", () => {
      assert.deepEqual(lines.slice(0, 4), [
        "num docs: 32257",
        "train docs: 29031, val docs: 3226",
        "vocab size: 27",
        "num params: 4192",
      ]);
    });
    const valLines = lines.filter((l) => l.includes("val loss"));
    await t.step("a val loss line every K steps and at the last step, right after that step's line", () => {
      assert.deepEqual(valLines.map((l) => l.slice(0, 16)), [
        "step   50 /  120",
        "step  100 /  120",
        "step  120 /  120",
      ]);
      for (const v of valLines) {
        assert.match(v, /^step +\d+ \/ {2}120 \| val loss \d\.\d{4}$/);
        const i = lines.indexOf(v);
        assert.equal(lines[i - 1].slice(0, 16), v.slice(0, 16));
        assert.match(lines[i - 1], /\| loss \d\.\d{4}$/);
      }
      assert.equal(lines.filter((l) => /^step .*\| loss /.test(l)).length, 120);
    });
    await t.step("the record holds the same numbers, measured on 300 held-out documents", async () => {
      const record = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
      assert.deepEqual(record.config.validation, { fraction: 0.1, every: 50, maxDocs: 300 });
      assert.equal(record.data.numValDocs, 3226);
      assert.deepEqual(record.validationLosses.map((v: { step: number }) => v.step), [50, 100, 120]);
      record.validationLosses.forEach((v: { loss: number; numDocs: number }, i: number) => {
        assert.equal(v.numDocs, 300);
        assert.equal(valLines[i].slice(-6), v.loss.toFixed(4));
      });
      // Training helps on names it never saw: below the untrained ln(27) = 3.30.
      assert.ok(record.validationLosses[2].loss < 3.0, `val loss ${record.validationLosses[2].loss}`);
    });
    await t.step("a resumed run prints the same val loss lines", async () => {
      const a = await train([...args, "--stop-at", "70", "--out", `${dir}/r`]);
      const b = await train(["--resume", `${dir}/r`]);
      assert.equal(a.stdout + b.stdout, stdout);
    });
    await t.step("bad values are one-line errors", async () => {
      for (
        const [flags, pattern] of [
          [
            ["--val-fraction", "1"],
            /--val-fraction must be between 0 and 1 \(exclusive\), got 1; try --val-fraction 0\.1/,
          ],
          [["--val-fraction", "0.1", "--val-every", "0"], /--val-every must be a positive integer/],
          [["--val-fraction", "0.1", "--val-docs", "0"], /--val-docs must be a positive integer/],
        ] as [string[], RegExp][]
      ) {
        const out = await train(flags);
        assert.equal(out.code, 2);
        assert.match(out.stderr, pattern);
        assert.equal(out.stderr.trimEnd().split("\n").length, 1);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
