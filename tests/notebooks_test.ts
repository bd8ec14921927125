/**
 * End-to-end: every notebook runs top to bottom on the real Deno Jupyter kernel (a fresh
 * kernel each, through nbclient), no cell errors, every cell shows what its `microgpt`
 * metadata promises (plots, sampled names, exact losses), and each HTML export draws all its
 * plots offline in headless Chromium. Also checks that the harness itself catches failures.
 */

import assert from "node:assert/strict";
import { storageProblems } from "../tools/check_notebooks.ts";
import { joinText, type Notebook, type NotebookCell, readNotebook } from "../tools/notebook_json.ts";
import {
  type NotebookRun,
  resolveNotebooks,
  runNotebook,
  runNotebooks,
  verifyHtmlPlots,
} from "../tools/run_notebooks.ts";

const WALKTHROUGH = [
  "00_microgpt",
  "01_dataset",
  "02_tokenizer",
  "03_autograd",
  "04_model",
  "05_training",
  "06_inference",
  "07_experiments",
  "08_efficiency",
  "09_tensors",
];

// Subprocesses and a browser outlive single steps' bookkeeping; the steps clean up themselves.
const E2E = { sanitizeOps: false, sanitizeResources: false } as const;

Deno.test("committed notebooks", async (t) => {
  const paths = await resolveNotebooks([]);

  await t.step("are the walkthrough 00-09, in order", () => {
    assert.deepEqual(paths, WALKTHROUGH.map((name) => `notebooks/${name}.ipynb`));
  });

  await t.step("are stored without outputs, with the deno kernelspec", async () => {
    for (const path of paths) assert.deepEqual(storageProblems(await readNotebook(path)), [], path);
  });

  await t.step("promise something to look at: every notebook has checked plots and text", async () => {
    for (const path of paths) {
      const notebook = await readNotebook(path);
      const promised = notebook.cells.flatMap((cell) => cell.metadata.microgpt?.expect ?? []);
      assert.ok(promised.length >= 3, `${path} promises only ${promised.length} outputs`);
      assert.ok(promised.includes("plot") || promised.includes("svg"), `${path} promises no picture`);
    }
  });
});

Deno.test("the notebook harness catches failures", E2E, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_nb_harness_" });
  try {
    const broken: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: "deno", display_name: "Deno", language: "typescript" },
        language_info: { name: "typescript" },
      },
      cells: [
        {
          cell_type: "code",
          id: "a",
          metadata: {},
          outputs: [],
          execution_count: null,
          source: "const x = 6 * 7;",
        },
        {
          cell_type: "code",
          id: "b",
          metadata: { microgpt: { expect: ["plot"], match: ["^answer 42$"] } },
          outputs: [],
          execution_count: null,
          source: "console.log(`answer ${x}`);",
        },
        {
          cell_type: "code",
          id: "c",
          metadata: {},
          outputs: [],
          execution_count: null,
          source: 'throw new RangeError("deliberate failure");',
        },
        // Three times: a cell that prints 100 lines, then one that prints nothing. The kernel sends
        // the tail of such output after reporting the cell done; it must still land in its cell.
        ...[1, 2, 3].flatMap((n): NotebookCell[] => [
          {
            cell_type: "code",
            id: `print${n}`,
            metadata: { microgpt: { expect: ["names"] } },
            outputs: [],
            execution_count: null,
            source: "for (let i = 0; i < 100; i++) console.log(`line ${i}: emma olivia ava`);",
          },
          {
            cell_type: "code",
            id: `quiet${n}`,
            metadata: {},
            outputs: [],
            execution_count: null,
            source: `${n};`,
          },
        ]),
      ],
    };
    await Deno.writeTextFile(`${dir}/broken.ipynb`, JSON.stringify(broken));
    const run = await runNotebook(`${dir}/broken.ipynb`, { outDir: `${dir}/out`, html: false });

    await t.step("reports a failing cell and an unkept promise, and nothing else", () => {
      assert.deepEqual(run.problems, [
        "cell 2: promised 1 plot(s), showed 0",
        "cell 3: RangeError: deliberate failure",
      ]);
    });

    await t.step(
      "keeps every line a cell prints in that cell, even lines the kernel sends late",
      async () => {
        const executed = await readNotebook(run.executedPath);
        for (const index of [3, 5, 7]) {
          const printed = executed.cells[index].outputs?.map((o) => joinText(o.text)).join("") ?? "";
          assert.equal(printed.split("\n").filter((line) => line.endsWith(": emma olivia ava")).length, 100);
          const next = executed.cells[index + 1].outputs?.map((o) => joinText(o.text)).join("") ?? "";
          assert.ok(!next.includes("emma"), `cell ${index + 2} got output of cell ${index + 1}: ${next}`);
        }
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every notebook runs top to bottom on the Deno kernel", E2E, async (t) => {
  const outDir = await Deno.makeTempDir({ prefix: "microgpt_notebooks_" });
  try {
    const runs: NotebookRun[] = await runNotebooks(await resolveNotebooks([]), { outDir });
    await verifyHtmlPlots(runs);
    for (const run of runs) {
      await t.step(`${run.name} (${run.seconds.toFixed(1)} s, ${run.plots} plots)`, () => {
        assert.deepEqual(run.problems, []);
        assert.ok(run.plots > 0, "no plots");
        assert.equal(run.htmlPlots, run.plots);
      });
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
