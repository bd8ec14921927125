/**
 * `deno task notebooks [NAME...] [--param name=value...]`: executes the notebooks with plain
 * nbclient (the engine of `nbconvert --execute`) on the kernel their metadata names
 * (`deno-microgpt`; `python3` for notebook 10, PyTorch's; a fresh kernel per notebook), writes the executed copies and an HTML export of each
 * into `out/notebooks/`, checks that no cell failed and that every cell showed what its
 * `microgpt` metadata promises, and prints how long each took. `--param` overrides a
 * parameter (papermill's convention: a cell injected after the one tagged `parameters`, in the
 * notebook's language).
 *
 * @module
 */

import { runCli } from "../cli/args.ts";
import { UsageError } from "../lib/errors.ts";
import { CHROMIUM_ARGS, findChromium } from "../lib/plot/export.ts";
import { requireCurrentKernel } from "./kernel_install.ts";
import {
  cellText,
  isPythonNotebook,
  type Notebook,
  type NotebookCell,
  PLOTLY_MIME,
  PROMISE_KINDS,
  readNotebook,
} from "./notebook_json.ts";
import {
  effectiveParameters,
  fillPattern,
  injectParameters,
  type ParameterValue,
  parseParamArgs,
  readParameters,
} from "./notebook_params.ts";

/** Where the notebooks live, relative to the project root. */
export const NOTEBOOK_DIR = "notebooks";
/** Where executed copies and HTML exports go (git-ignored). */
export const DEFAULT_OUT_DIR = "out/notebooks";

/** The Python that has nbconvert/nbclient (Debian's); override with `JUPYTER_PYTHON`. */
export function jupyterPython(): string {
  return Deno.env.get("JUPYTER_PYTHON") ?? "/usr/bin/python3";
}

/** What happened to one notebook. */
export interface NotebookRun {
  /** File name without `.ipynb`, e.g. `00_microgpt`. */
  name: string;
  /** Seconds the execution took (kernel start included). */
  seconds: number;
  /** Seconds the HTML export took (0 when not exported). */
  htmlSeconds: number;
  /** The executed copy. */
  executedPath: string;
  /** The HTML export, or null when not exported. */
  htmlPath: string | null;
  /** Plotly figures among its outputs. */
  plots: number;
  /** Plotly figures drawn when its HTML export was opened offline in Chromium (null: not checked). */
  htmlPlots: number | null;
  /** Everything wrong with it, one line each; empty when it passed. */
  problems: string[];
  /** Why earlier attempts were abandoned (kernel trouble, not the notebook's fault); usually empty. */
  retries: string[];
  /** The parameter values the run used (defaults with the overrides applied). */
  parameters: Map<string, ParameterValue>;
}

/**
 * The notebooks to run: all of `dir`'s `*.ipynb` (sorted) when `names` is empty, else each
 * name as given, which may be a path, a file name, a stem (`03_autograd`) or its number (`03`).
 * An unknown or ambiguous name is a UsageError.
 *
 * @example
 * ```ts ignore
 * console.log(await resolveNotebooks(["00", "02_tokenizer"]));
 * // ["notebooks/00_microgpt.ipynb", "notebooks/02_tokenizer.ipynb"]
 * ```
 */
export async function resolveNotebooks(names: readonly string[], dir = NOTEBOOK_DIR): Promise<string[]> {
  const all: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".ipynb")) all.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`notebook folder ${dir} not found; run this from the project root`);
    }
    throw err;
  }
  all.sort();
  if (names.length === 0) return all.map((file) => `${dir}/${file}`);
  return names.map((given) => {
    const base = given.replace(/^.*\//, "").replace(/\.ipynb$/, "");
    const exact = all.filter((file) => file === `${base}.ipynb`);
    const matches = exact.length > 0 ? exact : all.filter((file) => file.startsWith(`${base}_`));
    if (matches.length !== 1) {
      throw new UsageError(
        `${matches.length === 0 ? "no" : "more than one"} notebook matches "${given}"; pick one of: ${
          all.map((file) => file.replace(/\.ipynb$/, "")).join(", ")
        }`,
      );
    }
    return `${dir}/${matches[0]}`;
  });
}

function firstLine(text: string, limit = 200): string {
  const line = text.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "";
  return line.length > limit ? `${line.slice(0, limit)}…` : line;
}

// Deno's kernel reports errors with ANSI colours unless NO_COLOR is set; strip them anyway.
function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

function hasMime(cell: NotebookCell, test: (mime: string, content: unknown) => boolean): number {
  let count = 0;
  for (const output of cell.outputs ?? []) {
    for (const [mime, content] of Object.entries(output.data ?? {})) {
      if (test(mime, content)) {
        count++;
        break;
      }
    }
  }
  return count;
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.join("");
  return "";
}

/** Words that look like sampled names: lowercase letters only, 2+ characters. */
function nameLikeWords(text: string): string[] {
  return text.split(/[\s,;:|"'[\]]+/).filter((word) => /^[a-z]{2,}$/.test(word));
}

/**
 * Everything wrong with an executed notebook, one line each: cells that failed or did not
 * run, and cells that did not show what their `metadata.microgpt` promises (`expect`:
 * `plot`, `names`, `text`, `table`, `svg`; `match`: regular expressions over the text, with
 * `{{name}}` filled in from `parameters`; `reference`: the same, checked only when the run
 * used the notebook's default parameters, `defaults` true).
 *
 * @example
 * ```ts
 * import { notebookProblems } from "./run_notebooks.ts";
 * const problems = notebookProblems({
 *   nbformat: 4, nbformat_minor: 5, metadata: {},
 *   cells: [{
 *     cell_type: "code", source: "console.log(1)", execution_count: 1,
 *     metadata: { microgpt: { expect: ["plot"] } },
 *     outputs: [{ output_type: "stream", name: "stdout", text: "1\n" }],
 *   }],
 * });
 * console.log(problems); // [ "cell 1: promised 1 plot(s), showed 0" ]
 * ```
 */
export function notebookProblems(
  notebook: Notebook,
  parameters: ReadonlyMap<string, ParameterValue> = new Map(),
  defaults = true,
): string[] {
  const problems: string[] = [];
  notebook.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const where = `cell ${index + 1}`;
    const source = typeof cell.source === "string" ? cell.source : cell.source.join("");
    if (source.trim() === "") return;
    for (const output of cell.outputs ?? []) {
      if (output.output_type === "error") {
        problems.push(
          `${where}: ${stripAnsi(output.ename ?? "Error")}: ${firstLine(stripAnsi(output.evalue ?? ""))}`,
        );
      }
    }
    if (cell.execution_count === null || cell.execution_count === undefined) {
      problems.push(`${where}: did not run`);
    }
    const promise = cell.metadata.microgpt;
    if (promise === undefined) return;
    const text = cellText(cell);
    const expected = promise.expect ?? [];
    for (const kind of expected) {
      if (!PROMISE_KINDS.includes(kind)) {
        problems.push(`${where}: unknown promise "${kind}"; use one of ${PROMISE_KINDS.join(", ")}`);
      }
    }
    const wantedPlots = expected.filter((kind) => kind === "plot").length;
    const plots = hasMime(cell, (mime) => mime === PLOTLY_MIME);
    if (plots < wantedPlots) problems.push(`${where}: promised ${wantedPlots} plot(s), showed ${plots}`);
    if (expected.includes("names") && nameLikeWords(text).length < 5) {
      problems.push(`${where}: promised sampled names, showed ${JSON.stringify(firstLine(text, 80))}`);
    }
    if (expected.includes("text") && text.trim() === "") {
      problems.push(`${where}: promised text, showed none`);
    }
    if (
      expected.includes("table") &&
      hasMime(cell, (mime, content) => mime === "text/html" && contentText(content).includes("<table")) === 0
    ) {
      problems.push(`${where}: promised an HTML table, showed none`);
    }
    if (
      expected.includes("svg") &&
      hasMime(
          cell,
          (mime, content) =>
            mime === "image/svg+xml" || (mime === "text/html" && contentText(content).includes("<svg")),
        ) === 0
    ) {
      problems.push(`${where}: promised an SVG picture, showed none`);
    }
    for (const pattern of [...promise.match ?? [], ...(defaults ? promise.reference ?? [] : [])]) {
      const filled = fillPattern(pattern, parameters);
      if (!new RegExp(filled, "m").test(text)) {
        problems.push(`${where}: text does not match /${filled}/`);
      }
    }
  });
  return problems;
}

/** Counts the Plotly figures among a notebook's outputs. */
export function countPlots(notebook: Notebook): number {
  return notebook.cells.reduce((total, cell) => total + hasMime(cell, (mime) => mime === PLOTLY_MIME), 0);
}

/**
 * Failures of the kernel's plumbing rather than of the notebook: a message signed by another
 * kernel (Jupyter picks free ports by closing them first, so kernels started at the same time
 * by other processes can collide), a kernel that did not start or died. Worth one more try.
 * (Deno's own kernel also garbles messages, which shows as Invalid Signature too; the
 * deno-microgpt kernel does not pass such messages on: docs/KERNEL.md.)
 */
const KERNEL_TROUBLE =
  /Invalid Signature|Kernel didn't respond|DeadKernelError|Kernel died|ZMQError|Address already in use/;
/** How often a notebook is started when the kernel's plumbing fails. */
const KERNEL_ATTEMPTS = 3;

/**
 * Plain nbclient, as `nbconvert --to notebook --execute --allow-errors` runs it (the kernel is
 * the one the notebook's metadata names), except that the kernel runs in the notebook's own
 * folder even for a copy with injected parameters written elsewhere.
 * Arguments: IN.ipynb OUT.ipynb KERNEL_CWD CELL_TIMEOUT_SECONDS.
 */
const NBCLIENT_SCRIPT = `import sys, nbformat
from nbclient import NotebookClient
source, target, cwd, timeout = sys.argv[1:5]
notebook = nbformat.read(source, as_version=4)
NotebookClient(notebook, timeout=int(timeout), allow_errors=True, resources={"metadata": {"path": cwd}}).execute()
nbformat.write(notebook, target)
`;

/** Runs Jupyter's Python with `args`; a missing Python, nbconvert or kernel is a UsageError. */
async function jupyterCommand(args: string[]): Promise<{ code: number; stderr: string }> {
  const python = jupyterPython();
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(python, {
      args,
      // NO_COLOR keeps ANSI codes out of the kernel's text; the debugger variable silences a
      // warning Debian's Python prints on every start.
      env: { NO_COLOR: "1", PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`${python} not found; install Jupyter with \`apt-get install python3-nbconvert\``);
    }
    throw err;
  }
  const stderr = stripAnsi(new TextDecoder().decode(output.stderr));
  if (output.code !== 0 && /No module named '?(nbconvert|nbclient|nbformat)/.test(stderr)) {
    throw new UsageError(
      `${python} lacks Jupyter's nbclient/nbconvert; \`apt-get install python3-nbclient python3-nbconvert python3-ipykernel\` or set JUPYTER_PYTHON`,
    );
  }
  const noKernel = stderr.match(/No such kernel named ([\w.-]+)/);
  if (output.code !== 0 && noKernel !== null) {
    throw new UsageError(
      `Jupyter has no \`${noKernel[1]}\` kernel (the notebook's kernelspec); ${
        noKernel[1] === "python3"
          ? "install the Python kernel with `apt-get install python3-ipykernel`"
          : "register ours with `deno task kernel-install`"
      }`,
    );
  }
  return { code: output.code, stderr };
}

/** The most telling line of a failed nbconvert run. */
function nbconvertReason(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) =>
    l.length > 0 && !/^\d+\.\d+s - /.test(l)
  );
  const telling = lines.findLast((l) => /Error|Timeout|Dead|died|Exception/.test(l));
  return firstLine(telling ?? lines.at(-1) ?? "nbconvert failed");
}

/** Options of `runNotebook` / `runNotebooks`. */
export interface RunOptions {
  /** Folder for the executed copies and HTML exports (default `out/notebooks`). */
  outDir?: string;
  /** Also export HTML (default true). */
  html?: boolean;
  /** Seconds one cell may run before nbclient gives up (default 600). */
  cellTimeout?: number;
  /** Parameter overrides, `name` to the value as typed (`--param name=value`). */
  params?: ReadonlyMap<string, string>;
}

/**
 * Executes one notebook in a fresh kernel with plain nbclient (like `nbconvert --execute
 * --allow-errors`; with `params`, on a copy with the overrides injected), exports it to HTML
 * with nbconvert, and checks its outputs. Cells keep running after an error, so the executed
 * copy shows every failure. An unknown parameter or a value of the wrong kind is a UsageError.
 *
 * @example
 * ```ts ignore
 * const run = await runNotebook("notebooks/02_tokenizer.ipynb");
 * console.log(run.problems); // []
 * ```
 */
export async function runNotebook(path: string, options: RunOptions = {}): Promise<NotebookRun> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const name = path.replace(/^.*\//, "").replace(/\.ipynb$/, "");
  await Deno.mkdir(outDir, { recursive: true });
  const executedPath = `${outDir}/${name}.ipynb`;
  const run: NotebookRun = {
    name,
    seconds: 0,
    htmlSeconds: 0,
    executedPath,
    htmlPath: null,
    plots: 0,
    htmlPlots: null,
    problems: [],
    retries: [],
    parameters: new Map(),
  };
  const source = await readNotebook(path);
  const defaults = readParameters(source);
  const overrides = options.params ?? new Map<string, string>();
  run.parameters = effectiveParameters(defaults, overrides, name);
  const injected = new Map([...run.parameters].filter(([key]) => overrides.has(key)));
  // The copy that runs: the notebook itself, or (with overrides) a copy with the cell injected.
  let input = path;
  if (injected.size > 0) {
    input = `${outDir}/${name}.input.ipynb`;
    await Deno.writeTextFile(input, JSON.stringify(injectParameters(source, injected), null, 1) + "\n");
  }
  const kernelDir = path.includes("/") ? path.replace(/\/[^/]*$/, "") : ".";
  const args = ["-c", NBCLIENT_SCRIPT, input, executedPath, kernelDir, String(options.cellTimeout ?? 600)];
  let executed = { code: 0, stderr: "" };
  for (let attempt = 1; attempt <= KERNEL_ATTEMPTS; attempt++) {
    await Deno.remove(executedPath).catch(() => {});
    const start = performance.now();
    executed = await jupyterCommand(args);
    run.seconds = (performance.now() - start) / 1000;
    if (executed.code === 0 || !KERNEL_TROUBLE.test(executed.stderr)) break;
    run.retries.push(nbconvertReason(executed.stderr));
  }
  if (input !== path) await Deno.remove(input);
  if (executed.code !== 0) {
    run.problems.push(`execution failed: ${nbconvertReason(executed.stderr)}`);
    return run;
  }
  const notebook = await readNotebook(executedPath);
  run.plots = countPlots(notebook);
  run.problems.push(...notebookProblems(notebook, run.parameters, injected.size === 0));
  if (options.html ?? true) {
    const htmlStart = performance.now();
    const html = await jupyterCommand([
      "-m",
      "nbconvert",
      "--to",
      "html",
      executedPath,
      "--output-dir",
      outDir,
    ]);
    run.htmlSeconds = (performance.now() - htmlStart) / 1000;
    if (html.code !== 0) {
      run.problems.push(`HTML export failed: ${nbconvertReason(html.stderr)}`);
    } else {
      run.htmlPath = `${outDir}/${name}.html`;
    }
  }
  return run;
}

/**
 * Runs notebooks one after another (each in its own fresh kernel), reporting each as it ends.
 *
 * @example
 * ```ts ignore
 * const runs = await runNotebooks(await resolveNotebooks([]), { onRun: (r) => console.log(r.name) });
 * ```
 */
export async function runNotebooks(
  paths: readonly string[],
  options: RunOptions & { onRun?: (run: NotebookRun) => void } = {},
): Promise<NotebookRun[]> {
  // Our kernel must be this checkout's, when a notebook runs on it (a Python notebook does not).
  for (const path of paths) {
    if (!isPythonNotebook(await readNotebook(path))) {
      await requireCurrentKernel();
      break;
    }
  }
  const runs: NotebookRun[] = [];
  for (const path of paths) {
    const run = await runNotebook(path, options);
    options.onRun?.(run);
    runs.push(run);
  }
  return runs;
}

/**
 * Opens each run's HTML export in headless Chromium with the network cut off (so nothing
 * can come from a CDN) and checks that every Plotly figure of the notebook was drawn
 * (a `.js-plotly-plot` element with its SVG). Adds a problem line to each run that falls
 * short. One browser start for all of them (about 2 s).
 *
 * @example
 * ```ts ignore
 * const runs = await runNotebooks(await resolveNotebooks(["01"]));
 * await verifyHtmlPlots(runs);
 * console.log(runs[0].problems); // []
 * ```
 */
export async function verifyHtmlPlots(runs: readonly NotebookRun[]): Promise<void> {
  const toCheck = runs.filter((run) => run.htmlPath !== null);
  if (toCheck.length === 0) return;
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_ARGS] });
  // Two pages at a time: loading a page is mostly Chromium compiling plotly.js (~2 s).
  const queue = [...toCheck];
  const checkNext = async (): Promise<void> => {
    for (let run = queue.shift(); run !== undefined; run = queue.shift()) await checkPage(run);
  };
  const checkPage = async (run: NotebookRun): Promise<void> => {
    const page = await browser.newPage();
    try {
      await page.route(/^(https?|wss?):/, (route) => route.abort());
      const url = new URL(run.htmlPath!, `file://${Deno.cwd()}/`).href;
      await page.goto(url, { waitUntil: "domcontentloaded", timeout: 60_000 });
      // Plotly draws asynchronously; wait until every figure has its SVG.
      await page.waitForFunction(
        `document.querySelectorAll(".js-plotly-plot .main-svg").length >= ${run.plots}`,
        undefined,
        { timeout: 20_000 },
      ).catch(() => {}); // a shortfall is reported below
      const drawn = await page.locator(".js-plotly-plot").filter({ has: page.locator(".main-svg") }).count();
      run.htmlPlots = drawn;
      if (drawn < run.plots) {
        run.problems.push(`HTML export drew ${drawn} of ${run.plots} plots offline (${run.htmlPath})`);
      }
    } finally {
      await page.close();
    }
  };
  try {
    await Promise.all([checkNext(), checkNext()]);
  } finally {
    await browser.close();
  }
}

/** One line per notebook: name, status, seconds, plots (and how many its HTML drew), where the HTML is. */
export function formatRun(run: NotebookRun): string {
  const status = run.problems.length === 0 ? "ok  " : "FAIL";
  const html = run.htmlPath === null ? "" : `  ${run.htmlPath} (export ${run.htmlSeconds.toFixed(1)} s)`;
  const drawn = run.htmlPlots === null ? "" : `, ${run.htmlPlots} drawn offline`;
  const retried = run.retries.length === 0
    ? ""
    : `  (kernel restarted ${run.retries.length}x: ${run.retries.join("; ")})`;
  return `${run.name.padEnd(16)} ${status} ${run.seconds.toFixed(1).padStart(6)} s  ${
    String(run.plots).padStart(2)
  } plots${drawn}${html}${retried}`;
}

/** Splits the command line into notebook names, `--param name=value` overrides and `--out-dir`. */
function parseArgs(
  args: readonly string[],
): { names: string[]; params: Map<string, string>; outDir: string } {
  const names: string[] = [];
  const params: string[] = [];
  let outDir = DEFAULT_OUT_DIR;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--param" || arg === "--out-dir") {
      const value = args[++i];
      if (value === undefined) {
        throw new UsageError(`${arg} needs ${arg === "--param" ? "name=value" : "a folder"}`);
      }
      if (arg === "--param") params.push(value);
      else outDir = value;
    } else if (arg.startsWith("--param=")) params.push(arg.slice("--param=".length));
    else if (arg.startsWith("-")) throw new UsageError(`unknown flag ${arg}; see --help`);
    else names.push(arg);
  }
  return { names, params: parseParamArgs(params), outDir };
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      "Usage: deno task notebooks [NAME...] [--param name=value...] [--out-dir DIR]\n\n" +
        "Executes the notebooks (all, or those named: 03, 03_autograd, notebooks/03_autograd.ipynb) on the\n" +
        "Jupyter kernel each names (deno-microgpt; python3 for 10, PyTorch's), writes executed copies and HTML\n" +
        `exports to ${DEFAULT_OUT_DIR}/, and fails if a cell errors or does not show what it promises. --param sets\n` +
        "a parameter (a `const` in the cell tagged `parameters`, an assignment in Python, e.g. --param seed=7\n" +
        "--param steps=300) in every notebook named; --out-dir writes the\n" +
        `executed copies elsewhere (default ${DEFAULT_OUT_DIR}).`,
    );
    return 0;
  }
  const { names, params, outDir } = parseArgs(args);
  const paths = await resolveNotebooks(names);
  for (const path of paths) {
    const name = path.replace(/^.*\//, "").replace(/\.ipynb$/, "");
    effectiveParameters(readParameters(await readNotebook(path)), params, name);
  }
  const start = performance.now();
  if (params.size > 0) console.log(`parameters: ${[...params].map(([k, v]) => `${k}=${v}`).join(", ")}`);
  const runs = await runNotebooks(paths, { params, outDir, onRun: (run) => console.log(formatRun(run)) });
  const executing = runs.reduce((total, run) => total + run.seconds, 0);
  const htmlStart = performance.now();
  await verifyHtmlPlots(runs);
  const plots = runs.reduce((total, run) => total + run.plots, 0);
  const drawn = runs.reduce((total, run) => total + (run.htmlPlots ?? 0), 0);
  console.log(
    `HTML exports opened offline in Chromium: ${drawn} of ${plots} plots drawn (${
      ((performance.now() - htmlStart) / 1000).toFixed(1)
    } s)`,
  );
  const total = (performance.now() - start) / 1000;
  const failed = runs.filter((run) => run.problems.length > 0);
  console.log(
    `${runs.length} notebooks: ${executing.toFixed(1)} s executing, ${total.toFixed(1)} s in all; ${
      failed.length === 0 ? "all ok" : `${failed.length} failed`
    }`,
  );
  for (const run of failed) {
    for (const problem of run.problems) console.error(`error: ${run.name}: ${problem}`);
  }
  return failed.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  await runCli(async () => {
    const code = await main(Deno.args);
    if (code !== 0) Deno.exit(code);
  });
}
