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
export * from "./train.ts";
export * from "./sample.ts";
