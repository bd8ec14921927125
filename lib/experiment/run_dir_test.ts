import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { LOCK_NAME, OutDir, processAlive } from "./run_dir.ts";

const FILES = ["checkpoint.json", "run.json", "loss.html"];

/** Telling a dead process from a live one needs --allow-run (`deno task test:unit` has none). */
const canSignal = Deno.permissions.querySync({ name: "run" }).state === "granted";

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("OutDir.claim()", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "microgpt_outdir_" });
  try {
    const claim = (dir: string, options: Partial<Parameters<typeof OutDir.claim>[1]> = {}) =>
      OutDir.claim(`${root}/${dir}`, { files: FILES, runId: "run-a", force: false, ...options });

    await t.step("makes the directory and holds its lock until released", async () => {
      const out = await claim("new/deeper");
      const lock = JSON.parse(await Deno.readTextFile(`${root}/new/deeper/${LOCK_NAME}`));
      assert.equal(lock.pid, Deno.pid);
      await assert.rejects(() => claim("new/deeper"), UsageError, `in use by process ${Deno.pid}`);
      out.release();
      out.release(); // twice is fine
      assert.equal(await exists(`${root}/new/deeper/${LOCK_NAME}`), false);
    });
    await t.step("a run's own files are kept; another run's are refused, or removed with force", async () => {
      await Deno.mkdir(`${root}/r`);
      await Deno.writeTextFile(`${root}/r/run.json`, JSON.stringify({ runId: "run-a" }));
      (await claim("r")).release();
      assert.equal(await exists(`${root}/r/run.json`), true);
      await Deno.writeTextFile(`${root}/r/loss.html`, "<html>");
      await assert.rejects(
        () => claim("r", { runId: "run-b", forceHint: "--force", resumeHint: "--resume r" }),
        /r already holds another run's files \(loss\.html, run\.json\); pick another directory, continue that run with --resume r, or replace them with --force/,
      );
      (await claim("r", { runId: "run-b", resuming: true })).release(); // its own run, resumed
      (await claim("r", { runId: "run-b", force: true })).release();
      assert.equal(await exists(`${root}/r/run.json`), false);
      assert.equal(await exists(`${root}/r/loss.html`), false);
    });
    await t.step(
      "files of a pattern (a sweep's run-NNN.json) count, and a run id of null owns nothing",
      async () => {
        await Deno.mkdir(`${root}/s`);
        await Deno.writeTextFile(`${root}/s/run-001.json`, "{}");
        await assert.rejects(
          () => claim("s", { files: ["sweep.json"], filePattern: /^run-\d+\.json$/, runId: null }),
          /holds another run's files \(run-001\.json\)/,
        );
      },
    );
    await t.step("an output name that is a directory is refused", async () => {
      await Deno.mkdir(`${root}/d/checkpoint.json`, { recursive: true });
      await assert.rejects(
        () => claim("d"),
        /checkpoint\.json exists and is a directory, where this run writes a file/,
      );
    });
    await t.step({
      name: "stale locks are taken over, unreadable fresh ones are waited for",
      ignore: !canSignal,
      fn: async () => {
        await Deno.mkdir(`${root}/l`);
        await Deno.writeTextFile(`${root}/l/${LOCK_NAME}`, JSON.stringify({ pid: 999999999, since: "x" }));
        (await claim("l")).release();
        await Deno.writeTextFile(`${root}/l/${LOCK_NAME}`, ""); // being written right now
        await assert.rejects(() => claim("l"), /is being claimed by another process/);
        await Deno.utime(`${root}/l/${LOCK_NAME}`, 0, 0); // ... or left by a crash long ago
        (await claim("l")).release();
      },
    });
    await t.step({
      name: "temporary files of dead writers go; those of live ones stay",
      ignore: !canSignal,
      fn: async () => {
        await Deno.mkdir(`${root}/tmp`);
        await Deno.writeTextFile(`${root}/tmp/.checkpoint.json.999999999.tmp`, "x");
        await Deno.writeTextFile(`${root}/tmp/.checkpoint.json.${Deno.pid}.tmp`, "x");
        (await claim("tmp")).release();
        assert.equal(await exists(`${root}/tmp/.checkpoint.json.999999999.tmp`), false);
        assert.equal(await exists(`${root}/tmp/.checkpoint.json.${Deno.pid}.tmp`), true);
      },
    });
    await t.step("a path with a file in the way", async () => {
      await Deno.writeTextFile(`${root}/file`, "x");
      await assert.rejects(
        () => claim("file"),
        /cannot create output directory .*file: it exists and is not a directory/,
      );
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({ name: "processAlive()", ignore: !canSignal }, () => {
  assert.equal(processAlive(Deno.pid), true);
  assert.equal(processAlive(999999999), false);
});
