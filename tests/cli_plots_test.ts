/** `deno task train --out DIR --plots svg`: the plots a run writes, and the mistakes that stop it before training. */
import assert from "node:assert/strict";
import { runScript } from "./cli.ts";

function train(args: string[], env: Record<string, string> = {}) {
  return runScript("cli/train.ts", args, env);
}

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
