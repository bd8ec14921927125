/**
 * The notebooks as a user runs them: Debian's classic Jupyter Notebook server on 127.0.0.1,
 * each notebook opened in headless Chromium and run with Kernel > Restart & Run All (the menu
 * and its confirmation dialog), several times in a row; after each run, every code cell's
 * outputs are compared, by kind and order (and stream outputs by line count), with those of a
 * headless run. Counts missing outputs, misplaced outputs (shown under a cell that did not
 * make them), runs that never finished (hangs) and `Invalid Signature` lines in the server log.
 *
 * `deno task notebooks-live [NAME...] [--runs N] [--kernel NAME]` runs it from the command line.
 *
 * @module
 */

/// <reference lib="dom" />

import { runCli } from "../cli/args.ts";
import { UsageError } from "../lib/errors.ts";
import { CHROMIUM_ARGS, findChromium } from "../lib/plot/export.ts";
import type { Browser, Page } from "playwright-core";
import {
  isPythonNotebook,
  MICROGPT_KERNEL,
  type Notebook,
  type NotebookOutput,
  readNotebook,
} from "./notebook_json.ts";
import { jupyterPython, resolveNotebooks, runNotebooks } from "./run_notebooks.ts";

/** One output of a cell, reduced to what must match between runs. */
export interface OutputShape {
  /** `stdout`, `stderr`, `error`, or `display_data`/`execute_result` with its MIME types. */
  kind: string;
  /** Lines of text for a stream (consecutive streams of one name merged), else 1. */
  count: number;
}

function mimeList(output: NotebookOutput): string {
  return Object.keys(output.data ?? {}).sort().join(",");
}

function streamText(output: NotebookOutput): string {
  const text = output.text ?? "";
  return typeof text === "string" ? text : text.join("");
}

/**
 * A cell's outputs reduced to their kinds in order: consecutive stream outputs of one name are
 * merged (frontends and nbclient split streams differently) and counted in lines.
 *
 * @example
 * ```ts
 * import { outputShapes } from "./live_notebook.ts";
 * console.log(outputShapes([
 *   { output_type: "stream", name: "stdout", text: "a\nb\n" },
 *   { output_type: "stream", name: "stdout", text: ["c\n"] },
 *   { output_type: "execute_result", data: { "text/plain": "3" } },
 * ])); // [ { kind: "stdout", count: 3 }, { kind: "execute_result[text/plain]", count: 1 } ]
 * ```
 */
export function outputShapes(outputs: readonly NotebookOutput[]): OutputShape[] {
  const shapes: OutputShape[] = [];
  let streamName = "";
  let text = "";
  const flush = () => {
    if (streamName !== "") {
      shapes.push({ kind: streamName, count: text.split("\n").filter((line) => line !== "").length });
    }
    streamName = "";
    text = "";
  };
  for (const output of outputs) {
    if (output.output_type === "stream") {
      const name = output.name ?? "stdout";
      if (name !== streamName) flush();
      streamName = name;
      text += streamText(output);
      continue;
    }
    flush();
    if (output.output_type === "error") shapes.push({ kind: "error", count: 1 });
    else shapes.push({ kind: `${output.output_type}[${mimeList(output)}]`, count: 1 });
  }
  flush();
  return shapes;
}

/** How the cells of one run differ from the reference run. */
export interface CellComparison {
  /** Outputs (stream lines count one each) the reference shows and this run does not. */
  missing: number;
  /** Outputs this run shows under a cell that did not make them. */
  misplaced: number;
  /** Cells with the same outputs in another order. */
  misordered: number;
  /** One line per differing cell. */
  details: string[];
}

function totals(shapes: readonly OutputShape[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const shape of shapes) sums.set(shape.kind, (sums.get(shape.kind) ?? 0) + shape.count);
  return sums;
}

function describe(shapes: readonly OutputShape[]): string {
  return shapes.length === 0 ? "nothing" : shapes.map((s) => s.count === 1 ? s.kind : `${s.kind}×${s.count}`)
    .join(", ");
}

/**
 * Compares each code cell's output shapes with the reference's (same cells, same order).
 *
 * @example
 * ```ts
 * import { compareCells } from "./live_notebook.ts";
 * const stdout = (count: number) => ({ kind: "stdout", count });
 * const result = compareCells([[stdout(3)], []], [[stdout(1)], [stdout(2)]]);
 * console.log(result.missing, result.misplaced); // 2 2
 * ```
 */
export function compareCells(
  reference: readonly (readonly OutputShape[])[],
  live: readonly (readonly OutputShape[])[],
): CellComparison {
  const result: CellComparison = { missing: 0, misplaced: 0, misordered: 0, details: [] };
  reference.forEach((expected, i) => {
    const got = live[i] ?? [];
    const want = totals(expected);
    const have = totals(got);
    let missing = 0;
    let misplaced = 0;
    for (const [kind, count] of want) missing += Math.max(0, count - (have.get(kind) ?? 0));
    for (const [kind, count] of have) misplaced += Math.max(0, count - (want.get(kind) ?? 0));
    const sameOrder = JSON.stringify(expected) === JSON.stringify(got);
    if (missing === 0 && misplaced === 0 && sameOrder) return;
    result.missing += missing;
    result.misplaced += misplaced;
    if (missing === 0 && misplaced === 0) result.misordered++;
    result.details.push(`code cell ${i + 1}: expected ${describe(expected)}; showed ${describe(got)}`);
  });
  return result;
}

/** The output shapes of every code cell of an executed notebook. */
export function notebookShapes(notebook: Notebook): OutputShape[][] {
  return notebook.cells.filter((cell) => cell.cell_type === "code").map((cell) =>
    outputShapes(cell.outputs ?? [])
  );
}

/** What one Restart & Run All showed. */
export interface LiveRun {
  notebook: string;
  /** 1-based run number within this notebook's page. */
  run: number;
  seconds: number;
  /** True when the run did not finish (a cell still queued or the kernel still busy) in time. */
  hung: boolean;
  comparison: CellComparison;
  /** Plotly figures drawn on the page / Plotly outputs shown. */
  plotsDrawn: number;
  plots: number;
  /** `Invalid Signature` lines the server logged during this run. */
  invalidSignatures: number;
}

const TOKEN = "microgpt-live-notebook";

/** A TCP port on 127.0.0.1 that is free right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * What a throwaway copy of the project links to, so that the copied notebooks' imports resolve:
 * the library (`../lib/mod.ts`), the data, the exercises' checks (`./exercises/NN_name.ts`), and
 * for notebook 10 the CLI it runs (`deno task train`) and `torch/`.
 */
export const PROJECT_LINKS = [
  "lib",
  "cli",
  "data",
  "torch",
  "deno.json",
  "deno.lock",
  "node_modules",
  "notebooks/exercises",
] as const;

/**
 * The arguments that start Debian's classic Notebook server (`python3 -m notebook ...`) on
 * 127.0.0.1:`port` over `dir`, with `token` and no password, as root too (`--allow-root`).
 *
 * @example
 * ```ts
 * import { notebookServerArgs } from "./live_notebook.ts";
 * console.log(notebookServerArgs("/tmp/nb", 8888, "t").slice(0, 2)); // ["-m", "notebook"]
 * ```
 */
export function notebookServerArgs(dir: string, port: number, token: string, debug = false): string[] {
  return [
    "-m",
    "notebook",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    "--port-retries=0",
    `--NotebookApp.token=${token}`,
    "--NotebookApp.password=",
    "--allow-root",
    `--notebook-dir=${dir}`,
    ...(debug ? ["--debug"] : []),
  ];
}

/**
 * Debian's classic Notebook server over `dir` as a child process: on 127.0.0.1 with `token`,
 * its log kept, waited for until it answers, and stopped within bounds (SIGTERM, then SIGKILL
 * after 10 s). `env` is passed to the server and so to the kernels it starts.
 */
export class NotebookServerProcess {
  readonly base: string;
  #process: Deno.ChildProcess;
  #log: string[] = [];
  #logDone: Promise<void>;

  constructor(dir: string, token: string, options: { env?: Record<string, string>; debug?: boolean } = {}) {
    const port = freePort();
    this.base = `http://127.0.0.1:${port}`;
    this.#process = new Deno.Command(jupyterPython(), {
      args: notebookServerArgs(dir, port, token, options.debug),
      env: options.env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#logDone = this.#process.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (chunk) => void this.#log.push(chunk) }),
    ).catch(() => {});
  }

  /** Everything the server logged so far. */
  log(): string {
    return this.#log.join("");
  }

  /** Resolves once `/api/status` answers; false after `seconds` without an answer. */
  async waitUntilUp(token: string, seconds = 60): Promise<boolean> {
    const end = Date.now() + seconds * 1000;
    for (;;) {
      const up = await fetch(`${this.base}/api/status`, { headers: { Authorization: `token ${token}` } })
        .then(async (res) => {
          await res.body?.cancel();
          return res.ok;
        }).catch(() => false);
      if (up) return true;
      if (Date.now() > end) return false;
      await sleep(250);
    }
  }

  /** Stops the server: SIGTERM, SIGKILL if it is still running 10 s later. */
  async stop(): Promise<void> {
    this.#process.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopped = await Promise.race([
      this.#process.status.then(() => true),
      new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 10_000)),
    ]);
    clearTimeout(timer);
    if (!stopped) {
      this.#process.kill("SIGKILL");
      await this.#process.status;
    }
    await this.#logDone;
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** The page's view of the notebook, read by `page.evaluate` (runs in the browser). */
interface PageState {
  prompts: (number | string | null)[];
  status: string;
  readyCount: number;
  outputs: NotebookOutput[][];
  plots: number;
  plotsDrawn: number;
}

interface JupyterPage {
  Jupyter: {
    notebook: {
      kernel: { is_connected(): boolean; name: string } | null;
      set_autosave_interval(ms: number): void;
      events: { on(name: string, handler: () => void): void };
      get_cells(): {
        cell_type: string;
        input_prompt_number?: number | string | null;
        output_area?: { outputs: NotebookOutput[] };
        element: HTMLElement[];
      }[];
    };
  };
  microgptLive?: { status: string; readyCount: number };
}

/**
 * A classic Notebook server serving a throwaway project root (links to this project's
 * `lib/`, `data/`, `deno.json`, `node_modules/`, and copies of the notebooks), so running the
 * notebooks in the UI never writes into the committed ones.
 */
export class LiveNotebookServer {
  #server: NotebookServerProcess;
  #browser: Browser;
  readonly root: string;
  readonly base: string;

  private constructor(server: NotebookServerProcess, browser: Browser, root: string) {
    this.#server = server;
    this.#browser = browser;
    this.root = root;
    this.base = server.base;
  }

  /**
   * Starts the server over copies of `paths` whose kernelspec is set to `kernel` (a Python
   * notebook keeps its own), and a browser.
   * `env` is passed to the server (and so to the kernels it starts), e.g. `JUPYTER_PATH`.
   */
  static async start(
    paths: readonly string[],
    options: { kernel: string; env?: Record<string, string>; debug?: boolean },
  ): Promise<LiveNotebookServer> {
    const project = Deno.realPathSync(".");
    const root = await Deno.makeTempDir({ prefix: "microgpt_live_" });
    await Deno.mkdir(`${root}/notebooks`);
    await Deno.mkdir(`${root}/out`);
    for (const entry of PROJECT_LINKS) await Deno.symlink(`${project}/${entry}`, `${root}/${entry}`);
    for (const path of paths) {
      const notebook = await readNotebook(path);
      if (!isPythonNotebook(notebook)) {
        notebook.metadata.kernelspec = { ...notebook.metadata.kernelspec, name: options.kernel };
      }
      await Deno.writeTextFile(`${root}/notebooks/${path.replace(/^.*\//, "")}`, JSON.stringify(notebook));
    }
    const runtimeDir = `${root}/.runtime`;
    await Deno.mkdir(runtimeDir);
    const server = new NotebookServerProcess(root, TOKEN, {
      env: { ...options.env, JUPYTER_RUNTIME_DIR: runtimeDir, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      debug: options.debug,
    });
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_ARGS] });
    const live = new LiveNotebookServer(server, browser, root);
    if (!(await server.waitUntilUp(TOKEN))) {
      const tail = server.log().slice(-2000);
      await live.close();
      throw new Error(`the Notebook server did not start in 60 s; its log:\n${tail}`);
    }
    return live;
  }

  /** Everything the server logged so far. */
  log(): string {
    return this.#server.log();
  }

  /**
   * Opens `notebook` (a file name in the served `notebooks/`), runs Kernel > Restart & Run All
   * `runs` times and compares each run with `reference` (its code cells' output shapes).
   * `timeoutSeconds` bounds each run; a run past it counts as a hang and the page is reloaded.
   */
  async runNotebook(
    notebook: string,
    reference: OutputShape[][],
    options: { runs: number; timeoutSeconds: number; onRun?: (run: LiveRun) => void },
  ): Promise<LiveRun[]> {
    const runs: LiveRun[] = [];
    const page = await this.#browser.newPage({ viewport: { width: 1200, height: 1000 } });
    try {
      await this.#openPage(page, notebook);
      for (let run = 1; run <= options.runs; run++) {
        const logBefore = this.log().length;
        const start = performance.now();
        const state = await this.#restartRunAll(page, options.timeoutSeconds);
        const seconds = (performance.now() - start) / 1000;
        const live: LiveRun = {
          notebook: notebook.replace(/\.ipynb$/, ""),
          run,
          seconds,
          hung: state.hung,
          comparison: compareCells(reference, state.outputs.map((outputs) => outputShapes(outputs))),
          plotsDrawn: state.plotsDrawn,
          plots: state.plots,
          invalidSignatures: (this.log().slice(logBefore).match(/Invalid Signature/g) ?? []).length,
        };
        runs.push(live);
        options.onRun?.(live);
        if (state.hung) {
          // Start the next run from a fresh page (a hung kernel is restarted by the next run).
          await this.#openPage(page, notebook);
        }
      }
    } finally {
      await page.close();
      await this.#shutdownKernels();
    }
    return runs;
  }

  async #openPage(page: Page, notebook: string): Promise<void> {
    await page.goto(`${this.base}/notebooks/notebooks/${notebook}?token=${TOKEN}`);
    await page.waitForFunction(
      () => (window as unknown as JupyterPage).Jupyter?.notebook?.kernel?.is_connected() === true,
      null,
      { timeout: 90_000 },
    );
    await page.evaluate(() => {
      const w = window as unknown as JupyterPage;
      const nb = w.Jupyter.notebook;
      nb.set_autosave_interval(0); // never write outputs back
      const state = { status: "idle", readyCount: 0 };
      w.microgptLive = state;
      nb.events.on("kernel_busy.Kernel", () => void (state.status = "busy"));
      nb.events.on("kernel_idle.Kernel", () => void (state.status = "idle"));
      nb.events.on("kernel_ready.Kernel", () => void state.readyCount++);
    });
  }

  async #readState(page: Page): Promise<PageState> {
    return await page.evaluate(() => {
      const w = window as unknown as JupyterPage;
      const cells = w.Jupyter.notebook.get_cells().filter((cell) => cell.cell_type === "code");
      let plots = 0;
      let plotsDrawn = 0;
      for (const cell of cells) {
        for (const output of cell.output_area?.outputs ?? []) {
          if (output.data?.["application/vnd.plotly.v1+json"] !== undefined) plots++;
        }
        plotsDrawn += cell.element[0].querySelectorAll(".output_area .js-plotly-plot .main-svg").length > 0
          ? cell.element[0].querySelectorAll(".output_area .js-plotly-plot").length
          : 0;
      }
      return {
        prompts: cells.map((cell) => cell.input_prompt_number ?? null),
        status: w.microgptLive?.status ?? "unknown",
        readyCount: w.microgptLive?.readyCount ?? 0,
        outputs: cells.map((cell) => JSON.parse(JSON.stringify(cell.output_area?.outputs ?? []))),
        plots,
        plotsDrawn,
      };
    });
  }

  async #restartRunAll(page: Page, timeoutSeconds: number): Promise<PageState & { hung: boolean }> {
    const before = await this.#readState(page);
    await page.click("#kernellink");
    await page.click("#restart_run_all > a");
    await page.click(".modal-dialog button.btn-danger");
    const end = Date.now() + timeoutSeconds * 1000;
    let state = before;
    let quietSince = Date.now();
    let lastOutputs = "";
    while (Date.now() < end) {
      await sleep(250);
      state = await this.#readState(page);
      const outputs = JSON.stringify(state.outputs);
      if (outputs !== lastOutputs) {
        lastOutputs = outputs;
        quietSince = Date.now();
      }
      // Done when no cell is queued or running ("*"; a cell aborted after an error has no number),
      // at least one ran, the kernel is idle, and no output changed for 1.5 s (outputs that come
      // later than that are, for a user, outputs that never came).
      const finished = state.readyCount > before.readyCount && state.status === "idle" &&
        state.prompts.some((prompt) => typeof prompt === "number") &&
        state.prompts.every((prompt) => prompt !== "*");
      if (finished && Date.now() - quietSince >= 1500) {
        await this.#waitForPlots(page);
        return { ...(await this.#readState(page)), hung: false };
      }
    }
    return { ...state, hung: true };
  }

  /** Gives the figures a bounded moment to draw (they draw once attached to the page). */
  async #waitForPlots(page: Page): Promise<void> {
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      const state = await this.#readState(page);
      if (state.plotsDrawn >= state.plots) return;
      await sleep(250);
    }
  }

  async #shutdownKernels(): Promise<void> {
    try {
      const res = await fetch(`${this.base}/api/kernels`, { headers: { Authorization: `token ${TOKEN}` } });
      const kernels = await res.json() as { id: string }[];
      for (const kernel of kernels) {
        const del = await fetch(`${this.base}/api/kernels/${kernel.id}`, {
          method: "DELETE",
          headers: { Authorization: `token ${TOKEN}` },
        });
        await del.body?.cancel();
      }
    } catch {
      // the server is gone; nothing to stop
    }
  }

  /** Stops the kernels, the server and the browser, and removes the throwaway root. */
  async close(): Promise<void> {
    await this.#browser.close().catch(() => {});
    await this.#shutdownKernels();
    await this.#server.stop();
    await Deno.remove(this.root, { recursive: true });
  }
}

/** One line for a run: notebook, run, time, and what differed. */
export function formatLiveRun(run: LiveRun): string {
  const c = run.comparison;
  const status = run.hung ? "HANG" : c.details.length === 0 ? "ok  " : "DIFF";
  return `${run.notebook.padEnd(16)} run ${run.run} ${status} ${
    run.seconds.toFixed(1).padStart(6)
  } s  missing ${c.missing}, misplaced ${c.misplaced}, misordered ${c.misordered}, plots drawn ${run.plotsDrawn}/${run.plots}${
    run.invalidSignatures > 0 ? `, ${run.invalidSignatures} Invalid Signature in the server log` : ""
  }`;
}

/** Totals over runs. */
export interface LiveTotals {
  runs: number;
  hangs: number;
  missing: number;
  misplaced: number;
  misordered: number;
  /** Runs in which some cell differed from the reference. */
  differing: number;
  invalidSignatures: number;
}

/** Adds up runs. */
export function liveTotals(runs: readonly LiveRun[]): LiveTotals {
  return {
    runs: runs.length,
    hangs: runs.filter((r) => r.hung).length,
    missing: runs.reduce((t, r) => t + r.comparison.missing, 0),
    misplaced: runs.reduce((t, r) => t + r.comparison.misplaced, 0),
    misordered: runs.reduce((t, r) => t + r.comparison.misordered, 0),
    differing: runs.filter((r) => r.comparison.details.length > 0).length,
    invalidSignatures: runs.reduce((t, r) => t + r.invalidSignatures, 0),
  };
}

function formatTotals(t: LiveTotals): string {
  return `${t.runs} runs: ${t.hangs} hung, ${t.differing} with differences (${t.missing} outputs missing, ${t.misplaced} misplaced, ${t.misordered} cells misordered), ${t.invalidSignatures} Invalid Signature`;
}

function parseArgs(
  args: string[],
): { names: string[]; runs: number; rounds: number; kernel: string; serverLog: string | null } {
  const names: string[] = [];
  let runs = 2;
  let rounds = 1;
  let serverLog: string | null = null;
  let kernel: string = MICROGPT_KERNEL.name;
  const count = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} needs a whole number ≥ 1, got ${value}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--runs") runs = count(arg, args[++i]);
    else if (arg === "--rounds") rounds = count(arg, args[++i]);
    else if (arg === "--server-log") {
      const value = args[++i];
      if (value === undefined) throw new UsageError("--server-log needs a file name");
      serverLog = value;
    } else if (arg === "--kernel") {
      const value = args[++i];
      if (value === undefined || value.startsWith("-")) {
        throw new UsageError("--kernel needs a kernelspec name");
      }
      kernel = value;
    } else if (arg.startsWith("-")) throw new UsageError(`unknown flag ${arg}; see --help`);
    else names.push(arg);
  }
  return { names, runs, rounds, kernel, serverLog };
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      "Usage: deno task notebooks-live [NAME...] [--runs N] [--rounds R] [--kernel NAME] [--server-log FILE]\n\n" +
        "Runs the notebooks headless once (the reference), then opens each in the classic Notebook UI\n" +
        "(headless Chromium) and runs Kernel > Restart & Run All N times in a row (default 2); repeats\n" +
        "that R times (default 1). Prints each run and the totals: hangs, missing and misplaced outputs.\n" +
        `--kernel picks the kernelspec (default ${MICROGPT_KERNEL.name}; \`deno\` is Deno's own); --server-log\n` +
        "appends the Notebook server's debug log (kernels' stderr included) to FILE.",
    );
    return 0;
  }
  const { names, runs, rounds, kernel, serverLog } = parseArgs(args);
  const paths = await resolveNotebooks(names);
  const outDir = await Deno.makeTempDir({ prefix: "microgpt_live_reference_" });
  const all: LiveRun[] = [];
  try {
    console.log("reference: headless runs");
    const references = await runNotebooks(paths, { outDir, html: false });
    const broken = references.filter((r) => r.problems.length > 0);
    if (broken.length > 0) {
      for (const r of broken) console.error(`error: ${r.name}: ${r.problems.join("; ")}`);
      return 1;
    }
    for (let round = 1; round <= rounds; round++) {
      if (rounds > 1) console.log(`round ${round} of ${rounds}`);
      const server = await LiveNotebookServer.start(paths, { kernel, debug: serverLog !== null });
      try {
        for (const [i, path] of paths.entries()) {
          const reference = notebookShapes(await readNotebook(references[i].executedPath));
          const done = await server.runNotebook(path.replace(/^.*\//, ""), reference, {
            runs,
            timeoutSeconds: Math.max(120, references[i].seconds * 4 + 60),
            onRun: (run) => {
              console.log(formatLiveRun(run));
              for (const line of run.comparison.details) console.log(`    ${line}`);
            },
          });
          all.push(...done);
        }
      } finally {
        if (serverLog !== null) await Deno.writeTextFile(serverLog, server.log(), { append: true });
        await server.close();
      }
      if (rounds > 1) {
        console.log(`round ${round}: ${formatTotals(liveTotals(all.slice(-paths.length * runs)))}`);
      }
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
  const totals = liveTotals(all);
  console.log(`kernel ${kernel}: ${formatTotals(totals)}`);
  return totals.hangs + totals.differing === 0 ? 0 : 1;
}

if (import.meta.main) {
  await runCli(async () => {
    const code = await main(Deno.args);
    if (code !== 0) Deno.exit(code);
  });
}
