/**
 * Nothing lost (issue 11, "work lost"): every way a run can end early ends in one `error:` line,
 * a non-zero exit and no stack trace, and where training had started, a resumable checkpoint is
 * on disk. Temperatures that would give NaN probabilities are refused before training, from
 * flags and from checkpoints; a run is saved before anything that can still fail; `--out DIR`
 * belongs to one run (and one process) at a time; everything checkable is checked before the
 * first step; Ctrl-C and SIGTERM save and exit 130 and 143; periodic saves survive a kill.
 */
import assert from "node:assert/strict";
import { checkpointChecksum } from "../lib/experiment/checkpoint.ts";
import {
  assertErrorLine,
  assertSameText,
  assertUsageError,
  type CliOutput,
  ROOT,
  runScript,
  startScript,
} from "./cli.ts";

const REFERENCE = `${ROOT}tests/fixtures/names-seed42-steps1000.txt`;
const NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];

/** A small, quick run's flags: 10 names, a narrow model. */
function small(data: string, steps = 40): string[] {
  return ["--data", data, "--steps", String(steps), "--n-embd", "8", "--n-head", "2", "--samples", "3"];
}

async function ok(args: string[], env: Record<string, string> = {}): Promise<CliOutput> {
  const out = await runScript("cli/train.ts", args, env);
  assert.equal(out.code, 0, `train ${args.join(" ")} failed:\n${out.stderr}`);
  return out;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** Asserts that DIR holds a checkpoint at `step` and a run record of the same run and step. */
async function assertSaved(dir: string, step: number): Promise<void> {
  const checkpoint = await readJson(`${dir}/checkpoint.json`);
  const record = await readJson(`${dir}/run.json`);
  assert.equal(checkpoint.step, step, "the checkpoint's step");
  assert.equal(record.step, step, "the run record's step");
  assert.equal(record.runId, checkpoint.runId, "checkpoint.json and run.json name the same run");
  assert.equal(checkpoint.checksum, checkpointChecksum(checkpoint), "the checkpoint's checksum");
}

Deno.test("robust: temperatures that would give NaN probabilities are refused before any work", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_robust_temp_" });
  try {
    const data = `${dir}/names.txt`;
    await Deno.writeTextFile(data, NAMES.join("\n") + "\n");
    const refused =
      /--temperature must be a number of at least 1e-300 \(a smaller one makes logits \/ temperature overflow\), got/;
    for (const temperature of ["1e-310", "5e-301", "0", "-1"]) {
      await t.step(`train --temperature ${temperature}: refused, and --out is left untouched`, async () => {
        const out = await runScript("cli/train.ts", [
          ...small(data),
          "--temperature",
          temperature,
          "--out",
          `${dir}/t`,
        ]);
        assertUsageError(out, refused);
        assert.equal(out.stdout, "", "not one step ran");
        assert.equal(await exists(`${dir}/t`), false);
      });
    }
    await t.step("at the bound itself, 1e-300, sampling works (it picks the likeliest token)", async () => {
      const out = await ok([...small(data), "--temperature", "1e-300", "--samples", "2"]);
      assert.match(out.stdout, /sample {2}2: \w*\n$/);
    });
    await t.step("sample --temperature and sweep --temperature too", async () => {
      await ok([...small(data, 10), "--out", `${dir}/run`]);
      assertUsageError(
        await runScript("cli/sample.ts", [
          "--checkpoint",
          `${dir}/run/checkpoint.json`,
          "--temperature",
          "1e-310",
        ]),
        refused,
      );
      assertUsageError(
        await runScript("cli/sweep.ts", [
          "--data",
          data,
          "--seeds",
          "1",
          "--steps",
          "5",
          "--temperature",
          "0.5,1e-310",
        ]),
        refused,
      );
    });
    await t.step(
      "a checkpoint that stores such a temperature (checksum and all) is refused on load",
      async () => {
        const json = await readJson(`${dir}/run/checkpoint.json`);
        (json.experiment as { sample: { temperature: number } }).sample.temperature = 1e-310;
        json.checksum = checkpointChecksum(json);
        await Deno.mkdir(`${dir}/cold`);
        await Deno.writeTextFile(`${dir}/cold/checkpoint.json`, JSON.stringify(json));
        const pattern = /bad experiment config: temperature must be a number of at least 1e-300/;
        assertUsageError(
          await runScript("cli/sample.ts", ["--checkpoint", `${dir}/cold/checkpoint.json`]),
          pattern,
        );
        assertUsageError(await runScript("cli/train.ts", ["--resume", `${dir}/cold`]), pattern);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robust: a run is saved before anything that can still fail (plots that fail after training)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_robust_late_" });
  try {
    const data = `${dir}/names.txt`;
    await Deno.writeTextFile(data, NAMES.join("\n") + "\n");
    // A "browser" that exists (so the check before training passes) but cannot start.
    const browser = `${dir}/broken-chromium`;
    await Deno.writeTextFile(browser, "#!/bin/sh\nexit 1\n");
    await Deno.chmod(browser, 0o755);
    const out = await runScript("cli/train.ts", [...small(data), "--out", `${dir}/run`, "--plots", "svg"], {
      CHROMIUM_PATH: browser,
    });
    assert.notEqual(out.code, 0);
    assert.match(
      out.stdout,
      /step {3}40 \/ {3}40 \| loss .*\n\n--- inference .*\nsample {2}1: /s,
      "trained and sampled",
    );
    await assertSaved(`${dir}/run`, 40);
    const record = await readJson(`${dir}/run/run.json`);
    assert.equal(record.status, "finished");
    assert.equal((record.samples as string[]).length, 3, "the record holds the samples");
    assert.equal(await exists(`${dir}/run/loss.html`), true, "the HTML plots came first");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robust: --out DIR belongs to one run, and one process, at a time", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_robust_out_" });
  try {
    const data = `${dir}/names.txt`;
    await Deno.writeTextFile(data, NAMES.join("\n") + "\n");
    const out = `${dir}/run`;
    await ok([...small(data), "--stop-at", "20", "--out", out]);
    const before = await Deno.readTextFile(`${out}/checkpoint.json`);

    await t.step(
      "a new run into a DIR that holds another run is refused, and the DIR is untouched",
      async () => {
        const refused = await runScript("cli/train.ts", [...small(data), "--seed", "7", "--out", out]);
        assertUsageError(
          refused,
          /run already holds another run's files \(checkpoint\.json, loss\.html, run\.json\); pick another directory, continue that run with --resume .*run, or replace them with --force/,
        );
        assert.equal(refused.stdout, "");
        assert.equal(await Deno.readTextFile(`${out}/checkpoint.json`), before);
      },
    );
    await t.step("resuming the run in its own DIR is allowed", async () => {
      const resumed = await ok(["--resume", out, "--stop-at", "30"]);
      assert.match(resumed.stdout, /^step {3}21 \/ {3}40/);
      await assertSaved(out, 30);
    });
    await t.step("--force replaces it: the old run's files go before the new run starts", async () => {
      await ok([...small(data), "--seed", "7", "--stop-at", "5", "--out", out, "--force"]);
      await assertSaved(out, 5);
      assert.equal(((await readJson(`${out}/run.json`)).config as { seed: number }).seed, 7);
    });
    await t.step("stale temporary files of killed writers are removed; live ones' stay", async () => {
      await Deno.writeTextFile(`${out}/.checkpoint.json.999999999.tmp`, "half a file");
      await Deno.writeTextFile(`${out}/.run.json.1.tmp`, "pid 1 is alive");
      await ok(["--resume", out, "--stop-at", "6"]);
      assert.equal(await exists(`${out}/.checkpoint.json.999999999.tmp`), false);
      assert.equal(await exists(`${out}/.run.json.1.tmp`), true);
      await Deno.remove(`${out}/.run.json.1.tmp`);
    });
    await t.step("a lock left by a dead process is taken over; a live one is refused", async () => {
      await Deno.writeTextFile(`${out}/.lock`, JSON.stringify({ pid: 999999999, since: "then" }));
      await ok(["--resume", out, "--stop-at", "7"]);
      assert.equal(await exists(`${out}/.lock`), false, "the lock is given back at the end");
      await Deno.writeTextFile(`${out}/.lock`, JSON.stringify({ pid: 1, since: "2026-01-01T00:00:00Z" }));
      const busy = await runScript("cli/train.ts", ["--resume", out]);
      assertUsageError(
        busy,
        /run is in use by process 1 \(since 2026-01-01T00:00:00Z\); wait for it to finish/,
      );
      assert.equal(busy.stdout, "");
      await Deno.remove(`${out}/.lock`);
    });
    await t.step("two processes started on one DIR at once: one trains, the other is refused", async () => {
      const both = [0, 1].map(() =>
        startScript("cli/train.ts", [...small(data, 300), "--out", `${dir}/race`])
      );
      const [a, b] = await Promise.all(both.map((run) => run.finished()));
      const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
      assert.equal(winner.code, 0, winner.stderr);
      assertUsageError(
        loser,
        /race (is in use by process \d+|is being claimed|already holds another run's files)/,
      );
      await assertSaved(`${dir}/race`, 300);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robust: what can be checked is checked before the first step", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_robust_pre_" });
  try {
    const data = `${dir}/names.txt`;
    await Deno.writeTextFile(data, NAMES.join("\n") + "\n");
    const before = async (args: string[], pattern: RegExp, env: Record<string, string> = {}) => {
      const out = await runScript("cli/train.ts", args, env);
      assertUsageError(out, pattern);
      assert.equal(out.stdout, "", "no step ran");
    };
    await t.step("an --out that cannot be made (a file is in the way)", async () => {
      await before(
        [...small(data), "--out", `${data}/run`],
        /cannot create output directory .*names\.txt\/run/,
      );
    });
    await t.step("an output name that is a directory", async () => {
      await Deno.mkdir(`${dir}/named/run.json`, { recursive: true });
      await before(
        [...small(data), "--out", `${dir}/named`],
        /named\/run\.json exists and is a directory, where this run writes a file; remove it/,
      );
    });
    await t.step("--plots without a browser", async () => {
      await before(
        [...small(data), "--out", `${dir}/p`, "--plots", "png"],
        /CHROMIUM_PATH is set to .*nope/,
        {
          CHROMIUM_PATH: `${dir}/nope`,
        },
      );
    });
    await t.step("a model whose checkpoint would be too large to read back", async () => {
      await before(
        [
          ...small(data),
          "--n-embd",
          "160",
          "--n-head",
          "2",
          "--n-layer",
          "12",
          "--engine",
          "fast",
          "--out",
          `${dir}/big`,
        ],
        /the checkpoint of a run with --n-embd 160, --n-layer 12, .* would be about 2\d\d MB, over the 256 MB checkpoints may be; lower --n-embd, or train without saving it/,
      );
    });
    const unshare = await new Deno.Command("unshare", { args: ["-m", "true"] }).output().then(
      (o) => o.success,
      () => false,
    );
    await t.step({
      name: "a read-only resume directory (a read-only bind mount)",
      ignore: !unshare,
      fn: async () => {
        const run = `${dir}/ro`;
        await ok([...small(data), "--stop-at", "10", "--out", run]);
        const deno = Deno.execPath();
        const script = `mount --bind -o ro ${run} ${run} && exec ${deno} run --cached-only --allow-all ` +
          `cli/train.ts --resume ${run}`;
        const out = await new Deno.Command("unshare", {
          args: ["-m", "sh", "-c", script],
          cwd: ROOT,
          env: { NO_COLOR: "1" },
        }).output();
        const result = {
          code: out.code,
          stdout: new TextDecoder().decode(out.stdout),
          stderr: new TextDecoder().decode(out.stderr),
        };
        assertUsageError(result, /cannot write in .*ro: .*read-only.*; pick a directory you may write to/i);
        assert.equal(result.stdout, "");
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robust: Ctrl-C saves a resumable checkpoint; the two stdouts are the reference run", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_robust_sigint_" });
  try {
    const reference = await Deno.readTextFile(REFERENCE);
    // The Value engine (about 20 ms a step) so the signal surely comes mid-run; the resumed run
    // switches to the fast engine, which prints the same bytes.
    const run = startScript("cli/train.ts", ["--out", dir, "--engine", "value"]);
    await run.waitForStdout(/step {3}50 \/ 1000/);
    run.child.kill("SIGINT");
    const first = await run.finished();
    const step = first.stdout.trimEnd().split("\n").length - 3;
    await t.step("exit 130, one error line naming the step and how to continue", () => {
      assertErrorLine(
        first,
        new RegExp(
          `^error: interrupted by SIGINT at step ${step} / 1000; saved .*checkpoint\\.json; ` +
            "continue with: deno task train --resume ",
        ),
        130,
      );
      assert.ok(step >= 50 && step < 1000, `stopped at step ${step}`);
    });
    await t.step("the checkpoint and the record are saved at that step", async () => {
      await assertSaved(dir, step);
    });
    await t.step("--resume prints the rest: together, byte for byte the reference", async () => {
      const second = await ok(["--resume", dir, "--engine", "fast"]);
      assertSameText(first.stdout + second.stdout, reference, "interrupted + resumed");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robust: SIGTERM exits 143 with a checkpoint; periodic saves survive SIGKILL", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_robust_kill_" });
  try {
    await t.step("SIGTERM", async () => {
      const run = startScript("cli/train.ts", ["--out", `${dir}/term`, "--engine", "value"]);
      await run.waitForStdout(/step {4}3 \//);
      run.child.kill("SIGTERM");
      const out = await run.finished();
      const step = out.stdout.trimEnd().split("\n").length - 3;
      assertErrorLine(out, new RegExp(`interrupted by SIGTERM at step ${step} / 1000; saved`), 143);
      await assertSaved(`${dir}/term`, step);
    });
    await t.step("SIGKILL after periodic saves leaves the last one, resumable", async () => {
      const run = startScript("cli/train.ts", [
        "--out",
        `${dir}/kill`,
        "--engine",
        "value",
        "--save-every",
        "2",
      ]);
      await run.waitForStdout(/step {4}5 \//);
      run.child.kill("SIGKILL");
      await run.finished();
      const step = (await readJson(`${dir}/kill/checkpoint.json`)).step as number;
      assert.ok(step >= 4 && step % 2 === 0, `saved at step ${step}`);
      const resumed = await ok(["--resume", `${dir}/kill`, "--stop-at", String(step + 1)]);
      assert.match(resumed.stdout, new RegExp(`^step {4}${step + 1} / 1000`));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
