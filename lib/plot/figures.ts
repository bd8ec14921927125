/**
 * Figure builders: plain Plotly figure specs (`data` + `layout`, JSON-serialisable, no DOM,
 * no randomness) for loss curves, attention heatmaps, next-character probabilities and
 * embedding projections. Change any field before showing one with `display` or `savePlot`.
 * Only features that plotly.js 2.x and 3.x both render are used (titles as `{ text }`).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { checkSmoothing, DEFAULT_SMOOTHING, lossBand, pca2, smoothLosses } from "../stats.ts";

/** A JSON value as Plotly reads it: figures stay plain data that can be saved and diffed. */
export type PlotlyValue =
  | string
  | number
  | boolean
  | null
  | PlotlyValue[]
  | { [key: string]: PlotlyValue | undefined };

/** One Plotly trace (`scatter`, `bar`, `heatmap`, `histogram`, ...) as a plain object. */
export interface PlotlyTrace {
  /** The trace type: `scatter`, `bar`, `heatmap`, ... */
  type: string;
  /** Any other trace attribute, as Plotly documents it. */
  [key: string]: PlotlyValue | undefined;
}

/** A Plotly layout as a plain object. */
export interface PlotlyLayout {
  /** Any layout attribute, as Plotly documents it. */
  [key: string]: PlotlyValue | undefined;
}

/** A Plotly figure: what `Plotly.newPlot(div, data, layout)` takes. */
export interface Figure {
  /** The traces. */
  data: PlotlyTrace[];
  /** The layout. */
  layout: PlotlyLayout;
}

/** The loss of every step of one training run, under a name for the legend. */
export interface LossRun {
  /** The run's name in the legend. */
  name: string;
  /** The loss of each step. */
  losses: readonly number[];
}

/** Plotly's default colour sequence (D3 category10), so runs get the colours people expect. */
export const COLORS: readonly string[] = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** The visible symbol for the `BOS` token on axes, bars and point labels. */
export const BOS_LABEL = "⟨BOS⟩";

const FONT = { family: "Helvetica Neue, Helvetica, Arial, sans-serif", size: 13, color: "#2a3f5f" };
const GRID = "#e5e8ef";

function titled(text: string | undefined): PlotlyValue | undefined {
  return text === undefined ? undefined : { text, x: 0.02, xanchor: "left" };
}

function axis(title: string | undefined, extra: { [key: string]: PlotlyValue } = {}): PlotlyValue {
  return {
    title: title === undefined ? undefined : { text: title },
    gridcolor: GRID,
    zerolinecolor: GRID,
    linecolor: "#b8bfcc",
    ...extra,
  };
}

function baseLayout(title: string | undefined): PlotlyLayout {
  return {
    title: titled(title),
    font: { ...FONT },
    paper_bgcolor: "white",
    plot_bgcolor: "white",
    margin: { l: 64, r: 24, t: title === undefined ? 24 : 56, b: 56 },
    hovermode: "closest",
  };
}

function color(i: number): string {
  return COLORS[i % COLORS.length];
}

/** `#rrggbb` with an alpha, as `rgba(...)`. */
function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function checkSameLength(what: string, a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length !== b.length) {
    throw new UsageError(`${what}: got ${a.length} values but ${b.length} labels; pass one label per value`);
  }
}

/** A plain copy of numbers, with non-finite values as null (Plotly leaves a gap; JSON keeps it). */
function finiteOrNull(values: readonly number[]): (number | null)[] {
  return values.map((v) => Number.isFinite(v) ? v : null);
}

function steps(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/**
 * Loss curves: for each run, its raw per-step losses as faint points and a smoothed line in
 * the same colour; several runs overlay with one legend entry each (click to hide a run).
 * Steps are numbered from 1, as the CLI prints them.
 *
 * @example
 * ```ts
 * import { lossCurveFigure } from "./figures.ts";
 * const fig = lossCurveFigure({ name: "seed 42", losses: [3.3, 3.1, 2.9, 2.8] });
 * console.log(fig.data.length, fig.data[1].name); // 2 seed 42
 * ```
 */
export function lossCurveFigure(
  runs: LossRun | readonly LossRun[],
  options: { smoothing?: number; title?: string; showRaw?: boolean } = {},
): Figure {
  const list: readonly LossRun[] = isLossRunList(runs) ? runs : [runs];
  const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
  checkSmoothing(smoothing);
  const showRaw = options.showRaw ?? true;
  const data: PlotlyTrace[] = [];
  list.forEach((run, i) => {
    const x = steps(run.losses.length);
    if (showRaw) {
      data.push({
        type: "scatter",
        mode: "markers",
        name: `${run.name} (raw)`,
        legendgroup: `run${i}`,
        showlegend: false,
        x,
        y: finiteOrNull(run.losses),
        marker: { color: withAlpha(color(i), 0.35), size: 4 },
        hovertemplate: `${escapeTemplate(run.name)}<br>step %{x}<br>loss %{y:.4f}<extra></extra>`,
      });
    }
    data.push({
      type: "scatter",
      mode: "lines",
      name: run.name,
      legendgroup: `run${i}`,
      x,
      y: finiteOrNull(smoothLosses(run.losses, smoothing)),
      line: { color: color(i), width: 2 },
      hovertemplate: `${escapeTemplate(run.name)}<br>step %{x}<br>smoothed loss %{y:.4f}<extra></extra>`,
    });
  });
  return {
    data,
    layout: {
      ...baseLayout(options.title ?? "Training loss"),
      xaxis: axis("step"),
      yaxis: axis(smoothing > 0 ? `loss (line: smoothed ${smoothing})` : "loss"),
      showlegend: list.length > 1,
      legend: { x: 1, xanchor: "right", y: 1, bgcolor: "rgba(255, 255, 255, 0.8)" },
    },
  };
}

function isLossRunList(runs: LossRun | readonly LossRun[]): runs is readonly LossRun[] {
  return Array.isArray(runs);
}

/** Plotly hover templates treat `%{...}` specially; a run name should print as written. */
function escapeTemplate(text: string): string {
  return text.replaceAll("%{", "%\u200b{");
}

/**
 * Mean ± standard deviation across runs (e.g. seeds) of the smoothed losses (`lossBand`), as
 * a shaded band around the mean line. Runs may differ in length; each step uses the runs that
 * reached it. The standard deviation is the sample one (n - 1), 0 where only one run is left.
 *
 * @example
 * ```ts
 * import { lossBandFigure } from "./figures.ts";
 * const fig = lossBandFigure([{ name: "a", losses: [3, 2] }, { name: "b", losses: [3, 4] }], { smoothing: 0 });
 * console.log(fig.data[2].y); // [3, 3]: the mean line
 * ```
 */
export function lossBandFigure(
  runs: readonly LossRun[],
  options: { smoothing?: number; title?: string } = {},
): Figure {
  if (runs.length === 0) {
    throw new UsageError("lossBandFigure needs at least one run; pass [{ name, losses }, ...]");
  }
  const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
  const { mean, std, lower, upper } = lossBand(runs, { smoothing });
  const length = mean.length;
  const x = steps(length);
  const c = color(0);
  const label = `mean ± std of ${runs.length} run${runs.length === 1 ? "" : "s"}`;
  return {
    data: [
      {
        type: "scatter",
        mode: "lines",
        name: "mean + std",
        x,
        y: finiteOrNull(upper),
        line: { width: 0, color: c },
        showlegend: false,
        hoverinfo: "skip",
      },
      {
        type: "scatter",
        mode: "lines",
        name: "± std",
        x,
        y: finiteOrNull(lower),
        line: { width: 0, color: c },
        fill: "tonexty",
        fillcolor: withAlpha(c, 0.2),
        hoverinfo: "skip",
      },
      {
        type: "scatter",
        mode: "lines",
        name: "mean",
        x,
        y: finiteOrNull(mean),
        line: { color: c, width: 2 },
        customdata: finiteOrNull(std),
        hovertemplate: "step %{x}<br>mean %{y:.4f}<br>std %{customdata:.4f}<extra></extra>",
      },
    ],
    layout: {
      ...baseLayout(options.title ?? `Training loss, ${label}`),
      xaxis: axis("step"),
      yaxis: axis(smoothing > 0 ? `loss (smoothed ${smoothing})` : "loss"),
      showlegend: true,
      legend: { x: 1, xanchor: "right", y: 1, bgcolor: "rgba(255, 255, 255, 0.8)" },
    },
  };
}

/**
 * Labels for token ids: the character, or `BOS_LABEL` for the `BOS` id (`chars.length`).
 *
 * @example
 * ```ts
 * import { tokenLabels } from "./figures.ts";
 * console.log(tokenLabels(["a", "e", "m"], [3, 1, 2, 2, 0])); // ["⟨BOS⟩", "e", "m", "m", "a"]
 * ```
 */
export function tokenLabels(chars: readonly string[], ids: readonly number[]): string[] {
  return ids.map((id) => {
    if (id === chars.length) return BOS_LABEL;
    const ch = chars[id];
    if (!Number.isInteger(id) || ch === undefined) {
      throw new RangeError(`token id ${id} is outside the vocabulary 0..${chars.length}`);
    }
    return ch;
  });
}

/** A label as a tick or hover shows it: whitespace would be invisible, so it is quoted. */
function visible(label: string): string {
  return /^\s*$/.test(label) ? JSON.stringify(label) : label;
}

/** Tick settings that label positions 0..n-1 (a numeric axis, so repeated labels stay apart). */
function labelTicks(labels: readonly string[]): { [key: string]: PlotlyValue } {
  return {
    tickmode: "array",
    tickvals: labels.map((_, i) => i),
    ticktext: labels.map(visible),
    showgrid: false,
    zeroline: false,
  };
}

/** Axis ids of subplot `i` (0-based): `x`/`y`, then `x2`/`y2`, ... and their layout keys. */
function subplotAxes(i: number): { x: string; y: string; xKey: string; yKey: string } {
  const n = i === 0 ? "" : String(i + 1);
  return { x: `x${n}`, y: `y${n}`, xKey: `xaxis${n}`, yKey: `yaxis${n}` };
}

/**
 * Attention weights, one heatmap per head of every layer in a grid (a row per layer, a
 * column per head): row `t` of a heatmap is where the token at position `t` looks, over
 * positions `0..t` (the rest is masked and left blank). `attention[layer][head][query][key]`
 * is exactly `KVCache.attention`; `labels[t]` is the token fed at position `t` (extra labels
 * are ignored, so `tokenLabels(chars, sample.tokens)` fits). Hover shows both tokens and
 * the weight.
 *
 * @example
 * ```ts
 * import { attentionFigure } from "./figures.ts";
 * const att = [[[[1], [0.25, 0.75]], [[1], [0.5, 0.5]]]]; // 1 layer, 2 heads, 2 positions
 * const fig = attentionFigure(att, ["⟨BOS⟩", "e"]);
 * console.log(fig.data.length, fig.data[0].z); // 2 [[1, null], [0.25, 0.75]]
 * ```
 */
export function attentionFigure(
  attention: readonly (readonly (readonly (readonly number[])[])[])[],
  labels: readonly string[],
  options: { title?: string } = {},
): Figure {
  const { nLayer, nHead, size } = checkAttention(attention, labels);
  const shown = labels.slice(0, size).map(visible);
  const grid = attentionGrid(nLayer, nHead);
  const data: PlotlyTrace[] = [];
  const layout: PlotlyLayout = {
    ...baseLayout(options.title ?? "Attention: where each token looks"),
    coloraxis: {
      cmin: 0,
      cmax: 1,
      colorscale: "Viridis",
      colorbar: { title: { text: "attention weight", side: "right" }, thickness: 14, len: 0.9 },
    },
  };
  const annotations: PlotlyValue[] = [];
  attention.forEach((heads, l) => {
    heads.forEach((rows, h) => {
      const ax = subplotAxes(l * nHead + h);
      const { x0, yTop } = grid.cell(l, h);
      data.push(headHeatmap(rows, shown, l, h, ax));
      layout[ax.xKey] = {
        ...labelTicks(shown),
        domain: [x0, x0 + grid.columnWidth],
        anchor: ax.y,
        title: l === nLayer - 1 ? { text: "key (looked at)", font: { size: 12 } } : undefined,
        tickangle: 0,
      };
      layout[ax.yKey] = {
        ...labelTicks(shown),
        domain: [yTop - grid.rowHeight, yTop],
        anchor: ax.x,
        autorange: "reversed",
        title: h === 0 ? { text: nLayer > 1 ? `layer ${l}: query` : "query (looking)" } : undefined,
        showticklabels: h === 0,
      };
      annotations.push({
        text: nLayer > 1 ? `layer ${l} · head ${h}` : `head ${h}`,
        xref: "paper",
        yref: "paper",
        x: x0 + grid.columnWidth / 2,
        y: yTop,
        xanchor: "center",
        yanchor: "bottom",
        showarrow: false,
        font: { size: 13 },
      });
    });
  });
  layout.annotations = annotations;
  layout.margin = { l: 80, r: 24, t: 80, b: 64 };
  layout.height = grid.plotPx + 80 + 64;
  return { data, layout };
}

/**
 * The shape of `attention[layer][head][query][key]`, checked: every layer has the same heads,
 * every head the same positions, row `t` has `t + 1` weights, and there is a label per position.
 */
function checkAttention(
  attention: readonly (readonly (readonly (readonly number[])[])[])[],
  labels: readonly string[],
): { nLayer: number; nHead: number; size: number } {
  const nLayer = attention.length;
  const nHead = attention[0]?.length ?? 0;
  if (nLayer === 0 || nHead === 0) {
    throw new UsageError(
      "attention is empty; record it with sampleName(..., { recordAttention: true }) and pass sample.cache.attention",
    );
  }
  const size = attention[0][0].length;
  if (size === 0) {
    throw new UsageError("attention has no positions; run the model on at least one token first");
  }
  if (labels.length < size) {
    throw new UsageError(
      `attention covers ${size} positions but only ${labels.length} labels were given; pass one label per position`,
    );
  }
  attention.forEach((heads, l) => {
    if (heads.length !== nHead) {
      throw new UsageError(`layer ${l} has ${heads.length} heads, layer 0 has ${nHead}`);
    }
    heads.forEach((rows, h) => {
      if (rows.length !== size) {
        throw new UsageError(`layer ${l} head ${h} has ${rows.length} positions, layer 0 head 0 has ${size}`);
      }
      rows.forEach((row, q) => {
        if (row.length !== q + 1) {
          throw new UsageError(
            `attention row ${q} of layer ${l} head ${h} has ${row.length} weights; a causal row t has t + 1`,
          );
        }
      });
    });
  });
  return { nLayer, nHead, size };
}

/**
 * Where each head's heatmap goes, in paper coordinates: a column per head, a row per layer,
 * rows of fixed pixel height with room between them for tick labels and head titles.
 */
function attentionGrid(nLayer: number, nHead: number) {
  const gap = 0.04;
  const columnWidth = (1 - gap * (nHead - 1)) / nHead;
  const rowPx = 236;
  const rowGapPx = 64;
  const plotPx = nLayer * rowPx + (nLayer - 1) * rowGapPx;
  const rowGap = rowGapPx / plotPx;
  const rowHeight = rowPx / plotPx;
  return {
    columnWidth,
    rowHeight,
    plotPx,
    /** The left edge and the top of head `h` of layer `l`. */
    cell: (l: number, h: number) => ({ x0: h * (columnWidth + gap), yTop: 1 - l * (rowHeight + rowGap) }),
  };
}

/** One head's heatmap: `z[query][key]` with the masked future left blank, and hover text. */
function headHeatmap(
  rows: readonly (readonly number[])[],
  shown: readonly string[],
  l: number,
  h: number,
  ax: { x: string; y: string },
): PlotlyTrace {
  const size = shown.length;
  const z = rows.map((row, q) =>
    Array.from({ length: size }, (_, k) => k <= q && Number.isFinite(row[k]) ? row[k] : null)
  ); // [query][key]
  const text = rows.map((_, q) =>
    shown.map((key, k) => `query ${shown[q]} (pos ${q}) → key ${key} (pos ${k})`)
  );
  return {
    type: "heatmap",
    name: `layer ${l} head ${h}`,
    z,
    text,
    x: shown.map((_, k) => k),
    y: shown.map((_, q) => q),
    xaxis: ax.x,
    yaxis: ax.y,
    coloraxis: "coloraxis",
    hoverongaps: false,
    hovertemplate: `%{text}<br>weight %{z:.3f}<extra>layer ${l} head ${h}</extra>`,
  };
}

/**
 * The next-token distribution as bars, one per token, optionally one bar highlighted
 * (e.g. the token actually drawn).
 *
 * @example
 * ```ts
 * import { probabilityBarsFigure } from "./figures.ts";
 * const fig = probabilityBarsFigure([0.7, 0.2, 0.1], ["a", "b", "⟨BOS⟩"], { highlight: 0 });
 * console.log(fig.data[0].marker); // { color: ["#d62728", "#1f77b4", "#1f77b4"] }
 * ```
 */
export function probabilityBarsFigure(
  probs: readonly number[],
  labels: readonly string[],
  options: { title?: string; highlight?: number } = {},
): Figure {
  checkSameLength("probabilityBarsFigure", probs, labels);
  const { highlight } = options;
  if (
    highlight !== undefined && !(Number.isInteger(highlight) && highlight >= 0 && highlight < probs.length)
  ) {
    throw new UsageError(`highlight must be an index in 0..${probs.length - 1}, got ${highlight}`);
  }
  const shown = labels.map(visible);
  return {
    data: [{
      type: "bar",
      name: "probability",
      x: shown.map((_, i) => i),
      y: finiteOrNull(probs),
      text: shown,
      marker: { color: probs.map((_, i) => i === highlight ? COLORS[3] : COLORS[0]) },
      hovertemplate: "%{text}: %{y:.4f}<extra></extra>",
      textposition: "none",
    }],
    layout: {
      ...baseLayout(options.title ?? "Next-token probabilities"),
      xaxis: axis("next token", { ...labelTicks(shown), tickangle: 0 }),
      yaxis: axis("probability", { rangemode: "tozero" }),
      bargap: 0.15,
    },
  };
}

/**
 * The rows (e.g. the token embeddings `wte`, one row per token) projected to 2-D by PCA,
 * one labelled point per row; the axis titles give the share of variance each keeps.
 *
 * @example
 * ```ts
 * import { embeddingPcaFigure } from "./figures.ts";
 * const fig = embeddingPcaFigure([[1, 0, 0], [0, 1, 0], [0, 0, 1]], ["a", "b", "⟨BOS⟩"]);
 * console.log(fig.data[0].text); // ["a", "b", "⟨BOS⟩"]
 * ```
 */
export function embeddingPcaFigure(
  embeddings: readonly (readonly number[])[],
  labels: readonly string[],
  options: { title?: string } = {},
): Figure {
  checkSameLength("embeddingPcaFigure", embeddings, labels);
  const { points, explained } = pca2(embeddings);
  const shown = labels.map(visible);
  const percent = (share: number) => `${(100 * share).toFixed(1)}% of variance`;
  return {
    data: [{
      type: "scatter",
      mode: "markers+text",
      name: "tokens",
      x: points.map((p) => p[0]),
      y: points.map((p) => p[1]),
      text: shown,
      textposition: "top center",
      textfont: { size: 14 },
      marker: { size: 8, color: shown.map((label) => label === BOS_LABEL ? COLORS[3] : COLORS[0]) },
      hovertemplate: "%{text}<br>PC1 %{x:.3f}<br>PC2 %{y:.3f}<extra></extra>",
    }],
    layout: {
      ...baseLayout(options.title ?? "Token embeddings, projected to 2-D (PCA)"),
      xaxis: axis(`PC1 (${percent(explained[0])})`),
      yaxis: axis(`PC2 (${percent(explained[1])})`),
      height: 560,
    },
  };
}

/**
 * A histogram of values (e.g. initial weights or gradients).
 *
 * @example
 * ```ts
 * import { histogramFigure } from "./figures.ts";
 * console.log(histogramFigure([0.1, -0.2, 0.05], { xTitle: "weight" }).data[0].type); // histogram
 * ```
 */
export function histogramFigure(
  values: readonly number[],
  options: { title?: string; xTitle?: string; yTitle?: string } = {},
): Figure {
  return {
    data: [{
      type: "histogram",
      name: options.xTitle ?? "value",
      x: finiteOrNull(values),
      marker: { color: COLORS[0], line: { color: "white", width: 1 } },
    }],
    layout: {
      ...baseLayout(options.title),
      xaxis: axis(options.xTitle ?? "value"),
      yaxis: axis(options.yTitle ?? "count"),
      bargap: 0.02,
    },
  };
}

/**
 * Bars with a label each (labels may repeat: bars are placed by position).
 *
 * @example
 * ```ts
 * import { barFigure } from "./figures.ts";
 * console.log(barFigure(["a", "b"], [3, 5]).data[0].y); // [3, 5]
 * ```
 */
export function barFigure(
  labels: readonly string[],
  values: readonly number[],
  options: { title?: string; xTitle?: string; yTitle?: string } = {},
): Figure {
  checkSameLength("barFigure", values, labels);
  const shown = labels.map(visible);
  return {
    data: [{
      type: "bar",
      name: options.yTitle ?? "value",
      x: shown.map((_, i) => i),
      y: finiteOrNull(values),
      text: shown,
      textposition: "none",
      marker: { color: COLORS[0] },
      hovertemplate: "%{text}: %{y}<extra></extra>",
    }],
    layout: {
      ...baseLayout(options.title),
      xaxis: axis(options.xTitle, labelTicks(shown)),
      yaxis: axis(options.yTitle),
      bargap: 0.15,
    },
  };
}

/**
 * Lines, one per series, on optionally logarithmic axes (e.g. loss against model size).
 *
 * @example
 * ```ts
 * import { lineFigure } from "./figures.ts";
 * const fig = lineFigure([{ name: "lr 0.01", x: [1, 2, 3], y: [3, 2.5, 2.4] }], { logY: true });
 * console.log(fig.data[0].mode, (fig.layout.yaxis as { type: string }).type); // lines+markers log
 * ```
 */
export function lineFigure(
  series: readonly { name: string; x: readonly number[]; y: readonly number[] }[],
  options: { title?: string; xTitle?: string; yTitle?: string; logX?: boolean; logY?: boolean } = {},
): Figure {
  return {
    data: series.map((s, i) => {
      if (s.x.length !== s.y.length) {
        throw new UsageError(`series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values`);
      }
      return {
        type: "scatter",
        mode: "lines+markers",
        name: s.name,
        x: finiteOrNull(s.x),
        y: finiteOrNull(s.y),
        line: { color: color(i), width: 2 },
        marker: { color: color(i), size: 6 },
      };
    }),
    layout: {
      ...baseLayout(options.title),
      xaxis: axis(options.xTitle, { type: options.logX ? "log" : "linear" }),
      yaxis: axis(options.yTitle, { type: options.logY ? "log" : "linear" }),
      showlegend: series.length > 1,
    },
  };
}

/**
 * A heatmap of a matrix, `z[row][column]`, rows labelled top to bottom like a printed table.
 *
 * @example
 * ```ts
 * import { heatmapFigure } from "./figures.ts";
 * const fig = heatmapFigure([[1, 2], [3, 4]], ["c0", "c1"], ["r0", "r1"]);
 * console.log(fig.data[0].z); // [[1, 2], [3, 4]]
 * ```
 */
export function heatmapFigure(
  z: readonly (readonly number[])[],
  xLabels: readonly string[],
  yLabels: readonly string[],
  options: { title?: string } = {},
): Figure {
  checkSameLength("heatmapFigure rows", z, yLabels);
  z.forEach((row, i) => checkSameLength(`heatmapFigure row ${i}`, row, xLabels));
  const xs = xLabels.map(visible);
  const ys = yLabels.map(visible);
  return {
    data: [{
      type: "heatmap",
      z: z.map((row) => finiteOrNull(row)),
      x: xs.map((_, i) => i),
      y: ys.map((_, i) => i),
      text: ys.map((r) => xs.map((c) => `${r} · ${c}`)),
      colorscale: "Viridis",
      hovertemplate: "%{text}<br>%{z:.4g}<extra></extra>",
    }],
    layout: {
      ...baseLayout(options.title),
      xaxis: axis(undefined, labelTicks(xs)),
      yaxis: axis(undefined, { ...labelTicks(ys), autorange: "reversed" }),
    },
  };
}
