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
  adamFromCheckpoint,
  type Checkpoint,
  makeCheckpoint,
  modelFromCheckpoint,
  type RunHistory,
} from "./checkpoint.ts";
import type { SampleConfig } from "../config.ts";
import { docsFromBytes, readDataFile } from "../data.ts";
import { UsageError } from "../errors.ts";
import { GPT } from "../model.ts";
import { Random } from "../random.ts";
import {
  type ExperimentConfig,
  type RunRecord,
  type RunTimings,
  validateExperimentConfig,
  type ValidationLoss,
} from "./run_record.ts";
import { FastEngine } from "../fast/engine.ts";
import { sampleNameFast } from "../fast_sample.ts";
import { sampleName } from "../sample.ts";
import { evaluateLoss, splitDocs } from "./split.ts";
import { Tokenizer } from "../tokenizer.ts";
import { type EngineName, type StepInfo, Trainer } from "../train.ts";
import { PROGRAM_NAME, VERSION } from "../version.ts";

/** What an experiment reports before its first step. */
export interface StartInfo {
  /** All documents of the dataset. */
  numDocs: number;
  /** Documents trained on (all of them unless validation holds some out). */
  numTrainDocs: number;
  /** Documents held out (0 without validation). */
  numValDocs: number;
  vocabSize: number;
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
  onStart?: (info: StartInfo) => void;
  onStep?: (info: StepInfo) => void;
  onValidation?: (info: ValidationInfo) => void;
  /** Each sampled document as it is drawn (0-based index). */
  onSample?: (text: string, index: number) => void;
}

/** What `runExperiment` returns. */
export interface ExperimentRun {
  record: RunRecord;
  /** The state after the last step run, before sampling (so sampling from it repeats the run's samples). */
  checkpoint: Checkpoint;
  model: GPT;
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
 * Throws a UsageError unless `config` continues `checkpoint`'s run: same seed, model,
 * schedule and validation split. (Sampling settings, the engine and the data path may differ.)
 */
export function checkResumable(config: ExperimentConfig, checkpoint: Checkpoint): void {
  const was = checkpoint.experiment;
  const pairs: [string, unknown, unknown][] = [
    ["seed", was.seed, config.seed],
    ...Object.keys(was.model).map((k): [string, unknown, unknown] => [
      `model.${k}`,
      was.model[k as keyof typeof was.model],
      config.model[k as keyof typeof config.model],
    ]),
    ...Object.keys(was.train).map((k): [string, unknown, unknown] => [
      `train.${k}`,
      was.train[k as keyof typeof was.train],
      config.train[k as keyof typeof config.train],
    ]),
    ["validation", was.validation === null ? "off" : "on", config.validation === null ? "off" : "on"],
    ...(["fraction", "every", "maxDocs"] as const).map((k): [string, unknown, unknown] => [
      `validation.${k}`,
      was.validation?.[k],
      config.validation?.[k],
    ]),
  ];
  for (const [name, before, now] of pairs) {
    if (before !== now) {
      throw new UsageError(
        `cannot resume: ${name} is ${now} but the checkpoint's run used ${before}; ` +
          "a resumed run keeps its settings (drop the flag that changes it)",
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
  const resume = options.resume;
  const numSteps = config.train.steps;
  if (resume) checkResumable(config, resume);
  const startStep = resume?.step ?? 0;
  if (startStep >= numSteps) {
    throw new UsageError(
      `the checkpoint's run is already finished (step ${startStep} / ${numSteps}); ` +
        "sample from it with deno task sample --checkpoint FILE",
    );
  }
  const stopStep = options.stopAt ?? numSteps;
  if (!Number.isSafeInteger(stopStep) || stopStep <= startStep || stopStep > numSteps) {
    throw new UsageError(
      `--stop-at must be an integer in ${startStep + 1}..${numSteps} (after step ${startStep}, ` +
        `within the ${numSteps}-step schedule), got ${stopStep}`,
    );
  }

  // Data: the same bytes always give the same documents, shuffle and vocabulary.
  const bytes = options.data ?? await readDataFile(config.dataPath);
  const sha256 = await sha256Hex(bytes);
  if (resume && sha256 !== resume.data.sha256) {
    throw new UsageError(
      `data file ${config.dataPath} is not the file the checkpoint was trained on (its SHA-256 differs); ` +
        "resume with the original data (--data PATH) or start a new run",
    );
  }
  const docs = docsFromBytes(bytes, config.dataPath);
  const rng = new Random(config.seed);
  rng.shuffle(docs);
  const tokenizer = Tokenizer.fromDocs(docs);
  const split = config.validation ? splitDocs(docs, config.validation.fraction) : { train: docs, val: [] };
  const trainTokens = split.train.map((doc) => tokenizer.encode(doc));
  const valTokens = split.val.map((doc) => tokenizer.encode(doc));

  // Model, optimizer, generator and history: fresh, or exactly as the checkpoint left them.
  let model: GPT;
  let adam: Adam;
  let history: RunHistory;
  if (resume) {
    if (resume.vocab.join("") !== tokenizer.chars.join("")) {
      throw new UsageError(
        `the data's vocabulary ${JSON.stringify(tokenizer.chars.join(""))} differs from the checkpoint's ` +
          `${JSON.stringify(resume.vocab.join(""))}; resume with the original data`,
      );
    }
    model = modelFromCheckpoint(resume);
    adam = adamFromCheckpoint(resume);
    rng.setState(resume.rng);
    history = structuredClone(resume.history);
  } else {
    model = GPT.init(config.model, tokenizer.vocabSize, rng);
    adam = new Adam(model.parameters.length, config.train);
    history = { losses: [], validationLosses: [], segments: [] };
  }

  options.onStart?.({
    numDocs: docs.length,
    numTrainDocs: split.train.length,
    numValDocs: split.val.length,
    vocabSize: tokenizer.vocabSize,
    numParams: model.parameters.length,
    startStep,
    numSteps,
    stopStep,
  });

  const trainer = new Trainer(model, trainTokens, {
    ...config.train,
    adam,
    startStep,
    engine: config.engine,
    // Nothing reads the model between steps except validation, which syncs first: keeping the
    // fast engine's weights in its arrays until then saves writing 4192 Values per step.
    modelSync: "on-demand",
  });
  let trainSeconds = 0;
  let validationSeconds = 0;
  while (trainer.nextStep < stopStep) {
    const t = performance.now();
    const info = trainer.step();
    trainSeconds += (performance.now() - t) / 1000;
    history.losses.push(info.loss);
    options.onStep?.(info);
    const done = info.step + 1;
    if (config.validation && (done % config.validation.every === 0 || done === numSteps)) {
      const tv = performance.now();
      trainer.syncModel();
      const numDocs = Math.min(valTokens.length, config.validation.maxDocs);
      const loss = evaluateLoss(model, valTokens, { maxDocs: numDocs, engine: config.engine });
      validationSeconds += (performance.now() - tv) / 1000;
      history.validationLosses.push({ step: done, loss, numDocs });
      options.onValidation?.({ step: done, loss, numDocs, numSteps });
    }
  }
  trainer.syncModel();
  history.segments.push({ startStep, endStep: stopStep, seconds: trainSeconds, engine: config.engine });

  const data = { sha256, numDocs: docs.length };
  const checkpoint = makeCheckpoint({
    experiment: config,
    data,
    tokenizer,
    model,
    adam,
    step: trainer.nextStep,
    rng,
    history,
  });

  const samples: string[] = [];
  const ts = performance.now();
  if (trainer.done) {
    const fast = config.engine === "fast" ? new FastEngine(model) : null;
    const sampling = { temperature: config.sample.temperature };
    for (let i = 0; i < config.sample.numSamples; i++) {
      const { text } = fast
        ? sampleNameFast(fast, tokenizer, rng, sampling)
        : sampleName(model, tokenizer, rng, sampling);
      samples.push(text);
      options.onSample?.(text, i);
    }
  }
  const sampleSeconds = (performance.now() - ts) / 1000;

  const allTrainSeconds = history.segments.reduce((total, s) => total + s.seconds, 0);
  const allSteps = history.segments.reduce((total, s) => total + s.endStep - s.startStep, 0);
  const timings: RunTimings = {
    startedAt,
    trainSeconds: allTrainSeconds,
    validationSeconds,
    sampleSeconds,
    totalSeconds: (performance.now() - t0) / 1000,
    stepsPerSecond: allTrainSeconds > 0 ? allSteps / allTrainSeconds : 0,
    segments: history.segments,
  };
  const record: RunRecord = {
    format: "microgpt-run",
    version: 1,
    program: { name: PROGRAM_NAME, version: VERSION, deno: Deno.version.deno, v8: Deno.version.v8 },
    status: trainer.done ? "finished" : "stopped",
    config: structuredClone(config),
    data: {
      path: config.dataPath,
      sha256,
      numDocs: docs.length,
      numTrainDocs: split.train.length,
      numValDocs: split.val.length,
      vocab: tokenizer.chars.join(""),
    },
    numParams: model.parameters.length,
    step: trainer.nextStep,
    losses: [...history.losses],
    validationLosses: [...history.validationLosses],
    samples,
    resumedFrom: resume ? resume.step : null,
    timings,
  };
  return { record, checkpoint, model, tokenizer };
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
