/**
 * Every notebook ends with exercises, built the same way: a "## Try it" section of 3 to 5
 * exercises, each with a hint and a check cell that calls a check of the notebook's own module
 * (`notebooks/exercises/NN_name.ts`, imported as `check`), and every check of that module has
 * worked solutions and a test (`notebooks/solutions/NN_name.ts`, `NN_name_test.ts`, which run
 * each solution through its check, and wrong answers too). Notebook 10, on the Python kernel,
 * follows the same plan in Python: `exercises = import_module("exercises.10_pytorch")`, checks
 * `exercises.check_name(...)`, solutions and `10_pytorch_test.py`. Reads the notebooks; runs nothing.
 */

import assert from "node:assert/strict";
import { isPythonNotebook, joinText, type NotebookCell, readNotebook } from "../tools/notebook_json.ts";
import { resolveNotebooks } from "../tools/run_notebooks.ts";

const ROOT = new URL("../", import.meta.url);

/** The checks a cell calls: `check.name(` → `name` (Python: `exercises.check_name(`). */
function checkCalls(text: string, python: boolean): string[] {
  const call = python ? /\bexercises\.(check_\w+)\(/g : /\bcheck\.(\w+)\(/g;
  return [...text.matchAll(call)].map((m) => m[1]);
}

/** The checks a notebook's exercise module offers: its exported functions (Python: `def check_…`). */
async function offeredChecks(name: string, python: boolean): Promise<string[]> {
  if (python) {
    const source = await Deno.readTextFile(new URL(`notebooks/exercises/${name}.py`, ROOT));
    return [...source.matchAll(/^def (check_\w+)\(/gm)].map((m) => m[1]);
  }
  const module = await import(new URL(`notebooks/exercises/${name}.ts`, ROOT).href) as Record<
    string,
    unknown
  >;
  return Object.entries(module).filter(([key, value]) => typeof value === "function" && !/^[A-Z]/.test(key))
    .map(([key]) => key);
}

/** The exercises of a notebook: each "**Exercise N" markdown cell and the cells up to the next one. */
function exercises(cells: readonly NotebookCell[]): { intro: string; code: string[] }[] {
  const start = cells.findIndex((c) => c.cell_type === "markdown" && /^## Try it/m.test(joinText(c.source)));
  if (start < 0) return [];
  const found: { intro: string; code: string[] }[] = [];
  for (const cell of cells.slice(start)) {
    const text = joinText(cell.source);
    if (cell.cell_type === "markdown" && /^## Summary/m.test(text)) break;
    if (cell.cell_type === "markdown" && /\*\*Exercise \d/.test(text)) found.push({ intro: text, code: [] });
    else if (cell.cell_type === "code" && found.length > 0) found.at(-1)!.code.push(text);
  }
  return found;
}

Deno.test("every notebook ends with 3-5 exercises, each with a hint and a check", async (t) => {
  for (const path of await resolveNotebooks([])) {
    const name = path.replace(/^.*\//, "").replace(/\.ipynb$/, "");
    await t.step(name, async () => {
      const notebook = await readNotebook(path);
      const code = notebook.cells.filter((c) => c.cell_type === "code").map((c) => joinText(c.source)).join(
        "\n",
      );
      const python = isPythonNotebook(notebook);
      assert.match(
        code,
        python
          ? new RegExp(`exercises = import_module\\("exercises\\.${name}"\\)`)
          : new RegExp(`import \\* as check from "\\./exercises/${name}\\.ts";`),
        python ? "imports its checks as `exercises`" : "imports its checks as `check`",
      );
      const offered = await offeredChecks(name, python);
      const list = exercises(notebook.cells);
      assert.ok(list.length >= 3 && list.length <= 5, `${list.length} exercises`);
      list.forEach(({ intro, code }, i) => {
        const label = `exercise ${i + 1}`;
        assert.match(intro, new RegExp(`\\*\\*Exercise ${i + 1}\\b`), `${label} is numbered in order`);
        assert.match(intro, /<details><summary>Hint<\/summary>/, `${label} has a hint`);
        const calls = code.flatMap((text) => checkCalls(text, python));
        assert.ok(calls.length > 0, `${label} has a check cell`);
        for (const call of calls) assert.ok(offered.includes(call), `${label}: the check ${call} exists`);
      });
      // every check the module offers is used by its notebook (in code or in a hint)
      const everything = notebook.cells.map((c) => joinText(c.source)).join("\n");
      for (const key of offered) {
        assert.ok(checkCalls(everything, python).includes(key), `the check ${key} is used`);
      }
    });
  }
});

Deno.test("every exercise module has worked solutions and a test that runs them", async () => {
  const modules = [...Deno.readDirSync(new URL("notebooks/exercises/", ROOT))]
    .map((e) => e.name).filter((n) => /^\d\d_\w+\.ts$/.test(n)).sort();
  assert.ok(modules.length >= 10, `${modules.length} exercise modules`);
  for (const file of modules) {
    const solutions = new URL(`notebooks/solutions/${file}`, ROOT);
    const test = await Deno.readTextFile(
      new URL(`notebooks/solutions/${file.replace(/\.ts$/, "_test.ts")}`, ROOT),
    );
    await Deno.stat(solutions);
    const module = await import(new URL(`notebooks/exercises/${file}`, ROOT).href) as Record<string, unknown>;
    for (const [key, value] of Object.entries(module)) {
      if (typeof value !== "function" || /^[A-Z]/.test(key)) continue;
      assert.match(test, new RegExp(`check\\.${key}\\(`), `${file}: check.${key} is tested`);
    }
  }
  const python = [...Deno.readDirSync(new URL("notebooks/exercises/", ROOT))]
    .map((e) => e.name).filter((n) => /^\d\d_\w+\.py$/.test(n));
  for (const file of python) {
    await Deno.stat(new URL(`notebooks/solutions/${file}`, ROOT));
    const test = await Deno.readTextFile(
      new URL(`notebooks/solutions/${file.replace(/\.py$/, "_test.py")}`, ROOT),
    );
    for (const key of await offeredChecks(file.replace(/\.py$/, ""), true)) {
      assert.match(test, new RegExp(`\\b${key}\\b`), `${file}: ${key} is tested`);
    }
  }
});
