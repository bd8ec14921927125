/**
 * Adam with a linearly decaying learning rate, exactly as microgpt.py updates its parameters.
 *
 * @module
 */

import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "./config.ts";
import type { Value } from "./value.ts";

/** Adam's settings (the learning-rate part of `TrainConfig`). */
export type AdamConfig = Pick<TrainConfig, "learningRate" | "beta1" | "beta2" | "epsAdam">;

/**
 * Adam's state: the running mean (`m`) and mean square (`v`) of each parameter's gradient.
 *
 * @example
 * ```ts
 * import { Adam } from "./adam.ts";
 * import { Value } from "./value.ts";
 * const p = new Value(1);
 * const adam = new Adam(1);
 * p.grad = 0.5;
 * adam.step([p], 0, 1000); // the first step moves each parameter by about lr = 0.01
 * console.log(p.data.toFixed(4), p.grad); // 0.9900 0
 * ```
 */
export class Adam {
  /** First moment (momentum) per parameter. */
  readonly m: Float64Array;
  /** Second moment per parameter. */
  readonly v: Float64Array;
  readonly config: AdamConfig;

  constructor(numParams: number, config: Partial<AdamConfig> = {}) {
    this.m = new Float64Array(numParams);
    this.v = new Float64Array(numParams);
    this.config = {
      learningRate: config.learningRate ?? DEFAULT_TRAIN_CONFIG.learningRate,
      beta1: config.beta1 ?? DEFAULT_TRAIN_CONFIG.beta1,
      beta2: config.beta2 ?? DEFAULT_TRAIN_CONFIG.beta2,
      epsAdam: config.epsAdam ?? DEFAULT_TRAIN_CONFIG.epsAdam,
    };
  }

  /** The learning rate at `step` (0-based) of `numSteps`: `lr * (1 - step / numSteps)`. */
  learningRateAt(step: number, numSteps: number): number {
    return this.config.learningRate * (1 - step / numSteps);
  }

  /**
   * One update of step `step` (0-based) of a `numSteps` schedule, for parameters held as
   * `Value`s: moves each `data` and zeroes each `grad`.
   */
  step(params: readonly Value[], step: number, numSteps: number): void {
    const { beta1, beta2, epsAdam } = this.config;
    const lrT = this.learningRateAt(step, numSteps);
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g ** 2;
      const mHat = m[i] / (1 - beta1 ** (step + 1));
      const vHat = v[i] / (1 - beta2 ** (step + 1));
      p.data -= lrT * mHat / (vHat ** 0.5 + epsAdam);
      p.grad = 0;
    }
  }

  /** The same update for parameters held in flat arrays (the fast engine's layout). */
  stepArrays(data: Float64Array, grad: Float64Array, step: number, numSteps: number): void {
    const { beta1, beta2, epsAdam } = this.config;
    const lrT = this.learningRateAt(step, numSteps);
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < data.length; i++) {
      const g = grad[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g ** 2;
      const mHat = m[i] / (1 - beta1 ** (step + 1));
      const vHat = v[i] / (1 - beta2 ** (step + 1));
      data[i] -= lrT * mHat / (vHat ** 0.5 + epsAdam);
      grad[i] = 0;
    }
  }
}
