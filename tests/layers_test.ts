/**
 * The layers hold: no import goes against them (`tools/layers.ts` states the rules; README,
 * Layout, explains them). In short: the core (`lib/*.ts`) imports nothing above it and no npm
 * package; `lib/fast/` and `lib/tensor/` import only the core; `lib/plot/` imports only the
 * core; `lib/experiment/` imports the core and the engines; `lib/` never imports `cli/`,
 * `bench/`, `tools/` or `tests/`.
 */
import assert from "node:assert/strict";
import { importEdges, layerOf, sourceFiles, violations } from "../tools/layers.ts";

Deno.test("the rules catch an import against the layers", () => {
  assert.deepEqual(
    violations([
      { from: "lib/train.ts", to: "lib/fast/engine.ts" },
      { from: "lib/model.ts", to: "npm:valibot" },
      { from: "lib/plot/figures.ts", to: "lib/experiment/sweep.ts" },
      { from: "lib/fast/engine.ts", to: "lib/plot/figures.ts" },
      { from: "lib/tensor/tensor.ts", to: "lib/fast/engine.ts" },
      { from: "lib/experiment/checkpoint.ts", to: "cli/args.ts" },
      { from: "lib/extra/x.ts", to: "lib/model.ts" },
    ]),
    [
      "lib/train.ts (core) imports lib/fast/engine.ts (fast)",
      "lib/model.ts (core) imports the npm package valibot",
      "lib/plot/figures.ts (plot) imports lib/experiment/sweep.ts (experiment)",
      "lib/fast/engine.ts (fast) imports lib/plot/figures.ts (plot)",
      "lib/tensor/tensor.ts (tensor) imports lib/fast/engine.ts (fast)",
      "lib/experiment/checkpoint.ts (experiment) imports cli/args.ts (cli)",
      "lib/extra/x.ts is in no layer; put it in one (tools/layers.ts)",
    ],
  );
  assert.deepEqual(
    violations([
      { from: "lib/train.ts", to: "lib/value_engine.ts" },
      { from: "lib/tensor/engine.ts", to: "lib/engine.ts" },
      { from: "lib/experiment/engines.ts", to: "lib/tensor/engine.ts" },
      { from: "lib/mod.ts", to: "lib/plot/display.ts" },
      { from: "cli/train.ts", to: "lib/experiment/experiment.ts" },
      { from: "lib/plot/export.ts", to: "npm:playwright-core" },
    ]),
    [],
  );
});

Deno.test("every import of the code follows the layers (deno info --json)", async () => {
  const files = await sourceFiles();
  for (const file of files) assert.ok(layerOf(file) !== undefined, `${file} is in no layer`);
  const edges = await importEdges();
  const importers = new Set(edges.map((e) => e.from));
  // The graph really covers the code: every library file that imports something is in it.
  for (
    const file of ["lib/train.ts", "lib/experiment/sweep_worker.ts", "lib/fast/engine.ts", "cli/train.ts"]
  ) {
    assert.ok(importers.has(file), `${file} is missing from the import graph`);
  }
  assert.ok(edges.length > 200, `only ${edges.length} imports found`);
  const problems = violations(edges);
  assert.equal(problems.length, 0, `imports against the layers:\n${problems.join("\n")}`);
});
