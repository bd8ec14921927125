/**
 * The model's shape (`GPTConfig`, nanoGPT style) and the training and sampling settings,
 * each a typed object with the reference defaults: override what you need with
 * `{ ...DEFAULT_CONFIG, nLayer: 2 }`.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";

/** The shape of the GPT. */
export interface GPTConfig {
  /** Embedding width: every token is a vector of this many numbers. */
  nEmbd: number;
  /** Attention heads per layer; each looks at `nEmbd / nHead` of the numbers. */
  nHead: number;
  /** Transformer layers (attention + MLP). */
  nLayer: number;
  /** Longest context: positions 0 .. blockSize-1 have a position embedding. */
  blockSize: number;
}

/** microgpt.py's model: 1 layer, 4 heads, 16-wide embeddings, 16 positions. */
export const DEFAULT_CONFIG: Readonly<GPTConfig> = Object.freeze({
  nEmbd: 16,
  nHead: 4,
  nLayer: 1,
  blockSize: 16,
});

/** How to train: Adam's settings, the number of steps of the linear decay schedule, the batch size. */
export interface TrainConfig {
  /** Optimisation steps, one batch of documents each; also the length of the learning-rate decay. */
  steps: number;
  /** Adam's base learning rate, decayed linearly to 0 over `steps`. */
  learningRate: number;
  /** Decay of the running mean of the gradient (Adam's first moment). */
  beta1: number;
  /** Decay of the running mean of the squared gradient (Adam's second moment). */
  beta2: number;
  /** Added to Adam's denominator so it never divides by zero. */
  epsAdam: number;
  /**
   * Documents per step (a minibatch); absent means 1, microgpt's step. Step `s` takes documents
   * `s*B .. s*B+B-1` of the shuffled list, wrapping around; the loss is their mean.
   */
  batchSize?: number;
}

/** microgpt.py's training: 1000 steps of Adam at lr 0.01, betas (0.85, 0.99). */
export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = Object.freeze({
  steps: 1000,
  learningRate: 0.01,
  beta1: 0.85,
  beta2: 0.99,
  epsAdam: 1e-8,
});

/** How to sample. */
export interface SampleConfig {
  /** Divides the logits: below 1 sharpens the distribution, above 1 flattens it. */
  temperature: number;
  /** How many names to generate. */
  numSamples: number;
}

/** microgpt.py's sampling: 20 samples at temperature 0.5. */
export const DEFAULT_SAMPLE_CONFIG: Readonly<SampleConfig> = Object.freeze({
  temperature: 0.5,
  numSamples: 20,
});

/**
 * Documents per step: `config.batchSize`, or 1 when it is absent (microgpt's step).
 *
 * @example
 * ```ts
 * import { batchSizeOf, DEFAULT_TRAIN_CONFIG } from "./config.ts";
 * console.log(batchSizeOf(DEFAULT_TRAIN_CONFIG), batchSizeOf({ ...DEFAULT_TRAIN_CONFIG, batchSize: 16 })); // 1 16
 * ```
 */
export function batchSizeOf(config: Pick<TrainConfig, "batchSize">): number {
  return config.batchSize ?? 1;
}

/** `nEmbd / nHead`, the width of one attention head. */
export function headDim(config: GPTConfig): number {
  return config.nEmbd / config.nHead;
}

/** Throws a ConfigError unless `config[field]` is a positive safe integer. */
function requirePositiveInt<T extends object>(config: T, field: keyof T & string): void {
  const value = config[field];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigError(
      [field],
      (n) => `${n(field)} must be a positive integer, got ${value}; set ${n(field)} to 1 or more`,
    );
  }
}

/** Throws a ConfigError unless `config[field]` is a finite number above 0. */
function requirePositiveFinite<T extends object>(config: T, field: keyof T & string): void {
  const value = config[field];
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(
      [field],
      (n) => `${n(field)} must be a positive number, got ${value}; set ${n(field)} above 0`,
    );
  }
}

/**
 * Checks a model config, throwing a one-line ConfigError that names the field to fix.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, validateGPTConfig } from "./config.ts";
 * validateGPTConfig({ ...DEFAULT_CONFIG, nEmbd: 24, nHead: 6 }); // fine: heads of width 4
 * try {
 *   validateGPTConfig({ ...DEFAULT_CONFIG, nHead: 5 });
 * } catch (err) {
 *   console.log((err as Error).message); // nEmbd (16) must be divisible by nHead (5); pick nEmbd a multiple of nHead
 * }
 * ```
 */
export function validateGPTConfig(config: GPTConfig): void {
  for (const field of ["nEmbd", "nHead", "nLayer", "blockSize"] as const) requirePositiveInt(config, field);
  if (config.nEmbd % config.nHead !== 0) {
    throw new ConfigError(
      ["nEmbd", "nHead"],
      (n) =>
        `${n("nEmbd")} (${config.nEmbd}) must be divisible by ${n("nHead")} (${config.nHead}); ` +
        `pick ${n("nEmbd")} a multiple of ${n("nHead")}`,
    );
  }
}

/** Checks a training config, throwing a one-line ConfigError that names the field to fix. */
export function validateTrainConfig(config: TrainConfig): void {
  requirePositiveInt(config, "steps");
  requirePositiveFinite(config, "learningRate");
  for (const field of ["beta1", "beta2"] as const) {
    const beta = config[field];
    if (!(beta >= 0 && beta < 1)) {
      throw new ConfigError(
        [field],
        (n) => `${n(field)} must be in [0, 1), got ${beta}; 0.85 or 0.99 are usual`,
      );
    }
  }
  requirePositiveFinite(config, "epsAdam");
  if (config.batchSize !== undefined) requirePositiveInt(config, "batchSize");
}

/**
 * The lowest sampling temperature. Every engine scales the logits as `logit * temperature ** -1`
 * before the softmax; if that product overflows to Infinity, the softmax computes
 * `Infinity - Infinity` = NaN and no token can be drawn. At or above this bound,
 * `temperature ** -1` is at most 1e300, so every logit up to `Number.MAX_VALUE * 1e-300`
 * (about 1.8e8) in size stays finite — far beyond any trained model's logits (a few tens).
 * Below about 1e-3 sampling already picks the most likely token almost always, so nothing is
 * lost. (Below 2^-1024, about 5.6e-309, even `temperature ** -1` is Infinity.) Larger
 * temperatures need no bound: `logit * temperature ** -1` only shrinks towards 0, and the
 * distribution towards uniform.
 */
export const MIN_TEMPERATURE = 1e-300;

/**
 * Throws a ConfigError (field `temperature`) unless `temperature` is a finite number of at
 * least `MIN_TEMPERATURE`.
 *
 * @example
 * ```ts
 * import { validateTemperature } from "./config.ts";
 * validateTemperature(0.5); // fine
 * try {
 *   validateTemperature(1e-310);
 * } catch (err) {
 *   console.log((err as Error).message); // temperature must be a number from 1e-300 up ..., got 1e-310; ...
 * }
 * ```
 */
export function validateTemperature(temperature: number): void {
  if (typeof temperature !== "number" || !Number.isFinite(temperature) || !(temperature >= MIN_TEMPERATURE)) {
    throw new ConfigError(
      ["temperature"],
      (n) =>
        `${n("temperature")} must be a number of at least ${MIN_TEMPERATURE} ` +
        `(a smaller one makes logits / temperature overflow), got ${temperature}; try ${
          n("temperature")
        } 0.5`,
    );
  }
}

/** Checks a sampling config, throwing a one-line ConfigError that names the field to fix. */
export function validateSampleConfig(config: SampleConfig): void {
  validateTemperature(config.temperature);
  if (!Number.isSafeInteger(config.numSamples) || config.numSamples < 0) {
    throw new ConfigError(
      ["numSamples"],
      (n) =>
        `${n("numSamples")} must be a non-negative integer, got ${config.numSamples}; set ${
          n("numSamples")
        } to 0 or more`,
    );
  }
}
