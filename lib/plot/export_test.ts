/**
 * Tests of export without a browser: formats, the standalone HTML page, and finding
 * Chromium. Rendering `.svg`/`.png` in Chromium is tested in tests/browser_test.ts.
 */

import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { BROWSER_ENV_VARS, findChromium, plotFormat, savePlot, standaloneHtml } from "./export.ts";
import { attentionFigure, BOS_LABEL, lossCurveFigure } from "./figures.ts";
import { fnv1a, scriptJson } from "./plot_html.ts";
import { plotlyBundle } from "./plotly_bundle.ts";

/** Runs `fn` with the browser variables set as given (undefined: unset), then restores them. */
async function withEnv(
  values: Record<string, string | undefined>,
  fn: () => void | Promise<void>,
): Promise<void> {
  const saved = Object.fromEntries(BROWSER_ENV_VARS.map((name) => [name, Deno.env.get(name)]));
  try {
    for (const name of BROWSER_ENV_VARS) {
      const value = values[name];
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
    await fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
}

const figure = lossCurveFigure({ name: "seed 42", losses: [3.3, 3.0, 2.8, 2.7] }, { title: "Loss <run>" });

Deno.test("plotFormat()", async (t) => {
  await t.step("by extension, any case", () => {
    assert.equal(plotFormat("a/b/loss.html"), "html");
    assert.equal(plotFormat("loss.SVG"), "svg");
    assert.equal(plotFormat("x.y.png"), "png");
  });
  await t.step("anything else is a one-line UsageError naming the choices", () => {
    assert.throws(() => plotFormat("loss.jpg"), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, "cannot save a plot as loss.jpg; the name must end in .html, .svg, .png");
      return true;
    });
    assert.throws(() => plotFormat("loss"), UsageError);
  });
});

Deno.test("standaloneHtml()", async (t) => {
  const html = await standaloneHtml(figure);
  const { source, version } = await plotlyBundle();
  await t.step("a whole page with plotly.js inlined and no external resources", () => {
    assert.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
    assert.ok(html.includes("<title>Loss &lt;run&gt;</title>"));
    assert.ok(html.includes(`plotly.js ${version}`));
    assert.ok(html.includes(source.slice(0, 2000)));
    assert.ok(html.length > source.length);
    assert.ok(!/\s(src|href)=/.test(html.replace(source, "")), "no src= or href= outside the bundle");
  });
  await t.step("deterministic: the element id is the content hash", async () => {
    assert.ok(html.includes(`<div id="microgpt-plot-0-${fnv1a(scriptJson(figure))}"`));
    assert.equal(await standaloneHtml(structuredClone(figure)), html);
    const other = await standaloneHtml(lossCurveFigure({ name: "seed 43", losses: [3.3] }));
    assert.notEqual(other, html);
  });
  await t.step("width and height go into the layout and the div", async () => {
    const sized = await standaloneHtml(figure, { width: 640, height: 300 });
    assert.ok(sized.includes('style="width: 640px; height: 300px;"'));
    assert.ok(sized.includes('"width":640,"height":300'));
    await assert.rejects(() => standaloneHtml(figure, { width: -1 }), /plot width must be a positive number/);
  });
});

Deno.test("savePlot() to .html", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_export_test_" });
  try {
    await t.step("writes the standalone page, creating folders", async () => {
      const path = `${dir}/nested/attention.html`;
      const fig = attentionFigure([[[[1], [0.3, 0.7]]]], [BOS_LABEL, "a"]);
      await savePlot(fig, path);
      assert.equal(await Deno.readTextFile(path), await standaloneHtml(fig));
    });
    await t.step("an unknown extension fails before any work", async () => {
      await assert.rejects(() => savePlot(figure, `${dir}/loss.pdf`), UsageError);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["nested"]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("findChromium()", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_chromium_test_" });
  const fake = `${dir}/my-chrome`;
  await Deno.writeTextFile(fake, "#!/bin/sh\n");
  try {
    await t.step("CHROMIUM_PATH wins, then CHROME_PATH", async () => {
      await withEnv({ CHROMIUM_PATH: fake, CHROME_PATH: "/nonexistent" }, () => {
        assert.equal(findChromium(), fake);
      });
      await withEnv({ CHROME_PATH: fake }, () => {
        assert.equal(findChromium({ paths: [] }), fake);
      });
    });
    await t.step("a variable pointing nowhere is a UsageError naming it", async () => {
      await withEnv({ CHROMIUM_PATH: `${dir}/missing` }, () => {
        assert.throws(() => findChromium(), /CHROMIUM_PATH is set to .*missing, which is not a file/);
      });
    });
    await t.step("then the usual paths, in order", async () => {
      await withEnv({}, () => {
        assert.equal(findChromium({ paths: [`${dir}/nope`, fake] }), fake);
      });
    });
    await t.step("none found: one line saying how to install one or point to it", async () => {
      await withEnv({}, () => {
        assert.throws(() => findChromium({ paths: [`${dir}/nope`] }), (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.ok(!err.message.includes("\n"));
          assert.match(err.message, /apt-get install chromium/);
          assert.match(err.message, /CHROMIUM_PATH/);
          return true;
        });
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
