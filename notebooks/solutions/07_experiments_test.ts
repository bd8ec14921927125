/** Notebook 07's exercises: every worked solution passes its check, and wrong answers fail it. */
import assert from "node:assert/strict";
import type { RunRecord } from "../../lib/mod.ts";
import * as check from "../exercises/07_experiments.ts";
import * as solution from "./07_experiments.ts";

Deno.test("exercise 1: mean and sample standard deviation", () => {
  assert.equal(
    check.meanAndStd(solution.meanStd).message,
    "✓ mean and sample standard deviation, as the seed table computes them",
  );
  // wrong: the population standard deviation (divides by n)
  const population = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean, std: Math.sqrt(xs.reduce((t, x) => t + (x - mean) ** 2, 0) / xs.length) };
  };
  assert.match(
    check.meanAndStd(population).message,
    /^✗ meanStd\(\[2\.3383,.*\]\): the std \(divide by n - 1\) is /,
  );
  // wrong: NaN for a single value (0 / 0)
  const noSingle = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean, std: Math.sqrt(xs.reduce((t, x) => t + (x - mean) ** 2, 0) / (xs.length - 1)) };
  };
  assert.match(
    check.meanAndStd(noSingle).message,
    /^✗ meanStd\(\[5\]\): the std \(0 for one value\) is NaN, expected 0/,
  );
});

Deno.test("exercise 2: the smoothed line", () => {
  assert.equal(
    check.smooth(solution.smooth).message,
    "✓ the smoothed line of lossCurveFigure, bias correction included",
  );
  // wrong: no bias correction, so the line starts near 0
  const uncorrected = (losses: number[], beta: number) => {
    let s = 0;
    return losses.map((l) => (s = beta * s + (1 - beta) * l));
  };
  assert.match(
    check.smooth(uncorrected).message,
    /^✗ smooth\(losses, 0\.9\): point 0 is 0\.33, expected 3\.3 .*\(did you divide by 1 - beta\^\(t\+1\)\?\)$/,
  );
});

Deno.test("exercise 3: clearly worse, read from the runs", () => {
  // Made-up records: only what groupTable reads (settings, losses) matters.
  const run = (learningRate: number, seed: number, finalLoss: number) =>
    ({
      config: {
        seed,
        dataPath: "x",
        model: { nEmbd: 16, nHead: 4, nLayer: 1, blockSize: 16 },
        train: { steps: 10, learningRate, beta1: 0.85, beta2: 0.99, epsAdam: 1e-8 },
        sample: { temperature: 0.5, numSamples: 1 },
        validation: null,
        engine: "fast",
      },
      losses: Array(10).fill(finalLoss),
      validationLosses: [],
    }) as unknown as RunRecord;
  const close = [run(0.003, 1, 2.40), run(0.003, 2, 2.44), run(0.01, 1, 2.38), run(0.01, 2, 2.42)];
  assert.match(
    check.clearlyWorse(solution.clearlyWorse, close, 0.003, 0.01).message,
    /^✓ is 0\.003 clearly worse than 0\.01\? no: the means differ by 0\.02, the standard deviations add up to 0\.0566/,
  );
  assert.equal(check.clearlyWorse("yes", close, 0.003, 0.01).ok, false);
  const apart = [run(0.001, 1, 2.50), run(0.001, 2, 2.51), run(0.01, 1, 2.38), run(0.01, 2, 2.39)];
  assert.ok(check.clearlyWorse("yes", apart, 0.001, 0.01).ok);
  assert.match(
    check.clearlyWorse("no", close, 0.3, 0.01).message,
    /^✗ the sweep has no runs at learning rate 0\.3 and 0\.01$/,
  );
});
