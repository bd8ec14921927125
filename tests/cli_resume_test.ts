/**
 * `deno task train --stop-at N --out DIR` then `--resume DIR`: the two stdouts, one after
 * the other, are exactly the uninterrupted run's stdout (the reference file for the
 * default run), and `deno task sample` on the finished checkpoint repeats its samples.
 */
import assert from "node:assert/strict";
import { assertSameText, assertUsageError, type CliOutput as Output, ROOT, runScript } from "./cli.ts";

const REFERENCE = `${ROOT}tests/fixtures/names-seed42-steps1000.txt`;

const cli = runScript;

async function ok(script: string, args: string[]): Promise<Output> {
  const out = await cli(script, args);
  assert.equal(out.code, 0, `${script} ${args.join(" ")} failed:\n${out.stderr}`);
  return out;
}

async function usageError(script: string, args: string[], pattern: RegExp): Promise<void> {
  assertUsageError(await cli(script, args), pattern, `of ${script} ${args.join(" ")}`);
}

Deno.test("CLI: stop at 500 and resume prints exactly the reference run (default engine)", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_resume_" });
  try {
    const reference = await Deno.readTextFile(REFERENCE);
    const first = await ok("cli/train.ts", ["--stop-at", "500", "--out", dir]);
    await t.step("the stopped run prints the header and steps 1..500, and says where it saved", () => {
      const lines = first.stdout.trimEnd().split("\n");
      assert.equal(lines.length, 3 + 500);
      assert.equal(lines.at(-1), "step  500 / 1000 | loss " + reference.split("\n")[502].split("loss ")[1]);
      assert.match(
        first.stderr,
        /stopped after step 500 \/ 1000; saved .*checkpoint\.json; continue with: deno task train --resume /,
      );
    });
    const stopped = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
    await t.step("the stopped run's record", () => {
      assert.equal(stopped.status, "stopped");
      assert.equal(stopped.step, 500);
      assert.equal(stopped.losses.length, 500);
      assert.deepEqual(stopped.samples, []);
      assert.equal(stopped.data.sha256.length, 64);
      assert.equal(stopped.config.seed, 42);
    });
    const second = await ok("cli/train.ts", ["--resume", dir]);
    await t.step("stdout of both runs together is the reference, byte for byte", () => {
      assertSameText(first.stdout + second.stdout, reference, "stop at 500 + resume");
      assert.match(second.stderr, /resuming .*checkpoint\.json at step 500 \/ 1000/);
    });
    await t.step("the resumed run's record covers all 1000 steps", async () => {
      const record = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
      assert.equal(record.status, "finished");
      assert.equal(record.resumedFrom, 500);
      assert.equal(record.losses.length, 1000);
      assert.deepEqual(record.losses.slice(0, 500), stopped.losses);
      assert.deepEqual(record.samples, reference.trimEnd().split("\n").slice(-20).map((l) => l.slice(11)));
      assert.deepEqual(record.timings.segments.map((s: { endStep: number }) => s.endStep), [500, 1000]);
    });
    await t.step("sampling from the finished checkpoint repeats the run's samples", async () => {
      const sampled = await ok("cli/sample.ts", ["--checkpoint", `${dir}/checkpoint.json`]);
      assert.equal(sampled.stdout, reference.split("\n").slice(-21).join("\n"));
    });
    await t.step("the finished run cannot be resumed again", async () => {
      await usageError(
        "cli/train.ts",
        ["--resume", dir],
        /already finished \(step 1000 \/ 1000\); sample from it/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: resume equivalence at several stop points (fast engine)", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_resume_" });
  try {
    const steps = ["--engine", "fast", "--steps", "300", "--seed", "7", "--samples", "10"];
    const whole = (await ok("cli/train.ts", [...steps, "--out", `${dir}/whole`])).stdout;
    assert.equal(whole.split("\n").length, 3 + 300 + 2 + 10 + 1);
    for (const stop of [1, 150, 299]) {
      await t.step(`stop at ${stop}, then resume`, async () => {
        const out = `${dir}/stop${stop}`;
        const a = await ok("cli/train.ts", [...steps, "--stop-at", String(stop), "--out", out]);
        const b = await ok("cli/train.ts", ["--resume", out]);
        assertSameText(a.stdout + b.stdout, whole, `stop at ${stop}`);
        const resumed = await Deno.readTextFile(`${out}/checkpoint.json`);
        const uninterrupted = await Deno.readTextFile(`${dir}/whole/checkpoint.json`);
        const state = (text: string) => {
          const { params, adam, rng, step, history } = JSON.parse(text);
          return { params, adam, rng, step, losses: history.losses };
        };
        assert.deepEqual(state(resumed), state(uninterrupted));
      });
    }
    await t.step("on the readable value engine too", async () => {
      const value = ["--engine", "value", "--steps", "40", "--seed", "7", "--samples", "5"];
      const uninterrupted = (await ok("cli/train.ts", value)).stdout;
      const a = await ok("cli/train.ts", [...value, "--stop-at", "25", "--out", `${dir}/value`]);
      const b = await ok("cli/train.ts", ["--resume", `${dir}/value`]);
      assertSameText(a.stdout + b.stdout, uninterrupted, "value engine, stop at 25");
      const record = JSON.parse(await Deno.readTextFile(`${dir}/value/run.json`));
      assert.deepEqual(record.timings.segments.map((s: { engine: string }) => s.engine), ["value", "value"]);
    });
    await t.step(
      "with --batch-size 4 on the tensor engine: the checkpoint keeps the batch size",
      async () => {
        const batched = [
          "--engine",
          "tensor",
          "--batch-size",
          "4",
          "--steps",
          "30",
          "--seed",
          "7",
          "--samples",
          "5",
        ];
        const uninterrupted = (await ok("cli/train.ts", batched)).stdout;
        const a = await ok("cli/train.ts", [...batched, "--stop-at", "12", "--out", `${dir}/batched`]);
        const b = await ok("cli/train.ts", ["--resume", `${dir}/batched`]);
        assertSameText(a.stdout + b.stdout, uninterrupted, "--batch-size 4, stop at 12");
        const record = JSON.parse(await Deno.readTextFile(`${dir}/batched/run.json`));
        assert.equal(record.config.train.batchSize, 4);
      },
    );
    await t.step(
      "in three legs, with --stop-at on the resumed run and output to another directory",
      async () => {
        const a = await ok("cli/train.ts", [...steps, "--stop-at", "100", "--out", `${dir}/leg1`]);
        const b = await ok("cli/train.ts", [
          "--resume",
          `${dir}/leg1`,
          "--stop-at",
          "200",
          "--out",
          `${dir}/leg2`,
        ]);
        const c = await ok("cli/train.ts", ["--resume", `${dir}/leg2`]);
        assertSameText(a.stdout + b.stdout + c.stdout, whole, "three legs");
        const leg1 = JSON.parse(await Deno.readTextFile(`${dir}/leg1/checkpoint.json`));
        assert.equal(leg1.step, 100); // the first leg's checkpoint was left alone
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: --stop-at, --resume and --out mistakes are one-line errors", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_resume_" });
  try {
    await ok("cli/train.ts", ["--engine", "fast", "--steps", "20", "--stop-at", "10", "--out", `${dir}/run`]);
    const cases: [string, string[], RegExp][] = [
      ["--stop-at without --out", ["--stop-at", "10"], /--stop-at needs --out DIR/],
      ["--stop-at 0", ["--stop-at", "0", "--out", `${dir}/x`], /--stop-at must be an integer in 1\.\.1000/],
      [
        "--stop-at past the schedule",
        ["--steps", "50", "--stop-at", "51", "--out", `${dir}/x`],
        /in 1\.\.50/,
      ],
      ["--stop-at before the checkpoint", ["--resume", `${dir}/run`, "--stop-at", "10"], /in 11\.\.20/],
      [
        "changing the schedule on resume",
        ["--resume", `${dir}/run`, "--steps", "30"],
        /--steps cannot change when resuming/,
      ],
      [
        "changing the seed on resume",
        ["--resume", `${dir}/run`, "--seed", "1"],
        /--seed cannot change when resuming/,
      ],
      [
        "changing the batch size on resume",
        ["--resume", `${dir}/run`, "--batch-size", "4"],
        /--batch-size cannot change when resuming/,
      ],
      ["--batch-size 0", ["--batch-size", "0"], /--batch-size must be a positive integer, got 0/],
      [
        "changing the model on resume",
        ["--resume", `${dir}/run`, "--n-embd", "32"],
        /--n-embd cannot change/,
      ],
      [
        "resume from a missing directory",
        ["--resume", `${dir}/none`],
        /checkpoint not found: .*none\/checkpoint\.json/,
      ],
      ["unknown engine", ["--engine", "gpu"], /unknown engine 'gpu'; use --engine value, fast or tensor/],
      ["--val-every alone", ["--val-every", "10"], /--val-every and --val-docs need --val-fraction/],
      [
        "--out on a file",
        ["--out", `${dir}/run/checkpoint.json`, "--steps", "1"],
        /cannot create output directory/,
      ],
    ];
    for (const [name, args, pattern] of cases) {
      await t.step(name, () => usageError("cli/train.ts", args, pattern));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
