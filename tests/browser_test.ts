/**
 * Real-browser tests of the plots: exported `.html` pages opened in headless Chromium draw
 * Plotly graphs with the traces and points we asked for (read from the page), offline;
 * `.svg` and `.png` exports are valid images of the requested size; and a notebook executed
 * by nbconvert shows every plot in its HTML export with no network.
 * Needs Chromium (`apt-get install chromium`, or CHROMIUM_PATH) and, for the notebook, the
 * project's Jupyter kernel (`deno task kernel-install`) and Debian's python3-nbconvert.
 */

/// <reference lib="dom" />

import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, findChromium, PlotRenderer, savePlot } from "../lib/plot/export.ts";
import { attentionFigure, BOS_LABEL, lossCurveFigure, tokenLabels } from "../lib/plot/figures.ts";
import { GPT } from "../lib/model.ts";
import { Random } from "../lib/random.ts";
import { sampleName } from "../lib/sample.ts";
import { Tokenizer } from "../lib/tokenizer.ts";

type Browser = Awaited<ReturnType<typeof chromium.launch>>;
type Page = Awaited<ReturnType<Browser["newPage"]>>;

/** What a page shows: each Plotly graph's traces as drawn (type, point count), and DOM counts. */
interface PageGraphs {
  graphs: { type: string; points: number }[][];
  scatterTraces: number;
  markerPoints: number;
  lines: number;
  heatmapImages: number;
  xTickLabels: string[];
}

/** Reads the drawn graphs from the page (Plotly stores its full data on each graph div). */
function readGraphs(page: Page): Promise<PageGraphs> {
  return page.evaluate(() => {
    const count = (selector: string) => document.querySelectorAll(selector).length;
    const graphs = [...document.querySelectorAll(".js-plotly-plot")].map((el) => {
      const data =
        (el as unknown as { _fullData: { type: string; x?: unknown[]; z?: unknown[] }[] })._fullData;
      return data.map((trace) => ({
        type: trace.type,
        points: (trace.type === "heatmap" ? trace.z : trace.x)!.length,
      }));
    });
    return {
      graphs,
      scatterTraces: count(".scatterlayer .trace"),
      markerPoints: count(".scatterlayer .trace .points path.point"),
      lines: count(".scatterlayer path.js-line"),
      heatmapImages: count(".heatmaplayer .hm image"),
      // Tick labels of every x axis (x, x2, x3, ... each in its own `g.x<n>tick` group).
      xTickLabels: [...document.querySelectorAll("g")]
        .filter((g) => /^x\d*tick$/.test(g.getAttribute("class") ?? ""))
        .map((g) => g.querySelector("text")?.textContent ?? ""),
    };
  });
}

/** A page that may load only local files: anything else is aborted and recorded. */
async function offlinePage(browser: Browser, blocked: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:") || url.startsWith("blob:")) {
      return route.continue();
    }
    blocked.push(url);
    return route.abort();
  });
  return page;
}

/** The width and height of a PNG from its IHDR chunk, after checking the signature. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  assert.deepEqual([...bytes.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  assert.equal(new TextDecoder().decode(bytes.slice(12, 16)), "IHDR");
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Loads an image file into the page; returns its decoded size and how many distinct colours it has. */
function decodeInPage(
  page: Page,
  dataUrl: string,
): Promise<{ width: number; height: number; colours: number }> {
  return page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(img, 0, 0);
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<number>();
    for (let i = 0; i < pixels.length; i += 4 * 7) {
      colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
    }
    return { width: img.naturalWidth, height: img.naturalHeight, colours: colours.size };
  }, dataUrl);
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** A small model's attention while sampling one name: 2 layers, 2 heads. */
function sampleAttention(): { attention: number[][][][]; labels: string[]; positions: number } {
  const tokenizer = Tokenizer.fromDocs(["emma", "olivia", "ava"]);
  const rng = new Random(7);
  const model = GPT.init({ nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 8 }, tokenizer.vocabSize, rng);
  const sample = sampleName(model, tokenizer, rng, { recordAttention: true });
  return {
    attention: sample.cache.attention!,
    labels: tokenLabels(tokenizer.chars, sample.tokens),
    positions: sample.cache.length,
  };
}

async function run(command: string, args: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr).slice(-3000)}`,
    );
  }
}

Deno.test("plots in headless Chromium", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_browser_test_" });
  const browser = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_ARGS] });
  const blocked: string[] = [];
  const lossesA = Array.from({ length: 120 }, (_, i) => 3.3 * Math.exp(-i / 60) + 0.2 * Math.sin(i) ** 2);
  const lossesB = Array.from({ length: 80 }, (_, i) => 3.2 * Math.exp(-i / 50) + 0.2 * Math.cos(i) ** 2);
  const loss = lossCurveFigure([{ name: "A", losses: lossesA }, { name: "B", losses: lossesB }]);
  try {
    const page = await offlinePage(browser, blocked);

    await t.step(".html loss curve: two runs drawn with every point, offline", async () => {
      const path = `${dir}/loss.html`;
      await savePlot(loss, path);
      await page.goto(`file://${path}`);
      await page.waitForSelector(".js-plotly-plot .scatterlayer .trace", { timeout: 30_000 });
      const drawn = await readGraphs(page);
      assert.deepEqual(drawn.graphs, [[
        { type: "scatter", points: 120 },
        { type: "scatter", points: 120 },
        { type: "scatter", points: 80 },
        { type: "scatter", points: 80 },
      ]]);
      assert.equal(drawn.scatterTraces, 4);
      assert.equal(drawn.markerPoints, 200, "every raw loss is a marker");
      assert.equal(drawn.lines, 2, "one smoothed line per run");
      assert.deepEqual(blocked, []);
    });

    await t.step(".html attention: a heatmap per head per layer, axes with the tokens and BOS", async () => {
      const { attention, labels, positions } = sampleAttention();
      const path = `${dir}/attention.html`;
      await savePlot(attentionFigure(attention, labels), path);
      await page.goto(`file://${path}`);
      await page.waitForSelector(".js-plotly-plot .heatmaplayer .hm image", { timeout: 30_000 });
      const drawn = await readGraphs(page);
      assert.deepEqual(drawn.graphs, [Array(4).fill({ type: "heatmap", points: positions })]);
      assert.equal(drawn.heatmapImages, 4);
      assert.deepEqual(drawn.xTickLabels, Array(4).fill(labels.slice(0, positions)).flat());
      assert.equal(drawn.xTickLabels[0], BOS_LABEL);
      assert.deepEqual(blocked, []);
    });

    await t.step(".svg: the requested size, the same bytes every time, and it draws", async () => {
      const path = `${dir}/loss.svg`;
      await savePlot(loss, path, { width: 640, height: 360 });
      const svg = await Deno.readTextFile(path);
      assert.match(
        svg,
        /^<svg class="main-svg" height="360" style="" viewBox="0 0 640 360" width="640" xmlns="http:\/\/www.w3.org\/2000\/svg"/,
      );
      await savePlot(structuredClone(loss), `${dir}/again.svg`, { width: 640, height: 360 });
      assert.equal(await Deno.readTextFile(`${dir}/again.svg`), svg, "deterministic SVG");
      const counts = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, "image/svg+xml");
        return {
          errors: doc.getElementsByTagName("parsererror").length,
          points: doc.querySelectorAll(".scatterlayer .trace .points path.point").length,
        };
      }, svg);
      assert.deepEqual(counts, { errors: 0, points: 200 });
      const image = await decodeInPage(
        page,
        `data:image/svg+xml;base64,${base64(new TextEncoder().encode(svg))}`,
      );
      assert.equal(image.width, 640);
      assert.equal(image.height, 360);
      assert.ok(image.colours > 3, `a blank image has 1 colour; got ${image.colours}`);
    });

    await t.step(".png: width and height times scale, decodable, not blank", async () => {
      const path = `${dir}/loss.png`;
      await savePlot(loss, path, { width: 500, height: 300, scale: 2 });
      const bytes = await Deno.readFile(path);
      assert.deepEqual(pngSize(bytes), { width: 1000, height: 600 });
      const image = await decodeInPage(page, `data:image/png;base64,${base64(bytes)}`);
      assert.deepEqual([image.width, image.height], [1000, 600]);
      assert.ok(image.colours > 10, `expected a drawn plot, got ${image.colours} colours`);
      // Many figures, one browser: PlotRenderer; scale defaults to 1.
      const renderer = await PlotRenderer.open();
      try {
        await renderer.save(loss, `${dir}/small.png`, { width: 320, height: 200 });
        assert.deepEqual(pngSize(await Deno.readFile(`${dir}/small.png`)), { width: 320, height: 200 });
        const svg = await renderer.svg(loss, { width: 640, height: 360 });
        assert.equal(svg, await Deno.readTextFile(`${dir}/loss.svg`), "same SVG from a long-lived page");
      } finally {
        await renderer.close();
      }
    });

    await t.step("an executed notebook's HTML export shows every plot, offline", async () => {
      const fixture = new URL("./fixtures/plots.ipynb", import.meta.url).pathname;
      await run("/usr/bin/python3", [
        "-m",
        "nbconvert",
        "--to",
        "html",
        "--execute",
        fixture,
        "--output-dir",
        dir,
        "--ExecutePreprocessor.timeout=300",
      ]);
      await page.goto(`file://${dir}/plots.html`);
      await page.waitForFunction(
        () => document.querySelectorAll(".js-plotly-plot .main-svg").length >= 6,
        null,
        {
          timeout: 60_000,
        },
      );
      const drawn = await readGraphs(page);
      assert.deepEqual(drawn.graphs.map((g) => g.map((trace) => trace.type).join(",")), [
        "scatter,scatter", // live loss curve
        "scatter,scatter,scatter,scatter", // two runs
        "scatter,scatter,scatter", // mean ± std band
        "heatmap,heatmap,heatmap,heatmap", // attention, 4 heads
        "bar", // next-token probabilities
        "scatter", // embedding PCA
      ]);
      // The live curve was saved in its final state: every one of the 40 steps.
      assert.deepEqual(drawn.graphs[0], [{ type: "scatter", points: 40 }, { type: "scatter", points: 40 }]);
      const liveTitle = await page.evaluate(() =>
        document.querySelector(".js-plotly-plot .g-gtitle text")?.textContent ?? ""
      );
      assert.match(liveTitle, /^Training loss: 40 steps, last loss \d\.\d{4}/);
      assert.deepEqual(blocked, []);
    });
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
});
