/**
 * Part of `deno task check`: fails if a committed notebook carries outputs or execution
 * counts, lacks a kernelspec of ours (`deno-microgpt`, or `python3` for a Python notebook) or a
 * well-formed `parameters` cell, is not formatted, or has code that does not check. The Deno
 * kernel runs cells without type-checking, so each TypeScript notebook's code cells are joined
 * in order into one temporary module and `deno check`ed; a Python notebook's are joined and
 * compiled, then run through pyflakes when Jupyter's Python has it (undefined names, unused
 * imports). Errors are reported as notebook cell and line.
 *
 * @module
 */

import { runCli } from "../cli/args.ts";
import { UsageError } from "../lib/errors.ts";
import { formatNotebookFiles } from "./fmt_notebooks.ts";
import {
  isPythonNotebook,
  joinText,
  MICROGPT_KERNEL,
  type Notebook,
  PROMISE_KINDS,
  PYTHON_KERNEL,
  readNotebook,
} from "./notebook_json.ts";
import { PARAMETERS_TAG, readParameters } from "./notebook_params.ts";
import { jupyterPython, resolveNotebooks } from "./run_notebooks.ts";

/**
 * Everything wrong with how a notebook is stored, one line each: nbformat, kernelspec
 * (`deno-microgpt`; `python3` for a Python notebook), language, outputs or execution counts
 * left in, malformed `microgpt` promises, a missing or malformed `parameters` cell (exactly
 * one, only `const name = literal;` lines; `name = literal` in Python).
 *
 * @example
 * ```ts
 * import { storageProblems } from "./check_notebooks.ts";
 * console.log(storageProblems({
 *   nbformat: 4, nbformat_minor: 5,
 *   metadata: { kernelspec: { name: "deno-microgpt", display_name: "Deno (microgpt)", language: "typescript" },
 *     language_info: { name: "typescript" } },
 *   cells: [
 *     { cell_type: "code", source: "const seed = 42;", metadata: { tags: ["parameters"] }, outputs: [] },
 *     { cell_type: "code", source: "1", metadata: {}, execution_count: 3, outputs: [] },
 *   ],
 * })); // [ "cell 2: has execution count 3; clear outputs before committing" ]
 * ```
 */
export function storageProblems(notebook: Notebook): string[] {
  const problems: string[] = [];
  if (notebook.nbformat !== 4) problems.push(`nbformat is ${notebook.nbformat}; save as nbformat 4`);
  const spec = notebook.metadata.kernelspec;
  const kernel = isPythonNotebook(notebook) ? PYTHON_KERNEL : MICROGPT_KERNEL;
  if (
    spec?.name !== kernel.name || spec?.display_name !== kernel.display_name ||
    spec?.language !== kernel.language
  ) {
    problems.push(
      `kernelspec is ${JSON.stringify(spec ?? null)}; it must be ${JSON.stringify(kernel)}`,
    );
  }
  const tagged = notebook.cells.filter((cell) => {
    const tags = cell.metadata.tags;
    return Array.isArray(tags) && tags.includes(PARAMETERS_TAG);
  });
  if (tagged.length !== 1 || tagged[0].cell_type !== "code") {
    problems.push(`has ${tagged.length} cells tagged "${PARAMETERS_TAG}"; it needs exactly one, a code cell`);
  } else {
    try {
      readParameters(notebook);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (notebook.metadata.language_info?.name !== kernel.language) {
    problems.push(`language_info.name must be "${kernel.language}"`);
  }
  notebook.cells.forEach((cell, index) => {
    const where = `cell ${index + 1}`;
    if (cell.cell_type !== "code") return;
    if ((cell.outputs ?? []).length > 0) {
      problems.push(`${where}: has ${cell.outputs?.length} output(s); clear outputs before committing`);
    }
    if (cell.execution_count !== null && cell.execution_count !== undefined) {
      problems.push(`${where}: has execution count ${cell.execution_count}; clear outputs before committing`);
    }
    const promise = cell.metadata.microgpt;
    for (const kind of promise?.expect ?? []) {
      if (!PROMISE_KINDS.includes(kind)) {
        problems.push(`${where}: unknown promise "${kind}"; use one of ${PROMISE_KINDS.join(", ")}`);
      }
    }
    for (const pattern of [...promise?.match ?? [], ...promise?.reference ?? []]) {
      try {
        new RegExp(pattern);
      } catch {
        problems.push(`${where}: match /${pattern}/ is not a valid regular expression`);
      }
    }
  });
  return problems;
}

/** A notebook's code as one module, and which cell each of its lines came from. */
export interface ExtractedModule {
  /** The code cells joined in order, relative imports made absolute. */
  code: string;
  /** `cellOfLine[i]` is the 1-based notebook cell of module line `i + 1` (0 for a separator). */
  cellOfLine: number[];
  /** `lineInCell[i]` is the 1-based line within that cell. */
  lineInCell: number[];
}

/**
 * Joins a notebook's code cells into one TypeScript module. Relative import specifiers are
 * resolved against `notebookDir` (a file URL ending in `/`), so the module type-checks from
 * anywhere; `export {}` makes it a module even without imports (top-level await needs one).
 *
 * @example
 * ```ts
 * import { extractModule } from "./check_notebooks.ts";
 * const { code, cellOfLine } = extractModule({
 *   nbformat: 4, nbformat_minor: 5, metadata: {},
 *   cells: [
 *     { cell_type: "markdown", source: "# Title", metadata: {} },
 *     { cell_type: "code", source: ['import { Random } from "../lib/mod.ts";\n', "new Random(1);"], metadata: {} },
 *   ],
 * }, "file:///repo/notebooks/");
 * console.log(code.includes('"file:///repo/lib/mod.ts"'), cellOfLine); // true [ 0, 2, 2, 0 ]
 * ```
 */
export function extractModule(notebook: Notebook, notebookDir: string): ExtractedModule {
  const lines: string[] = [];
  const cellOfLine: number[] = [];
  const lineInCell: number[] = [];
  notebook.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    lines.push(`// cell ${index + 1}`);
    cellOfLine.push(0);
    lineInCell.push(0);
    const source = joinText(cell.source).replace(
      /((?:from|import)\s*\(?\s*)(["'])(\.\.?\/[^"']+)\2/g,
      (_match, lead: string, quote: string, specifier: string) =>
        `${lead}${quote}${new URL(specifier, notebookDir).href}${quote}`,
    );
    source.split("\n").forEach((line, i) => {
      lines.push(line);
      cellOfLine.push(index + 1);
      lineInCell.push(i + 1);
    });
  });
  lines.push("export {};");
  cellOfLine.push(0);
  lineInCell.push(0);
  return { code: lines.join("\n") + "\n", cellOfLine, lineInCell };
}

/** What a notebook check found. */
export interface NotebookCheck {
  path: string;
  problems: string[];
}

/**
 * Checks every notebook (or the given ones): storage, then one `deno check` over all their
 * code. Type errors come back as `notebooks/x.ipynb cell N line M: ...`.
 */
export async function checkNotebooks(paths: readonly string[], root = Deno.cwd()): Promise<NotebookCheck[]> {
  const checks: NotebookCheck[] = [];
  const modules = new Map<string, { notebook: string; module: ExtractedModule }>();
  const python: { path: string; notebook: Notebook }[] = [];
  const tempDir = await Deno.makeTempDir({ prefix: "microgpt_notebooks_" });
  try {
    for (const path of paths) {
      const notebook = await readNotebook(path);
      const check: NotebookCheck = { path, problems: storageProblems(notebook) };
      checks.push(check);
      if (isPythonNotebook(notebook)) {
        python.push({ path, notebook });
        continue;
      }
      const absolute = path.startsWith("/") ? path : `${root}/${path}`;
      const dirUrl = new URL(".", `file://${absolute}`).href;
      const module = extractModule(notebook, dirUrl);
      const modulePath = `${tempDir}/${path.replace(/^.*\//, "").replace(/\.ipynb$/, "")}.ts`;
      await Deno.writeTextFile(modulePath, module.code);
      modules.set(modulePath, { notebook: path, module });
    }
    await checkFormatting(paths, root, tempDir, checks);
    for (const { path, notebook } of python) {
      checks.find((c) => c.path === path)!.problems.push(...await pythonProblems(notebook));
    }
    if (modules.size > 0) {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["check", "--quiet", "--config", `${root}/deno.json`, ...modules.keys()],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (output.code !== 0) {
        const text = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
        attributeTypeErrors(text, modules, checks);
      }
    }
  } finally {
    await Deno.remove(tempDir, { recursive: true });
  }
  return checks;
}

/**
 * Flags notebooks that `deno fmt` would change. Deno 2.9.6's `deno fmt --check` reports every
 * TypeScript notebook as unformatted even when formatting leaves it byte for byte the same,
 * so deno.json keeps notebooks out of `deno fmt`, and they are checked here instead: format a
 * copy with tools/notebook_fmt.json (the same options; `deno task fmt-notebooks` applies them)
 * and compare the bytes.
 */
async function checkFormatting(
  paths: readonly string[],
  root: string,
  tempDir: string,
  checks: NotebookCheck[],
): Promise<void> {
  const absolute = (path: string) => path.startsWith("/") ? path : `${root}/${path}`;
  const copies = paths.map((path, i) => `${tempDir}/fmt_${i}_${path.replace(/^.*\//, "")}`);
  await Promise.all(paths.map((path, i) => Deno.copyFile(absolute(path), copies[i])));
  try {
    await formatNotebookFiles(copies);
  } catch (err) {
    for (const check of checks) check.problems.push((err as Error).message);
    return;
  }
  for (const [i, path] of paths.entries()) {
    if (await Deno.readTextFile(absolute(path)) !== await Deno.readTextFile(copies[i])) {
      checks.find((c) => c.path === path)?.problems.push("is not formatted; run: deno task fmt-notebooks");
    }
  }
}

/**
 * Compiles a Python notebook's code cells, joined in order, and runs pyflakes over them when
 * Jupyter's Python has it (Debian: python3-pyflakes); a problem per message, as cell and line.
 * Lines starting with `%` or `!` (IPython's magics and shell escapes) are blanked first.
 */
const PYTHON_CHECK_SCRIPT = `import json, sys
cells = json.load(sys.stdin)
lines, where = [], []
for number, source in cells:
    for i, line in enumerate(source.split("\\n")):
        lines.append("" if line.lstrip().startswith(("%", "!")) else line)
        where.append((number, i + 1))
code = "\\n".join(lines) + "\\n"
problems = []
def at(line):
    cell, within = where[min(max(line, 1), len(where)) - 1]
    return f"cell {cell} line {within}"
try:
    compile(code, "notebook", "exec")
except SyntaxError as err:
    problems.append(f"{at(err.lineno or 1)}: {err.msg}")
else:
    try:
        from pyflakes import api, reporter
    except ImportError:
        pass
    else:
        class Collect(reporter.Reporter):
            def __init__(self): pass
            def flake(self, m): problems.append(f"{at(m.lineno)}: {m.message % m.message_args}")
            def syntaxError(self, f, msg, lineno, offset, text): problems.append(f"{at(lineno or 1)}: {msg}")
            def unexpectedError(self, f, msg): problems.append(msg)
        api.check(code, "notebook", Collect())
print(json.dumps(problems))
`;

async function pythonProblems(notebook: Notebook): Promise<string[]> {
  const cells = notebook.cells.flatMap((cell, i) =>
    cell.cell_type === "code" ? [[i + 1, joinText(cell.source)]] : []
  );
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(jupyterPython(), {
      args: ["-c", PYTHON_CHECK_SCRIPT],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [`cannot check its Python: ${jupyterPython()} not found`];
    throw err;
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(cells)));
  await writer.close();
  const output = await child.output();
  if (!output.success) {
    return [
      `checking its Python failed: ${new TextDecoder().decode(output.stderr).trim().split("\n").at(-1)}`,
    ];
  }
  return JSON.parse(new TextDecoder().decode(output.stdout)) as string[];
}

/** Turns `deno check` output on the temporary modules into per-notebook problems. */
function attributeTypeErrors(
  text: string,
  modules: Map<string, { notebook: string; module: ExtractedModule }>,
  checks: NotebookCheck[],
): void {
  // Each diagnostic starts with "TS1234 [ERROR]: message" and names its place as "at file:///…:line:col".
  const blocks = text.split(/\n(?=TS\d+ \[ERROR\]|error:)/);
  let attributed = false;
  for (const block of blocks) {
    const head = block.split("\n")[0].trim();
    const at = block.match(/at (file:\/\/\S+?):(\d+):(\d+)/);
    if (at === null) continue;
    const modulePath = decodeURIComponent(new URL(at[1]).pathname);
    const entry = modules.get(modulePath);
    if (entry === undefined) continue;
    const line = Number(at[2]);
    const cell = entry.module.cellOfLine[line - 1] ?? 0;
    const lineInCell = entry.module.lineInCell[line - 1] ?? 0;
    const check = checks.find((c) => c.path === entry.notebook);
    check?.problems.push(`cell ${cell} line ${lineInCell}: ${head.replace(/^TS\d+ \[ERROR\]: /, "")}`);
    attributed = true;
  }
  if (!attributed) {
    // Not a type error in a cell (say, an unresolvable import): report it against every notebook.
    const reason = text.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "deno check failed";
    for (const check of checks) check.problems.push(`deno check failed: ${reason}`);
  }
}

async function main(args: string[]): Promise<number> {
  const unknownFlag = args.find((arg) => arg.startsWith("-"));
  if (unknownFlag !== undefined) {
    throw new UsageError(`unknown flag ${unknownFlag}; pass notebook names or nothing`);
  }
  const paths = await resolveNotebooks(args);
  if (paths.length === 0) throw new UsageError("no notebooks found in notebooks/");
  const checks = await checkNotebooks(paths);
  let failed = 0;
  for (const check of checks) {
    for (const problem of check.problems) console.error(`error: ${check.path} ${problem}`);
    if (check.problems.length > 0) failed++;
  }
  console.log(`checked ${checks.length} notebooks: ${failed === 0 ? "ok" : `${failed} with problems`}`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  await runCli(async () => {
    const code = await main(Deno.args);
    if (code !== 0) Deno.exit(code);
  });
}
