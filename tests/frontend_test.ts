/**
 * A real-frontend test: Debian's classic Jupyter Notebook server on 127.0.0.1, the plot
 * fixture notebook opened in headless Chromium, every cell run through the UI (Cell > Run
 * All), and then every plot cell holds exactly one rendered Plotly graph, counted from the
 * DOM, including the live loss curve in its final state.
 * Needs jupyter-notebook (apt), the project's kernel (`deno task kernel-install`) and Chromium.
 */

/// <reference lib="dom" />

import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../lib/plot/export.ts";
import { freePort, notebookServerArgs } from "../tools/live_notebook.ts";
import { MICROGPT_KERNEL } from "../tools/notebook_json.ts";

const TOKEN = "microgpt-frontend-test";
const FIXTURE = new URL("./fixtures/plots.ipynb", import.meta.url);
/** The project root: the copy of the notebook goes two folders below it, like the fixture. */
const ROOT = new URL("../", import.meta.url);

/** What the page shows for one code cell after Run All. */
interface CellView {
  tags: string[];
  prompt: string;
  plots: number;
  drawn: number;
  traces: { type: string; points: number }[];
  title: string;
  errors: number;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

async function api(base: string, path: string, method = "GET"): Promise<Response> {
  return await fetch(`${base}${path}`, { method, headers: { Authorization: `token ${TOKEN}` } });
}

Deno.test("classic Notebook runs the plot fixture and renders every plot", async (t) => {
  // The copy lives in out/ (ignored by git), two levels below the root like tests/fixtures/, so
  // its `../../lib/mod.ts` import resolves, and running it never writes into the fixture.
  await Deno.mkdir(new URL("out/", ROOT), { recursive: true });
  const dir = await Deno.makeTempDir({ dir: new URL("out/", ROOT).pathname, prefix: "frontend_test_" });
  const runtimeDir = await Deno.makeTempDir({ prefix: "microgpt_jupyter_runtime_" });
  await Deno.copyFile(FIXTURE, `${dir}/plots.ipynb`);
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = new Deno.Command("/usr/bin/python3", {
    args: notebookServerArgs(dir, port, TOKEN),
    env: { JUPYTER_RUNTIME_DIR: runtimeDir },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const serverLog: string[] = [];
  const logDone = server.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void serverLog.push(chunk) }),
  );
  const browser = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_ARGS] });
  try {
    await t.step("the server starts on 127.0.0.1", async () => {
      await waitFor("the Notebook server", 60_000, async () => {
        const res = await api(base, "/api/status");
        await res.body?.cancel();
        return res.ok;
      }).catch((err) => {
        throw new Error(`${err.message}; server log:\n${serverLog.join("").slice(-3000)}`);
      });
    });

    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(String(err)));

    await t.step("the notebook opens with a connected Deno kernel", async () => {
      await page.goto(`${base}/notebooks/plots.ipynb?token=${TOKEN}`);
      await page.waitForFunction(
        () => {
          const jupyter = (window as unknown as {
            Jupyter?: { notebook?: { kernel?: { is_connected(): boolean; name: string } } };
          }).Jupyter;
          return jupyter?.notebook?.kernel?.is_connected() === true;
        },
        null,
        { timeout: 60_000 },
      );
      const kernel = await page.evaluate(() => {
        const nb = (window as unknown as {
          Jupyter: { notebook: { kernel: { name: string }; set_autosave_interval(ms: number): void } };
        }).Jupyter.notebook;
        nb.set_autosave_interval(0); // never write outputs back to the copy
        return nb.kernel.name;
      });
      assert.equal(kernel, MICROGPT_KERNEL.name);
    });

    await t.step("Cell > Run All runs every cell", async () => {
      await page.click("#celllink");
      await page.click("#run_all_cells > a");
      await page.waitForFunction(
        () => {
          const prompts = [...document.querySelectorAll(".code_cell .input_prompt")].map((p) =>
            p.textContent ?? ""
          );
          return prompts.length > 0 && prompts.every((p) => /In\s*\[\d+\]/.test(p));
        },
        null,
        { timeout: 240_000, polling: 500 },
      );
    });

    await t.step("every plot cell shows one drawn Plotly graph", async () => {
      const read = () =>
        page.evaluate(() => {
          const nb = (window as unknown as {
            Jupyter: {
              notebook: {
                get_cells(): { cell_type: string; metadata: { tags?: string[] }; element: HTMLElement[] }[];
              };
            };
          }).Jupyter.notebook;
          return nb.get_cells().filter((c) => c.cell_type === "code").map((c) => {
            const el = c.element[0];
            const graphs = [...el.querySelectorAll(".output_area .js-plotly-plot")];
            const first = graphs[0] as unknown as
              | { _fullData?: { type: string; x?: unknown[]; z?: unknown[] }[] }
              | undefined;
            return {
              tags: c.metadata.tags ?? [],
              prompt: el.querySelector(".input_prompt")?.textContent?.trim() ?? "",
              plots: el.querySelectorAll(".output_area .plot-container").length,
              drawn: el.querySelectorAll(".output_area .js-plotly-plot .main-svg").length > 0
                ? graphs.length
                : 0,
              traces: (first?._fullData ?? []).map((d) => ({
                type: d.type,
                points: (d.type === "heatmap" ? d.z : d.x)?.length ?? 0,
              })),
              title: el.querySelector(".js-plotly-plot .g-gtitle text")?.textContent ?? "",
              errors: el.querySelectorAll(".output_error, .output_stderr").length,
            };
          });
        });
      let views: CellView[] = [];
      // The HTML outputs draw themselves once attached; give them a bounded moment.
      await waitFor("the plots to draw", 60_000, async () => {
        views = await read();
        return views.filter((v) => v.tags.includes("plot")).every((v) => v.drawn === 1);
      }).catch(() => {});
      const plotCells = views.filter((v) => v.tags.includes("plot"));
      assert.equal(plotCells.length, 6, "the fixture has 6 plot cells");
      for (const [i, view] of views.entries()) {
        assert.equal(view.errors, 0, `cell ${i} shows an error`);
      }
      assert.deepEqual(plotCells.map((v) => [v.plots, v.drawn]), Array(6).fill([1, 1]));
      assert.deepEqual(plotCells.map((v) => v.traces.map((tr) => tr.type).join(",")), [
        "scatter,scatter",
        "scatter,scatter,scatter,scatter",
        "scatter,scatter,scatter",
        "heatmap,heatmap,heatmap,heatmap",
        "bar",
        "scatter",
      ]);
    });

    await t.step("the live loss curve ends in its final state: all 40 steps", async () => {
      const view = await page.evaluate(() => {
        const nb = (window as unknown as {
          Jupyter: { notebook: { get_cells(): { metadata: { tags?: string[] }; element: HTMLElement[] }[] } };
        }).Jupyter.notebook;
        const cell = nb.get_cells().find((c) => (c.metadata.tags ?? []).includes("live"))!;
        const graph = cell.element[0].querySelector(".js-plotly-plot") as unknown as {
          _fullData: { x: unknown[] }[];
        };
        return {
          points: graph._fullData.map((d) => d.x.length),
          title: cell.element[0].querySelector(".js-plotly-plot .g-gtitle text")?.textContent ?? "",
          outputs: cell.element[0].querySelectorAll(".output_area").length,
        };
      });
      assert.deepEqual(view.points, [40, 40]);
      assert.match(view.title, /^Training loss: 40 steps, last loss \d\.\d{4}, smoothed \d\.\d{4}$/);
      // plotly.js once (this is the first plot of the notebook) and the one updated curve.
      assert.equal(view.outputs, 2);
      assert.deepEqual(pageErrors, []);
    });
  } finally {
    await browser.close();
    // Stop the kernels first, then the server; all waits are bounded.
    try {
      const kernels = await (await api(base, "/api/kernels")).json() as { id: string }[];
      for (const k of kernels) await (await api(base, `/api/kernels/${k.id}`, "DELETE")).body?.cancel();
    } catch {
      // The server may not have started.
    }
    server.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopped = await Promise.race([
      server.status.then(() => true),
      new Promise<false>((r) => timer = setTimeout(() => r(false), 10_000)),
    ]);
    clearTimeout(timer);
    if (!stopped) {
      server.kill("SIGKILL");
      await server.status;
    }
    await logDone.catch(() => {});
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(runtimeDir, { recursive: true });
  }
});
