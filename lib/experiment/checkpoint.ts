/**
 * Checkpoints: a run's complete state in one JSON file (settings, vocabulary, every
 * parameter, Adam's moments, the step, the generator's state and the loss history), so
 * training resumes exactly where it stopped and sampling needs no dataset. Doubles are
 * written in their shortest round-trip form (and -0 as -0), so every bit comes back.
 * Files are written atomically, and loading checks everything (the schema in `schemas.ts`,
 * then the checks across fields here): a corrupt, truncated or mismatched file is a one-line
 * UsageError that says where, never a crash or a silently wrong model.
 *
 * @module
 */

import { Adam } from "../adam.ts";
import { validateSampleConfig } from "../config.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { GPT } from "../model.ts";
import { parameterShapes } from "../parameters.ts";
import { Random, type RandomState } from "../random.ts";
import { sampleNames } from "../sample.ts";
import { Tokenizer } from "../tokenizer.ts";
import { Value } from "../value.ts";
import { PROGRAM_NAME, VERSION } from "../version.ts";
import { createEngine, type EngineName } from "./engines.ts";
import { exactJson, parseJsonText, readJsonFile, validateJson, writeTextFileAtomic } from "./json_file.ts";
import {
  checkConfigValues,
  type ExperimentConfig,
  type TrainingSegment,
  type ValidationLoss,
} from "./run_record.ts";
import { CheckpointSchema } from "./schemas.ts";

/** The `format` field of every checkpoint. */
export const CHECKPOINT_FORMAT = "microgpt-checkpoint";
/** The checkpoint layout this program writes and reads. */
export const CHECKPOINT_VERSION = 1;

/** The losses so far, carried along so a resumed run's record is complete. */
export interface RunHistory {
  /** `losses[s]` is the loss of 0-based step `s`; one per step done. */
  losses: number[];
  /** Every held-out loss measured so far. */
  validationLosses: ValidationLoss[];
  /** Every stretch of training so far. */
  segments: TrainingSegment[];
}

/** A run's complete state. */
export interface Checkpoint {
  /** Always `CHECKPOINT_FORMAT`. */
  format: typeof CHECKPOINT_FORMAT;
  /** Always `CHECKPOINT_VERSION`. */
  version: typeof CHECKPOINT_VERSION;
  /** The program that wrote it. */
  program: { name: string; version: string };
  /** Every setting of the run. */
  experiment: ExperimentConfig;
  /** The dataset the documents came from: a resumed run must read the same bytes. */
  data: { sha256: string; numDocs: number };
  /** The vocabulary's characters in token-id order; BOS is `vocab.length`. */
  vocab: string[];
  /** Steps done: the 0-based step a resumed run runs next. */
  step: number;
  /** The generator after the last step (training draws nothing, so sampling continues from here). */
  rng: RandomState;
  /** Every matrix by its state-dict name (`wte`, `layer0.attn_wq`, ...), in parameter order. */
  params: Record<string, number[][]>;
  /** Adam's moments, one per parameter in `GPT.parameters` order. */
  adam: { m: number[]; v: number[] };
  /** The losses so far. */
  history: RunHistory;
}

/** What `makeCheckpoint` needs. */
export interface CheckpointState {
  /** Every setting of the run. */
  experiment: ExperimentConfig;
  /** The data file's hash and size. */
  data: { sha256: string; numDocs: number };
  /** The vocabulary. */
  tokenizer: Tokenizer;
  /** The model, with its current weights. */
  model: GPT;
  /** Adam's state. */
  adam: Adam;
  /** Steps done. */
  step: number;
  /** The generator, as the run left it. */
  rng: Random;
  /** The losses so far. */
  history: RunHistory;
}

/**
 * Snapshots a run's state (copies, so training can go on).
 *
 * @example
 * ```ts
 * import { Adam } from "../adam.ts";
 * import { makeCheckpoint } from "./checkpoint.ts";
 * import { GPT } from "../model.ts";
 * import { Random, type RandomState } from "../random.ts";
 * import { experimentConfig } from "./run_record.ts";
 * import { Tokenizer } from "../tokenizer.ts";
 * const experiment = experimentConfig();
 * const tokenizer = Tokenizer.fromDocs(["emma", "ava"]);
 * const rng = new Random(experiment.seed);
 * const model = GPT.init(experiment.model, tokenizer.vocabSize, rng);
 * const adam = new Adam(model.parameters.length);
 * const history = { losses: [], validationLosses: [], segments: [] };
 * const data = { sha256: "0".repeat(64), numDocs: 2 };
 * const ckpt = makeCheckpoint({ experiment, data, tokenizer, model, adam, step: 0, rng, history });
 * console.log(ckpt.vocab, ckpt.params.wte.length, ckpt.adam.m.length); // ["a","e","m","v"] 5 3616
 * ```
 */
export function makeCheckpoint(state: CheckpointState): Checkpoint {
  const params: Record<string, number[][]> = {};
  for (const [name, matrix] of state.model.stateDict()) {
    params[name] = matrix.map((row) => row.map((p) => p.data));
  }
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    program: { name: PROGRAM_NAME, version: VERSION },
    experiment: structuredClone(state.experiment),
    data: { ...state.data },
    vocab: [...state.tokenizer.chars],
    step: state.step,
    rng: state.rng.getState(),
    params,
    adam: { m: Array.from(state.adam.m), v: Array.from(state.adam.v) },
    history: structuredClone(state.history),
  };
}

/** The vocabulary as a tokenizer. */
export function tokenizerFromCheckpoint(checkpoint: Checkpoint): Tokenizer {
  return new Tokenizer(checkpoint.vocab);
}

/**
 * The model with the checkpoint's parameters (fresh `Value` leaves, grads 0).
 *
 * @example
 * ```ts ignore
 * const model = modelFromCheckpoint(await loadCheckpoint("out/run/checkpoint.json"));
 * ```
 */
export function modelFromCheckpoint(checkpoint: Checkpoint): GPT {
  const leaves = (name: string) => checkpoint.params[name].map((row) => row.map((x) => new Value(x)));
  return GPT.fromMatrices(checkpoint.experiment.model, checkpoint.vocab.length + 1, leaves);
}

/** Adam with the checkpoint's moments and the experiment's settings. */
export function adamFromCheckpoint(checkpoint: Checkpoint): Adam {
  const adam = new Adam(checkpoint.adam.m.length, checkpoint.experiment.train);
  adam.m.set(checkpoint.adam.m);
  adam.v.set(checkpoint.adam.v);
  return adam;
}

/** A generator in the checkpoint's state. */
export function rngFromCheckpoint(checkpoint: Checkpoint): Random {
  const rng = new Random(checkpoint.experiment.seed);
  rng.setState(checkpoint.rng);
  return rng;
}

/** Options of `sampleFromCheckpoint`. */
export interface CheckpointSampleOptions {
  /** How many documents (default: the run's own setting). */
  numSamples?: number;
  /** Sampling temperature (default: the run's own setting). */
  temperature?: number;
  /**
   * A fresh generator's seed; without one, sampling continues from the checkpoint's
   * generator, so a finished run's checkpoint gives exactly the samples the run printed.
   */
  seed?: number;
  /** Every document starts with these characters (each must be in the vocabulary). */
  prefix?: string;
  /** The engine that computes the probabilities (default: the run's; every engine draws the same). */
  engine?: EngineName;
}

/**
 * Samples documents from a checkpoint's model, with one-line errors for bad options.
 *
 * @example
 * ```ts ignore
 * const checkpoint = await loadCheckpoint("out/run/checkpoint.json");
 * console.log(sampleFromCheckpoint(checkpoint, { numSamples: 5, prefix: "ka", seed: 1 }));
 * ```
 */
export function sampleFromCheckpoint(
  checkpoint: Checkpoint,
  options: CheckpointSampleOptions = {},
): string[] {
  const sample = {
    numSamples: options.numSamples ?? checkpoint.experiment.sample.numSamples,
    temperature: options.temperature ?? checkpoint.experiment.sample.temperature,
  };
  validateSampleConfig(sample);
  const tokenizer = tokenizerFromCheckpoint(checkpoint);
  const prefix = options.prefix ?? "";
  const { blockSize } = checkpoint.experiment.model;
  const prefixLength = [...prefix].length;
  if (prefixLength >= blockSize) {
    throw new ConfigError(
      ["prefix"],
      (n) =>
        `${n("prefix")} has ${prefixLength} characters but the model's context holds ${blockSize} tokens; ` +
        `use at most ${blockSize - 1}`,
    );
  }
  for (const ch of prefix) {
    if (!checkpoint.vocab.includes(ch)) {
      throw new ConfigError(
        ["prefix"],
        (n) =>
          `${n("prefix")} character ${JSON.stringify(ch)} is not in the model's vocabulary ` +
          `${JSON.stringify(checkpoint.vocab.join(""))}; use only those characters`,
      );
    }
  }
  const seed = options.seed;
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw new ConfigError(["seed"], (n) => `${n("seed")} must be an integer, got ${seed}`);
  }
  const rng = seed === undefined ? rngFromCheckpoint(checkpoint) : new Random(seed);
  const engine = createEngine(
    options.engine ?? checkpoint.experiment.engine,
    modelFromCheckpoint(checkpoint),
  );
  return sampleNames(engine, tokenizer, rng, { ...sample, prefix });
}

// --- saving and loading ----------------------------------------------------------------

/** The checkpoint as exact JSON text (see `exactJson`), ending in a newline. */
export function checkpointToJson(checkpoint: Checkpoint): string {
  return exactJson(checkpoint) + "\n";
}

/**
 * Saves a checkpoint atomically. A non-finite number (a diverged run) is a UsageError and
 * nothing is written.
 *
 * @example
 * ```ts ignore
 * await saveCheckpoint("out/run/checkpoint.json", run.checkpoint);
 * ```
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  let text: string;
  try {
    text = checkpointToJson(checkpoint);
  } catch (err) {
    if (err instanceof RangeError) {
      const problem = err.message;
      throw new ConfigError(
        ["learningRate", "seed"],
        (n) =>
          `cannot save checkpoint ${path}: ${problem} (the run diverged); lower ${
            n("learningRate")
          } or change ${n("seed")}`,
      );
    }
    throw err;
  }
  await writeTextFileAtomic(path, text);
}

/**
 * Reads and checks a checkpoint file. A missing, truncated, corrupt, foreign or
 * inconsistent file is a one-line UsageError naming the file and what to do.
 *
 * @example
 * ```ts ignore
 * const checkpoint = await loadCheckpoint("out/run/checkpoint.json");
 * console.log(checkpoint.step, checkpoint.experiment.train.steps);
 * ```
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const json = await readJsonFile(
    path,
    "checkpoint",
    "pass the checkpoint.json that deno task train --out DIR wrote",
  );
  return checkCheckpoint(json, path);
}

const RECREATE = "re-create it with deno task train --out DIR";

/**
 * Parses and checks checkpoint JSON text; `source` names it in errors.
 *
 * @example
 * ```ts
 * import { parseCheckpoint } from "./checkpoint.ts";
 * try {
 *   parseCheckpoint('{"format": "microgpt-checkpoint", "version": 1, "experi', "ckpt.json");
 * } catch (err) {
 *   console.log((err as Error).message); // checkpoint ckpt.json is not valid JSON (...): truncated or corrupt; ...
 * }
 * ```
 */
export function parseCheckpoint(text: string, source: string): Checkpoint {
  return checkCheckpoint(parseJsonText(text, `checkpoint ${source}`, RECREATE), source);
}

/** Checks parsed checkpoint JSON: what it is, every field's type, then the fields against each other. */
function checkCheckpoint(json: unknown, source: string): Checkpoint {
  const where = `checkpoint ${source}`;
  checkFormat(json, where);
  const checkpoint = validateJson(CheckpointSchema, json, where, RECREATE);
  checkConfigValues(checkpoint.experiment, where);
  const fail = (what: string): never => {
    throw new UsageError(`${where}: ${what}; ${RECREATE}`);
  };
  const { vocab, step, params, adam, history } = checkpoint;
  const { model: config, train } = checkpoint.experiment;
  for (let i = 1; i < vocab.length; i++) {
    if (vocab[i - 1].codePointAt(0)! >= vocab[i].codePointAt(0)!) {
      fail(`vocab is not strictly sorted by code point at index ${i}`);
    }
  }
  if (step > train.steps) {
    fail(`step must be an integer in 0..${train.steps} (the schedule's length), got ${step}`);
  }
  try {
    new Random(0).setState(checkpoint.rng); // checks every word
  } catch {
    fail("the random generator state (rng) is invalid");
  }
  const numParams = checkParams(params, config, vocab.length + 1, fail);
  for (const key of ["m", "v"] as const) {
    if (adam[key].length !== numParams) {
      fail(`adam.${key} should hold ${numParams} numbers, one per parameter`);
    }
  }
  if (history.losses.length !== step) fail(`history.losses should hold ${step} losses, one per step done`);
  history.validationLosses.forEach((val, i) => {
    if (val.step > step) fail(`history.validationLosses[${i}].step is after the checkpoint's step ${step}`);
  });
  history.segments.forEach((segment, i) => {
    if (segment.endStep > step) fail(`history.segments[${i}].endStep is after the checkpoint's step ${step}`);
  });
  return checkpoint;
}

/** A foreign file or another version of ours is refused first, with its own advice. */
function checkFormat(json: unknown, where: string): void {
  const top = typeof json === "object" && json !== null && !Array.isArray(json)
    ? json as Record<string, unknown>
    : null;
  if (top === null) throw new UsageError(`${where}: not a JSON object; ${RECREATE}`);
  if (top.format !== CHECKPOINT_FORMAT) {
    throw new UsageError(
      `${where}: not a microgpt checkpoint (format ${
        JSON.stringify(top.format)
      }, expected "${CHECKPOINT_FORMAT}"); ` +
        "pass the checkpoint.json that deno task train --out DIR wrote",
    );
  }
  if (top.version !== CHECKPOINT_VERSION) {
    throw new UsageError(
      `${where}: format version ${
        JSON.stringify(top.version)
      }, but this program (${PROGRAM_NAME} ${VERSION}) ` +
        `reads version ${CHECKPOINT_VERSION}; use the program version that wrote it, or retrain`,
    );
  }
}

/** Checks that `params` holds exactly the model's matrices (`parameterShapes`), in order; returns the count. */
function checkParams(
  params: Checkpoint["params"],
  config: ExperimentConfig["model"],
  vocabSize: number,
  fail: (what: string) => never,
): number {
  const shapes = parameterShapes(config, vocabSize);
  const names = Object.keys(params);
  const expected = shapes.map(([name]) => name);
  const missing = expected.find((name) => !(name in params));
  if (missing !== undefined) {
    fail(
      `params has no matrix '${missing}' (expected ${expected.length} matrices for nLayer ${config.nLayer})`,
    );
  }
  const extra = names.find((name) => !expected.includes(name));
  if (extra !== undefined) {
    fail(`params has an unexpected matrix '${extra}' (the model has ${expected.length})`);
  }
  if (names.some((name, i) => name !== expected[i])) fail("params' matrices are out of order");
  let numParams = 0;
  for (const [name, rows, cols] of shapes) {
    const m = params[name];
    if (m.length !== rows) {
      fail(
        `params.${name} should have ${rows} rows (vocab size ${vocabSize}, model nEmbd ${config.nEmbd}, ` +
          `nLayer ${config.nLayer}, blockSize ${config.blockSize})`,
      );
    }
    m.forEach((row, r) => {
      if (row.length !== cols) fail(`params.${name}[${r}] should have ${cols} numbers`);
    });
    numParams += rows * cols;
  }
  return numParams;
}
