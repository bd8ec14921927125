/**
 * The parts of the Jupyter notebook format (nbformat 4) the notebook tools read: cells,
 * outputs, the kernelspec, and the `microgpt` cell metadata that says what a cell promises
 * to show.
 *
 * @module
 */

/** A notebook's source: nbformat stores it as one string or as a list of lines. */
export type MultilineText = string | string[];

/** One output of a code cell, as nbclient writes it. */
export interface NotebookOutput {
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  /** `stream`: "stdout" or "stderr". */
  name?: string;
  /** `stream`: the text written. */
  text?: MultilineText;
  /** Rich outputs: MIME type to content (text as a string or lines; JSON as an object). */
  data?: Record<string, unknown>;
  execution_count?: number | null;
  /** `error`: the exception's name, message and traceback. */
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** What a cell promises to show when it runs, checked by `tools/run_notebooks.ts`. */
export interface CellPromise {
  /**
   * Kinds of output the cell must produce: `plot` (a Plotly figure; repeat it for several),
   * `names` (sampled names in its text), `text` (any text), `table` (an HTML table),
   * `svg` (an SVG picture).
   */
  expect?: string[];
  /**
   * Regular expressions its text output must match; `{{name}}` stands for the value of the
   * notebook's parameter `name` in the run (see tools/notebook_params.ts).
   */
  match?: string[];
  /**
   * Regular expressions its text must match when the notebook runs with its default parameters:
   * the reference numbers (losses, samples) that reproduce microgpt.py.
   */
  reference?: string[];
  /** Save this cell, as the classic UI shows it, to `docs/screenshots/NAME.png` (`deno task screenshots`). */
  screenshot?: string;
}

/** A notebook cell. */
export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  id?: string;
  source: MultilineText;
  metadata: { microgpt?: CellPromise; [key: string]: unknown };
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

/** A notebook file. */
export interface Notebook {
  cells: NotebookCell[];
  metadata: {
    kernelspec?: { name?: string; display_name?: string; language?: string };
    language_info?: { name?: string };
    [key: string]: unknown;
  };
  nbformat: number;
  nbformat_minor: number;
}

/**
 * The kernelspec every committed notebook carries, which `deno task kernel-install` registers:
 * Deno's kernel behind the proxy in `tools/kernel_proxy.py`, which keeps every output under
 * its own cell (see docs/KERNEL.md).
 */
export const MICROGPT_KERNEL = Object.freeze({
  name: "deno-microgpt",
  display_name: "Deno (microgpt)",
  language: "typescript",
});

/**
 * The kernelspec of notebook 10 (PyTorch): Jupyter's Python kernel (`python3-ipykernel`), run by
 * the Python that has PyTorch. The tools treat a notebook by the kernelspec it names.
 */
export const PYTHON_KERNEL = Object.freeze({
  name: "python3",
  display_name: "Python 3 (ipykernel)",
  language: "python",
});

/**
 * Whether a notebook's code is Python (its kernelspec or language_info says so); otherwise it
 * is TypeScript, for the deno-microgpt kernel.
 *
 * @example
 * ```ts
 * import { isPythonNotebook } from "./notebook_json.ts";
 * console.log(isPythonNotebook({ nbformat: 4, nbformat_minor: 5, cells: [],
 *   metadata: { kernelspec: { name: "python3", language: "python" } } })); // true
 * ```
 */
export function isPythonNotebook(notebook: Notebook): boolean {
  const spec = notebook.metadata.kernelspec;
  return spec?.language === "python" || spec?.name === PYTHON_KERNEL.name ||
    notebook.metadata.language_info?.name === "python";
}

/** The kinds of output a cell may promise in `metadata.microgpt.expect`. */
export const PROMISE_KINDS: readonly string[] = ["plot", "names", "text", "table", "svg"];

/** The MIME type of a Plotly figure. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/**
 * Joins nbformat's multiline text.
 *
 * @example
 * ```ts
 * import { joinText } from "./notebook_json.ts";
 * console.log(joinText(["a\n", "b"])); // "a\nb"
 * ```
 */
export function joinText(text: MultilineText | undefined): string {
  if (text === undefined) return "";
  return typeof text === "string" ? text : text.join("");
}

/** Reads and parses a notebook file; a file that is not a notebook is an Error naming it. */
export async function readNotebook(path: string): Promise<Notebook> {
  const parsed: unknown = JSON.parse(await Deno.readTextFile(path));
  if (
    typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as Notebook).cells) ||
    typeof (parsed as Notebook).nbformat !== "number"
  ) {
    throw new Error(`${path} is not a Jupyter notebook (no cells / nbformat)`);
  }
  return parsed as Notebook;
}

/**
 * The text a code cell showed: its stdout/stderr and the `text/plain` of its results and displays.
 *
 * @example
 * ```ts
 * import { cellText } from "./notebook_json.ts";
 * console.log(cellText({
 *   cell_type: "code", source: "", metadata: {},
 *   outputs: [{ output_type: "stream", name: "stdout", text: ["hi\n"] },
 *     { output_type: "execute_result", data: { "text/plain": "3" } }],
 * })); // "hi\n3\n"
 * ```
 */
export function cellText(cell: NotebookCell): string {
  let text = "";
  for (const output of cell.outputs ?? []) {
    if (output.output_type === "stream") text += joinText(output.text);
    const plain = output.data?.["text/plain"];
    if (typeof plain === "string" || Array.isArray(plain)) text += joinText(plain as MultilineText) + "\n";
  }
  return text;
}

/**
 * `value` with every object's keys sorted, as nbformat writes notebooks.
 *
 * @example
 * ```ts
 * import { sortKeys } from "./notebook_json.ts";
 * console.log(JSON.stringify(sortKeys({ b: 1, a: [{ d: 2, c: 3 }] }))); // {"a":[{"c":3,"d":2}],"b":1}
 * ```
 */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** A notebook as nbformat writes it: sorted keys, one-space indent, non-ASCII as is, a final newline. */
export function notebookText(notebook: Notebook): string {
  return JSON.stringify(sortKeys(notebook), null, 1) + "\n";
}
