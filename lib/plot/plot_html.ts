/**
 * A figure as HTML: a `<div>` and a script that draws it with plotly.js once both exist,
 * with deterministic element ids (a content hash, never a random id), and a text summary
 * for frontends that show only `text/plain`.
 *
 * @module
 */

import type { Figure, PlotlyValue } from "./figures.ts";
import { inlineScript } from "./plotly_bundle.ts";

/** Plotly's options for every figure we draw: fit the container, no Plotly logo. */
export const PLOT_CONFIG = { responsive: true, displaylogo: false } as const;

/** Height of a figure whose layout sets none (Plotly's own default). */
export const DEFAULT_HEIGHT = 450;

/**
 * 32-bit FNV-1a of a string, as 8 hex digits: a short, stable fingerprint for element ids.
 *
 * @example
 * ```ts
 * import { fnv1a } from "./plot_html.ts";
 * console.log(fnv1a(""), fnv1a("a")); // 811c9dc5 e40c292c
 * ```
 */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/**
 * A figure as JSON that is safe inside a `<script>`: `<` is written `\u003c`, so no label
 * can close the element.
 *
 * @example
 * ```ts
 * import { scriptJson } from "./plot_html.ts";
 * console.log(scriptJson({ data: [], layout: { title: { text: "</script>" } } }));
 * // {"data":[],"layout":{"title":{"text":"\u003c/script>"}}}
 * ```
 */
export function scriptJson(figure: Figure): string {
  return JSON.stringify({ data: figure.data, layout: figure.layout }).replace(/</g, "\\u003c");
}

/** The element id of a figure: a prefix, a caller's counter and the content hash. */
export function plotElementId(figure: Figure, counter: number): string {
  return `microgpt-plot-${counter}-${fnv1a(scriptJson(figure))}`;
}

/**
 * The figure's own `width` or `height` (a positive number in its layout), or undefined: the
 * caller's default applies.
 *
 * @example
 * ```ts
 * import { layoutSize } from "./plot_html.ts";
 * console.log(layoutSize({ data: [], layout: { height: 300 } }, "height"), layoutSize({ data: [], layout: {} }, "width")); // 300 undefined
 * ```
 */
export function layoutSize(figure: Figure, key: "width" | "height"): number | undefined {
  const size = figure.layout[key];
  return typeof size === "number" && size > 0 ? size : undefined;
}

/**
 * The figure's title text (a string title or `{ text }`), or undefined.
 *
 * @example
 * ```ts
 * import { figureTitle } from "./plot_html.ts";
 * console.log(figureTitle({ data: [], layout: { title: { text: "loss" } } })); // loss
 * ```
 */
export function figureTitle(figure: Figure): string | undefined {
  const title = figure.layout.title;
  if (typeof title === "string") return title;
  if (title && typeof title === "object" && !Array.isArray(title) && typeof title.text === "string") {
    return title.text;
  }
  return undefined;
}

function widthStyle(figure: Figure): string {
  const w = layoutSize(figure, "width");
  return w === undefined ? "100%" : `${w}px`;
}

/**
 * The `<div>` and `<script>` that draw `figure` into element `id`. The script waits (up to
 * a minute, checking every 50 ms) until both the element is in the document and
 * `window.Plotly` is defined: classic Notebook runs a script before attaching its output, and
 * plotly.js may arrive in another output.
 *
 * @example
 * ```ts
 * import { figureHtml } from "./plot_html.ts";
 * const html = figureHtml({ data: [], layout: {} }, "p1");
 * console.log(html.startsWith('<div id="p1" class="microgpt-plot"')); // true
 * ```
 */
export function figureHtml(figure: Figure, id: string): string {
  const idJson = JSON.stringify(id);
  return `<div id="${id}" class="microgpt-plot" style="width: ${widthStyle(figure)}; height: ${
    layoutSize(figure, "height") ?? DEFAULT_HEIGHT
  }px;"></div>
<script type="text/javascript">
(function () {
  var figure = ${scriptJson(figure)};
  var tries = 0;
  function draw() {
    var el = document.getElementById(${idJson});
    if (el && window.Plotly) {
      window.Plotly.newPlot(el, figure.data, figure.layout, ${JSON.stringify(PLOT_CONFIG)});
    } else if (tries++ < 1200) {
      setTimeout(draw, 50);
    }
  }
  draw();
})();
</script>`;
}

/**
 * A `<script>` defining `window.Plotly` from the bundle's source, skipped if the page
 * already has it.
 *
 * @example
 * ```ts
 * import { plotlyLoaderHtml } from "./plot_html.ts";
 * console.log(plotlyLoaderHtml("window.Plotly = {};", "3.7.0").includes("if (!window.Plotly)")); // true
 * ```
 */
export function plotlyLoaderHtml(source: string, version: string): string {
  return `<script type="text/javascript">/* plotly.js ${version}, loaded once for the plots of this page */
if (!window.Plotly) {
${inlineScript(source)}
}
</script>`;
}

function pointCount(value: PlotlyValue | undefined): string {
  if (!Array.isArray(value)) return "";
  const rows = value.length;
  if (rows > 0 && Array.isArray(value[0])) return `${rows}×${value[0].length}`;
  return `${rows} points`;
}

/**
 * What a figure shows, as plain text: its title and one line per trace (type, name, size).
 *
 * @example
 * ```ts
 * import { figureSummary } from "./plot_html.ts";
 * import { lossCurveFigure } from "./figures.ts";
 * console.log(figureSummary(lossCurveFigure({ name: "run", losses: [3, 2] }, { showRaw: false })));
 * // Figure "Training loss": 1 trace
 * //   scatter "run": 2 points
 * ```
 */
export function figureSummary(figure: Figure): string {
  const text = figureTitle(figure);
  const n = figure.data.length;
  const lines = [
    `Figure${text === undefined ? "" : ` ${JSON.stringify(text)}`}: ${n} trace${n === 1 ? "" : "s"}`,
  ];
  for (const trace of figure.data) {
    const name = typeof trace.name === "string" ? ` ${JSON.stringify(trace.name)}` : "";
    const size = pointCount(trace.type === "heatmap" ? trace.z : trace.y ?? trace.x);
    lines.push(`  ${trace.type}${name}${size ? `: ${size}` : ""}`);
  }
  return lines.join("\n");
}
