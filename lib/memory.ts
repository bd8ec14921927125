/**
 * How much memory a model and a training run need, estimated from their settings before
 * anything is allocated, so a size that cannot fit (`nEmbd` 100000, `nLayer` 100000, a
 * `blockSize` of 1e8) is one line naming the setting to lower, at once, instead of V8's fatal
 * out-of-memory minutes later. The byte counts per item were measured on Deno 2.9 (V8 14)
 * with `Deno.memoryUsage()`; they are estimates, right to within a factor of about 2.
 *
 * @module
 */

import { getHeapStatistics } from "node:v8";
import { DEFAULT_CONFIG, DEFAULT_SAMPLE_CONFIG, DEFAULT_TRAIN_CONFIG, type GPTConfig } from "./config.ts";
import { ConfigError, type FieldNamer } from "./errors.ts";

/** Bytes per parameter of a model: its `Value` (about 120 B measured) and its row's slot. */
const VALUE_BYTES = 130;
/**
 * Bytes per parameter of training state besides the `Value`: an engine's weights and
 * gradients and Adam's two moments (4 doubles), and a checkpoint's copy of weights and moments
 * as JSON numbers and text (3 doubles and about 66 characters).
 */
const STATE_BYTES = 32 + 24 + 66;
/** Bytes per step of the loss history: the history's and the record's copies, and their JSON text. */
const STEP_BYTES = 64;
/** What one Value-engine step builds: about two nodes per parameter per position (a multiply and an add). */
const GRAPH_NODES_PER_PARAM_POSITION = 2;

/** What `estimateRunBytes` needs to know about a run. */
export interface RunSize {
  /** The model's shape. */
  model: GPTConfig;
  /** Training steps (the loss history grows by one number per step); 0 for a model alone. */
  steps?: number;
  /** Documents sampled after training (each kept as text in the record). */
  numSamples?: number;
  /** True when the `Value` engine trains it: every step builds a graph of the whole model. */
  valueGraph?: boolean;
  /** Documents per training step (default 1): one step's working memory grows with it. */
  batchSize?: number;
}

/** A memory estimate in bytes, by part. */
export interface MemoryEstimate {
  /** Every part, in bytes. */
  total: number;
  /** Parameters of the model. */
  numParams: number;
  /** The model's parameters and the training state that grows with them. */
  params: number;
  /** One step's working memory: the Value graph, or an engine's flat activations. */
  step: number;
  /** The loss history and the samples. */
  history: number;
}

/**
 * The number of parameters of a model, as a double (it may be far beyond 2^53 for absurd
 * shapes; it is only compared, never used to allocate).
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { countParams } from "./memory.ts";
 * console.log(countParams(DEFAULT_CONFIG, 27)); // 4192
 * ```
 */
export function countParams(
  config: Pick<GPTConfig, "nEmbd" | "nLayer" | "blockSize">,
  vocabSize: number,
): number {
  const { nEmbd, nLayer, blockSize } = config;
  return (2 * vocabSize + blockSize) * nEmbd + nLayer * 12 * nEmbd * nEmbd;
}

/**
 * The bytes a model (and, with `steps` and `valueGraph`, a training run of it) needs: its
 * parameters and training state, one step's working memory (the Value engine's graph, or the
 * flat activations of an engine on arrays, for training and for one sampled sequence) and the
 * loss history.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { estimateRunBytes } from "./memory.ts";
 * const fast = estimateRunBytes({ model: DEFAULT_CONFIG, steps: 1000 }, 27);
 * const value = estimateRunBytes({ model: DEFAULT_CONFIG, steps: 1000, valueGraph: true }, 27);
 * console.log(fast.total < 4e6, value.total > 1e7); // true true
 * ```
 */
export function estimateRunBytes(run: RunSize, vocabSize: number): MemoryEstimate {
  const { nEmbd: C, nHead, nLayer, blockSize: T } = run.model;
  const numParams = countParams(run.model, vocabSize);
  const params = numParams * (VALUE_BYTES + STATE_BYTES);
  // Per position and layer: 14 rows of C doubles and nHead attention rows of up to T; then the
  // embeddings, the logits and the backward buffers. For each document of a training step, and
  // once more for a sampled sequence.
  const B = run.batchSize ?? 1;
  const activations = (B + 1) * 8 * T * (nLayer * (14 * C + nHead * T) + 13 * C + 3 * vocabSize);
  const graph = run.valueGraph ? B * GRAPH_NODES_PER_PARAM_POSITION * T * numParams * VALUE_BYTES : 0;
  const step = Math.max(activations, graph);
  // A sample is at most blockSize characters (2 bytes each) in a string and an array slot.
  const history = (run.steps ?? 0) * STEP_BYTES + (run.numSamples ?? 0) * (2 * T + 64);
  return { total: params + step + history, numParams, params, step, history };
}

/**
 * The bytes this process may fill: V8's heap limit (about a quarter of the machine's memory,
 * at most about 4 GB, unless `--v8-flags=--max-old-space-size=MB` changes it).
 */
export function memoryBudget(): number {
  try {
    return getHeapStatistics().heap_size_limit;
  } catch {
    return 4 * 2 ** 30; // V8's usual limit on a 64-bit machine with 16 GB or more
  }
}

/**
 * Bytes as a short human-readable size.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./memory.ts";
 * console.log(formatBytes(512), formatBytes(629_145_600), formatBytes(4.4e9)); // 512 B 629 MB 4.4 GB
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === units.length - 1 && value >= 1000) return `${bytes.toExponential(1)} B`;
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toPrecision(2)} ${units[unit]}`;
}

/** The settings that size a run, with the defaults a too-large one is compared against. */
const SIZE_FIELDS = [
  ["nEmbd", DEFAULT_CONFIG.nEmbd],
  ["nLayer", DEFAULT_CONFIG.nLayer],
  ["blockSize", DEFAULT_CONFIG.blockSize],
  ["batchSize", 1],
  ["steps", DEFAULT_TRAIN_CONFIG.steps],
  ["numSamples", DEFAULT_SAMPLE_CONFIG.numSamples],
] as const;

type SizeField = typeof SIZE_FIELDS[number][0];

/** A size setting's value in a run. */
function sizeOf(run: RunSize, field: SizeField): number {
  if (field === "batchSize") return run.batchSize ?? 1;
  return field === "steps" || field === "numSamples" ? run[field] ?? 0 : run.model[field];
}

/** The run with one size setting changed. */
function withSize(run: RunSize, field: SizeField, value: number): RunSize {
  return field === "steps" || field === "numSamples" || field === "batchSize"
    ? { ...run, [field]: value }
    : { ...run, model: { ...run.model, [field]: value } };
}

/**
 * Throws a ConfigError unless a run of this size fits in `budget` bytes (default: this
 * process's, `memoryBudget()`). The error names the setting whose size matters most: the one
 * that, put back to its default, saves the most memory.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { requireRunFits } from "./memory.ts";
 * requireRunFits({ model: DEFAULT_CONFIG, steps: 1000 }, 27); // fine
 * try {
 *   requireRunFits({ model: { ...DEFAULT_CONFIG, nLayer: 100000 }, steps: 1000 }, 27);
 * } catch (err) {
 *   console.log((err as Error).message); // a model with nEmbd 16, nLayer 100000, ... needs about 77 GB ...; lower nLayer
 * }
 * ```
 */
export function requireRunFits(run: RunSize, vocabSize: number, budget: number = memoryBudget()): void {
  const estimate = estimateRunBytes(run, vocabSize);
  if (estimate.total <= budget) return;
  const culprit = largestSetting(run, (r) => estimateRunBytes(r, vocabSize).total);
  throw new ConfigError(
    [culprit],
    (n) =>
      `${describeRun(run, n)} (${formatCount(estimate.numParams)} parameters) needs about ${
        formatBytes(estimate.total)
      } of memory, more than the ${formatBytes(budget)} this process may use; lower ${n(culprit)}`,
  );
}

/**
 * `a run with nEmbd 16, nLayer 1, blockSize 16, steps 1000` (and `numSamples` when it is over
 * its default), with fields named by `n`.
 */
export function describeRun(run: RunSize, n: FieldNamer = (field) => field): string {
  const steps = run.steps ?? 0;
  const fields = SIZE_FIELDS.filter(([field, base]) =>
    field === "steps"
      ? steps > 0
      : field === "numSamples" || field === "batchSize"
      ? sizeOf(run, field) > base
      : true
  );
  return `a ${steps > 0 ? "run" : "model"} with ${
    fields.map(([field]) => `${n(field)} ${sizeOf(run, field)}`).join(", ")
  }`;
}

/** A count as digits, or as `1.2e+11` when it is large. */
function formatCount(count: number): string {
  return count < 1e6 ? String(count) : count.toExponential(1);
}

/**
 * The setting that makes `run` large by `measure`: of those above their defaults (`nEmbd`,
 * `nLayer`, `blockSize`, `steps`, `numSamples`), the one that, put back to its default, shrinks the measure
 * most (`nEmbd` if none is above its default).
 */
export function largestSetting(run: RunSize, measure: (run: RunSize) => number): string {
  const total = measure(run);
  let culprit = "nEmbd";
  let saved = -Infinity;
  for (const [field, base] of SIZE_FIELDS) {
    if (!(sizeOf(run, field) > base)) continue;
    const saving = total - measure(withSize(run, field, base));
    if (saving > saved) [culprit, saved] = [field, saving];
  }
  return culprit;
}

/**
 * Throws a ConfigError unless a model of this shape and vocabulary (not its training) fits in
 * this process's memory; `GPT` checks it before allocating a single weight.
 */
export function requireModelFits(config: GPTConfig, vocabSize: number): void {
  requireRunFits({ model: config }, vocabSize);
}
