import assert from "node:assert/strict";
import { cleanNotebook, notebookText } from "./clean_notebooks.ts";
import { readNotebook } from "./notebook_json.ts";
import { resolveNotebooks } from "./run_notebooks.ts";

Deno.test("cleaning a committed notebook changes no byte (the writer is nbformat's layout)", async () => {
  for (const path of await resolveNotebooks([])) {
    const { notebook, cleaned } = cleanNotebook(await readNotebook(path));
    assert.equal(cleaned, 0, path);
    assert.equal(notebookText(notebook), await Deno.readTextFile(path), path);
  }
});

Deno.test("cleaning an executed notebook removes outputs, counts and run metadata, nothing else", () => {
  const { notebook, cleaned } = cleanNotebook({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno-microgpt" } },
    cells: [
      { cell_type: "markdown", source: "# t", metadata: { tags: ["x"] } },
      {
        cell_type: "code",
        source: "1",
        execution_count: 4,
        metadata: { tags: ["parameters"], execution: { "iopub.status.idle": "..." }, scrolled: true },
        outputs: [{ output_type: "execute_result", data: { "text/plain": "1" } }],
      },
      { cell_type: "code", source: "2", execution_count: null, metadata: {}, outputs: [] },
    ],
  });
  assert.equal(cleaned, 1);
  assert.deepEqual(notebook.cells[1], {
    cell_type: "code",
    source: "1",
    execution_count: null,
    metadata: { tags: ["parameters"] },
    outputs: [],
  });
  assert.deepEqual(notebook.cells[0], { cell_type: "markdown", source: "# t", metadata: { tags: ["x"] } });
  assert.deepEqual(notebook.metadata, { kernelspec: { name: "deno-microgpt" } });
});
