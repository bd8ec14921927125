/** Tests of the training CLI's plot output: `--out DIR` and `--plots svg,png`. */

import assert from "node:assert/strict";
import { UsageError } from "../lib/errors.ts";
import { parsePlotsFlag } from "./plots_out.ts";

const TRAIN = new URL("./train.ts", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;

async function train(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-sys=homedir,osRelease",
      TRAIN,
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("parsePlotsFlag()", async (t) => {
  await t.step("formats, deduplicated; html is implied", () => {
    assert.deepEqual(parsePlotsFlag("svg,png", "out"), ["svg", "png"]);
    assert.deepEqual(parsePlotsFlag(" PNG , svg,png,html", "out"), ["png", "svg"]);
    assert.deepEqual(parsePlotsFlag(undefined, undefined), []);
  });
  await t.step("mistakes are one-line UsageErrors", () => {
    assert.throws(() => parsePlotsFlag("svg", undefined), /--plots needs --out DIR/);
    assert.throws(() => parsePlotsFlag("svg,jpg", "out"), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(
        err.message,
        "unknown plot format 'jpg'; --plots takes svg, png or both (--plots svg,png)",
      );
      return true;
    });
  });
});

Deno.test("deno task train --out DIR --plots svg", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_cli_plots_test_" });
  const args = ["--steps", "20", "--samples", "3"];
  try {
    const plain = await train(args);
    assert.equal(plain.code, 0, plain.stderr);
    const withPlots = await train([...args, "--out", dir, "--plots", "svg"]);

    await t.step("stdout is exactly the run without plots", () => {
      assert.equal(withPlots.code, 0, withPlots.stderr);
      assert.equal(withPlots.stdout, plain.stdout);
      assert.match(withPlots.stderr, /plots: .*loss\.html .*attention\.html .*loss\.svg .*attention\.svg/);
    });

    await t.step("writes loss and attention as .html and .svg", async () => {
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
        /^(loss|attention)\./.test(n)
      );
      assert.deepEqual(names.sort(), ["attention.html", "attention.svg", "loss.html", "loss.svg"]);
      const svg = await Deno.readTextFile(`${dir}/loss.svg`);
      assert.match(svg, /^<svg class="main-svg" height="500" [^>]*width="900"/);
      // 20 steps: 20 raw points.
      assert.equal(svg.match(/<path class="point"/g)?.length, 20);
    });

    await t.step("the attention plot is of the first printed sample", async () => {
      const first = /^sample {2}1: (.*)$/m.exec(plain.stdout)?.[1];
      assert.ok(first !== undefined && first.length > 0, plain.stdout);
      const html = await Deno.readTextFile(`${dir}/attention.html`);
      assert.ok(html.includes(`<title>Attention while sampling &quot;${first}&quot;</title>`), first);
      const svg = await Deno.readTextFile(`${dir}/attention.svg`);
      assert.equal(svg.match(/class="hm"/g)?.length, 4, "one heatmap per head");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task train --plots: mistakes fail before training, in one line", async (t) => {
  await t.step("no browser", async () => {
    const dir = await Deno.makeTempDir({ prefix: "microgpt_cli_plots_test_" });
    try {
      const run = await train(["--steps", "5", "--out", dir, "--plots", "png"], {
        CHROMIUM_PATH: `${dir}/no-such-browser`,
      });
      assert.equal(run.code, 2);
      assert.equal(run.stdout, "");
      assert.equal(
        run.stderr,
        `error: CHROMIUM_PATH is set to ${dir}/no-such-browser, which is not a file; ` +
          "point it at a Chromium or Chrome executable\n",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("--plots without --out", async () => {
    const run = await train(["--steps", "5", "--plots", "svg"]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, "error: --plots needs --out DIR to write the plots in; add --out DIR\n");
  });
});
