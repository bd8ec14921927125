import assert from "node:assert/strict";
import { compareCells, liveTotals, outputShapes } from "./live_notebook.ts";
import type { LiveRun } from "./live_notebook.ts";

Deno.test("outputShapes: consecutive streams of one name merge and count lines; rich outputs by MIME types", () => {
  assert.deepEqual(
    outputShapes([
      { output_type: "stream", name: "stdout", text: ["a\n", "b\n"] },
      { output_type: "stream", name: "stdout", text: "c\n\n" },
      { output_type: "stream", name: "stderr", text: "oops\n" },
      { output_type: "stream", name: "stdout", text: "d" },
      { output_type: "display_data", data: { "text/plain": "", "text/html": "" } },
      { output_type: "error", ename: "Error", evalue: "x" },
    ]),
    [
      { kind: "stdout", count: 3 },
      { kind: "stderr", count: 1 },
      { kind: "stdout", count: 1 },
      { kind: "display_data[text/html,text/plain]", count: 1 },
      { kind: "error", count: 1 },
    ],
  );
  assert.deepEqual(outputShapes([]), []);
});

Deno.test("compareCells: missing, misplaced and misordered outputs, per cell", () => {
  const out = (kind: string, count = 1) => ({ kind, count });
  const reference = [[out("stdout", 20)], [out("execute_result[text/plain]")], [
    out("stdout", 2),
    out("display_data[x]"),
  ]];
  assert.deepEqual(compareCells(reference, reference), {
    missing: 0,
    misplaced: 0,
    misordered: 0,
    details: [],
  });
  // 00's samples 17-20 under the next cell; the last cell's outputs in the wrong order.
  const live = [[out("stdout", 16)], [out("stdout", 4), out("execute_result[text/plain]")], [
    out("display_data[x]"),
    out("stdout", 2),
  ]];
  const result = compareCells(reference, live);
  assert.deepEqual([result.missing, result.misplaced, result.misordered], [4, 4, 1]);
  assert.deepEqual(result.details, [
    "code cell 1: expected stdout×20; showed stdout×16",
    "code cell 2: expected execute_result[text/plain]; showed stdout×4, execute_result[text/plain]",
    "code cell 3: expected stdout×2, display_data[x]; showed display_data[x], stdout×2",
  ]);
  // A cell the live run never reached shows nothing.
  assert.equal(compareCells(reference, []).missing, 20 + 1 + 2 + 1);
});

Deno.test("liveTotals adds up runs", () => {
  const run = (hung: boolean, missing: number): LiveRun => ({
    notebook: "00",
    run: 1,
    seconds: 1,
    hung,
    comparison: { missing, misplaced: missing, misordered: 0, details: missing > 0 ? ["x"] : [] },
    plotsDrawn: 1,
    plots: 1,
    invalidSignatures: hung ? 6 : 0,
  });
  assert.deepEqual(liveTotals([run(false, 0), run(true, 3), run(false, 2)]), {
    runs: 3,
    hangs: 1,
    missing: 5,
    misplaced: 5,
    misordered: 0,
    differing: 2,
    invalidSignatures: 6,
  });
});
