/**
 * microgpt in TypeScript: the public surface of the library, for notebooks and programs. This
 * file only re-exports; each idea lives in its own file, in layers (README, Layout): the core
 * (`lib/*.ts`), the engines (`lib/fast/`, `lib/tensor/`), plots (`lib/plot/`) and experiments
 * (`lib/experiment/`). The tensor ops (`linear`, `softmax`, ... on matrices) share names with the
 * core's scalar ones: import them from `lib/tensor/ops.ts` (`import * as F from ".../ops.ts"`).
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, GPT, sampleNames, shuffledDataset, train } from "./mod.ts";
 * const { tokenizer, tokens, rng } = shuffledDataset(["emma", "olivia", "ava", "isabella"], 42);
 * const model = GPT.init(DEFAULT_CONFIG, tokenizer.vocabSize, rng);
 * const { losses } = train(model, tokens, { steps: 30 });
 * console.log(losses.length, sampleNames(model, tokenizer, rng, { numSamples: 3 }).length); // 30 3
 * ```
 *
 * @module
 */

// The core: microgpt, readable from value.ts to train.ts.
export * from "./errors.ts";
export * from "./random.ts";
export * from "./data.ts";
export * from "./tokenizer.ts";
export * from "./dataset.ts";
export * from "./format.ts";
export * from "./stats.ts";
export * from "./value.ts";
export * from "./config.ts";
export * from "./parameters.ts";
export * from "./model.ts";
export * from "./adam.ts";
export * from "./engine.ts";
export * from "./value_engine.ts";
export * from "./train.ts";
export * from "./sample.ts";
export * from "./version.ts";
// The fast engine.
export * from "./fast/engine.ts";
// The tensor engine: tensors, the GPT on them, minibatches (its ops: lib/tensor/ops.ts).
export { Tensor } from "./tensor/tensor.ts";
export { attentionHead, causalSelfAttention, TensorGPT } from "./tensor/gpt.ts";
export { makeBatch, type PaddedBatch, sequenceBatch } from "./tensor/batch.ts";
export { TensorSequence } from "./tensor/sequence.ts";
export { TensorEngine } from "./tensor/engine.ts";
// Experiments: engines by name, timing, records, checkpoints, validation, sweeps.
export * from "./experiment/engines.ts";
export * from "./experiment/timing.ts";
export {
  exactJson,
  jsonPath,
  parseJsonText,
  readJsonFile,
  writeTextFileAtomic,
} from "./experiment/json_file.ts";
export * from "./experiment/split.ts";
export * from "./experiment/run_record.ts";
export * from "./experiment/checkpoint.ts";
export * from "./experiment/probe.ts";
export * from "./experiment/experiment.ts";
export * from "./experiment/sweep.ts";
// Plots.
export * from "./plot/graph_dot.ts";
export * from "./plot/figures.ts";
export * from "./plot/display.ts";
export * from "./plot/export.ts";
