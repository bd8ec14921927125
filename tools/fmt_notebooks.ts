/**
 * `deno task fmt-notebooks [PATH...]`: formats notebooks (files, or every `*.ipynb` in a folder)
 * with `deno fmt` and tools/notebook_fmt.json, each by its kernelspec: a TypeScript notebook's
 * code and markdown cells; a Python notebook's markdown cells only (deno fmt would format its
 * Python as TypeScript), its code left as written and the file in nbformat's layout.
 *
 * @module
 */

import { runCli } from "../cli/args.ts";
import { UsageError } from "../lib/errors.ts";
import { isPythonNotebook, notebookText, readNotebook } from "./notebook_json.ts";

const CONFIG = new URL("./notebook_fmt.json", import.meta.url).pathname;

async function denoFmt(paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", "--config", CONFIG, ...paths],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const reason = new TextDecoder().decode(output.stderr).trim().split("\n")[0];
    throw new Error(`deno fmt failed: ${reason}`);
  }
}

/**
 * Formats the notebooks at `paths` in place. A Python notebook goes through `deno fmt` as a copy
 * whose code cells are raw cells (which deno fmt leaves alone); its markdown comes back formatted.
 *
 * @example
 * ```ts ignore
 * await formatNotebookFiles(["notebooks/00_microgpt.ipynb", "notebooks/10_pytorch.ipynb"]);
 * ```
 */
export async function formatNotebookFiles(paths: readonly string[]): Promise<void> {
  const typescript: string[] = [];
  const tempDir = await Deno.makeTempDir({ prefix: "microgpt_fmt_" });
  try {
    for (const [i, path] of paths.entries()) {
      const notebook = await readNotebook(path);
      if (!isPythonNotebook(notebook)) {
        typescript.push(path);
        continue;
      }
      const copy = `${tempDir}/${i}.ipynb`;
      const asRaw = notebook.cells.map((cell) =>
        cell.cell_type === "code" ? { cell_type: "raw", metadata: {}, source: cell.source } : cell
      );
      await Deno.writeTextFile(copy, JSON.stringify({ ...notebook, cells: asRaw }, null, 1));
      await denoFmt([copy]);
      const formatted = await readNotebook(copy);
      const cells = notebook.cells.map((cell, j) =>
        cell.cell_type === "markdown" ? { ...cell, source: formatted.cells[j].source } : cell
      );
      await Deno.writeTextFile(path, notebookText({ ...notebook, cells }));
    }
    await denoFmt(typescript);
  } finally {
    await Deno.remove(tempDir, { recursive: true });
  }
}

/** The notebooks named: files as given, folders as their `*.ipynb` (sorted). */
async function expand(args: readonly string[]): Promise<string[]> {
  const paths: string[] = [];
  for (const arg of args) {
    const info = await Deno.stat(arg).catch(() => null);
    if (info === null) throw new UsageError(`${arg} not found; name notebooks or folders of notebooks`);
    if (!info.isDirectory) {
      paths.push(arg);
      continue;
    }
    const found: string[] = [];
    for await (const entry of Deno.readDir(arg)) {
      if (entry.isFile && entry.name.endsWith(".ipynb")) {
        found.push(`${arg.replace(/\/$/, "")}/${entry.name}`);
      }
    }
    paths.push(...found.sort());
  }
  return paths;
}

if (import.meta.main) {
  await runCli(async () => {
    if (Deno.args.length === 0 || Deno.args.some((arg) => arg.startsWith("-"))) {
      throw new UsageError("usage: deno task fmt-notebooks (formats notebooks/ and the test fixture)");
    }
    await formatNotebookFiles(await expand(Deno.args));
  });
}
