/**
 * `deno task screenshots [NAME...] [--all DIR]`: pictures of the notebooks as a learner sees
 * them in the classic Jupyter Notebook UI. Starts Debian's classic Notebook server on 127.0.0.1
 * over a throwaway copy of the project (the committed notebooks are never written), opens each
 * notebook in headless Chromium, runs Cell > Run All, waits for every cell and every plot, and
 * saves a PNG of each cell whose `microgpt` metadata names a `screenshot` (into
 * `docs/screenshots/NAME.png`, where the README shows them). `--all DIR` also saves every code
 * cell that has output, as `DIR/NOTEBOOK/cell_NN.png`, for reviewing a whole notebook by eye.
 *
 * @module
 */

/// <reference lib="dom" />

import type { Browser, Page } from "playwright-core";
import { runCli } from "../cli/args.ts";
import { UsageError } from "../lib/errors.ts";
import { CHROMIUM_ARGS, findChromium } from "../lib/plot/export.ts";
import { NotebookServerProcess, PROJECT_LINKS } from "./live_notebook.ts";
import { type Notebook, readNotebook } from "./notebook_json.ts";
import { resolveNotebooks } from "./run_notebooks.ts";

/** Where the screenshots named in the notebooks go. */
export const SCREENSHOT_DIR = "docs/screenshots";
/** The browser window: a laptop's, where the classic UI's output area is about 1000 px wide. */
export const VIEWPORT = { width: 1200, height: 900 } as const;
/** A screenshot's name: lower case, digits, `_` and `-` (it becomes a file name). */
export const SCREENSHOT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

const TOKEN = "microgpt-screenshots";

/**
 * The screenshots a notebook asks for: `[cell index (0-based), name]` for each cell whose
 * `metadata.microgpt.screenshot` is set. A name that is not a plain file stem is an Error.
 *
 * @example
 * ```ts
 * import { requestedShots } from "./screenshots.ts";
 * console.log(requestedShots({
 *   nbformat: 4, nbformat_minor: 5, metadata: {},
 *   cells: [
 *     { cell_type: "markdown", source: "# x", metadata: {} },
 *     { cell_type: "code", source: "1", metadata: { microgpt: { screenshot: "06_attention" } } },
 *   ],
 * })); // [ [ 1, "06_attention" ] ]
 * ```
 */
export function requestedShots(notebook: Notebook): [number, string][] {
  const shots: [number, string][] = [];
  notebook.cells.forEach((cell, index) => {
    const name = cell.metadata.microgpt?.screenshot;
    if (name === undefined) return;
    if (!SCREENSHOT_NAME.test(name)) {
      throw new Error(`cell ${index + 1}: screenshot name "${name}" must match ${SCREENSHOT_NAME}`);
    }
    shots.push([index, name]);
  });
  return shots;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

interface JupyterWindow {
  Jupyter: {
    notebook: {
      kernel: { is_connected(): boolean } | null;
      set_autosave_interval(ms: number): void;
      get_cells(): {
        cell_type: string;
        input_prompt_number?: number | string | null;
        output_area?: { outputs: { output_type: string; data?: Record<string, unknown> }[] };
        element: HTMLElement[];
      }[];
    };
  };
}

/** One cell's state on the page. */
interface CellState {
  code: boolean;
  prompt: number | string | null;
  outputs: number;
  errors: number;
  plots: number;
  drawn: number;
}

/** A classic Notebook server over a throwaway copy of the project, and a browser. */
class ScreenshotServer {
  private constructor(
    readonly root: string,
    private readonly server: NotebookServerProcess,
    private readonly browser: Browser,
  ) {}

  get base(): string {
    return this.server.base;
  }

  static async start(paths: readonly string[]): Promise<ScreenshotServer> {
    const project = Deno.realPathSync(".");
    const root = await Deno.makeTempDir({ prefix: "microgpt_screenshots_" });
    await Deno.mkdir(`${root}/notebooks`);
    await Deno.mkdir(`${root}/out`);
    for (const entry of PROJECT_LINKS) await Deno.symlink(`${project}/${entry}`, `${root}/${entry}`);
    for (const path of paths) await Deno.copyFile(path, `${root}/notebooks/${path.replace(/^.*\//, "")}`);
    const server = new NotebookServerProcess(root, TOKEN, {
      env: { JUPYTER_RUNTIME_DIR: `${root}/.runtime`, PYDEVD_DISABLE_FILE_VALIDATION: "1", NO_COLOR: "1" },
    });
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_ARGS] });
    const live = new ScreenshotServer(root, server, browser);
    if (await server.waitUntilUp(TOKEN)) return live;
    const tail = server.log().slice(-2000);
    await live.close();
    throw new Error(`the Notebook server did not start in 60 s; its log:\n${tail}`);
  }

  /** Opens a served notebook and runs Cell > Run All until every cell ran and every plot drew. */
  async runAll(name: string, timeoutSeconds: number): Promise<{ page: Page; cells: CellState[] }> {
    const page = await this.browser.newPage({ viewport: { ...VIEWPORT } });
    await page.goto(`${this.base}/notebooks/notebooks/${name}?token=${TOKEN}`);
    await page.waitForFunction(
      () => (window as unknown as JupyterWindow).Jupyter?.notebook?.kernel?.is_connected() === true,
      null,
      { timeout: 90_000 },
    );
    await page.evaluate(() => (window as unknown as JupyterWindow).Jupyter.notebook.set_autosave_interval(0));
    await page.click("#celllink");
    await page.click("#run_all_cells > a");
    const end = Date.now() + timeoutSeconds * 1000;
    let cells = await readCells(page);
    let last = "";
    let quietSince = Date.now();
    while (Date.now() < end) {
      await sleep(500);
      cells = await readCells(page);
      const now = JSON.stringify(cells);
      if (now !== last) {
        last = now;
        quietSince = Date.now();
      }
      const ran = cells.every((c) => !c.code || typeof c.prompt === "number");
      const drawn = cells.every((c) => c.drawn >= c.plots);
      if (ran && drawn && Date.now() - quietSince >= 2000) return { page, cells };
    }
    throw new Error(`${name} did not finish in ${timeoutSeconds} s in the classic UI`);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => {});
    await this.server.stop();
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }

  /** The server's log so far (for a failure message). */
  logTail(): string {
    return this.server.log().slice(-2000);
  }
}

async function readCells(page: Page): Promise<CellState[]> {
  return await page.evaluate(() =>
    (window as unknown as JupyterWindow).Jupyter.notebook.get_cells().map((cell) => {
      const el = cell.element[0];
      const outputs = cell.output_area?.outputs ?? [];
      return {
        code: cell.cell_type === "code",
        prompt: cell.input_prompt_number ?? null,
        outputs: outputs.length,
        errors: outputs.filter((o) => o.output_type === "error").length,
        plots: outputs.filter((o) => o.data?.["application/vnd.plotly.v1+json"] !== undefined).length,
        drawn: el.querySelectorAll(".output_area .js-plotly-plot .main-svg").length > 0
          ? el.querySelectorAll(".output_area .js-plotly-plot").length
          : 0,
      };
    })
  );
}

/** Saves cell `index` of the page (its code and its outputs) as a PNG. */
async function shootCell(page: Page, index: number, path: string): Promise<void> {
  const cell = page.locator("#notebook-container > .cell").nth(index);
  // The classic UI scrolls its own panel under a fixed header, so a cell taller than the panel
  // would come out cut, with the header over it: make the window tall enough for the whole cell.
  const cellHeight = (await cell.boundingBox())?.height ?? 0;
  const headerHeight = await page.evaluate(() => document.getElementById("header")?.offsetHeight ?? 0);
  const height = Math.max(VIEWPORT.height, Math.ceil(cellHeight + headerHeight + 80));
  if (page.viewportSize()?.height !== height) {
    await page.setViewportSize({ width: VIEWPORT.width, height });
    await sleep(300); // the UI resizes its panel on the window's resize event
  }
  await cell.scrollIntoViewIfNeeded();
  await sleep(200); // let Plotly finish any relayout after scrolling
  await Deno.mkdir(path.replace(/\/[^/]+$/, ""), { recursive: true });
  await cell.screenshot({ path, animations: "disabled" });
}

/** What `takeScreenshots` did for one notebook. */
export interface ShotReport {
  notebook: string;
  /** The PNGs written. */
  files: string[];
  /** Cells that showed an error in the UI, one line each. */
  problems: string[];
}

/**
 * Runs each notebook in the classic UI and saves the screenshots it names (into `outDir`), and
 * with `allDir` every code cell that has output.
 */
export async function takeScreenshots(
  paths: readonly string[],
  options: {
    outDir?: string;
    allDir?: string;
    timeoutSeconds?: number;
    onNotebook?: (r: ShotReport) => void;
  } = {},
): Promise<ShotReport[]> {
  const outDir = options.outDir ?? SCREENSHOT_DIR;
  const reports: ShotReport[] = [];
  const server = await ScreenshotServer.start(paths);
  try {
    for (const path of paths) {
      const name = path.replace(/^.*\//, "");
      const stem = name.replace(/\.ipynb$/, "");
      const shots = requestedShots(await readNotebook(path));
      const report: ShotReport = { notebook: stem, files: [], problems: [] };
      const { page, cells } = await server.runAll(name, options.timeoutSeconds ?? 300);
      try {
        cells.forEach((cell, i) => {
          if (cell.errors > 0) report.problems.push(`cell ${i + 1} shows an error in the classic UI`);
        });
        for (const [index, shot] of shots) {
          const file = `${outDir}/${shot}.png`;
          await shootCell(page, index, file);
          report.files.push(file);
        }
        if (options.allDir !== undefined) {
          for (const [index, cell] of cells.entries()) {
            if (!cell.code || cell.outputs === 0) continue;
            const file = `${options.allDir}/${stem}/cell_${String(index + 1).padStart(2, "0")}.png`;
            await shootCell(page, index, file);
            report.files.push(file);
          }
        }
      } finally {
        await page.close();
      }
      options.onNotebook?.(report);
      reports.push(report);
    }
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nserver log:\n${server.logTail()}`);
  } finally {
    await server.close();
  }
  return reports;
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      "Usage: deno task screenshots [NAME...] [--all DIR]\n\n" +
        "Runs the notebooks (all, or those named) in the classic Jupyter Notebook UI in headless Chromium\n" +
        `and saves the cells their metadata names (microgpt.screenshot) as ${SCREENSHOT_DIR}/NAME.png;\n` +
        "--all DIR also saves every code cell with output as DIR/NOTEBOOK/cell_NN.png.",
    );
    return 0;
  }
  const names: string[] = [];
  let allDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--all") {
      allDir = args[++i];
      if (allDir === undefined || allDir.startsWith("-")) {
        throw new UsageError("--all needs a folder: --all DIR");
      }
    } else if (args[i].startsWith("-")) {
      throw new UsageError(`unknown flag ${args[i]}; see --help`);
    } else names.push(args[i]);
  }
  const paths = await resolveNotebooks(names);
  const reports = await takeScreenshots(paths, {
    allDir,
    onNotebook: (r) =>
      console.log(
        `${r.notebook.padEnd(16)} ${r.problems.length === 0 ? "ok  " : "FAIL"} ${r.files.length} PNGs`,
      ),
  });
  for (const report of reports) {
    for (const file of report.files) if (!file.startsWith(allDir ?? "\0")) console.log(`  ${file}`);
    for (const problem of report.problems) console.error(`error: ${report.notebook}: ${problem}`);
  }
  return reports.some((r) => r.problems.length > 0) ? 1 : 0;
}

if (import.meta.main) {
  await runCli(async () => {
    const code = await main(Deno.args);
    if (code !== 0) Deno.exit(code);
  });
}
