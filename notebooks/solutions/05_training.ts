/**
 * Worked solutions to notebook 05's exercises, and the training loop the notebook writes. Try
 * them yourself first; each one passes its check in `notebooks/exercises/05_training.ts`
 * (`05_training_test.ts` runs them).
 *
 * @module
 */

import { type GPT, KVCache, softmax, sum, type Value } from "../../lib/mod.ts";

/**
 * microgpt's training loop: for each step, the loss of one document (the mean of
 * `-ln p(next token)` over its positions), `backward()`, then Adam on every parameter with the
 * learning rate decayed linearly to 0, and the gradients zeroed for the next step.
 * `zeroGrad: false` leaves that last line out (exercise 1).
 *
 * @example
 * ```ts ignore
 * const losses = train(model, tokens, 3); // [3.4639, 3.2561, 3.2569] on microgpt's start
 * ```
 */
export function train(
  model: GPT,
  docs: number[][],
  numSteps: number,
  options: { zeroGrad?: boolean } = {},
): number[] {
  const [learningRate, beta1, beta2, eps] = [0.01, 0.85, 0.99, 1e-8];
  const params = model.parameters;
  const m = new Float64Array(params.length); // Adam's running mean of each gradient
  const v = new Float64Array(params.length); // and of its square
  const losses: number[] = [];
  for (let step = 0; step < numSteps; step++) {
    const tokens = docs[step % docs.length];
    const n = Math.min(model.config.blockSize, tokens.length - 1);
    const cache = new KVCache(model.config);
    const perPosition: Value[] = [];
    for (let pos = 0; pos < n; pos++) {
      const probs = softmax(model.forward(tokens[pos], pos, cache));
      perPosition.push(probs[tokens[pos + 1]].log().neg());
    }
    const loss = sum(perPosition).mul(1 / n);
    loss.backward();
    const lr = learningRate * (1 - step / numSteps);
    params.forEach((p, i) => {
      m[i] = beta1 * m[i] + (1 - beta1) * p.grad;
      v[i] = beta2 * v[i] + (1 - beta2) * p.grad ** 2;
      const mHat = m[i] / (1 - beta1 ** (step + 1));
      const vHat = v[i] / (1 - beta2 ** (step + 1));
      p.data -= lr * mHat / (vHat ** 0.5 + eps);
      if (options.zeroGrad ?? true) p.grad = 0;
    });
    losses.push(loss.data);
  }
  return losses;
}

/**
 * Exercise 1: step 2's backward adds onto step 1's gradient, so step 2's update is the first wrong
 * one; its loss was computed before that, so step 3's loss is the first to differ.
 */
export const firstBrokenStep = 3;

/**
 * Exercise 2: up in `warmup` equal steps, then microgpt's linear decay.
 *
 * @example
 * ```ts
 * import { learningRate } from "./05_training.ts";
 * console.log(learningRate(0, 1000, 0.01, 100), learningRate(500, 1000, 0.01, 100)); // 0.0001 0.005
 * ```
 */
export function learningRate(step: number, numSteps: number, base: number, warmup: number): number {
  return step < warmup ? base * (step + 1) / warmup : base * (1 - step / numSteps);
}

/** Exercise 3: steps about ten times as big overshoot early on and settle worse. */
export const tenTimesTheLearningRate = "it jumps up early and ends higher";
