/**
 * One experiment from one config: seed -> read and shuffle the data -> tokenizer ->
 * (held-out split) -> init or resume -> train -> sample, reporting through callbacks and
 * returning the run's record and a checkpoint. The CLI, sweep workers and notebooks all
 * run experiments through this one function, so they agree to the last bit.
 *
 * @module
 */

import { Adam } from "../adam.ts";
import {
  batchSizeOf,
  DEFAULT_CONFIG,
  DEFAULT_TRAIN_CONFIG,
  type GPTConfig,
  type SampleConfig,
  type TrainConfig,
} from "../config.ts";
import { docsFromBytes, readDataFile } from "../data.ts";
import { type Dataset, shuffledDataset } from "../dataset.ts";
import type { Engine } from "../engine.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { GPT } from "../model.ts";
import type { Random } from "../random.ts";
import { sampleName } from "../sample.ts";
import type { Tokenizer } from "../tokenizer.ts";
import { type StepInfo, Trainer } from "../train.ts";
import { PROGRAM_NAME, VERSION } from "../version.ts";
import {
  adamFromCheckpoint,
  type Checkpoint,
  makeCheckpoint,
  modelFromCheckpoint,
  type RunHistory,
} from "./checkpoint.ts";
import { createEngine, type EngineName } from "./engines.ts";
import {
  type ExperimentConfig,
  type RunRecord,
  type RunTimings,
  validateExperimentConfig,
  type ValidationLoss,
} from "./run_record.ts";
import {
  DEFAULT_VALIDATION,
  type DocSplit,
  evaluateLoss,
  splitDocs,
  type ValidationConfig,
} from "./split.ts";

/** What an experiment reports before its first step. */
export interface StartInfo {
  /** All documents of the dataset. */
  numDocs: number;
  /** Documents trained on (all of them unless validation holds some out). */
  numTrainDocs: number;
  /** Documents held out (0 without validation). */
  numValDocs: number;
  /** Tokens in the vocabulary, BOS included. */
  vocabSize: number;
  /** Parameters of the model. */
  numParams: number;
  /** The first step this run runs (0 unless resumed). */
  startStep: number;
  /** The schedule's length. */
  numSteps: number;
  /** Where this run stops (`numSteps` unless `stopAt` was given). */
  stopStep: number;
}

/** A validation measurement, with the schedule's length. */
export interface ValidationInfo extends ValidationLoss {
  /** The schedule's length. */
  numSteps: number;
}

/** Options of `runExperiment`. */
export interface RunOptions {
  /** The dataset's bytes if already read (sweeps read each file once); else `config.dataPath` is read. */
  data?: Uint8Array;
  /** Stop after this many steps of the schedule (checkpoint, no sampling); default: the end. */
  stopAt?: number;
  /** Continue this checkpoint's run (its settings must match `config`'s). */
  resume?: Checkpoint;
  /** Called once, before the first step. */
  onStart?: (info: StartInfo) => void;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void;
  /** Called after each held-out loss measurement. */
  onValidation?: (info: ValidationInfo) => void;
  /** Each sampled document as it is drawn (0-based index). */
  onSample?: (text: string, index: number) => void;
}

/** What `runExperiment` returns. */
export interface ExperimentRun {
  /** The run's record. */
  record: RunRecord;
  /** The state after the last step run, before sampling (so sampling from it repeats the run's samples). */
  checkpoint: Checkpoint;
  /** The trained model. */
  model: GPT;
  /** The run's tokenizer. */
  tokenizer: Tokenizer;
}

/**
 * The SHA-256 of some bytes, as 64 hex digits.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./experiment.ts";
 * console.log(await sha256Hex(new TextEncoder().encode("abc")));
 * // ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The settings a resumed run keeps from its checkpoint, because they fix the training
 * trajectory (sampling settings, the engine and the data path may change). Named as
 * `ConfigError` names fields.
 */
export const FIXED_WHEN_RESUMING: readonly string[] = [
  "seed",
  ...Object.keys(DEFAULT_CONFIG),
  ...Object.keys(DEFAULT_TRAIN_CONFIG),
  "batchSize",
  ...Object.keys(DEFAULT_VALIDATION).map((key) => `validation.${key}`),
  "validation.fraction",
];

/** The value of a `FIXED_WHEN_RESUMING` field in a config (undefined for validation's when it is off). */
function fixedSetting(config: ExperimentConfig, field: string): unknown {
  if (field === "seed") return config.seed;
  if (field === "batchSize") return batchSizeOf(config.train); // absent is 1
  if (field.startsWith("validation.")) return config.validation?.[field.slice(11) as keyof ValidationConfig];
  return field in config.model
    ? config.model[field as keyof GPTConfig]
    : config.train[field as keyof TrainConfig];
}

/**
 * Throws a ConfigError unless `config` continues `checkpoint`'s run: the same
 * `FIXED_WHEN_RESUMING` settings, and validation on or off as it was.
 */
export function checkResumable(config: ExperimentConfig, checkpoint: Checkpoint): void {
  const was = checkpoint.experiment;
  if ((was.validation === null) !== (config.validation === null)) {
    const [before, now] = [was.validation, config.validation].map((v) => v === null ? "off" : "on");
    throw new ConfigError(
      ["validation.fraction"],
      () =>
        `cannot resume: validation is ${now} but the checkpoint's run had it ${before}; a resumed run keeps its settings`,
    );
  }
  for (const field of FIXED_WHEN_RESUMING) {
    const [before, now] = [fixedSetting(was, field), fixedSetting(config, field)];
    if (before !== now) {
      throw new ConfigError(
        [field],
        (n) =>
          `cannot resume: ${n(field)} is ${now} but the checkpoint's run used ${before}; ` +
          "a resumed run keeps its settings (start a new run to change them)",
      );
    }
  }
}

/**
 * Runs one experiment: the documents are shuffled with `Random(config.seed)`, the same
 * generator then initialises the model, training draws nothing, and sampling continues
 * from the generator. With the default config this is exactly microgpt.py's run.
 *
 * @example
 * ```ts
 * import { experimentConfig } from "./run_record.ts";
 * import { runExperiment } from "./experiment.ts";
 * const data = new TextEncoder().encode("emma\nolivia\nava\nisabella\nsophia\n");
 * const config = experimentConfig({ seed: 1, train: { steps: 10 }, sample: { numSamples: 3 } });
 * const { record } = await runExperiment(config, { data });
 * console.log(record.losses.length, record.samples.length); // 10 3
 * ```
 */
export async function runExperiment(
  config: ExperimentConfig,
  options: RunOptions = {},
): Promise<ExperimentRun> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  validateExperimentConfig(config);
  const { resume } = options;
  if (resume) checkResumable(config, resume);
  const { startStep, stopStep } = stopPoints(config.train.steps, resume?.step ?? 0, options.stopAt);
  const data = await prepareData(config, options.data, resume);
  const { model, adam, history } = startingState(config, data.dataset, resume);
  const { tokenizer, rng } = data.dataset;
  options.onStart?.({
    numDocs: data.dataset.docs.length,
    numTrainDocs: data.split.train.length,
    numValDocs: data.split.val.length,
    vocabSize: tokenizer.vocabSize,
    numParams: model.parameters.length,
    startStep,
    numSteps: config.train.steps,
    stopStep,
  });

  const trainer = new Trainer(model, data.split.train, {
    ...config.train,
    adam,
    startStep,
    engine: createEngine(config.engine, model),
    // Nothing reads the model between steps (validation and sampling ask the engine), so the
    // engine keeps its weights until the end instead of writing 4192 Values per step.
    modelSync: "on-demand",
  });
  const { trainSeconds, validationSeconds } = trainUntil(
    trainer,
    stopStep,
    config,
    data.split.val,
    history,
    options,
  );
  trainer.syncModel();
  history.segments.push({ startStep, endStep: stopStep, seconds: trainSeconds, engine: config.engine });
  const checkpoint = makeCheckpoint({
    experiment: config,
    data: { sha256: data.sha256, numDocs: data.dataset.docs.length },
    tokenizer,
    model,
    adam,
    step: trainer.nextStep,
    rng,
    history,
  });

  const ts = performance.now();
  const samples = trainer.done
    ? drawSamples(trainer.engine, tokenizer, rng, config.sample, options.onSample)
    : [];
  const sampleSeconds = (performance.now() - ts) / 1000;
  const record = runRecord({
    config,
    data,
    model,
    trainer,
    history,
    samples,
    resumedFrom: resume ? resume.step : null,
    timings: { startedAt, t0, validationSeconds, sampleSeconds },
  });
  return { record, checkpoint, model, tokenizer };
}

/** Where this run starts and stops, checked against the schedule. */
function stopPoints(
  numSteps: number,
  startStep: number,
  stopAt: number | undefined,
): { startStep: number; stopStep: number } {
  if (startStep >= numSteps) {
    throw new UsageError(
      `the checkpoint's run is already finished (step ${startStep} / ${numSteps}); ` +
        "sample from it with deno task sample --checkpoint FILE",
    );
  }
  const stopStep = stopAt ?? numSteps;
  if (!Number.isSafeInteger(stopStep) || stopStep <= startStep || stopStep > numSteps) {
    throw new ConfigError(
      ["stopAt"],
      (n) =>
        `${n("stopAt")} must be an integer in ${startStep + 1}..${numSteps} (after step ${startStep}, ` +
        `within the ${numSteps}-step schedule), got ${stopStep}`,
    );
  }
  return { startStep, stopStep };
}

/** The run's data: the file's hash, the prepared dataset, and its training and held-out documents. */
interface RunData {
  sha256: string;
  dataset: Dataset;
  split: DocSplit<number[]>;
}

/** Reads (or takes) the data and prepares it: the same bytes always give the same documents, shuffle and vocabulary. */
async function prepareData(
  config: ExperimentConfig,
  bytes: Uint8Array | undefined,
  resume: Checkpoint | undefined,
): Promise<RunData> {
  const data = bytes ?? await readDataFile(config.dataPath);
  const sha256 = await sha256Hex(data);
  if (resume && sha256 !== resume.data.sha256) {
    throw new ConfigError(
      ["dataPath"],
      (n) =>
        `data file ${config.dataPath} is not the file the checkpoint was trained on (its SHA-256 differs); ` +
        `resume with the original data (${n("dataPath")}) or start a new run`,
    );
  }
  const dataset = shuffledDataset(docsFromBytes(data, config.dataPath), config.seed);
  // The vocabulary comes from every document; the held-out ones are the last of the shuffle.
  const split = config.validation
    ? splitDocs(dataset.tokens, config.validation.fraction)
    : { train: dataset.tokens, val: [] };
  if (resume && resume.vocab.join("") !== dataset.tokenizer.chars.join("")) {
    throw new UsageError(
      `the data's vocabulary ${
        JSON.stringify(dataset.tokenizer.chars.join(""))
      } differs from the checkpoint's ` +
        `${JSON.stringify(resume.vocab.join(""))}; resume with the original data`,
    );
  }
  return { sha256, dataset, split };
}

/** Model, optimizer and history: fresh from the generator, or exactly as the checkpoint left them (generator too). */
function startingState(
  config: ExperimentConfig,
  dataset: Dataset,
  resume: Checkpoint | undefined,
): { model: GPT; adam: Adam; history: RunHistory } {
  if (resume) {
    dataset.rng.setState(resume.rng);
    return {
      model: modelFromCheckpoint(resume),
      adam: adamFromCheckpoint(resume),
      history: structuredClone(resume.history),
    };
  }
  const model = GPT.init(config.model, dataset.tokenizer.vocabSize, dataset.rng);
  return {
    model,
    adam: new Adam(model.parameters.length, config.train),
    history: { losses: [], validationLosses: [], segments: [] },
  };
}

/** Trains up to `stopStep`, measuring the held-out loss when the config asks; returns the seconds spent. */
function trainUntil(
  trainer: Trainer,
  stopStep: number,
  config: ExperimentConfig,
  valTokens: readonly number[][],
  history: RunHistory,
  options: RunOptions,
): { trainSeconds: number; validationSeconds: number } {
  let trainSeconds = 0;
  let validationSeconds = 0;
  const numSteps = config.train.steps;
  while (trainer.nextStep < stopStep) {
    const t = performance.now();
    const info = trainer.step();
    trainSeconds += (performance.now() - t) / 1000;
    history.losses.push(info.loss);
    options.onStep?.(info);
    const done = info.step + 1;
    if (config.validation && (done % config.validation.every === 0 || done === numSteps)) {
      const tv = performance.now();
      const numDocs = Math.min(valTokens.length, config.validation.maxDocs);
      const loss = evaluateLoss(trainer.engine, valTokens, { maxDocs: numDocs });
      validationSeconds += (performance.now() - tv) / 1000;
      history.validationLosses.push({ step: done, loss, numDocs });
      options.onValidation?.({ step: done, loss, numDocs, numSteps });
    }
  }
  return { trainSeconds, validationSeconds };
}

/** microgpt's inference loop: `numSamples` documents from the generator, on the run's engine. */
function drawSamples(
  engine: Engine,
  tokenizer: Tokenizer,
  rng: Random,
  sample: SampleConfig,
  onSample: RunOptions["onSample"],
): string[] {
  const samples: string[] = [];
  for (let i = 0; i < sample.numSamples; i++) {
    const { text } = sampleName(engine, tokenizer, rng, { temperature: sample.temperature });
    samples.push(text);
    onSample?.(text, i);
  }
  return samples;
}

/** The record of a run that just trained (and sampled, if it finished). */
function runRecord(run: {
  config: ExperimentConfig;
  data: RunData;
  model: GPT;
  trainer: Trainer;
  history: RunHistory;
  samples: string[];
  resumedFrom: number | null;
  timings: { startedAt: string; t0: number; validationSeconds: number; sampleSeconds: number };
}): RunRecord {
  const { config, data, history } = run;
  const allTrainSeconds = history.segments.reduce((total, s) => total + s.seconds, 0);
  const allSteps = history.segments.reduce((total, s) => total + s.endStep - s.startStep, 0);
  const timings: RunTimings = {
    startedAt: run.timings.startedAt,
    trainSeconds: allTrainSeconds,
    validationSeconds: run.timings.validationSeconds,
    sampleSeconds: run.timings.sampleSeconds,
    totalSeconds: (performance.now() - run.timings.t0) / 1000,
    stepsPerSecond: allTrainSeconds > 0 ? allSteps / allTrainSeconds : 0,
    segments: history.segments,
  };
  return {
    format: "microgpt-run",
    version: 1,
    program: { name: PROGRAM_NAME, version: VERSION, deno: Deno.version.deno, v8: Deno.version.v8 },
    status: run.trainer.done ? "finished" : "stopped",
    config: structuredClone(config),
    data: {
      path: config.dataPath,
      sha256: data.sha256,
      numDocs: data.dataset.docs.length,
      numTrainDocs: data.split.train.length,
      numValDocs: data.split.val.length,
      vocab: data.dataset.tokenizer.chars.join(""),
    },
    numParams: run.model.parameters.length,
    step: run.trainer.nextStep,
    losses: [...history.losses],
    validationLosses: [...history.validationLosses],
    samples: run.samples,
    resumedFrom: run.resumedFrom,
    timings,
  };
}

/**
 * Resumes a checkpoint's run with its own settings; `overrides` may change what does not
 * alter the training trajectory: where the data is, the engine, and sampling.
 *
 * @example
 * ```ts ignore
 * const checkpoint = await loadCheckpoint("out/run/checkpoint.json");
 * const { record } = await resumeExperiment(checkpoint);
 * ```
 */
export function resumeExperiment(
  checkpoint: Checkpoint,
  overrides: { dataPath?: string; engine?: EngineName; sample?: Partial<SampleConfig> } = {},
  options: Omit<RunOptions, "resume"> = {},
): Promise<ExperimentRun> {
  const config: ExperimentConfig = {
    ...checkpoint.experiment,
    dataPath: overrides.dataPath ?? checkpoint.experiment.dataPath,
    engine: overrides.engine ?? checkpoint.experiment.engine,
    sample: { ...checkpoint.experiment.sample, ...overrides.sample },
  };
  return runExperiment(config, { ...options, resume: checkpoint });
}
