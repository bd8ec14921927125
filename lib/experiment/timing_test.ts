/** Timing helpers: the same steps as train(), and an exact count of the Value graph. */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../config.ts";
import { timeTraining } from "./timing.ts";
import { GPT } from "../model.ts";
import { Random } from "../random.ts";
import { train } from "../train.ts";

const DOCS = [[26, 4, 12, 12, 0, 26], [26, 14, 11, 8, 21, 8, 0, 26], [26, 0, 21, 0, 26]];

Deno.test("timeTraining()", async (t) => {
  await t.step("runs the same steps as train(), on either engine", () => {
    const expected = train(GPT.init(DEFAULT_CONFIG, 27, new Random(4)), DOCS, { steps: 6 }).losses;
    const value = timeTraining(GPT.init(DEFAULT_CONFIG, 27, new Random(4)), DOCS, {
      engine: "value",
      steps: 6,
    });
    assert.deepEqual(value.losses, expected);
    for (const modelSync of ["every-step", "on-demand"] as const) {
      const model = GPT.init(DEFAULT_CONFIG, 27, new Random(4));
      const fast = timeTraining(model, DOCS, { engine: "fast", steps: 6, modelSync });
      assert.equal(fast.engine, "fast");
      assert.equal(fast.steps, 6);
      assert.equal(fast.losses[0], expected[0]);
      fast.losses.forEach((loss, i) => assert.ok(Math.abs(loss - expected[i]) <= 1e-12, `step ${i}`));
      // Trained in place, and written back at the end whatever the sync mode.
      assert.notEqual(
        model.parameters[700].data,
        GPT.init(DEFAULT_CONFIG, 27, new Random(4)).parameters[700].data,
      );
    }
  });

  await t.step("reports one time three ways", () => {
    const timing = timeTraining(GPT.init(DEFAULT_CONFIG, 27, new Random(4)), DOCS, {
      engine: "fast",
      steps: 5,
    });
    assert.ok(timing.seconds > 0);
    assert.ok(Math.abs(timing.msPerStep - timing.seconds * 1000 / 5) < 1e-9);
    assert.ok(Math.abs(timing.stepsPerSecond - 5 / timing.seconds) < 1e-6 * timing.stepsPerSecond);
    // positions trained on: 5, 7, 4, 5, 7 (a document of n characters has n + 1 positions)
    assert.ok(Math.abs(timing.tokensPerSecond - 28 / timing.seconds) < 1e-6 * timing.tokensPerSecond);
  });

  await t.step("with a batch size: the next documents per step, counted in tokens/s", () => {
    const batched = timeTraining(GPT.init(DEFAULT_CONFIG, 27, new Random(4)), DOCS, {
      engine: "tensor",
      steps: 2,
      batchSize: 2,
    });
    const expected = train(GPT.init(DEFAULT_CONFIG, 27, new Random(4)), DOCS, { steps: 2, batchSize: 2 });
    assert.deepEqual(batched.losses, expected.losses);
    // step 0: documents 0 and 1 (5 + 7 positions), step 1: documents 2 and 0 (4 + 5)
    assert.ok(Math.abs(batched.tokensPerSecond - 21 / batched.seconds) < 1e-6 * batched.tokensPerSecond);
  });
});
