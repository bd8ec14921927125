/**
 * The tensor engine: a small autograd over matrices, the GPT written with it, and minibatches.
 * This file only re-exports; each idea lives in its own file.
 *
 * @module
 */

export * from "./tensor.ts";
export * from "./ops.ts";
export * from "./gradcheck.ts";
export * from "./batch.ts";
export * from "./gpt.ts";
export * from "./sequence.ts";
export * from "./engine.ts";
