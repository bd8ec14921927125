/**
 * What a run is and what it leaves behind: `ExperimentConfig`, every setting that determines
 * a training run (seed, data, model, schedule, sampling, validation, engine), and `RunRecord`,
 * the JSON-ready account of one run (config, data hash, per-step losses, validation losses,
 * samples, timings, program version) that the CLI writes as `run.json` and sweeps return.
 *
 * @module
 */

import {
  DEFAULT_CONFIG,
  DEFAULT_SAMPLE_CONFIG,
  DEFAULT_TRAIN_CONFIG,
  type GPTConfig,
  type SampleConfig,
  type TrainConfig,
  validateGPTConfig,
  validateSampleConfig,
  validateTrainConfig,
} from "../config.ts";
import { UsageError } from "../errors.ts";
import { exactJson, writeTextFileAtomic } from "./json_file.ts";
import { DEFAULT_VALIDATION, validateValidationConfig, type ValidationConfig } from "./split.ts";
import { ENGINE_NAMES, type EngineName } from "../train.ts";

/** Every setting of a run. The same config (and data) always gives the same losses and samples. */
export interface ExperimentConfig {
  /** Seeds the one generator that shuffles, initialises and samples. */
  seed: number;
  /** The dataset, one document per line (relative paths are relative to the working directory). */
  dataPath: string;
  model: GPTConfig;
  train: TrainConfig;
  sample: SampleConfig;
  /** Held-out validation, or null for none (the default: all documents train). */
  validation: ValidationConfig | null;
  engine: EngineName;
}

/** The default dataset path, relative to the project root. */
export const DEFAULT_DATA_PATH = "data/names.txt";

/** microgpt.py's run: seed 42 on `data/names.txt`, the reference model and schedule. */
export const DEFAULT_EXPERIMENT: Readonly<ExperimentConfig> = Object.freeze({
  seed: 42,
  dataPath: DEFAULT_DATA_PATH,
  model: DEFAULT_CONFIG,
  train: DEFAULT_TRAIN_CONFIG,
  sample: DEFAULT_SAMPLE_CONFIG,
  validation: null,
  engine: "value",
});

/** Overrides for `experimentConfig`: any subset of the settings, nested objects partially. */
export interface ExperimentOverrides {
  seed?: number;
  dataPath?: string;
  model?: Partial<GPTConfig>;
  train?: Partial<TrainConfig>;
  sample?: Partial<SampleConfig>;
  /** `{ fraction }` turns validation on (the rest defaults); null turns it off. */
  validation?: (Partial<ValidationConfig> & { fraction: number }) | null;
  engine?: EngineName;
}

/**
 * A complete, checked config: the defaults with `overrides` applied.
 *
 * @example
 * ```ts
 * import { experimentConfig } from "./run_record.ts";
 * const config = experimentConfig({ seed: 7, train: { steps: 300 }, validation: { fraction: 0.1 } });
 * console.log(config.seed, config.train.steps, config.train.learningRate); // 7 300 0.01
 * console.log(config.validation); // { fraction: 0.1, every: 100, maxDocs: 200 }
 * ```
 */
export function experimentConfig(overrides: ExperimentOverrides = {}): ExperimentConfig {
  const base = DEFAULT_EXPERIMENT;
  // Fields given as undefined keep their defaults (a CLI passes absent flags that way).
  const config: ExperimentConfig = {
    seed: overrides.seed ?? base.seed,
    dataPath: overrides.dataPath ?? base.dataPath,
    model: { ...base.model, ...definedOnly(overrides.model) },
    train: { ...base.train, ...definedOnly(overrides.train) },
    sample: { ...base.sample, ...definedOnly(overrides.sample) },
    validation: overrides.validation
      ? {
        fraction: overrides.validation.fraction,
        ...DEFAULT_VALIDATION,
        ...definedOnly(overrides.validation),
      }
      : null,
    engine: overrides.engine ?? base.engine,
  };
  validateExperimentConfig(config);
  return config;
}

function definedOnly<T extends object>(obj: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(obj ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Checks every part of a config, throwing a one-line UsageError that names the flag to fix. */
export function validateExperimentConfig(config: ExperimentConfig): void {
  if (!Number.isSafeInteger(config.seed)) {
    throw new UsageError(`seed must be an integer, got ${config.seed}; set --seed to a whole number`);
  }
  if (typeof config.dataPath !== "string" || config.dataPath === "") {
    throw new UsageError("data path must be a non-empty string; set --data to a text file");
  }
  validateGPTConfig(config.model);
  validateTrainConfig(config.train);
  validateSampleConfig(config.sample);
  if (config.validation !== null) validateValidationConfig(config.validation);
  if (!ENGINE_NAMES.includes(config.engine)) {
    throw new UsageError(`unknown engine '${config.engine}'; use --engine ${ENGINE_NAMES.join(" or ")}`);
  }
}

/** One measurement of the held-out loss. */
export interface ValidationLoss {
  /** Steps done when it was measured (1-based: 100 means after the 100th step). */
  step: number;
  loss: number;
  /** How many held-out documents it averaged over. */
  numDocs: number;
}

/** One stretch of training in one process (a resumed run has several). */
export interface TrainingSegment {
  /** Steps done before the segment (0-based index of its first step). */
  startStep: number;
  /** Steps done after it. */
  endStep: number;
  /** Wall-clock seconds spent in training steps (validation excluded). */
  seconds: number;
  engine: EngineName;
}

/** Where the training data came from. */
export interface DataInfo {
  path: string;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  numDocs: number;
  numTrainDocs: number;
  numValDocs: number;
  /** The vocabulary's characters in token-id order (BOS is the next id). */
  vocab: string;
}

/** The program that made a record. */
export interface ProgramInfo {
  name: string;
  version: string;
  deno: string;
  v8: string;
}

/** A run's timings (wall clock; they are the only part of a record that varies between reruns). */
export interface RunTimings {
  /** When this process started the run, ISO 8601. */
  startedAt: string;
  /** Seconds in training steps, over every segment. */
  trainSeconds: number;
  /** Seconds measuring validation loss in this process. */
  validationSeconds: number;
  /** Seconds sampling. */
  sampleSeconds: number;
  /** Seconds of this process, from start to record. */
  totalSeconds: number;
  /** Training steps per second over every segment. */
  stepsPerSecond: number;
  segments: TrainingSegment[];
}

/** The JSON-ready account of one run. */
export interface RunRecord {
  format: "microgpt-run";
  version: 1;
  program: ProgramInfo;
  /** "finished" after the whole schedule (and sampling); "stopped" at `--stop-at`. */
  status: "finished" | "stopped";
  config: ExperimentConfig;
  data: DataInfo;
  numParams: number;
  /** Steps done. */
  step: number;
  /** `losses[s]` is the training loss of 0-based step `s` (printed as step s+1). */
  losses: number[];
  validationLosses: ValidationLoss[];
  /** The sampled documents (none when stopped early). */
  samples: string[];
  /** The step a resumed run continued from, or null. */
  resumedFrom: number | null;
  timings: RunTimings;
}

/** Format name of run records. */
export const RUN_RECORD_FORMAT = "microgpt-run";

/**
 * Writes a record as JSON, atomically (a reader never sees half a file).
 *
 * @example
 * ```ts ignore
 * await writeRunRecord("out/run/run.json", run.record);
 * ```
 */
export async function writeRunRecord(path: string, record: RunRecord): Promise<void> {
  await writeTextFileAtomic(path, exactJson(record) + "\n");
}

/**
 * Reads a record written by `writeRunRecord` (e.g. a `run.json`), checking its format.
 *
 * @example
 * ```ts ignore
 * const record = await readRunRecord("out/run/run.json");
 * console.log(record.losses.length, record.samples);
 * ```
 */
export async function readRunRecord(path: string): Promise<RunRecord> {
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(
        `run record not found: ${path}; pass the run.json that deno task train --out DIR wrote`,
      );
    }
    throw new UsageError(`cannot read run record ${path}: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!isObject(json) || json.format !== RUN_RECORD_FORMAT || json.version !== 1) {
    throw new UsageError(
      `${path} is not a version 1 microgpt run record; pass a run.json written by --out DIR`,
    );
  }
  if (!Array.isArray(json.losses) || !Array.isArray(json.samples)) {
    throw new UsageError(
      `run record ${path} has no losses or samples; it is corrupt, re-run to re-create it`,
    );
  }
  parseExperimentConfig(json.config, `run record ${path}`);
  return json as unknown as RunRecord;
}

/**
 * A record without its timings: what two runs of the same config must agree on exactly.
 *
 * @example
 * ```ts ignore
 * assert.deepEqual(withoutTimings(a), withoutTimings(b));
 * ```
 */
export function withoutTimings(record: RunRecord): Omit<RunRecord, "timings"> {
  const { timings: _timings, ...rest } = record;
  return rest;
}

/**
 * The mean of the last `window` training losses (default: the last tenth of the run, at
 * least one step): a less noisy "final loss" than the last step's.
 *
 * @example
 * ```ts
 * import { finalLoss } from "./run_record.ts";
 * console.log(finalLoss({ losses: [3, 2, 1.5, 2.5] }, 2)); // 2
 * ```
 */
export function finalLoss(record: Pick<RunRecord, "losses">, window?: number): number {
  const n = record.losses.length;
  if (n === 0) return NaN;
  const w = Math.max(1, Math.min(n, window ?? Math.ceil(n / 10)));
  let total = 0;
  for (let i = n - w; i < n; i++) total += record.losses[i];
  return total / w;
}

/**
 * A trailing moving average: `out[i]` is the mean of `xs[max(0, i - window + 1) .. i]`.
 *
 * @example
 * ```ts
 * import { movingAverage } from "./run_record.ts";
 * console.log(movingAverage([1, 2, 3, 4], 2)); // [1, 1.5, 2.5, 3.5]
 * ```
 */
export function movingAverage(xs: readonly number[], window: number): number[] {
  if (!Number.isSafeInteger(window) || window < 1) {
    throw new RangeError(`window must be a positive integer, got ${window}`);
  }
  const out: number[] = [];
  let total = 0;
  for (let i = 0; i < xs.length; i++) {
    total += xs[i];
    if (i >= window) total -= xs[i - window];
    out.push(total / Math.min(i + 1, window));
  }
  return out;
}

/** Checks that `value` is a plain object (not null, not an array). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads an `ExperimentConfig` out of parsed JSON (a checkpoint's or a record's), checking
 * every field's type and value. Problems are UsageErrors prefixed with `source`.
 */
export function parseExperimentConfig(value: unknown, source: string): ExperimentConfig {
  const fail = (what: string): never => {
    throw new UsageError(`${source}: ${what}`);
  };
  if (!isObject(value)) return fail("the experiment config is missing or not an object");
  const num = (obj: unknown, part: string, key: string): number => {
    if (!isObject(obj)) return fail(`the experiment config has no '${part}' object`);
    const x = obj[key];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      return fail(`the experiment config's ${part}.${key} is not a finite number`);
    }
    return x;
  };
  const model: GPTConfig = {
    nEmbd: num(value.model, "model", "nEmbd"),
    nHead: num(value.model, "model", "nHead"),
    nLayer: num(value.model, "model", "nLayer"),
    blockSize: num(value.model, "model", "blockSize"),
  };
  const train: TrainConfig = {
    steps: num(value.train, "train", "steps"),
    learningRate: num(value.train, "train", "learningRate"),
    beta1: num(value.train, "train", "beta1"),
    beta2: num(value.train, "train", "beta2"),
    epsAdam: num(value.train, "train", "epsAdam"),
  };
  const sample: SampleConfig = {
    temperature: num(value.sample, "sample", "temperature"),
    numSamples: num(value.sample, "sample", "numSamples"),
  };
  let validation: ValidationConfig | null = null;
  if (value.validation !== null) {
    validation = {
      fraction: num(value.validation, "validation", "fraction"),
      every: num(value.validation, "validation", "every"),
      maxDocs: num(value.validation, "validation", "maxDocs"),
    };
  }
  if (typeof value.seed !== "number") fail("the experiment config's seed is not a number");
  if (typeof value.dataPath !== "string") fail("the experiment config's dataPath is not a string");
  if (typeof value.engine !== "string") fail("the experiment config's engine is not a string");
  const config: ExperimentConfig = {
    seed: value.seed as number,
    dataPath: value.dataPath as string,
    model,
    train,
    sample,
    validation,
    engine: value.engine as EngineName,
  };
  try {
    validateExperimentConfig(config);
  } catch (err) {
    if (err instanceof UsageError) fail(`bad experiment config: ${err.message}`);
    throw err;
  }
  return config;
}
