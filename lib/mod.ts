/**
 * microgpt in TypeScript: the public surface of the library. This file only re-exports;
 * each idea lives in its own file.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./random.ts";
export * from "./data.ts";
export * from "./tokenizer.ts";
export * from "./format.ts";
export * from "./value.ts";
export * from "./config.ts";
export * from "./model.ts";
export * from "./adam.ts";
export * from "./fast/engine.ts";
export * from "./fast_sample.ts";
export * from "./experiment/timing.ts";
export * from "./train.ts";
export * from "./sample.ts";
export * from "./version.ts";
export * from "./experiment/json_file.ts";
export * from "./experiment/split.ts";
export * from "./experiment/run_record.ts";
export * from "./experiment/checkpoint.ts";
export * from "./experiment/experiment.ts";
export * from "./experiment/sweep.ts";
export * from "./plot/graph_dot.ts";
export * from "./plot/figures.ts";
export * from "./plot/display.ts";
export * from "./plot/export.ts";
