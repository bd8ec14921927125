/**
 * What a run is and what it leaves behind: `ExperimentConfig`, every setting that determines
 * a training run (seed, data, model, schedule, sampling, validation, engine), and `RunRecord`,
 * the JSON-ready account of one run (config, data hash, per-step losses, validation losses,
 * samples, timings, program version) that the CLI writes as `run.json` and sweeps return.
 * Read back, both are checked by their schemas (`schemas.ts`).
 *
 * @module
 */

import {
  batchSizeOf,
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
import { DEFAULT_DATA_PATH } from "../data.ts";
import { requireRunFits, type RunSize } from "../memory.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { mean } from "../stats.ts";
import { type EngineName, type RecordedEngineName, recordedEngineName } from "./engines.ts";
import { exactJson, readJsonFile, validateJson, writeTextFileAtomic } from "./json_file.ts";
import { ExperimentConfigSchema, RunRecordSchema } from "./schemas.ts";
import { DEFAULT_VALIDATION, validateValidationConfig, type ValidationConfig } from "./split.ts";

/** Every setting of a run. The same config (and data) always gives the same losses and samples. */
export interface ExperimentConfig {
  /** Seeds the one generator that shuffles, initialises and samples. */
  seed: number;
  /** The dataset, one document per line (relative paths are relative to the working directory). */
  dataPath: string;
  /** The model's shape. */
  model: GPTConfig;
  /** Adam's settings and the length of the schedule. */
  train: TrainConfig;
  /** Sampling after training. */
  sample: SampleConfig;
  /** Held-out validation, or null for none (the default: all documents train). */
  validation: ValidationConfig | null;
  /**
   * The engine that trains (and samples); every engine gives the same numbers. A file read back
   * may name one that trains elsewhere (`torch`: PyTorch's port); `runExperiment` runs only ours.
   */
  engine: RecordedEngineName;
}

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
  /** See `ExperimentConfig`. */
  seed?: number;
  /** See `ExperimentConfig`. */
  dataPath?: string;
  /** Model settings to change. */
  model?: Partial<GPTConfig>;
  /** Training settings to change. */
  train?: Partial<TrainConfig>;
  /** Sampling settings to change. */
  sample?: Partial<SampleConfig>;
  /** `{ fraction }` turns validation on (the rest defaults); null turns it off. */
  validation?: (Partial<ValidationConfig> & { fraction: number }) | null;
  /** The engine, by name. */
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

/** Checks every part of a config, throwing a one-line ConfigError that names the field to fix. */
export function validateExperimentConfig(config: ExperimentConfig): void {
  if (!Number.isSafeInteger(config.seed)) {
    throw new ConfigError(
      ["seed"],
      (n) => `${n("seed")} must be an integer, got ${config.seed}; set ${n("seed")} to a whole number`,
    );
  }
  if (typeof config.dataPath !== "string" || config.dataPath === "") {
    throw new ConfigError(
      ["dataPath"],
      (n) => `${n("dataPath")} must be a non-empty path; set ${n("dataPath")} to a text file`,
    );
  }
  validateGPTConfig(config.model);
  validateTrainConfig(config.train);
  validateSampleConfig(config.sample);
  if (config.validation !== null) validateValidationConfig(config.validation);
  recordedEngineName(config.engine);
  requireRunFits(runSize(config), MIN_VOCAB_SIZE);
}

/** The smallest vocabulary a dataset gives (one character and BOS): a config alone is checked with it. */
export const MIN_VOCAB_SIZE = 2;

/** What sizes a run's memory (`estimateRunBytes`). */
export function runSize(config: ExperimentConfig): RunSize {
  return {
    model: config.model,
    steps: config.train.steps,
    numSamples: config.sample.numSamples,
    valueGraph: config.engine === "value",
    batchSize: batchSizeOf(config.train),
  };
}

/** Format name of run records. */
export const RUN_RECORD_FORMAT = "microgpt-run";

/** One measurement of the held-out loss. */
export interface ValidationLoss {
  /** Steps done when it was measured (1-based: 100 means after the 100th step). */
  step: number;
  /** The mean loss over the held-out documents measured. */
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
  /** The engine that trained it (`torch`: PyTorch's port). */
  engine: RecordedEngineName;
  /** Where PyTorch trained it (`cpu`, `cuda:0`); only PyTorch's segments say. */
  device?: string;
  /** How many data-parallel processes trained it; only PyTorch's segments say. */
  processes?: number;
}

/** Where the training data came from. */
export interface DataInfo {
  /** The data file's path, as given. */
  path: string;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  /** Documents in the file. */
  numDocs: number;
  /** Documents trained on. */
  numTrainDocs: number;
  /** Documents held out for validation. */
  numValDocs: number;
  /** The vocabulary's characters in token-id order (BOS is the next id). */
  vocab: string;
}

/**
 * The program that made a record: ours names Deno and V8, PyTorch's port (`microgpt-torch`)
 * Python and PyTorch.
 */
export interface ProgramInfo {
  /** `PROGRAM_NAME` (`microgpt-torch` for PyTorch's port). */
  name: string;
  /** `VERSION`. */
  version: string;
  /** Deno's version (our program). */
  deno?: string;
  /** V8's version (our program). */
  v8?: string;
  /** Python's version (PyTorch's port). */
  python?: string;
  /** PyTorch's version (PyTorch's port). */
  torch?: string;
}

/** Where a PyTorch run trained (its record's `torch` section). */
export interface TorchInfo {
  /** The device of process 0: `cpu`, `cuda:0`. */
  device: string;
  /** The GPU's name, or the CPU's architecture. */
  deviceName: string;
  /** `float64` (our numbers) or `float32`. */
  dtype: string;
  /** Data-parallel processes. */
  processes: number;
  /** Documents per step in each process. */
  batchSizePerProcess: number;
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
  /** Every stretch of training, resumed runs included. */
  segments: TrainingSegment[];
}

/** The JSON-ready account of one run. */
export interface RunRecord {
  /** Always `RUN_RECORD_FORMAT`. */
  format: typeof RUN_RECORD_FORMAT;
  /** The record layout's version. */
  version: 1;
  /** The program that made it. */
  program: ProgramInfo;
  /** "finished" after the whole schedule (and sampling); "stopped" at `--stop-at`. */
  status: "finished" | "stopped";
  /** Every setting of the run. */
  config: ExperimentConfig;
  /** Where the data came from. */
  data: DataInfo;
  /** Parameters of the model. */
  numParams: number;
  /** Steps done. */
  step: number;
  /** `losses[s]` is the training loss of 0-based step `s` (printed as step s+1). */
  losses: number[];
  /** The held-out loss, as often as the config asked. */
  validationLosses: ValidationLoss[];
  /** The sampled documents (none when stopped early). */
  samples: string[];
  /** The step a resumed run continued from, or null. */
  resumedFrom: number | null;
  /** The run's identity, as in its checkpoint (absent in older records). */
  runId?: string;
  /** Wall-clock timings. */
  timings: RunTimings;
  /** Where it trained, in a record written by PyTorch's port (absent in ours). */
  torch?: TorchInfo;
}

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
 * Reads a record written by `writeRunRecord` (e.g. a `run.json`), checking every field.
 *
 * @example
 * ```ts ignore
 * const record = await readRunRecord("out/run/run.json");
 * console.log(record.losses.length, record.samples);
 * ```
 */
export async function readRunRecord(path: string): Promise<RunRecord> {
  const fix = "pass a run.json that deno task train --out DIR wrote";
  return parseRunRecord(await readJsonFile(path, "run record", fix), path);
}

/** Checks parsed JSON as a run record (`source` names it in errors), config values included. */
export function parseRunRecord(json: unknown, source: string): RunRecord {
  const where = `run record ${source}`;
  const fix = "pass a run.json that deno task train --out DIR wrote";
  const record = validateJson(RunRecordSchema, json, where, fix);
  checkConfigValues(record.config, where);
  return record;
}

/**
 * A record without its timings and its run id (each run has its own): what two runs of the
 * same config must agree on exactly.
 *
 * @example
 * ```ts ignore
 * assert.deepEqual(withoutTimings(a), withoutTimings(b));
 * ```
 */
export function withoutTimings(record: RunRecord): Omit<RunRecord, "timings" | "runId"> {
  const { timings: _timings, runId: _runId, ...rest } = record;
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
  return mean(record.losses.slice(n - w));
}

/**
 * Reads an `ExperimentConfig` out of parsed JSON (a checkpoint's or a record's), checking
 * every field's type and value. Problems are one-line UsageErrors prefixed with `source`.
 */
export function parseExperimentConfig(value: unknown, source: string): ExperimentConfig {
  const config = validateJson(ExperimentConfigSchema, value, source, "fix or re-create the file");
  checkConfigValues(config, source);
  return config;
}

/** `validateExperimentConfig` for a config read from a file: the message names the file. */
export function checkConfigValues(config: ExperimentConfig, source: string): void {
  try {
    validateExperimentConfig(config);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${source}: bad experiment config: ${err.message}`);
    throw err;
  }
}
