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
export * from "./fast_engine.ts";
export * from "./fast_sample.ts";
export * from "./fast_timing.ts";
export * from "./train.ts";
export * from "./sample.ts";
export * from "./version.ts";
export * from "./json_file.ts";
export * from "./split.ts";
export * from "./run_record.ts";
export * from "./checkpoint.ts";
export * from "./experiment.ts";
export * from "./sweep.ts";
export * from "./graph_dot.ts";
export * from "./figures.ts";
export * from "./display.ts";
export * from "./export.ts";
