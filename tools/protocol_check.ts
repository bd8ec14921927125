/**
 * Run All at the protocol level: `tools/kernel_protocol.py` sends all of a notebook's code cells
 * to a fresh kernel at once (as a frontend's Run All does) and records which request each iopub
 * output names as its parent and whether it came after that request's `idle`. Here each
 * request's outputs are compared with the headless run's outputs of its cell.
 *
 * `deno task notebooks-protocol [NAME...] [--kernel NAME]` runs it from the command line.
 *
 * @module
 */

import { runCli } from "../cli/args.ts";
import { UsageError } from "../lib/errors.ts";
import { type CellComparison, compareCells, notebookShapes, outputShapes } from "./live_notebook.ts";
import { isPythonNotebook, type NotebookOutput, readNotebook } from "./notebook_json.ts";
import { jupyterPython, resolveNotebooks, runNotebooks } from "./run_notebooks.ts";

const SCRIPT = new URL("./kernel_protocol.py", import.meta.url).pathname;

/** What one protocol-level Run All of a notebook got. */
export interface ProtocolRun {
  name: string;
  seconds: number;
  /** Per code cell, the outputs whose parent was that cell's request, in arrival order. */
  cells: NotebookOutput[][];
  /** Outputs that came after their request's `idle`. */
  late: number;
  /** Outputs whose parent was none of the requests. */
  stray: number;
  /** Requests left without a reply or an `idle`. */
  unfinished: number;
}

/**
 * Runs `path` (a notebook) at the protocol level on `kernel` (default: the notebook's own).
 *
 * @example
 * ```ts ignore
 * const run = await protocolRun("notebooks/02_tokenizer.ipynb");
 * console.log(run.late, run.stray, run.unfinished); // 0 0 0
 * ```
 */
export async function protocolRun(path: string, kernel?: string, timeoutSeconds = 600): Promise<ProtocolRun> {
  const args = [
    SCRIPT,
    path,
    "--timeout",
    String(timeoutSeconds),
    ...(kernel === undefined ? [] : ["--kernel", kernel]),
  ];
  const output = await new Deno.Command(jupyterPython(), {
    args,
    env: { NO_COLOR: "1", PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!output.success) {
    throw new Error(
      `kernel_protocol.py failed on ${path}: ${decode(output.stderr).trim().split("\n").at(-1)}`,
    );
  }
  const result = JSON.parse(decode(output.stdout)) as {
    cells: NotebookOutput[][];
    late: unknown[];
    stray: unknown[];
    unfinished: number;
    seconds: number;
  };
  return {
    name: path.replace(/^.*\//, "").replace(/\.ipynb$/, ""),
    seconds: result.seconds,
    cells: result.cells,
    late: result.late.length,
    stray: result.stray.length,
    unfinished: result.unfinished,
  };
}

/** How a protocol run's outputs per request compare with the headless run's outputs per cell. */
export function compareProtocolRun(
  run: ProtocolRun,
  reference: ReturnType<typeof notebookShapes>,
): CellComparison {
  return compareCells(reference, run.cells.map((outputs) => outputShapes(outputs)));
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      "Usage: deno task notebooks-protocol [NAME...] [--kernel NAME]\n\n" +
        "Runs the notebooks headless once (the reference), then sends each notebook's cells to a fresh kernel\n" +
        "all at once, as Run All does, and counts outputs under the wrong request, after their request's idle,\n" +
        "or missing. --kernel picks the kernelspec (default: the notebooks' own; `deno` is Deno's).",
    );
    return 0;
  }
  const names: string[] = [];
  let kernel: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--kernel") {
      kernel = args[++i];
      if (kernel === undefined) throw new UsageError("--kernel needs a kernelspec name");
    } else if (args[i].startsWith("-")) throw new UsageError(`unknown flag ${args[i]}; see --help`);
    else names.push(args[i]);
  }
  const paths = await resolveNotebooks(names);
  const outDir = await Deno.makeTempDir({ prefix: "microgpt_protocol_reference_" });
  let bad = 0;
  const totals = { late: 0, stray: 0, unfinished: 0, missing: 0, misplaced: 0 };
  try {
    const references = await runNotebooks(paths, { outDir, html: false });
    const broken = references.filter((r) => r.problems.length > 0);
    for (const r of broken) console.error(`error: the headless run of ${r.name}: ${r.problems.join("; ")}`);
    if (broken.length > 0) return 1;
    for (const [i, path] of paths.entries()) {
      // --kernel replaces a TypeScript notebook's kernel; a Python notebook keeps its own.
      const python = isPythonNotebook(await readNotebook(path));
      const run = await protocolRun(path, python ? undefined : kernel);
      const c = compareProtocolRun(run, notebookShapes(await readNotebook(references[i].executedPath)));
      const clean = run.late + run.stray + run.unfinished + c.missing + c.misplaced + c.misordered === 0;
      if (!clean) bad++;
      totals.late += run.late;
      totals.stray += run.stray;
      totals.unfinished += run.unfinished;
      totals.missing += c.missing;
      totals.misplaced += c.misplaced;
      console.log(
        `${run.name.padEnd(16)} ${clean ? "ok  " : "BAD "} ${
          run.seconds.toFixed(1).padStart(6)
        } s  after idle ${run.late}, ` +
          `no parent ${run.stray}, unfinished ${run.unfinished}, missing ${c.missing}, misplaced ${c.misplaced}`,
      );
      for (const line of c.details) console.log(`    ${line}`);
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
  console.log(
    `kernel ${
      kernel ?? "(the notebooks' own)"
    }: ${paths.length} notebooks, ${bad} with problems; ${totals.late} outputs after idle, ` +
      `${totals.misplaced} under the wrong request, ${totals.missing} missing, ${totals.stray} without a parent, ${totals.unfinished} requests unfinished`,
  );
  return bad === 0 ? 0 : 1;
}

if (import.meta.main) {
  await runCli(async () => {
    const code = await main(Deno.args);
    if (code !== 0) Deno.exit(code);
  });
}
