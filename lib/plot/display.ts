/**
 * Showing figures, HTML and tables in a Jupyter frontend through the Deno kernel: each
 * figure goes out as a MIME bundle that VS Code and JupyterLab render from the Plotly JSON,
 * and classic Notebook and nbconvert's HTML export from an offline `text/html` fallback.
 * Outside a kernel every function prints its `text/plain` form instead.
 *
 * @module
 */

import { formatTable } from "../format.ts";
import { DEFAULT_SMOOTHING, smoothLosses } from "../stats.ts";
import { type Figure, lossCurveFigure } from "./figures.ts";
import { figureHtml, figureSummary, plotElementId, plotlyLoaderHtml } from "./plot_html.ts";
import { plotlyBundle } from "./plotly_bundle.ts";

/** A Jupyter MIME bundle: MIME type to content. */
export type MimeBundle = Record<string, string | object>;

/** Where bundles go: the kernel's `Deno.jupyter`, or a stand-in given to `withDisplaySink`. */
export interface DisplaySink {
  /** Shows `bundle` (or updates the output with `display_id`), as `Deno.jupyter.display` does. */
  display(bundle: MimeBundle, options: { raw: true; update?: boolean; display_id?: string }): Promise<void>;
}

let sinkOverride: DisplaySink | undefined;

/**
 * The kernel's display API (or the `withDisplaySink` stand-in), or undefined outside
 * `deno jupyter` (where reading `Deno.jupyter` throws).
 */
function jupyter(): DisplaySink | undefined {
  if (sinkOverride) return sinkOverride;
  try {
    const api: unknown = Deno.jupyter;
    if (api && typeof (api as Partial<DisplaySink>).display === "function") return api as DisplaySink;
  } catch {
    // Not in a kernel.
  }
  return undefined;
}

/**
 * True inside a Deno Jupyter kernel.
 *
 * @example
 * ```ts
 * import { inJupyter } from "./display.ts";
 * console.log(inJupyter()); // false under `deno run` and `deno test`
 * ```
 */
export function inJupyter(): boolean {
  return jupyter() !== undefined;
}

/**
 * How long a display waits after sending on a kernel other than `deno-microgpt` (which tells
 * when the output is out; see `outputsSent`): Deno's own kernel can report a cell finished
 * before its last output has gone out, and nbclient then drops that output (docs/KERNEL.md).
 */
export const LATE_OUTPUT_PAUSE_MS = 100;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long `outputsSent` waits for the kernel's answer at most. */
const SYNC_TIMEOUT_MS = 10_000;

/**
 * Waits until what the cell showed so far has left the kernel. The `deno-microgpt` kernel
 * (tools/kernel_proxy.py) names a socket in MICROGPT_KERNEL_SYNC and answers there once a marker
 * display sent after the outputs has reached it: a cell must not end while a large output is
 * still being written, or Deno 2.9's kernel garbles it (docs/KERNEL.md). Any other kernel:
 * a pause of LATE_OUTPUT_PAUSE_MS.
 */
async function outputsSent(api: DisplaySink): Promise<void> {
  let path: string | undefined;
  try {
    path = sinkOverride ? undefined : Deno.env.get("MICROGPT_KERNEL_SYNC");
  } catch {
    path = undefined; // no permission to read the environment: not our kernel
  }
  if (!path) return await pause(LATE_OUTPUT_PAUSE_MS);
  const marker = `microgpt-sync-${crypto.randomUUID()}`;
  let conn: Deno.UnixConn | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    conn = await Deno.connect({ transport: "unix", path });
    await conn.write(new TextEncoder().encode(`${marker}\n`));
    await api.display({ "text/plain": marker }, { raw: true });
    const answered = conn.read(new Uint8Array(8)).catch(() => null);
    await Promise.race([answered, new Promise((resolve) => timer = setTimeout(resolve, SYNC_TIMEOUT_MS))]);
  } catch {
    await pause(LATE_OUTPUT_PAUSE_MS);
  } finally {
    clearTimeout(timer);
    conn?.close();
  }
}

/** Per kernel (this module lives as long as the kernel): whether this page has plotly.js yet. */
let plotlyLoaded = false;
/** Per kernel: numbers plot element ids and display ids, so they are unique and reproducible. */
let plotCounter = 0;

/**
 * Runs `fn` with every display sent to `sink` instead of the kernel, as if in a fresh
 * kernel (plotly.js not yet sent, ids counted from 1): for tests, and for tools that collect
 * the bundles a piece of code displays.
 *
 * @example
 * ```ts
 * import { display, type MimeBundle, withDisplaySink } from "./display.ts";
 * import { barFigure } from "./figures.ts";
 * const sent: MimeBundle[] = [];
 * await withDisplaySink({ display: async (bundle) => void sent.push(bundle) }, async () => {
 *   await display(barFigure(["a"], [1]));
 * });
 * console.log(sent.length, Object.keys(sent[1])); // 2: plotly.js once, then the figure's bundle
 * ```
 */
export async function withDisplaySink<T>(sink: DisplaySink, fn: () => Promise<T>): Promise<T> {
  const saved = { sinkOverride, plotlyLoaded, plotCounter };
  sinkOverride = sink;
  plotlyLoaded = false;
  plotCounter = 0;
  try {
    return await fn();
  } finally {
    ({ sinkOverride, plotlyLoaded, plotCounter } = saved);
  }
}

/**
 * The MIME bundle of a figure: Plotly JSON (VS Code, JupyterLab with a Plotly renderer), an
 * HTML fallback that draws into element `id` with the page's plotly.js (classic Notebook,
 * nbconvert HTML), and a text summary.
 *
 * @example
 * ```ts
 * import { figureBundle } from "./display.ts";
 * const bundle = figureBundle({ data: [{ type: "bar", y: [1, 2] }], layout: {} }, "p1");
 * console.log(Object.keys(bundle)); // ["application/vnd.plotly.v1+json", "text/html", "text/plain"]
 * ```
 */
export function figureBundle(figure: Figure, id: string): MimeBundle {
  return {
    "application/vnd.plotly.v1+json": { data: figure.data, layout: figure.layout },
    "text/html": figureHtml(figure, id),
    "text/plain": figureSummary(figure),
  };
}

/**
 * Sends plotly.js to the page as its own output (an inline `<script>`, no network), so the
 * HTML fallback of every later figure can draw. `display` does this once per kernel by itself;
 * call it in a notebook's setup cell to keep it in a fixed place (it then survives re-running
 * any plot cell, and re-running the setup cell restores it). Does nothing outside a kernel.
 *
 * @example
 * ```ts ignore
 * import { loadPlotly } from "../mod.ts";
 * await loadPlotly();
 * ```
 */
export async function loadPlotly(): Promise<void> {
  const api = jupyter();
  if (!api) return;
  const { version, source } = await plotlyBundle();
  await api.display({
    "text/html": plotlyLoaderHtml(source, version),
    "text/plain": `plotly.js ${version} loaded for this notebook's plots`,
  }, { raw: true });
  plotlyLoaded = true;
  await outputsSent(api); // 4.8 MB: the largest output of all
}

async function ensurePlotly(): Promise<void> {
  if (!plotlyLoaded) await loadPlotly();
}

/**
 * Shows a figure: in a kernel as a MIME bundle (Plotly JSON + offline HTML + text), and
 * elsewhere prints its text summary. Returns once the kernel has sent it (see `outputsSent`).
 *
 * @example
 * ```ts
 * import { display } from "./display.ts";
 * import { barFigure } from "./figures.ts";
 * await display(barFigure(["a", "b"], [1, 2], { title: "counts" }));
 * // Figure "counts": 1 trace
 * //   bar "value": 2 points
 * ```
 */
export async function display(figure: Figure): Promise<void> {
  const api = jupyter();
  if (!api) {
    console.log(figureSummary(figure));
    return;
  }
  await ensurePlotly();
  await api.display(figureBundle(figure, plotElementId(figure, ++plotCounter)), { raw: true });
  await outputsSent(api);
}

/**
 * Shows any HTML (a table, an SVG, styled text) with a plain-text fallback; outside a
 * kernel prints the text.
 *
 * @example
 * ```ts
 * import { displayHtml } from "./display.ts";
 * await displayHtml("<b>loss 2.65</b>", "loss 2.65"); // prints: loss 2.65
 * ```
 */
export async function displayHtml(html: string, text: string): Promise<void> {
  const api = jupyter();
  if (!api) {
    console.log(text);
    return;
  }
  await api.display({ "text/html": html, "text/plain": text }, { raw: true });
  await outputsSent(api);
}

/**
 * `&`, `<`, `>` and quotes as HTML entities.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./display.ts";
 * console.log(escapeHtml('<a href="x">&</a>')); // &lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * Rows as a table, HTML and aligned text. Columns are the keys in order of first appearance;
 * numbers are right-aligned, missing cells empty.
 *
 * @example
 * ```ts
 * import { tableText } from "./display.ts";
 * console.log(tableText([{ name: "emma", loss: 2.5 }, { name: "al", loss: 10 }]));
 * // name  loss
 * // ----  ----
 * // emma   2.5
 * // al      10
 * ```
 */
export function tableText(
  rows: readonly Record<string, string | number>[],
  options: { title?: string } = {},
): string {
  const columns = tableColumns(rows);
  const cells = rows.map((row) => columns.map((c) => (row[c] === undefined ? "" : String(row[c]))));
  const align = columns.map((c) => rows.some((r) => typeof r[c] === "number") ? "right" : "left");
  const table = formatTable(columns, cells, { align, rule: true });
  return options.title === undefined ? table : `${options.title}\n${table}`;
}

/**
 * Rows as an HTML table (escaped; numbers right-aligned), with an optional caption.
 *
 * @example
 * ```ts
 * import { tableHtml } from "./display.ts";
 * console.log(tableHtml([{ a: 1 }]).includes('<td style="text-align: right">1</td>')); // true
 * ```
 */
export function tableHtml(
  rows: readonly Record<string, string | number>[],
  options: { title?: string } = {},
): string {
  const columns = tableColumns(rows);
  const align = (v: string | number | undefined) => (typeof v === "number" ? "right" : "left");
  const head = columns.map((c) => `<th style="text-align: left">${escapeHtml(c)}</th>`).join("");
  const body = rows.map((row) =>
    `<tr>${
      columns.map((c) =>
        `<td style="text-align: ${align(row[c])}">${
          row[c] === undefined ? "" : escapeHtml(String(row[c]))
        }</td>`
      ).join("")
    }</tr>`
  ).join("\n");
  const caption = options.title === undefined
    ? ""
    : `<caption style="text-align: left; font-weight: bold">${escapeHtml(options.title)}</caption>`;
  return `<table class="microgpt-table">${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

function tableColumns(rows: readonly Record<string, string | number>[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/**
 * Shows rows as a table (HTML in a notebook, aligned text elsewhere).
 *
 * @example
 * ```ts
 * import { displayTable } from "./display.ts";
 * await displayTable([{ sample: 1, name: "kamon" }, { sample: 2, name: "ann" }]);
 * ```
 */
export async function displayTable(
  rows: readonly Record<string, string | number>[],
  options: { title?: string } = {},
): Promise<void> {
  await displayHtml(tableHtml(rows, options), tableText(rows, options));
}

/** A loss plot that redraws in place while a cell trains; see `liveLossCurve`. */
export interface LiveLossCurve {
  /** Records the loss of a step (0-based, as `Trainer` reports it) and redraws if it is time. */
  update(step: number, loss: number): Promise<void>;
  /** Draws the final state (always, however recent the last redraw) and waits for it to go out. */
  finish(): Promise<void>;
  /** Every loss recorded so far, in order. */
  readonly losses: readonly number[];
}

/** Options of `liveLossCurve`. */
export interface LiveLossCurveOptions {
  /** The plot's title (default "Training loss"). */
  title?: string;
  /** Smoothing of the line, 0 (none) to below 1 (default 0.9). */
  smoothing?: number;
  /** The length of the run, to fix the x axis from the start. */
  totalSteps?: number;
  /** Redraws per second at most (default 4); the final state is always drawn. */
  updatesPerSecond?: number;
}

/**
 * A loss curve that updates in place during a training cell (a display id updated at most
 * `updatesPerSecond` times per second). Training is synchronous, so `update` yields to the
 * event loop whenever it sends, letting the output go out. Outside a kernel nothing is drawn
 * and `finish` prints a one-line summary.
 *
 * @example
 * ```ts
 * import { liveLossCurve } from "./display.ts";
 * const live = liveLossCurve({ totalSteps: 3 });
 * for (const [step, loss] of [3.3, 3.0, 2.8].entries()) await live.update(step, loss);
 * await live.finish(); // prints: Training loss: 3 steps, last loss 2.8000, smoothed 3.0063
 * console.log(live.losses); // [3.3, 3, 2.8]
 * ```
 */
export function liveLossCurve(options: LiveLossCurveOptions = {}): LiveLossCurve {
  return new LiveLoss(options);
}

class LiveLoss implements LiveLossCurve {
  readonly #steps: number[] = [];
  readonly #losses: number[] = [];
  readonly #title: string;
  readonly #smoothing: number;
  readonly #totalSteps: number | undefined;
  readonly #intervalMs: number;
  #displayId: string | undefined;
  #lastSent = -Infinity;

  constructor(options: LiveLossCurveOptions) {
    this.#title = options.title ?? "Training loss";
    this.#smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
    smoothLosses([], this.#smoothing); // validates it now rather than at the first redraw
    this.#totalSteps = options.totalSteps;
    const rate = options.updatesPerSecond ?? 4;
    this.#intervalMs = rate > 0 ? 1000 / rate : Infinity;
  }

  get losses(): readonly number[] {
    return this.#losses;
  }

  /** The figure of the steps so far: `lossCurveFigure` with x at each reported step + 1. */
  figure(final: boolean): Figure {
    const losses = this.#losses;
    const figure = lossCurveFigure({ name: "loss", losses }, {
      smoothing: this.#smoothing,
      title: this.#title,
    });
    const x = this.#steps.map((s) => s + 1);
    for (const trace of figure.data) trace.x = x;
    figure.layout.title = { text: `${this.#title}: ${this.#status(final)}`, x: 0.02, xanchor: "left" };
    if (this.#totalSteps !== undefined) {
      figure.layout.xaxis = { ...(figure.layout.xaxis as object), range: [0, this.#totalSteps + 1] };
    }
    return figure;
  }

  #status(final: boolean): string {
    const n = this.#losses.length;
    if (n === 0) return "waiting for the first step";
    const last = this.#losses[n - 1];
    const smoothed = smoothLosses(this.#losses, this.#smoothing)[n - 1];
    const step = this.#steps[n - 1] + 1;
    const progress = final
      ? `${n} steps`
      : `step ${step}${this.#totalSteps === undefined ? "" : ` / ${this.#totalSteps}`}`;
    return `${progress}, last loss ${last.toFixed(4)}, smoothed ${smoothed.toFixed(4)}`;
  }

  async update(step: number, loss: number): Promise<void> {
    this.#steps.push(step);
    this.#losses.push(loss);
    if (performance.now() - this.#lastSent < this.#intervalMs) return;
    if (await this.#send(false)) {
      // Let the kernel send the message before training blocks the event loop again.
      await pause(0);
    }
    this.#lastSent = performance.now();
  }

  async finish(): Promise<void> {
    const api = jupyter();
    if (!api) {
      console.log(`${this.#title}: ${this.#status(true)}`);
      return;
    }
    await this.#send(true);
    await outputsSent(api);
  }

  /** Draws the current state (a new output first, then in-place updates); false outside a kernel. */
  async #send(final: boolean): Promise<boolean> {
    const api = jupyter();
    if (!api) return false;
    await ensurePlotly();
    const figure = this.figure(final);
    const bundle = figureBundle(figure, plotElementId(figure, ++plotCounter));
    if (this.#displayId === undefined) {
      this.#displayId = `microgpt-live-loss-${plotCounter}`;
      await api.display(bundle, { raw: true, display_id: this.#displayId });
    } else {
      await api.display(bundle, { raw: true, update: true, display_id: this.#displayId });
    }
    return true;
  }
}
