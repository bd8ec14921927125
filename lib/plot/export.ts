/**
 * Saving figures for notes: `.html` (standalone, plotly.js inlined, works offline), `.svg`
 * and `.png` (drawn by plotly.js in a real headless Chromium through `playwright-core`).
 * The same figure always gives the same `.html` and `.svg` bytes, so saved plots diff cleanly.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { Figure } from "./figures.ts";
import { escapeHtml } from "./display.ts";
import {
  DEFAULT_HEIGHT,
  figureHtml,
  figureTitle,
  layoutSize,
  PLOT_CONFIG,
  plotElementId,
  plotlyLoaderHtml,
} from "./plot_html.ts";
import { plotlyBundle } from "./plotly_bundle.ts";

/** Size of an exported image, in CSS pixels; `scale` multiplies the pixels of a PNG. */
export interface PlotSize {
  /** Width in CSS pixels. */
  width?: number;
  /** Height in CSS pixels. */
  height?: number;
  /** A PNG's pixels per CSS pixel. */
  scale?: number;
}

/** Width of an exported image whose figure sets none. */
export const DEFAULT_EXPORT_WIDTH = 900;

/** The file formats `savePlot` writes, by extension. */
export const PLOT_FORMATS = ["html", "svg", "png"] as const;
/** One of `PLOT_FORMATS`. */
export type PlotFormat = typeof PLOT_FORMATS[number];

/** Environment variables that name a Chromium or Chrome executable, checked in this order. */
export const BROWSER_ENV_VARS = ["CHROMIUM_PATH", "CHROME_PATH"] as const;

/** Where Chromium or Chrome usually lives, checked in this order after the variables. */
export const BROWSER_PATHS: readonly string[] = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/opt/google/chrome/chrome",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
  "C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe",
];

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: fall back to the usual paths
  }
}

/**
 * The Chromium or Chrome to render images with: `$CHROMIUM_PATH` or `$CHROME_PATH` if set,
 * else the first of `paths` (default `BROWSER_PATHS`) that exists. None is a UsageError
 * saying how to install one or point to it.
 *
 * @example
 * ```ts ignore
 * import { findChromium } from "./export.ts";
 * console.log(findChromium()); // /usr/bin/chromium
 * ```
 */
export function findChromium(options: { paths?: readonly string[] } = {}): string {
  for (const name of BROWSER_ENV_VARS) {
    const path = envVar(name);
    if (path === undefined) continue;
    if (!isFile(path)) {
      throw new UsageError(
        `${name} is set to ${path}, which is not a file; point it at a Chromium or Chrome executable`,
      );
    }
    return path;
  }
  for (const path of options.paths ?? BROWSER_PATHS) if (isFile(path)) return path;
  throw new UsageError(
    "no Chromium or Chrome found for .svg/.png export; install one (Debian/Ubuntu: `apt-get install chromium`) " +
      "or set CHROMIUM_PATH to its executable",
  );
}

/**
 * The format of an output path from its extension; others are a UsageError.
 *
 * @example
 * ```ts
 * import { plotFormat } from "./export.ts";
 * console.log(plotFormat("out/loss.PNG")); // png
 * ```
 */
export function plotFormat(path: string): PlotFormat {
  const match = /\.([A-Za-z0-9]+)$/.exec(path);
  const ext = match?.[1].toLowerCase();
  const format = PLOT_FORMATS.find((f) => f === ext);
  if (format === undefined) {
    throw new UsageError(
      `cannot save a plot as ${path}; the name must end in ${PLOT_FORMATS.map((f) => `.${f}`).join(", ")}`,
    );
  }
  return format;
}

function checkSize(size: PlotSize): void {
  for (const key of ["width", "height", "scale"] as const) {
    const v = size[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
      throw new UsageError(`plot ${key} must be a positive number, got ${v}`);
    }
  }
}

/** The figure with the requested size written into its layout (a copy). */
function sized(figure: Figure, size: PlotSize): Figure {
  const layout = { ...figure.layout };
  if (size.width !== undefined) layout.width = size.width;
  if (size.height !== undefined) layout.height = size.height;
  return { data: figure.data, layout };
}

function imageSize(figure: Figure, size: PlotSize): { width: number; height: number; scale: number } {
  return {
    width: size.width ?? layoutSize(figure, "width") ?? DEFAULT_EXPORT_WIDTH,
    height: size.height ?? layoutSize(figure, "height") ?? DEFAULT_HEIGHT,
    scale: size.scale ?? 1,
  };
}

/**
 * A complete HTML page that draws `figure` with plotly.js inlined: no network needed, and
 * no random ids (the element id is the figure's content hash).
 *
 * @example
 * ```ts
 * import { standaloneHtml } from "./export.ts";
 * import { barFigure } from "./figures.ts";
 * const html = await standaloneHtml(barFigure(["a"], [1], { title: "one bar" }));
 * console.log(html.startsWith("<!DOCTYPE html>"), html.includes("<title>one bar</title>")); // true true
 * ```
 */
export async function standaloneHtml(figure: Figure, size: PlotSize = {}): Promise<string> {
  checkSize(size);
  const { version, source } = await plotlyBundle();
  const shown = sized(figure, size);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(figureTitle(figure) ?? "plot")}</title>
<style>body { margin: 0; padding: 8px; background: white; }</style>
${plotlyLoaderHtml(source, version)}
</head>
<body>
${figureHtml(shown, plotElementId(shown, 0))}
</body>
</html>
`;
}

type Playwright = typeof import("playwright-core");

/**
 * The package that drives Chromium, named at run time so that Deno neither loads nor downloads
 * it until an image is exported (a name written in `import("...")` is fetched when the program
 * starts, even if never used). Its types come from the type-only import above.
 */
const PLAYWRIGHT: string = "playwright-core";

/**
 * Loads `playwright-core` (once); a missing package is a UsageError that says to run
 * `deno install`.
 */
export async function loadPlaywright(): Promise<Playwright> {
  try {
    return await import(PLAYWRIGHT) as Playwright;
  } catch (err) {
    throw new UsageError(
      `cannot load ${PLAYWRIGHT}, which drives Chromium for .svg/.png export (${
        (err as Error).message.split("\n")[0]
      }); ` +
        "run `deno install` in the project root",
    );
  }
}
type Browser = Awaited<ReturnType<Playwright["chromium"]["launch"]>>;
type Page = Awaited<ReturnType<Browser["newPage"]>>;

/** The few DOM types used inside the page (this library is typed without the DOM). */
interface PageElement {
  readonly attributes: ArrayLike<
    { namespaceURI: string | null; name: string; localName: string; value: string }
  >;
  removeAttributeNS(namespace: string | null, localName: string): void;
  setAttributeNS(namespace: string | null, qualifiedName: string, value: string): void;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
interface PageDom {
  DOMParser: new () => { parseFromString(text: string, type: string): { documentElement: PageElement } };
  XMLSerializer: new () => { serializeToString(node: unknown): string };
}

/** A local address nothing listens on (the discard port): where Chromium's requests end. */
const CLOSED_PORT = "http://127.0.0.1:9";

/**
 * The arguments Chromium is started with (after Playwright's own quiet defaults): headless, and
 * with nowhere to go on the network, which drawing our own figures never needs (the page is set
 * from a string, plotly.js is inlined). Background services are off (updates, sync, metrics,
 * domain reliability, DNS prefetch, QUIC, sign-in); the Google services that still start
 * (sign-in's account list, the update check, network time) are pointed at a closed local port;
 * and every host name but 127.0.0.1 resolves to nothing while every request goes to a proxy on
 * that closed port, so nothing leaves the machine. (Chromium's network stack still opens a UDP
 * socket to 2001:4860:4860::8888 and `connect`s it, once, to learn the local address for IPv6:
 * that sends nothing.) `--no-sandbox` because it only ever draws our own figures, and Chromium
 * refuses to start as root with its sandbox. `tests/network_test.ts` checks all of this.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-domain-reliability",
  "--dns-prefetch-disable",
  "--disable-quic",
  "--no-pings",
  "--allow-browser-signin=false",
  `--gaia-url=${CLOSED_PORT}`,
  `--google-apis-url=${CLOSED_PORT}`,
  `--component-updater=url-source=${CLOSED_PORT}`,
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  `--proxy-server=${CLOSED_PORT}`,
];

/**
 * A headless Chromium for exporting many figures with one browser start (about 2 s); each
 * figure is drawn in its own fresh page, so it depends on nothing drawn before. Close it
 * when done.
 *
 * @example
 * ```ts ignore
 * import { PlotRenderer } from "./export.ts";
 * const renderer = await PlotRenderer.open();
 * try {
 *   await renderer.save(figure, "out/loss.svg");
 *   await renderer.save(figure, "out/loss.png", { scale: 2 });
 * } finally {
 *   await renderer.close();
 * }
 * ```
 */
export class PlotRenderer {
  private constructor(private readonly browser: Browser, private readonly page: Page) {}

  /** Starts Chromium (`executablePath`, else `findChromium()`) and loads plotly.js into a page. */
  static async open(options: { executablePath?: string } = {}): Promise<PlotRenderer> {
    const executablePath = options.executablePath ?? findChromium();
    const { source } = await plotlyBundle();
    const { chromium } = await loadPlaywright();
    let browser: Browser;
    try {
      browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], timeout: 60_000 });
    } catch (err) {
      // Playwright's message is a launch log of many lines; its first says what went wrong.
      const first = (err as Error).message.split("\n")[0].replace(/^browserType\.launch: /, "");
      throw new UsageError(
        `cannot start Chromium ${executablePath} for .svg/.png export: ${first}; reinstall it, or set ` +
          "CHROMIUM_PATH to a working Chromium or Chrome",
      );
    }
    try {
      const page = await browser.newPage();
      await page.setContent('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>');
      await page.addScriptTag({ content: source });
      return new PlotRenderer(browser, page);
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  /**
   * The figure as an SVG document, in a canonical form: every element's attributes sorted by
   * name, so the text depends on the figure alone (plotly.js writes some attributes in an
   * order that depends on what it drew before in the page).
   */
  async svg(figure: Figure, size: PlotSize = {}): Promise<string> {
    return await this.render(figure, "svg", size);
  }

  /** The figure as PNG bytes, `width * scale` by `height * scale` pixels. */
  async png(figure: Figure, size: PlotSize = {}): Promise<Uint8Array> {
    const url = await this.render(figure, "png", size);
    const prefix = "data:image/png;base64,";
    if (!url.startsWith(prefix)) throw new Error(`unexpected PNG data from plotly.js: ${url.slice(0, 40)}`);
    return Uint8Array.from(atob(url.slice(prefix.length)), (c) => c.charCodeAt(0));
  }

  /** Writes the figure to `path` as `.html`, `.svg` or `.png` (by its extension), creating its folder. */
  async save(figure: Figure, path: string, size: PlotSize = {}): Promise<void> {
    const format = plotFormat(path);
    checkSize(size);
    await prepareDir(path);
    const content = format === "html"
      ? await standaloneHtml(figure, size)
      : format === "svg"
      ? await this.svg(figure, size)
      : await this.png(figure, size);
    await writeCreatingDir(path, content);
  }

  /** Stops Chromium. */
  async close(): Promise<void> {
    await this.browser.close();
  }

  /** A PNG as a data URL, or an SVG as canonical text. */
  private async render(figure: Figure, format: "svg" | "png", size: PlotSize): Promise<string> {
    checkSize(size);
    const { width, height, scale } = imageSize(figure, size);
    // Sent as JSON text: the figure is plain data, and a string keeps the page call simply typed.
    const spec = JSON.stringify({
      data: figure.data,
      layout: { ...figure.layout, width, height },
      config: PLOT_CONFIG,
    });
    // Runs in the page, where plotly.js defined window.Plotly.
    return await this.page.evaluate(async ({ spec, format, width, height, scale }) => {
      const plotly = (globalThis as unknown as {
        Plotly: { toImage(fig: unknown, opts: unknown): Promise<string> };
      }).Plotly;
      // plotly.js names clip paths and gradients with Math.random; restarting a fixed sequence
      // for every figure makes the same figure give the same SVG. This is the page's
      // generator, not one of ours, and nothing else runs in this page.
      let state = 0x2545f491;
      Math.random = () => {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        return (state >>> 0) / 4294967296;
      };
      const url = await plotly.toImage(JSON.parse(spec), { format, width, height, scale });
      if (format === "png") return url;
      const prefix = "data:image/svg+xml,";
      if (!url.startsWith(prefix)) throw new Error(`unexpected SVG data from plotly.js: ${url.slice(0, 40)}`);
      const dom = globalThis as unknown as PageDom;
      const doc = new dom.DOMParser().parseFromString(
        decodeURIComponent(url.slice(prefix.length)),
        "image/svg+xml",
      );
      for (const el of [doc.documentElement, ...Array.from(doc.documentElement.querySelectorAll("*"))]) {
        const attributes = Array.from(el.attributes)
          .map((a) => ({ ns: a.namespaceURI, name: a.name, local: a.localName, value: a.value }))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const a of attributes) el.removeAttributeNS(a.ns, a.local);
        for (const a of attributes) el.setAttributeNS(a.ns, a.name, a.value);
      }
      return new dom.XMLSerializer().serializeToString(doc);
    }, { spec, format, width, height, scale });
  }
}

/**
 * Makes the folder of a plot file; a folder that cannot be made (a file is in the way) or a
 * path that is a folder is a one-line UsageError. Called before rendering, so nothing is
 * drawn that cannot be saved.
 */
async function prepareDir(path: string): Promise<void> {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = slash > 0 ? path.slice(0, slash) : undefined;
  try {
    if (dir !== undefined) await Deno.mkdir(dir, { recursive: true });
    if ((await Deno.stat(path).catch(() => undefined))?.isDirectory) throw new Deno.errors.IsADirectory(path);
  } catch (err) {
    throw cannotSave(path, err, dir);
  }
}

/** Writes a plot file (its folder made first), with `prepareDir`'s one-line errors. */
async function writeCreatingDir(path: string, content: string | Uint8Array): Promise<void> {
  await prepareDir(path);
  try {
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
  } catch (err) {
    throw cannotSave(path, err, undefined);
  }
}

function cannotSave(path: string, err: unknown, dir: string | undefined): UsageError {
  const blocker = dir === undefined ? undefined : fileAbove(dir);
  const why = blocker !== undefined
    ? `${blocker} is a file, not a folder`
    : err instanceof Deno.errors.IsADirectory
    ? `${path} is a folder`
    : err instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : (err as Error).message.split("\n")[0];
  return new UsageError(`cannot save the plot ${path}: ${why}; pick another path`);
}

/** The first path on the way to `dir` (itself included) that exists and is not a folder. */
function fileAbove(dir: string): string | undefined {
  const parts = dir.split(/[/\\]/);
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    if (prefix === "") continue;
    try {
      if (!Deno.statSync(prefix).isDirectory) return prefix;
    } catch {
      return undefined; // missing: nothing in the way beyond this
    }
  }
  return undefined;
}

/**
 * Saves a figure as `.html` (standalone, plotly.js inlined, offline), `.svg` or `.png`
 * (rendered by headless Chromium, found by `findChromium`), chosen by the extension. Size
 * defaults to the layout's, else 900 × 450; `scale` multiplies a PNG's pixels (default 1).
 *
 * @example
 * ```ts ignore
 * import { lossCurveFigure, savePlot } from "../mod.ts";
 * await savePlot(lossCurveFigure({ name: "run", losses }), "out/loss.png", { width: 800, height: 400, scale: 2 });
 * ```
 */
export async function savePlot(figure: Figure, path: string, options: PlotSize = {}): Promise<void> {
  const format = plotFormat(path);
  checkSize(options);
  await prepareDir(path);
  if (format === "html") {
    await writeCreatingDir(path, await standaloneHtml(figure, options));
    return;
  }
  const renderer = await PlotRenderer.open();
  try {
    await renderer.save(figure, path, options);
  } finally {
    await renderer.close();
  }
}
