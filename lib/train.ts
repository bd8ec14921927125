/**
 * Training, microgpt's loop: each step picks the next document (or the next `batchSize` of
 * them), computes its loss and the gradient, lets Adam update the weights and reports the
 * loss. One `Trainer` drives any `Engine`, so the CLI, the notebooks and the experiments share
 * one loop.
 *
 * @module
 */

import { Adam } from "./adam.ts";
import { batchSizeOf, DEFAULT_TRAIN_CONFIG, type TrainConfig, validateTrainConfig } from "./config.ts";
import type { DocumentList } from "./corpus.ts";
import type { Batch, Engine } from "./engine.ts";
import { ConfigError, UsageError } from "./errors.ts";
import type { GPT } from "./model.ts";
import { ValueEngine } from "./value_engine.ts";

/** What a training step reports. */
export interface StepInfo {
  /** 0-based step index. */
  step: number;
  /** Total steps of the schedule. */
  numSteps: number;
  /** The step's loss (mean over the document's positions; of a batch, the mean of its documents'), before the update. */
  loss: number;
  /** The learning rate used for the update. */
  learningRate: number;
}

/**
 * When a `Trainer` writes its engine's weights back into the model (`adam.m` and `adam.v`
 * are always current). Nothing to write for the `Value` engine, whose weights are the model's.
 * - `"every-step"`: before every step the engine reads the model's weights and after it
 *   writes them back, so the model is the truth between steps (a change to it is trained on).
 * - `"on-demand"`: the engine keeps the weights between steps and writes them back only on
 *   `syncModel()`, when the engine is replaced, when `steps()` ends and when the schedule is
 *   done. Writing 4192 numbers into `Value` objects costs about as much as a fast step at the
 *   default size, so loops that do not look at the model between steps go nearly twice as fast.
 */
export type ModelSync = "every-step" | "on-demand";

/** Options of `Trainer` and `train`. */
export interface TrainOptions extends Partial<TrainConfig> {
  /** Adam state to continue from (a fresh one if omitted). */
  adam?: Adam;
  /** First step to run (0-based), for resuming; defaults to 0. */
  startStep?: number;
  /** The engine that computes each step (of this model); defaults to the model's `ValueEngine`. */
  engine?: Engine;
  /** When the engine's weights go back into the model; defaults to `"every-step"`. */
  modelSync?: ModelSync;
}

/**
 * A training run in progress: model, documents, engine, optimizer and the next step of the
 * schedule. Step `s` trains on document `s % docs.length`, exactly as microgpt.py does; with
 * `batchSize` B, on the next B documents (`batchAt`).
 * Drive it one step at a time (`step()`), as an iterator (`for (const s of trainer.steps())`,
 * so a notebook can redraw a plot between steps), or all at once with `train()`.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { GPT } from "./model.ts";
 * import { Random } from "./random.ts";
 * import { Tokenizer } from "./tokenizer.ts";
 * import { Trainer } from "./train.ts";
 * const docs = ["emma", "olivia", "ava"];
 * const tok = Tokenizer.fromDocs(docs);
 * const model = GPT.init(DEFAULT_CONFIG, tok.vocabSize, new Random(42));
 * const trainer = new Trainer(model, docs.map((d) => tok.encode(d)), { steps: 20 });
 * for (const { step, loss } of trainer.steps(10)) console.log(step, loss.toFixed(4));
 * console.log(trainer.nextStep, trainer.done, trainer.engine.name); // 10 false value
 * ```
 */
export class Trainer {
  /** The schedule and Adam's settings. */
  readonly config: TrainConfig;
  /** Adam's state: its moments continue across steps (and checkpoints). */
  readonly adam: Adam;
  /** The 0-based step that `step()` runs next; equals `config.steps` when done. */
  nextStep: number;
  /** When the engine's weights go back into the model. */
  readonly modelSync: ModelSync;
  #engine: Engine;
  /** The engine holds the model's current weights (no need to load them again). */
  #engineLoaded = false;
  /** The engine's weights are newer than the model's. */
  #modelStale = false;

  /**
   * A run of `model` on `docs` (each encoded as `[BOS, ..., BOS]`: an array of them, or a
   * `Corpus`), at step `options.startStep` (0).
   */
  constructor(
    readonly model: GPT,
    readonly docs: DocumentList,
    options: TrainOptions = {},
  ) {
    this.config = {
      steps: options.steps ?? DEFAULT_TRAIN_CONFIG.steps,
      learningRate: options.learningRate ?? DEFAULT_TRAIN_CONFIG.learningRate,
      beta1: options.beta1 ?? DEFAULT_TRAIN_CONFIG.beta1,
      beta2: options.beta2 ?? DEFAULT_TRAIN_CONFIG.beta2,
      epsAdam: options.epsAdam ?? DEFAULT_TRAIN_CONFIG.epsAdam,
      batchSize: options.batchSize ?? 1,
    };
    validateTrainConfig(this.config);
    if (docs.length === 0) {
      throw new UsageError("no documents to train on; the data file needs at least one line");
    }
    this.adam = options.adam ?? new Adam(model.parameters.length, this.config);
    if (this.adam.m.length !== model.parameters.length) {
      throw new RangeError(
        `the Adam state holds ${this.adam.m.length} moments but the model has ${model.parameters.length} ` +
          "parameters: it belongs to another model; pass new Adam(model.parameters.length) or that model's own",
      );
    }
    this.nextStep = options.startStep ?? 0;
    this.#engine = this.#checkEngine(options.engine ?? new ValueEngine(model));
    this.modelSync = options.modelSync ?? "every-step";
    if (!Number.isInteger(this.nextStep) || this.nextStep < 0 || this.nextStep > this.config.steps) {
      throw new RangeError(`startStep must be in 0..${this.config.steps}, got ${this.nextStep}`);
    }
  }

  /** The engine of the next step. It may be replaced between any two steps (with one of the same model). */
  get engine(): Engine {
    return this.#engine;
  }

  set engine(engine: Engine) {
    this.syncModel();
    this.#engine = this.#checkEngine(engine);
  }

  #checkEngine(engine: Engine): Engine {
    if (engine.model !== this.model) {
      throw new RangeError("the engine computes another model than the trainer's");
    }
    return engine;
  }

  /** True when every step of the schedule has run. */
  get done(): boolean {
    return this.nextStep >= this.config.steps;
  }

  /** Runs the next step and reports it: microgpt's loop body. */
  step(): StepInfo {
    if (this.done) throw new RangeError(`training is done: all ${this.config.steps} steps have run`);
    const step = this.nextStep;
    const numSteps = this.config.steps;
    const batch = this.batchAt(step); // microgpt's [docs[step % docs.length]] when batchSize is 1
    this.#loadEngine();
    const loss = this.#engine.lossAndGradient(batch); // forward and backward
    checkLoss(loss, step);
    const learningRate = this.adam.learningRateAt(step, numSteps);
    this.#engine.update(this.adam, step, numSteps); // Adam, with the learning rate decayed linearly
    this.nextStep++;
    this.#modelStale = true;
    if (this.modelSync === "every-step" || this.done) this.syncModel();
    return { step, numSteps, loss, learningRate };
  }

  /**
   * The documents step `step` trains on: with batch size B, documents `step*B .. step*B+B-1`,
   * wrapping around the list (so B = 1 is microgpt's `docs[step % docs.length]`, and every
   * document comes round once per `docs.length / B` steps).
   */
  batchAt(step: number): Batch {
    const B = batchSizeOf(this.config);
    return Array.from({ length: B }, (_, b) => this.docs.at((step * B + b) % this.docs.length)!);
  }

  #loadEngine(): void {
    if (this.#engineLoaded) return;
    this.#engine.loadWeights();
    this.#engineLoaded = true;
  }

  /**
   * Writes the engine's weights into `model.parameters` if they are newer; the next step
   * reads the model again, so changes made to it in between are trained on.
   */
  syncModel(): void {
    if (this.#modelStale) this.#engine.storeWeights();
    this.#modelStale = false;
    this.#engineLoaded = false;
  }

  /** Runs steps until `stopStep` (exclusive; default: the end of the schedule), yielding each. */
  *steps(stopStep: number = this.config.steps): Generator<StepInfo, void, undefined> {
    const stop = Math.min(stopStep, this.config.steps);
    try {
      while (this.nextStep < stop) yield this.step();
    } finally {
      this.syncModel();
    }
  }
}

/** Throws a ConfigError if the loss of `step` (0-based) is not finite: the run diverged. */
function checkLoss(loss: number, step: number): void {
  if (!Number.isFinite(loss)) {
    throw new ConfigError(
      ["learningRate", "seed"],
      (n) =>
        `training diverged: loss is ${loss} at step ${step + 1}; lower the learning rate (${
          n("learningRate")
        }) or change the seed (${n("seed")})`,
    );
  }
}

/** What `train` returns. */
export interface TrainResult {
  /** The loss of each step run, in order. */
  losses: number[];
  /** The trainer, to continue training or to checkpoint. */
  trainer: Trainer;
}

/**
 * Trains `model` on `docs` (each already encoded as `[BOS, ..., BOS]`) to the end of the
 * schedule (or to `stopStep`), calling `onStep` after every step.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { GPT } from "./model.ts";
 * import { Random } from "./random.ts";
 * import { Tokenizer } from "./tokenizer.ts";
 * import { train } from "./train.ts";
 * const docs = ["emma", "olivia", "ava"];
 * const tok = Tokenizer.fromDocs(docs);
 * const model = GPT.init(DEFAULT_CONFIG, tok.vocabSize, new Random(42));
 * const { losses } = train(model, docs.map((d) => tok.encode(d)), { steps: 20 });
 * console.log(losses.length, losses[19] < losses[0]); // 20 true
 * ```
 */
export function train(
  model: GPT,
  docs: DocumentList,
  options: TrainOptions & { stopStep?: number; onStep?: (info: StepInfo) => void } = {},
): TrainResult {
  const trainer = new Trainer(model, docs, options);
  const losses: number[] = [];
  for (const info of trainer.steps(options.stopStep)) {
    losses.push(info.loss);
    options.onStep?.(info);
  }
  return { losses, trainer };
}
