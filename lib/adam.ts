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
  /** Learning rate, betas and eps. */
  readonly config: AdamConfig;

  /** Zero moments for `numParams` parameters; settings not given are microgpt's. */
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
   * `Value`s: moves each `data` and zeroes each `grad` (the same numbers as `stepArrays`).
   */
  step(params: readonly Value[], step: number, numSteps: number): void {
    const data = Float64Array.from(params, (p) => p.data);
    const grad = Float64Array.from(params, (p) => p.grad);
    this.stepArrays(data, grad, step, numSteps);
    params.forEach((p, i) => {
      p.data = data[i];
      p.grad = 0;
    });
  }

  /**
   * One update for parameters held in flat arrays (`grad[i]` is d(loss)/d(`data[i]`)): moves
   * `data` and zeroes `grad`. microgpt's update, parameter by parameter:
   * `m = b1*m + (1-b1)*g`, `v = b2*v + (1-b2)*g^2`, bias-corrected, `p -= lr_t * mHat / (sqrt(vHat) + eps)`.
   */
  stepArrays(data: Float64Array, grad: Float64Array, step: number, numSteps: number): void {
    if (data.length !== this.m.length || grad.length !== this.m.length) {
      throw new RangeError(
        `Adam holds ${this.m.length} moments, got ${data.length} weights and ${grad.length} grads`,
      );
    }
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
