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
import { countParams, describeRun, formatBytes, largestSetting, type RunSize } from "../memory.ts";
import { GPT } from "../model.ts";
import { parameterShapes } from "../parameters.ts";
import { Random, type RandomState } from "../random.ts";
import { prefixTokens, sampleNames } from "../sample.ts";
import { Tokenizer } from "../tokenizer.ts";
import { Value } from "../value.ts";
import { PROGRAM_NAME, VERSION } from "../version.ts";
import { createEngine, type EngineName, runnableEngine } from "./engines.ts";
import {
  canonicalSha256,
  exactJson,
  MAX_JSON_BYTES,
  parseJsonText,
  readJsonFile,
  validateJson,
  writeTextFileAtomic,
} from "./json_file.ts";
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
  /**
   * The run's identity (a random UUID made when it started, kept when it resumes): the
   * checkpoint and the run record in a directory name the same run. Absent in older files.
   */
  runId?: string;
  /**
   * `sha256:` and the SHA-256 of every other field (`checkpointChecksum`), written by
   * `saveCheckpoint` and checked by `loadCheckpoint`. Absent in files written before it existed,
   * which load without an integrity check.
   */
  checksum?: string;
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
  /** The run's identity. */
  runId?: string;
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
    ...(state.runId === undefined ? {} : { runId: state.runId }),
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
  /**
   * The engine that computes the probabilities (default: the run's, or the fast one for a run
   * trained elsewhere, by PyTorch; every engine draws the same).
   */
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
  prefixTokens(prefix, tokenizer, checkpoint.experiment.model.blockSize); // checked before any work
  const seed = options.seed;
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw new ConfigError(["seed"], (n) => `${n("seed")} must be an integer, got ${seed}`);
  }
  const rng = seed === undefined ? rngFromCheckpoint(checkpoint) : new Random(seed);
  const engine = createEngine(
    options.engine ?? runnableEngine(checkpoint.experiment.engine),
    modelFromCheckpoint(checkpoint),
  );
  return sampleNames(engine, tokenizer, rng, { ...sample, prefix });
}

// --- saving and loading ----------------------------------------------------------------

/**
 * About how large a run's checkpoint file gets: every parameter three times (weight and Adam's
 * two moments) and every step's loss, at about 24 characters a number, and the rest.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { estimateCheckpointBytes } from "./checkpoint.ts";
 * console.log(Math.round(estimateCheckpointBytes({ model: DEFAULT_CONFIG, steps: 1000 }, 27) / 1000)); // 390 (kB; 316 measured)
 * ```
 */
export function estimateCheckpointBytes(run: RunSize, vocabSize: number): number {
  return (3 * countParams(run.model, vocabSize) + (run.steps ?? 0)) * 24 + 64e3;
}

/**
 * Throws a ConfigError unless the checkpoint of this run fits in `MAX_JSON_BYTES`, the largest
 * checkpoint `loadCheckpoint` reads: a run that saves one checks this before its first step,
 * so it never writes a checkpoint it could not resume from. Names the setting to lower.
 */
export function requireCheckpointFits(run: RunSize, vocabSize: number): void {
  const bytes = estimateCheckpointBytes(run, vocabSize);
  if (bytes <= MAX_JSON_BYTES) return;
  const culprit = largestSetting(run, (r) => estimateCheckpointBytes(r, vocabSize));
  throw new ConfigError(
    [culprit],
    (n) =>
      `the checkpoint of ${describeRun(run, n)} would be about ${formatBytes(bytes)}, over the ${
        formatBytes(MAX_JSON_BYTES)
      } checkpoints may be; lower ${n(culprit)}, or train without saving it`,
  );
}

/**
 * A checkpoint's checksum: `sha256:` and the SHA-256 of the canonical form (`canonicalSha256`)
 * of the checkpoint as JSON without its `checksum` field. Every field counts, known or not (a
 * field added later is covered with no change here), and only the values do: a file laid out
 * differently, or written by another program, has the same checksum.
 *
 * To compute it in another language: parse the JSON (`-0` as the double -0), drop the
 * top-level `checksum`, write the canonical form and hash its UTF-8 bytes. In Python:
 *
 * ```
 * def canonical(v):
 *     if v is None: return "null"
 *     if v is True: return "true"
 *     if v is False: return "false"
 *     if isinstance(v, (int, float)): return struct.pack(">d", v).hex()
 *     if isinstance(v, str): return json.dumps(v, ensure_ascii=False)
 *     if isinstance(v, list): return "[" + ",".join(canonical(x) for x in v) + "]"
 *     return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(v[k]) for k in sorted(v)) + "}"
 * payload = {k: x for k, x in checkpoint.items() if k != "checksum"}
 * checksum = "sha256:" + hashlib.sha256(canonical(payload).encode("utf-8")).hexdigest()
 * ```
 */
export function checkpointChecksum(checkpoint: object): string {
  const { checksum: _checksum, ...payload } = checkpoint as Record<string, unknown>;
  return `sha256:${canonicalSha256(payload)}`;
}

/** The checkpoint as exact JSON text (see `exactJson`) with its checksum last, ending in a newline. */
export function checkpointToJson(checkpoint: Checkpoint): string {
  const { checksum: _old, ...payload } = checkpoint;
  return exactJson({ ...payload, checksum: checkpointChecksum(payload) }) + "\n";
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

/** Checks parsed checkpoint JSON: what it is, its checksum, every field's type, then the fields against each other. */
function checkCheckpoint(json: unknown, source: string): Checkpoint {
  const where = `checkpoint ${source}`;
  checkFormat(json, where);
  checkChecksum(json as Record<string, unknown>, where);
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

/**
 * A checkpoint whose checksum differs from its contents' is refused; one without a checksum
 * (written before checksums existed, or by a program that does not write them) is accepted
 * unchecked. A single flipped bit cannot turn the first into the second: flipped in the
 * field's name, it leaves the contents as they were written.
 */
function checkChecksum(json: Record<string, unknown>, where: string): void {
  if (!("checksum" in json)) return;
  const stored = json.checksum;
  if (typeof stored !== "string" || !/^sha256:[0-9a-f]{64}$/.test(stored)) {
    throw new UsageError(`${where}: checksum is not "sha256:" and 64 hex digits; ${RECREATE}`);
  }
  if (checkpointChecksum(json) !== stored) {
    throw new UsageError(
      `${where}: its contents do not match its checksum (the file changed or was corrupted after it was ` +
        `written); ${RECREATE}`,
    );
  }
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
