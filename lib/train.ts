/**
 * Training: one document per step, the average next-token loss over its positions,
 * backward, and an Adam update; each step's loss is reported to a callback so the CLI,
 * the notebooks and the experiments share one loop.
 *
 * @module
 */

import { Adam } from "./adam.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig, validateTrainConfig } from "./config.ts";
import { UsageError } from "./errors.ts";
import { FastEngine } from "./fast/engine.ts";
import { GPT, KVCache, softmax } from "./model.ts";
import { sum, type Value } from "./value.ts";

/**
 * The loss of one document (token ids `[BOS, ..., BOS]`): the mean over positions of
 * `-log p(next token)`, as a graph node ready for `backward()`. At most `blockSize`
 * positions are used.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { documentLoss } from "./train.ts";
 * import { GPT } from "./model.ts";
 * import { Random } from "./random.ts";
 * const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
 * const loss = documentLoss(model, [26, 4, 12, 12, 0, 26]); // "emma"
 * console.log(loss.data > 3 && loss.data < 3.6); // true: about ln(27) = 3.30 before training
 * ```
 */
export function documentLoss(model: GPT, tokens: readonly number[]): Value {
  const n = Math.min(model.config.blockSize, tokens.length - 1);
  if (n < 1) throw new RangeError("a document needs at least two tokens ([BOS, BOS] at least)");
  const cache = new KVCache(model.config);
  const losses: Value[] = [];
  for (let pos = 0; pos < n; pos++) {
    const logits = model.forward(tokens[pos], pos, cache);
    const probs = softmax(logits);
    losses.push(probs[tokens[pos + 1]].log().neg());
  }
  return sum(losses).mul(1 / n);
}

/** What a training step reports. */
export interface StepInfo {
  /** 0-based step index. */
  step: number;
  /** Total steps of the schedule. */
  numSteps: number;
  /** The step's loss (mean over the document's positions), before the update. */
  loss: number;
  /** The learning rate used for the update. */
  learningRate: number;
}

/**
 * One training step on one document: forward, backward, Adam update. Returns the loss.
 * Throws a UsageError if the loss is not finite (the run diverged).
 */
export function trainStep(
  model: GPT,
  adam: Adam,
  tokens: readonly number[],
  step: number,
  numSteps: number,
): number {
  const loss = documentLoss(model, tokens);
  checkLoss(loss.data, step);
  loss.backward();
  adam.step(model.parameters, step, numSteps);
  return loss.data;
}

/** Throws a UsageError if the loss of `step` (0-based) is not finite: the run diverged. */
function checkLoss(loss: number, step: number): void {
  if (!Number.isFinite(loss)) {
    throw new UsageError(
      `training diverged: loss is ${loss} at step ${
        step + 1
      }; lower the learning rate (--lr) or change the seed`,
    );
  }
}

/**
 * How a step computes the loss and its gradient: `"value"`, the readable scalar autograd
 * graph of `lib/value.ts`, or `"fast"`, `FastEngine`'s flat arrays (the same numbers, about
 * 100 times sooner).
 */
export type EngineName = "value" | "fast";

/** The engines, for flags and menus. */
export const ENGINE_NAMES: readonly EngineName[] = ["value", "fast"];

/** Options of `Trainer` and `train`. */
export interface TrainOptions extends Partial<TrainConfig> {
  /** Adam state to continue from (a fresh one if omitted). */
  adam?: Adam;
  /** First step to run (0-based), for resuming; defaults to 0. */
  startStep?: number;
  /** Which engine computes each step; defaults to `"value"`. */
  engine?: EngineName;
  /** When the fast engine's weights go back into the model; defaults to `"every-step"`. */
  modelSync?: ModelSync;
}

/**
 * When a `Trainer` using the fast engine writes its weights back into `model.parameters`
 * (`adam.m` and `adam.v` are always current):
 * - `"every-step"`: before every step the engine reads the model's weights and after it
 *   writes them back, so the model is the truth between steps, as with the Value engine.
 * - `"on-demand"`: the engine keeps the weights between steps and writes them back only on
 *   `syncModel()`, before a Value-engine step, and when `steps()` ends or the schedule is
 *   done. Writing 4192 numbers into `Value` objects costs about as much as the step itself
 *   at the default size, so loops that do not look at the model between steps (the CLI,
 *   benchmarks) go nearly twice as fast.
 */
export type ModelSync = "every-step" | "on-demand";

/**
 * A training run in progress: model, documents, optimizer and the next step of the
 * schedule. Step `s` trains on document `s % docs.length`, exactly as microgpt.py does.
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
 * console.log(trainer.nextStep, trainer.done); // 10 false
 * ```
 */
export class Trainer {
  readonly config: TrainConfig;
  readonly adam: Adam;
  /** The 0-based step that `step()` runs next; equals `config.steps` when done. */
  nextStep: number;
  /** The engine of the next step; may change between any two steps. */
  engine: EngineName;
  readonly modelSync: ModelSync;
  private fastEngine: FastEngine | null = null;
  /** The fast engine holds the model's current weights (no need to read them again). */
  private fastHoldsWeights = false;
  /** The fast engine's weights are newer than the model's (only with `"on-demand"`). */
  private modelStale = false;

  constructor(
    readonly model: GPT,
    readonly docs: readonly (readonly number[])[],
    options: TrainOptions = {},
  ) {
    this.config = {
      steps: options.steps ?? DEFAULT_TRAIN_CONFIG.steps,
      learningRate: options.learningRate ?? DEFAULT_TRAIN_CONFIG.learningRate,
      beta1: options.beta1 ?? DEFAULT_TRAIN_CONFIG.beta1,
      beta2: options.beta2 ?? DEFAULT_TRAIN_CONFIG.beta2,
      epsAdam: options.epsAdam ?? DEFAULT_TRAIN_CONFIG.epsAdam,
    };
    validateTrainConfig(this.config);
    if (docs.length === 0) {
      throw new UsageError("no documents to train on; the data file needs at least one line");
    }
    this.adam = options.adam ?? new Adam(model.parameters.length, this.config);
    this.nextStep = options.startStep ?? 0;
    this.engine = options.engine ?? "value";
    this.modelSync = options.modelSync ?? "every-step";
    if (!Number.isInteger(this.nextStep) || this.nextStep < 0 || this.nextStep > this.config.steps) {
      throw new RangeError(`startStep must be in 0..${this.config.steps}, got ${this.nextStep}`);
    }
  }

  /** True when every step of the schedule has run. */
  get done(): boolean {
    return this.nextStep >= this.config.steps;
  }

  /** Runs the next step and reports it. */
  step(): StepInfo {
    if (this.done) throw new RangeError(`training is done: all ${this.config.steps} steps have run`);
    const step = this.nextStep;
    const numSteps = this.config.steps;
    const tokens = this.docs[step % this.docs.length];
    const learningRate = this.adam.learningRateAt(step, numSteps);
    let loss: number;
    if (this.engine === "fast") {
      loss = this.fastStep(tokens, step, numSteps);
    } else {
      this.syncModel();
      loss = trainStep(this.model, this.adam, tokens, step, numSteps);
    }
    this.nextStep++;
    if (this.done) this.syncModel();
    return { step, numSteps, loss, learningRate };
  }

  private fastStep(tokens: readonly number[], step: number, numSteps: number): number {
    const fast = this.fastEngine ??= new FastEngine(this.model);
    if (this.modelSync === "every-step" || !this.fastHoldsWeights) fast.loadWeights();
    this.fastHoldsWeights = true;
    const loss = fast.lossAndGradient(tokens);
    checkLoss(loss, step);
    fast.applyAdam(this.adam, step, numSteps);
    if (this.modelSync === "every-step") fast.storeWeights();
    else this.modelStale = true;
    return loss;
  }

  /**
   * Writes the fast engine's weights into `model.parameters` if they are newer (only ever
   * the case with `modelSync: "on-demand"`); the next fast step reads the model again, so
   * changes made to it in between are kept.
   */
  syncModel(): void {
    if (this.modelStale) this.fastEngine?.storeWeights();
    this.modelStale = false;
    this.fastHoldsWeights = false;
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
  docs: readonly (readonly number[])[],
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
