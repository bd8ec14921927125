/**
 * plotly.js for pages we write: the minified bundle from the npm package `plotly.js-dist-min`
 * (pinned in deno.json), read as text from `node_modules/` next to this library, so plots
 * render offline. Plotly cannot run in Deno itself (it needs a DOM), only in the page.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

const PACKAGE_DIR = new URL("../../node_modules/plotly.js-dist-min/", import.meta.url);

let cached: { version: string; source: string } | undefined;

/**
 * The plotly.js bundle (version and source), read once per process. A missing package is a
 * UsageError that says to run `deno install`.
 *
 * @example
 * ```ts
 * import { plotlyBundle } from "./plotly_bundle.ts";
 * const { version, source } = await plotlyBundle();
 * console.log(version, source.length > 1_000_000); // 3.7.0 true
 * ```
 */
export async function plotlyBundle(): Promise<{ version: string; source: string }> {
  if (cached) return cached;
  const scriptUrl = new URL("plotly.min.js", PACKAGE_DIR);
  let source: string;
  let packageJson: string;
  try {
    source = await Deno.readTextFile(scriptUrl);
    packageJson = await Deno.readTextFile(new URL("package.json", PACKAGE_DIR));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(
        `plotly.js is not installed (no ${scriptUrl.pathname}); run \`deno install\` in the project root`,
      );
    }
    throw err;
  }
  const version = String((JSON.parse(packageJson) as { version?: unknown }).version ?? "unknown");
  cached = { version, source };
  return cached;
}

/**
 * The bundle as the body of an inline `<script>`: a `</script` inside it would end the
 * element early, so it is written `<\/script` (the same text to JavaScript).
 *
 * @example
 * ```ts
 * import { inlineScript } from "./plotly_bundle.ts";
 * console.log(inlineScript('var s = "</script>";')); // var s = "<\/script>";
 * ```
 */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1");
}
