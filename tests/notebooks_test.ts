/**
 * End-to-end, on each notebook's kernel (`deno-microgpt`: Deno's kernel behind
 * tools/kernel_proxy.py; `python3` for notebook 10, PyTorch's): every notebook runs top to
 * bottom with plain nbclient, no cell errors, every cell shows what its `microgpt` metadata
 * promises (plots, sampled names, exact losses), and each HTML export draws all its plots
 * offline in headless Chromium. Then the same notebooks as users run them, each compared cell by
 * cell with that headless run: plain `nbconvert --to html --execute`; Run All at the protocol
 * level (every output under its own request, none after that request's idle); and the live
 * classic Notebook UI, Kernel > Restart & Run All twice per notebook. The last two check the
 * deno-microgpt kernel's ordering of outputs, so they run the notebooks on it; the Python kernel
 * (ipykernel, Jupyter's reference kernel) has no such bug to catch, and notebook 10 would add
 * about three of its runs (two minutes) to them. And `--param` overrides. Also checks that the
 * harness itself catches failures, on both kernels.
 *
 * MICROGPT_LIVE_RUNS=N runs Restart & Run All N times per notebook instead of 2.
 */

/// <reference lib="dom" />

import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../lib/plot/export.ts";
import { storageProblems } from "../tools/check_notebooks.ts";
import {
  compareCells,
  formatLiveRun,
  LiveNotebookServer,
  type LiveRun,
  liveTotals,
  notebookShapes,
  type OutputShape,
} from "../tools/live_notebook.ts";
import {
  isPythonNotebook,
  joinText,
  MICROGPT_KERNEL,
  type Notebook,
  type NotebookCell,
  PLOTLY_MIME,
  PYTHON_KERNEL,
  readNotebook,
} from "../tools/notebook_json.ts";
import { INJECTED_TAG, PARAMETERS_TAG, readParameters } from "../tools/notebook_params.ts";
import { compareProtocolRun, protocolRun } from "../tools/protocol_check.ts";
import {
  jupyterPython,
  type NotebookRun,
  resolveNotebooks,
  runNotebook,
  runNotebooks,
  verifyHtmlPlots,
} from "../tools/run_notebooks.ts";
import { assertUsageError, runScript } from "./cli.ts";

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
  "10_pytorch",
];

/**
 * Notebook 10 needs PyTorch in its kernel's Python (`apt-get install python3-torch`); without it,
 * the Python notebooks are left out of the runs below, saying so (CI installs it: `.ci/run`).
 */
const HAVE_TORCH = (await new Deno.Command(jupyterPython(), {
  args: ["-c", "import torch"],
  stdout: "null",
  stderr: "null",
}).output().catch(() => ({ success: false }))).success;
if (!HAVE_TORCH) {
  console.log(
    `tests/notebooks_test.ts: notebook 10 skipped: PyTorch is not importable by ${jupyterPython()} ` +
      "(apt-get install python3-torch)",
  );
}

/** The notebooks the runs below execute: all, or all but the Python ones without PyTorch. */
async function notebooksToRun(): Promise<string[]> {
  const paths = await resolveNotebooks([]);
  if (HAVE_TORCH) return paths;
  const runnable: string[] = [];
  for (const path of paths) if (!isPythonNotebook(await readNotebook(path))) runnable.push(path);
  return runnable;
}

// Subprocesses and a browser outlive single steps' bookkeeping; the steps clean up themselves.
const E2E = { sanitizeOps: false, sanitizeResources: false } as const;

Deno.test("committed notebooks", async (t) => {
  const paths = await resolveNotebooks([]);

  await t.step("are the walkthrough 00-10, in order", () => {
    assert.deepEqual(paths, WALKTHROUGH.map((name) => `notebooks/${name}.ipynb`));
  });

  await t.step(
    "are stored without outputs, with their kernelspec (deno-microgpt; python3 for 10) and a parameters cell",
    async () => {
      for (const path of paths) assert.deepEqual(storageProblems(await readNotebook(path)), [], path);
    },
  );

  await t.step("promise something to look at: every notebook has checked plots and text", async () => {
    for (const path of paths) {
      const notebook = await readNotebook(path);
      const promised = notebook.cells.flatMap((cell) => cell.metadata.microgpt?.expect ?? []);
      assert.ok(promised.length >= 3, `${path} promises only ${promised.length} outputs`);
      assert.ok(promised.includes("plot") || promised.includes("svg"), `${path} promises no picture`);
    }
  });

  await t.step(
    "keep their settings in the parameters cell: no seed or step count repeated below it",
    async () => {
      for (const path of paths) {
        const notebook = await readNotebook(path);
        const params = readParameters(notebook);
        assert.equal(params.get("seed"), 42, `${path}: seed`);
        const index = notebook.cells.findIndex((cell) =>
          (cell.metadata.tags as string[] | undefined)?.includes(PARAMETERS_TAG)
        );
        assert.ok(index >= 0 && index < 2, `${path}: the parameters cell comes first`);
        const code = notebook.cells.slice(index + 1).filter((cell) => cell.cell_type === "code")
          .map((cell) => joinText(cell.source)).join("\n");
        assert.doesNotMatch(code, /Random\(42\)/, `${path} seeds a generator with 42 instead of \`seed\``);
        assert.doesNotMatch(code, /steps: 1000\b/, `${path} sets 1000 steps instead of \`steps\``);
      }
    },
  );
});

Deno.test("the notebook harness catches failures", E2E, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_nb_harness_" });
  try {
    const broken: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { ...MICROGPT_KERNEL },
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

Deno.test(
  "the notebook harness on the Python kernel: a failure, an unkept promise, an injected parameter",
  E2E,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "microgpt_nb_harness_py_" });
    try {
      const cell = (id: string, source: string, metadata: NotebookCell["metadata"] = {}): NotebookCell => ({
        cell_type: "code",
        id,
        metadata,
        outputs: [],
        execution_count: null,
        source,
      });
      const notebook: Notebook = {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { ...PYTHON_KERNEL }, language_info: { name: "python" } },
        cells: [
          cell("p", "x = 6  # a parameter", { tags: [PARAMETERS_TAG] }),
          cell("a", 'print(f"answer {x * 7}")', {
            microgpt: { match: ["^answer {{x}}$"], expect: ["plot"] },
          }),
          cell("b", 'raise ValueError("deliberate failure")'),
        ],
      };
      await Deno.writeTextFile(`${dir}/broken.ipynb`, JSON.stringify(notebook));
      const run = await runNotebook(`${dir}/broken.ipynb`, {
        outDir: `${dir}/out`,
        html: false,
        params: new Map([["x", "7"]]),
      });
      // Cells as numbered in the executed copy, where the injected cell is cell 2.
      assert.deepEqual(run.problems, [
        "cell 3: promised 1 plot(s), showed 0",
        "cell 3: text does not match /^answer 7$/", // it printed 49: x is 7
        "cell 4: ValueError: deliberate failure",
      ]);
      const executed = await readNotebook(run.executedPath);
      assert.equal(joinText(executed.cells[1].source), "# Parameters injected for this run\nx = 7\n");
      assert.equal(joinText(executed.cells[2].outputs?.[0].text), "answer 49\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** Per notebook, the output shapes of each code cell in the headless run, for the tests below. */
const reference = new Map<
  string,
  { path: string; shapes: OutputShape[][]; seconds: number; plots: number; python: boolean }
>();
let notebookCount = 0;

Deno.test("every notebook runs top to bottom on its kernel", E2E, async (t) => {
  const outDir = await Deno.makeTempDir({ prefix: "microgpt_notebooks_" });
  try {
    const paths = await notebooksToRun();
    notebookCount = paths.length;
    const runs: NotebookRun[] = await runNotebooks(paths, { outDir });
    await verifyHtmlPlots(runs);
    for (const [i, run] of runs.entries()) {
      await t.step(`${run.name} (${run.seconds.toFixed(1)} s, ${run.plots} plots)`, async () => {
        assert.deepEqual(run.problems, []);
        assert.ok(run.plots > 0, "no plots");
        assert.equal(run.htmlPlots, run.plots);
        const executed = await readNotebook(run.executedPath);
        const shapes = notebookShapes(executed);
        const python = isPythonNotebook(executed);
        reference.set(run.name, { path: paths[i], shapes, seconds: run.seconds, plots: run.plots, python });
      });
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

/** The headless runs, or a failure when the test above did not make them all. */
function references(): {
  name: string;
  path: string;
  shapes: OutputShape[][];
  seconds: number;
  plots: number;
  python: boolean;
}[] {
  assert.ok(
    notebookCount > 0 && reference.size === notebookCount,
    "needs the headless run of every notebook (the test above)",
  );
  return [...reference].map(([name, ref]) => ({ name, ...ref }));
}

/** The notebooks on the deno-microgpt kernel, whose ordering of outputs the next two tests check. */
function microgptKernelReferences(): ReturnType<typeof references> {
  return references().filter((ref) => !ref.python);
}

/**
 * What nbconvert's HTML shows per code cell, by the kinds an HTML page can tell apart: stdout
 * (line count), stderr and errors, results, and displays.
 */
function htmlKind(shape: OutputShape): OutputShape {
  const kind = shape.kind.startsWith("display_data")
    ? "display_data"
    : shape.kind.startsWith("execute_result")
    ? "execute_result"
    : shape.kind === "error"
    ? "stderr"
    : shape.kind;
  return { kind, count: shape.count };
}

Deno.test(
  "plain nbconvert --to html --execute shows each cell's outputs and draws every plot offline",
  E2E,
  async (t) => {
    const refs = references();
    const dir = await Deno.makeTempDir({ prefix: "microgpt_nbconvert_" });
    const browser = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_ARGS] });
    try {
      for (const ref of refs) {
        await t.step(ref.name, async () => {
          // The standard tool and its standard preprocessor: the kernel is the one the notebook names.
          const output = await new Deno.Command(jupyterPython(), {
            args: ["-m", "nbconvert", "--to", "html", "--execute", ref.path, "--output-dir", dir],
            env: { NO_COLOR: "1", PYDEVD_DISABLE_FILE_VALIDATION: "1" },
            stdout: "piped",
            stderr: "piped",
          }).output();
          assert.ok(output.success, new TextDecoder().decode(output.stderr).slice(-2000));
          const page = await browser.newPage();
          try {
            await page.route(/^(https?|wss?):/, (route) => route.abort());
            await page.goto(`file://${dir}/${ref.name}.html`, {
              waitUntil: "domcontentloaded",
              timeout: 60_000,
            });
            await page.waitForFunction(
              `document.querySelectorAll(".js-plotly-plot .main-svg").length >= ${ref.plots}`,
              undefined,
              { timeout: 30_000 },
            ).catch(() => {}); // a shortfall fails below
            const view = await page.evaluate(() => {
              const cells = [...document.querySelectorAll(".jp-Cell.jp-CodeCell")].map((cell) =>
                [...cell.querySelectorAll(".jp-OutputArea-output")].map((out) => {
                  const mime = out.getAttribute("data-mime-type") ?? "";
                  if (out.classList.contains("jp-OutputArea-executeResult")) {
                    return { kind: "execute_result", count: 1 };
                  }
                  if (mime === "application/vnd.jupyter.stderr") {
                    return { kind: "stderr", count: 1 };
                  }
                  if (mime === "text/plain") {
                    const lines = (out.textContent ?? "").split("\n").filter((line) =>
                      line.trim() !== ""
                    ).length;
                    return { kind: "stdout", count: lines };
                  }
                  return { kind: "display_data", count: 1 };
                })
              );
              const drawn = [...document.querySelectorAll(".js-plotly-plot")].filter((plot) =>
                plot.querySelector(".main-svg") !== null
              ).length;
              return { cells, drawn };
            });
            const expected = ref.shapes.map((shapes) => shapes.map(htmlKind));
            const comparison = compareCells(expected, view.cells);
            assert.deepEqual(comparison.details, [], "output kinds per cell differ from the headless run");
            assert.equal(view.drawn, ref.plots, "Plotly figures drawn offline");
          } finally {
            await page.close();
          }
        });
      }
    } finally {
      await browser.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "Run All at the protocol level: every output under its own request, none after its idle",
  E2E,
  async (t) => {
    for (const ref of microgptKernelReferences()) {
      await t.step(ref.name, async () => {
        const run = await protocolRun(ref.path);
        const comparison = compareProtocolRun(run, ref.shapes);
        assert.deepEqual(
          { late: run.late, stray: run.stray, unfinished: run.unfinished, differences: comparison.details },
          { late: 0, stray: 0, unfinished: 0, differences: [] },
        );
      });
    }
  },
);

Deno.test(
  "classic Notebook UI: Restart & Run All, twice in a row, matches the headless run",
  E2E,
  async (t) => {
    const refs = microgptKernelReferences();
    const runs = Number(Deno.env.get("MICROGPT_LIVE_RUNS") ?? 2);
    const server = await LiveNotebookServer.start(refs.map((ref) => ref.path), {
      kernel: MICROGPT_KERNEL.name,
    });
    const all: LiveRun[] = [];
    try {
      for (const ref of refs) {
        await t.step(ref.name, async () => {
          const done = await server.runNotebook(`${ref.path.replace(/^.*\//, "")}`, ref.shapes, {
            runs,
            timeoutSeconds: Math.max(120, ref.seconds * 4 + 60),
            onRun: (run) => console.log(formatLiveRun(run)),
          });
          all.push(...done);
          for (const run of done) {
            assert.equal(run.hung, false, `run ${run.run} did not finish`);
            assert.deepEqual(
              run.comparison.details,
              [],
              `run ${run.run}: outputs differ from the headless run`,
            );
            assert.equal(run.plotsDrawn, run.plots, `run ${run.run}: Plotly figures drawn`);
            assert.equal(run.invalidSignatures, 0, `run ${run.run}: Invalid Signature in the server log`);
          }
        });
      }
    } finally {
      await server.close();
    }
    const totals = liveTotals(all);
    console.log(
      `live UI: ${totals.runs} runs, ${totals.hangs} hung, ${totals.missing} outputs missing, ${totals.misplaced} misplaced`,
    );
  },
);

Deno.test(
  "deno task notebooks 00 05 07 --param seed=7 --param steps=300 follows the parameters",
  E2E,
  async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "microgpt_params_" });
    try {
      await t.step("an unknown parameter or a value of the wrong kind is a usage error", async () => {
        assertUsageError(
          await runScript("tools/run_notebooks.ts", ["00", "--param", "stepz=3"]),
          /00_microgpt has no parameter stepz; its parameters: seed, steps, numSamples, temperature/,
        );
        assertUsageError(
          await runScript("tools/run_notebooks.ts", ["05", "--param", "steps=many"]),
          /parameter steps is a number; got "many"/,
        );
      });

      const output = await runScript("tools/run_notebooks.ts", [
        "00",
        "05",
        "07",
        "--param",
        "seed=7",
        "--param",
        "steps=300",
        "--out-dir",
        dir,
      ]);
      await t.step("runs clean", () => {
        assert.equal(output.code, 0, output.stdout + output.stderr);
        assert.match(output.stdout, /^parameters: seed=7, steps=300$/m);
      });

      const text = (notebook: Notebook) =>
        notebook.cells.flatMap((cell) => cell.outputs ?? []).map((o) =>
          joinText(o.text) + joinText(o.data?.["text/plain"] as string | string[] | undefined)
        ).join("\n");
      const curves = (notebook: Notebook) =>
        notebook.cells.flatMap((cell) => cell.outputs ?? []).flatMap((o) => {
          const figure = o.data?.[PLOTLY_MIME] as {
            data: { x?: unknown[] }[];
            layout: { title?: { text?: string } };
          } | undefined;
          return figure === undefined
            ? []
            : [{ title: figure.layout.title?.text ?? "", points: figure.data.map((d) => d.x?.length ?? 0) }];
        });

      for (const name of ["00_microgpt", "05_training", "07_experiments"]) {
        await t.step(`${name}: the injected cell follows the parameters cell`, async () => {
          const notebook = await readNotebook(`${dir}/${name}.ipynb`);
          const tags = notebook.cells.map((cell) => (cell.metadata.tags as string[] | undefined) ?? []);
          const index = tags.findIndex((t) => t.includes(PARAMETERS_TAG));
          assert.ok(tags[index + 1].includes(INJECTED_TAG));
          assert.equal(
            joinText(notebook.cells[index + 1].source),
            "// Parameters injected for this run\nconst seed = 7;\nconst steps = 300;\n",
          );
        });
      }

      await t.step("00: 300 steps printed and drawn, seed 7 shown", async () => {
        const notebook = await readNotebook(`${dir}/00_microgpt.ipynb`);
        assert.match(text(notebook), /^step {2}300 \/ 300 \| loss \d\.\d{4}$/m);
        assert.doesNotMatch(text(notebook), /\/ 1000 |1000 steps/, "the default step count shows");
        const live = curves(notebook).find((c) => c.title.startsWith("training loss"));
        assert.match(live?.title ?? "", /^training loss, seed 7: 300 steps, last loss/);
        assert.deepEqual(live?.points, [300, 300]);
      });

      await t.step("05: 300 steps printed and drawn, seed 7 shown", async () => {
        const notebook = await readNotebook(`${dir}/05_training.ipynb`);
        assert.match(text(notebook), /^step {2}300 \/ 300 \| loss \d\.\d{4}$/m);
        const found = curves(notebook);
        assert.match(
          found.find((c) => c.title.startsWith("training loss, seed"))?.title ?? "",
          /^training loss, seed 7: 300 steps/,
        );
        assert.deepEqual(found.find((c) => c.title.startsWith("training loss, seed"))?.points, [300, 300]);
        assert.deepEqual(found.find((c) => c.title === "learning rate η<sub>t</sub>")?.points, [300]);
      });

      await t.step(
        "07: the reference run shows seed 7 and 300 steps; every curve has 300 points",
        async () => {
          const notebook = await readNotebook(`${dir}/07_experiments.ipynb`);
          assert.match(text(notebook), /^seed 7: 4192 parameters, 300 steps, final loss \d\.\d{4}$/m);
          const seedCurves = curves(notebook).find((c) => c.title === "five seeds, smoothed");
          assert.deepEqual(seedCurves?.points, [300, 300, 300, 300, 300]);
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
