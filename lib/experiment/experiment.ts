/**
 * One experiment from one config: seed -> read and shuffle the data -> tokenizer ->
 * (held-out split) -> init or resume -> train -> sample, reporting through callbacks and
 * returning the run's record and a checkpoint. The CLI, sweep workers and notebooks all
 * run experiments through this one function, so they agree to the last bit.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { Adam } from "../adam.ts";
import {
  batchSizeOf,
  DEFAULT_CONFIG,
  DEFAULT_TRAIN_CONFIG,
  type GPTConfig,
  type SampleConfig,
  type TrainConfig,
} from "../config.ts";
import { type Corpus, type CorpusDataset, corpusFromBytes } from "../corpus.ts";
import { readDataFile } from "../data.ts";
import type { Engine } from "../engine.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { requireRunFits } from "../memory.ts";
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
import { createEngine, type EngineName, engineName, runnableEngine } from "./engines.ts";
import {
  type ExperimentConfig,
  type RunRecord,
  runSize,
  type RunTimings,
  validateExperimentConfig,
  type ValidationLoss,
} from "./run_record.ts";
import { DEFAULT_VALIDATION, evaluateLoss, numTrainDocs, type ValidationConfig } from "./split.ts";

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
  /**
   * Called with the run's checkpoint and record whenever it should be saved, and awaited:
   * every `saveEvery` steps (`periodic`), when training ends before sampling starts (`trained`:
   * so nothing that fails later loses it), or when the run stops early (`stopped`: at
   * `stopAt`, or aborted by `signal`). The record is a stopped run's (nothing sampled yet).
   */
  onSave?: (snapshot: RunSnapshot & { reason: SaveReason }) => Promise<void> | void;
  /** Steps between `periodic` saves (0, the default: none by steps). */
  saveEvery?: number;
  /**
   * Seconds of training between `periodic` saves (0, the default: none by time); a save that
   * took long stretches the interval to 20 times its duration, so saving never costs more than
   * about 5% of the time.
   */
  saveEverySeconds?: number;
  /**
   * Stops the run after the current step when aborted: it is saved (`onSave`, `stopped`) and
   * returned as a stopped run, resumable from its checkpoint. (Aborting also lets the event loop
   * run between steps, about every 50 ms, so a signal handler can call it.)
   */
  signal?: AbortSignal;
  /** The run's identity for a new run (default: a random UUID; a resumed run keeps its checkpoint's). */
  runId?: string;
}

/** Why `onSave` was called. */
export type SaveReason = "periodic" | "trained" | "stopped";

/** A run's state at one moment: its checkpoint and its record. */
export interface RunSnapshot {
  /** The state after the last step run. */
  checkpoint: Checkpoint;
  /** The record so far. */
  record: RunRecord;
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
export function sha256Hex(bytes: Uint8Array): Promise<string> {
  // node:crypto hashes the bytes where they are (WebCrypto's digest copies them first).
  return Promise.resolve(createHash("sha256").update(bytes).digest("hex"));
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
  const engine = engineName(config.engine); // a run trains here on one of ours (not `torch`)
  const { resume } = options;
  if (resume) checkResumable(config, resume);
  const saveEvery = options.saveEvery ?? 0;
  if (!Number.isSafeInteger(saveEvery) || saveEvery < 0) {
    throw new ConfigError(
      ["saveEvery"],
      (n) => `${n("saveEvery")} must be a whole number of steps (0: never), got ${saveEvery}`,
    );
  }
  const saveEverySeconds = options.saveEverySeconds ?? 0;
  if (!(saveEverySeconds >= 0 && saveEverySeconds < Infinity)) {
    throw new RangeError(`saveEverySeconds must be a number of seconds (0: never), got ${saveEverySeconds}`);
  }
  const runId = options.runId ?? resume?.runId ?? crypto.randomUUID();
  const { startStep, stopStep } = stopPoints(config.train.steps, resume?.step ?? 0, options.stopAt);
  const data = await prepareData(config, options.data, resume);
  const { tokenizer, rng } = data.dataset;
  requireRunFits(runSize(config), tokenizer.vocabSize); // with the real vocabulary, before allocating
  const { model, adam, history } = startingState(config, data.dataset, resume);
  options.onStart?.({
    numDocs: data.dataset.corpus.length,
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
    engine: createEngine(engine, model),
    // Nothing reads the model between steps (validation and sampling ask the engine), so the
    // engine keeps its weights until a checkpoint is taken, instead of writing 4192 Values per step.
    modelSync: "on-demand",
  });
  const clock = { trainSeconds: 0, validationSeconds: 0 };
  /** The run as it stands: its checkpoint, and its record as a stopped run (nothing sampled). */
  const snapshot = (): RunSnapshot => {
    trainer.syncModel();
    const segment = {
      startStep,
      endStep: trainer.nextStep,
      seconds: clock.trainSeconds,
      engine,
    };
    const sofar = { ...history, segments: [...history.segments, segment] };
    const checkpoint = makeCheckpoint({
      experiment: config,
      data: { sha256: data.sha256, numDocs: data.dataset.corpus.length },
      tokenizer,
      model,
      adam,
      step: trainer.nextStep,
      rng,
      history: sofar,
      runId,
    });
    const record = runRecord({
      config,
      data,
      model,
      trainer,
      history: sofar,
      samples: [],
      status: "stopped",
      resumedFrom: resume ? resume.step : null,
      runId,
      timings: { startedAt, t0, validationSeconds: clock.validationSeconds, sampleSeconds: 0 },
    });
    return { checkpoint, record };
  };
  const save = async (reason: SaveReason) => await options.onSave?.({ ...snapshot(), reason });
  await trainUntil(trainer, stopStep, config, data.split.val, history, clock, {
    ...options,
    saveEvery,
    saveEverySeconds,
    save: options.onSave ? save : undefined,
  });
  const trained = snapshot();
  history.segments = trained.checkpoint.history.segments;
  // Saved before sampling: whatever happens next, the training is on disk.
  const stopped = !trainer.done || options.signal?.aborted === true;
  await options.onSave?.({ ...trained, reason: stopped ? "stopped" : "trained" });
  if (stopped) return { ...trained, model, tokenizer };

  const ts = performance.now();
  const samples = drawSamples(trainer.engine, tokenizer, rng, config.sample, options.onSample);
  const sampleSeconds = (performance.now() - ts) / 1000;
  const record = runRecord({
    config,
    data,
    model,
    trainer,
    history,
    samples,
    status: "finished",
    resumedFrom: resume ? resume.step : null,
    runId,
    timings: { startedAt, t0, validationSeconds: clock.validationSeconds, sampleSeconds },
  });
  return { record, checkpoint: trained.checkpoint, model, tokenizer };
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
  dataset: CorpusDataset;
  split: { train: Corpus; val: Corpus };
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
  const dataset = corpusFromBytes(data, config.dataPath, config.seed);
  // The vocabulary comes from every document; the held-out ones are the last of the shuffle.
  // Each document as far as the model reads it (its context and one target more).
  const corpus = dataset.corpus.limit(config.model.blockSize + 1);
  const numTrain = config.validation
    ? numTrainDocs(corpus.length, config.validation.fraction)
    : corpus.length;
  const split = { train: corpus.slice(0, numTrain), val: corpus.slice(numTrain) };
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
  dataset: CorpusDataset,
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

/**
 * Trains up to `stopStep`, measuring the held-out loss when the config asks, adding the seconds
 * spent to `clock`. Every `saveEvery` steps, or `saveEverySeconds`, it awaits `save`; with a
 * `signal`, it lets the event loop run about every 50 ms (so a signal handler can abort it) and
 * stops after the step during which the signal was aborted.
 */
async function trainUntil(
  trainer: Trainer,
  stopStep: number,
  config: ExperimentConfig,
  valTokens: Corpus,
  history: RunHistory,
  clock: { trainSeconds: number; validationSeconds: number },
  options: RunOptions & {
    saveEvery: number;
    saveEverySeconds: number;
    save?: (reason: SaveReason) => Promise<void>;
  },
): Promise<void> {
  const numSteps = config.train.steps;
  const { signal, saveEvery, saveEverySeconds, save } = options;
  let lastYield = performance.now();
  let lastSave = performance.now();
  let saveInterval = saveEverySeconds * 1000;
  while (trainer.nextStep < stopStep && !signal?.aborted) {
    const t = performance.now();
    const info = trainer.step();
    clock.trainSeconds += (performance.now() - t) / 1000;
    history.losses.push(info.loss);
    options.onStep?.(info);
    const done = info.step + 1;
    if (config.validation && (done % config.validation.every === 0 || done === numSteps)) {
      const tv = performance.now();
      const numDocs = Math.min(valTokens.length, config.validation.maxDocs);
      const loss = evaluateLoss(trainer.engine, valTokens, { maxDocs: numDocs });
      clock.validationSeconds += (performance.now() - tv) / 1000;
      history.validationLosses.push({ step: done, loss, numDocs });
      options.onValidation?.({ step: done, loss, numDocs, numSteps });
    }
    if (signal) {
      if (performance.now() - lastYield > 50) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
      }
      if (signal.aborted) return;
    }
    if (save === undefined || done >= stopStep) continue;
    const now = performance.now();
    if ((saveEvery > 0 && done % saveEvery === 0) || (saveInterval > 0 && now - lastSave >= saveInterval)) {
      await save("periodic");
      lastSave = performance.now();
      if (saveEverySeconds > 0) saveInterval = Math.max(saveEverySeconds * 1000, 20 * (lastSave - now));
    }
  }
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
  status: RunRecord["status"];
  resumedFrom: number | null;
  runId: string;
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
    status: run.status,
    config: structuredClone(config),
    data: {
      path: config.dataPath,
      sha256: data.sha256,
      numDocs: data.dataset.corpus.length,
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
    runId: run.runId,
    timings,
  };
}

/**
 * Resumes a checkpoint's run with its own settings; `overrides` may change what does not
 * alter the training trajectory: where the data is, the engine, and sampling. A run that
 * PyTorch trained (engine `torch`) continues on `overrides.engine`, or the fast engine.
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
    engine: overrides.engine ?? runnableEngine(checkpoint.experiment.engine),
    sample: { ...checkpoint.experiment.sample, ...overrides.sample },
  };
  return runExperiment(config, { ...options, resume: checkpoint });
}
