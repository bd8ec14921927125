/**
 * Checkpoints: a run's complete state in one JSON file (settings, vocabulary, every
 * parameter, Adam's moments, the step, the generator's state and the loss history), so
 * training resumes exactly where it stopped and sampling needs no dataset. Doubles are
 * written in their shortest round-trip form (and -0 as -0), so every bit comes back.
 * Files are written atomically, and loading checks everything: a corrupt, truncated or
 * mismatched file is a one-line UsageError, never a crash or a silently wrong model.
 *
 * @module
 */

import { Adam } from "../adam.ts";
import { UsageError } from "../errors.ts";
import { GPT, type LayerWeights, type Matrix } from "../model.ts";
import { Random, type RandomState } from "../random.ts";
import { sampleNames } from "../sample.ts";
import { validateSampleConfig } from "../config.ts";
import {
  type ExperimentConfig,
  parseExperimentConfig,
  type TrainingSegment,
  type ValidationLoss,
} from "./run_record.ts";
import { exactJson, writeTextFileAtomic } from "./json_file.ts";
import { Tokenizer } from "../tokenizer.ts";
import { ENGINE_NAMES, type EngineName } from "../train.ts";
import { Value } from "../value.ts";
import { PROGRAM_NAME, VERSION } from "../version.ts";

/** The `format` field of every checkpoint. */
export const CHECKPOINT_FORMAT = "microgpt-checkpoint";
/** The checkpoint layout this program writes and reads. */
export const CHECKPOINT_VERSION = 1;

/** The losses so far, carried along so a resumed run's record is complete. */
export interface RunHistory {
  /** `losses[s]` is the loss of 0-based step `s`; one per step done. */
  losses: number[];
  validationLosses: ValidationLoss[];
  segments: TrainingSegment[];
}

/** A run's complete state. */
export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  program: { name: string; version: string };
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
  history: RunHistory;
}

/** What `makeCheckpoint` needs. */
export interface CheckpointState {
  experiment: ExperimentConfig;
  data: { sha256: string; numDocs: number };
  tokenizer: Tokenizer;
  model: GPT;
  adam: Adam;
  step: number;
  rng: Random;
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
 * import { Random } from "../random.ts";
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
  const config = checkpoint.experiment.model;
  const leaves = (name: string): Matrix => checkpoint.params[name].map((row) => row.map((x) => new Value(x)));
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayer; l++) {
    layers.push({
      attnWq: leaves(`layer${l}.attn_wq`),
      attnWk: leaves(`layer${l}.attn_wk`),
      attnWv: leaves(`layer${l}.attn_wv`),
      attnWo: leaves(`layer${l}.attn_wo`),
      mlpFc1: leaves(`layer${l}.mlp_fc1`),
      mlpFc2: leaves(`layer${l}.mlp_fc2`),
    });
  }
  const vocabSize = checkpoint.vocab.length + 1;
  return new GPT(config, vocabSize, leaves("wte"), leaves("wpe"), leaves("lm_head"), layers);
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
    throw new UsageError(
      `--prefix has ${prefixLength} characters but the model's context holds ${blockSize} tokens; ` +
        `use at most ${blockSize - 1}`,
    );
  }
  for (const ch of prefix) {
    if (!checkpoint.vocab.includes(ch)) {
      throw new UsageError(
        `--prefix character ${JSON.stringify(ch)} is not in the model's vocabulary ` +
          `${JSON.stringify(checkpoint.vocab.join(""))}; use only those characters`,
      );
    }
  }
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) {
    throw new UsageError(`--seed must be an integer, got ${options.seed}`);
  }
  const rng = options.seed === undefined ? rngFromCheckpoint(checkpoint) : new Random(options.seed);
  const model = modelFromCheckpoint(checkpoint);
  return sampleNames(model, tokenizer, rng, { ...sample, prefix });
}

/** The matrix names and shapes `[rows, cols]` of a model, in parameter order. */
export function expectedShapes(
  config: ExperimentConfig["model"],
  vocabSize: number,
): [string, number, number][] {
  const { nEmbd, blockSize, nLayer } = config;
  const shapes: [string, number, number][] = [
    ["wte", vocabSize, nEmbd],
    ["wpe", blockSize, nEmbd],
    ["lm_head", vocabSize, nEmbd],
  ];
  for (let l = 0; l < nLayer; l++) {
    shapes.push(
      [`layer${l}.attn_wq`, nEmbd, nEmbd],
      [`layer${l}.attn_wk`, nEmbd, nEmbd],
      [`layer${l}.attn_wv`, nEmbd, nEmbd],
      [`layer${l}.attn_wo`, nEmbd, nEmbd],
      [`layer${l}.mlp_fc1`, 4 * nEmbd, nEmbd],
      [`layer${l}.mlp_fc2`, nEmbd, 4 * nEmbd],
    );
  }
  return shapes;
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
      throw new UsageError(
        `cannot save checkpoint ${path}: ${err.message} (the run diverged); lower --lr or change --seed`,
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
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(
        `checkpoint not found: ${path}; pass the checkpoint.json that deno task train --out DIR wrote`,
      );
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new UsageError(
        `checkpoint path is a directory: ${path}; pass the checkpoint.json file inside it`,
      );
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(`cannot read checkpoint ${path}: permission denied; check the file's permissions`);
    }
    if (err instanceof TypeError) {
      throw new UsageError(
        `checkpoint ${path} is not UTF-8 text (corrupt); re-create it with deno task train --out DIR`,
      );
    }
    throw new UsageError(`cannot read checkpoint ${path}: ${oneLine((err as Error).message)}`);
  }
  return parseCheckpoint(text, path);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
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
  const where = `checkpoint ${source}`;
  const fail = (what: string, fix = RECREATE): never => {
    throw new UsageError(`${where}: ${what}; ${fix}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `${where} is not valid JSON (${oneLine((err as Error).message)}): truncated or corrupt; ${RECREATE}`,
    );
  }
  if (!isObject(json)) return fail("not a JSON object");
  if (json.format !== CHECKPOINT_FORMAT) {
    return fail(
      `not a microgpt checkpoint (format ${JSON.stringify(json.format)}, expected "${CHECKPOINT_FORMAT}")`,
      "pass the checkpoint.json that deno task train --out DIR wrote",
    );
  }
  if (json.version !== CHECKPOINT_VERSION) {
    return fail(
      `format version ${
        JSON.stringify(json.version)
      }, but this program (${PROGRAM_NAME} ${VERSION}) reads version ${CHECKPOINT_VERSION}`,
      "use the program version that wrote it, or retrain",
    );
  }
  const program = isObject(json.program) && typeof json.program.name === "string" &&
      typeof json.program.version === "string"
    ? { name: json.program.name, version: json.program.version }
    : fail("the program field is missing or malformed");

  const experiment = parseExperimentConfig(json.experiment, where);
  const { model: config, train } = experiment;

  const data = isObject(json.data) ? json.data : fail("the data field is missing");
  if (typeof data.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(data.sha256)) {
    fail("data.sha256 is not a SHA-256 hex digest");
  }
  if (!isCount(data.numDocs) || data.numDocs < 1) fail("data.numDocs is not a positive integer");

  const vocab = Array.isArray(json.vocab) ? json.vocab : fail("vocab is missing or not an array");
  if (vocab.length === 0) fail("vocab is empty");
  for (let i = 0; i < vocab.length; i++) {
    const ch = vocab[i];
    if (typeof ch !== "string" || [...ch].length !== 1) fail(`vocab[${i}] is not a single character`);
    if (i > 0 && (vocab[i - 1] as string).codePointAt(0)! >= (ch as string).codePointAt(0)!) {
      fail(`vocab is not strictly sorted by code point at index ${i}`);
    }
  }
  const vocabSize = vocab.length + 1;

  if (!isCount(json.step) || json.step > train.steps) {
    fail(
      `step must be an integer in 0..${train.steps} (the schedule's length), got ${
        JSON.stringify(json.step)
      }`,
    );
  }
  const step = json.step as number;

  const rng = parseRandomState(json.rng) ?? fail("the random generator state is invalid");

  const params = isObject(json.params) ? json.params : fail("params is missing or not an object");
  const shapes = expectedShapes(config, vocabSize);
  const names = Object.keys(params);
  const expectedNames = shapes.map(([name]) => name);
  if (names.length !== expectedNames.length || names.some((n, i) => n !== expectedNames[i])) {
    const missing = expectedNames.find((n) => !(n in params));
    const extra = names.find((n) => !expectedNames.includes(n));
    fail(
      missing !== undefined
        ? `params has no matrix '${missing}' (expected ${expectedNames.length} matrices for n_layer ${config.nLayer})`
        : extra !== undefined
        ? `params has an unexpected matrix '${extra}' (the model has ${expectedNames.length})`
        : "params' matrices are out of order",
    );
  }
  let numParams = 0;
  for (const [name, rows, cols] of shapes) {
    const m = params[name];
    if (!Array.isArray(m) || m.length !== rows) {
      fail(`matrix ${name} should have ${rows} rows (vocab size ${vocabSize}, model ${shapeText(config)})`);
    }
    (m as unknown[]).forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== cols) {
        fail(`matrix ${name} row ${r} should have ${cols} numbers`);
      }
      (row as unknown[]).forEach((x, c) => {
        if (typeof x !== "number" || !Number.isFinite(x)) {
          fail(`matrix ${name}[${r}][${c}] is not a finite number`);
        }
      });
    });
    numParams += rows * cols;
  }

  const adam = isObject(json.adam) ? json.adam : fail("adam is missing or not an object");
  for (const key of ["m", "v"] as const) {
    const moments = adam[key];
    if (!Array.isArray(moments) || moments.length !== numParams) {
      fail(`adam.${key} should hold ${numParams} numbers, one per parameter`);
    }
    (moments as unknown[]).forEach((x, i) => {
      if (typeof x !== "number" || !Number.isFinite(x) || (key === "v" && x < 0)) {
        fail(`adam.${key}[${i}] is not a finite${key === "v" ? " non-negative" : ""} number`);
      }
    });
  }

  const history = isObject(json.history) ? json.history : fail("history is missing or not an object");
  const losses = history.losses;
  if (!Array.isArray(losses) || losses.length !== step) {
    fail(`history.losses should hold ${step} losses, one per step done`);
  }
  if (!(losses as unknown[]).every(isFiniteNumber)) fail("history.losses holds a non-number");
  const validationLosses = history.validationLosses;
  if (
    !Array.isArray(validationLosses) ||
    !validationLosses.every((v) =>
      isObject(v) && isCount(v.step) && v.step <= step && isFiniteNumber(v.loss) && isCount(v.numDocs)
    )
  ) {
    fail("history.validationLosses is malformed");
  }
  const segments = history.segments;
  if (
    !Array.isArray(segments) ||
    !segments.every((s) =>
      isObject(s) && isCount(s.startStep) && isCount(s.endStep) && (s.endStep as number) <= step &&
      isFiniteNumber(s.seconds) && ENGINE_NAMES.includes(s.engine as EngineName)
    )
  ) {
    fail("history.segments is malformed");
  }

  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    program,
    experiment,
    data: { sha256: data.sha256 as string, numDocs: data.numDocs as number },
    vocab: vocab as string[],
    step,
    rng,
    params: params as Record<string, number[][]>,
    adam: { m: adam.m as number[], v: adam.v as number[] },
    history: {
      losses: losses as number[],
      validationLosses: validationLosses as ValidationLoss[],
      segments: segments as TrainingSegment[],
    },
  };
}

/** The generator state if it is a valid one (Random.setState checks every word), else null. */
function parseRandomState(value: unknown): RandomState | null {
  if (!isObject(value) || !Array.isArray(value.mt)) return null;
  const { mt, index, gaussNext } = value;
  if (typeof index !== "number" || (gaussNext !== null && typeof gaussNext !== "number")) return null;
  const state: RandomState = { mt: mt as number[], index, gaussNext };
  try {
    new Random(0).setState(state);
  } catch {
    return null;
  }
  return state;
}

function shapeText(config: ExperimentConfig["model"]): string {
  return `n_embd ${config.nEmbd}, n_layer ${config.nLayer}, block_size ${config.blockSize}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}
