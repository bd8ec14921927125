/** Notebook 05's exercises: every worked solution passes its check, and wrong answers fail it. */
import assert from "node:assert/strict";
import * as check from "../exercises/05_training.ts";
import * as solution from "./05_training.ts";

Deno.test("the training loop equals Trainer, and one without zeroed gradients does not", () => {
  assert.match(
    check.trainingLoop(solution.train).message,
    /^✓ the same losses as Trainer for 5 steps \(\d\.\d{4}, /,
  );
  const noZero: check.TrainingLoop = (model, docs, numSteps) =>
    solution.train(model, docs, numSteps, { zeroGrad: false });
  assert.match(
    check.trainingLoop(noZero).message,
    /^✗ step 3: your loss is .*, Trainer's .* \(the update of step 2 differs\)$/,
  );
  // wrong: no learning-rate decay (steps 1 and 2 still agree: the decay is tiny at first, but not zero)
  assert.match(check.trainingLoop(() => [1, 2, 3, 4, 5]).message, /^✗ step 1: /);
  assert.match(check.trainingLoop(() => [1]).message, /^✗ your loop returned 1 losses for 5 steps$/);
});

Deno.test("exercise 1: the first step that breaks", () => {
  assert.match(
    check.firstBrokenStep(solution.firstBrokenStep).message,
    /^✓ .*you said 3, it is 3: step 2's loss is still right/,
  );
  assert.equal(check.firstBrokenStep(2).ok, false); // step 2's update is wrong, but its loss came first
});

Deno.test("exercise 2: warm-up then decay", () => {
  assert.equal(
    check.warmup(solution.learningRate).message,
    "✓ warm-up to the base rate, then microgpt's linear decay",
  );
  // wrong: warms up from 0 (step 0 would not move at all)
  const fromZero = (step: number, numSteps: number, base: number, warmup: number) =>
    step < warmup ? base * step / warmup : base * (1 - step / numSteps);
  assert.match(
    check.warmup(fromZero).message,
    /^✗ step 0 of 1000, base 0\.01, warm-up 100: you gave 0, expected 0\.0001$/,
  );
  assert.equal(check.warmup((step, numSteps, base) => base * (1 - step / numSteps)).ok, false);
});

Deno.test("exercise 3: ten times the learning rate", () => {
  assert.match(
    check.tenTimesTheLearningRate(solution.tenTimesTheLearningRate).message,
    /^✓ .*the first 100 losses averaged 4\.2 to 9\.0/,
  );
  assert.equal(check.tenTimesTheLearningRate("it diverges: the loss becomes Infinity").ok, false);
});
