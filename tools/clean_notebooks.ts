/**
 * `deno task clean-notebooks [NAME...]`: strips what running a notebook leaves in it (outputs,
 * execution counts, per-run cell metadata such as VS Code's execution times), keeps everything
 * else, and formats the notebooks as `deno task fmt-notebooks` does, so that `deno task check`
 * accepts them for committing.
 *
 * @module
 */

import { runCli } from "../cli/args.ts";
import { UsageError } from "../lib/errors.ts";
import { formatNotebookFiles } from "./fmt_notebooks.ts";
import { type Notebook, notebookText, readNotebook } from "./notebook_json.ts";
import { resolveNotebooks } from "./run_notebooks.ts";

export { notebookText, sortKeys } from "./notebook_json.ts";

/** Cell metadata that frontends write when a cell runs or is folded; it is not the notebook's content. */
export const RUN_METADATA: readonly string[] = [
  "execution",
  "ExecuteTime",
  "collapsed",
  "scrolled",
  "papermill",
];

/**
 * A copy of `notebook` without outputs, execution counts and run metadata; the count of code
 * cells that had any.
 *
 * @example
 * ```ts
 * import { cleanNotebook } from "./clean_notebooks.ts";
 * const { notebook, cleaned } = cleanNotebook({
 *   nbformat: 4, nbformat_minor: 5, metadata: {},
 *   cells: [{ cell_type: "code", source: "1", execution_count: 3, metadata: { execution: {} },
 *     outputs: [{ output_type: "execute_result", data: { "text/plain": "1" } }] }],
 * });
 * console.log(cleaned, notebook.cells[0]); // 1 { cell_type: "code", source: "1", execution_count: null, metadata: {}, outputs: [] }
 * ```
 */
export function cleanNotebook(notebook: Notebook): { notebook: Notebook; cleaned: number } {
  let cleaned = 0;
  const cells = notebook.cells.map((cell) => {
    if (cell.cell_type !== "code") return cell;
    const metadata = Object.fromEntries(
      Object.entries(cell.metadata).filter(([key]) => !RUN_METADATA.includes(key)),
    );
    const dirty = (cell.outputs ?? []).length > 0 || (cell.execution_count ?? null) !== null ||
      Object.keys(metadata).length !== Object.keys(cell.metadata).length;
    if (dirty) cleaned++;
    return { ...cell, execution_count: null, metadata, outputs: [] };
  });
  return { notebook: { ...notebook, cells }, cleaned };
}

async function main(args: string[]): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      "Usage: deno task clean-notebooks [NAME...]\n\n" +
        "Removes outputs, execution counts and run metadata from the notebooks (all, or those named)\n" +
        "and formats them, ready to commit.",
    );
    return;
  }
  const flag = args.find((arg) => arg.startsWith("-"));
  if (flag !== undefined) throw new UsageError(`unknown flag ${flag}; see --help`);
  const paths = await resolveNotebooks(args);
  for (const path of paths) {
    const { notebook, cleaned } = cleanNotebook(await readNotebook(path));
    await Deno.writeTextFile(path, notebookText(notebook));
    console.log(`${path}: ${cleaned === 0 ? "already clean" : `cleaned ${cleaned} code cell(s)`}`);
  }
  await formatNotebookFiles(paths);
}

if (import.meta.main) await runCli(() => main(Deno.args));
