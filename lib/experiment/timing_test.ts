/** Timing helpers: the same steps as train(), and an exact count of the Value graph. */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../config.ts";
import { timeTraining, valueGraphSize } from "./timing.ts";
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
  });
});

Deno.test("valueGraphSize()", async (t) => {
  await t.step("counts every node of one step's graph", () => {
    // n_embd 2, 1 head, 1 layer, vocab 2, one position. By hand: embeddings 2 adds; two
    // rmsnorms before attention, 12 nodes each (2 squares, leaf 0 and 2 adds, leaf and mul
    // for /2, leaf and add for +1e-5, pow, 2 products); q, k, v 3 x 2 rows x 5; attention
    // 7 (logit) + 7 (softmax) + 6 (weighted sum); wo 10; residual 2; rmsnorm 12; fc1 8 x 5;
    // relu 8; fc2 2 x 17; residual 2; lm_head 2 x 5; loss softmax 4 x 2 + 3 (only the
    // target's probability is used), log, neg 2; mean 4; parameters reached 2 + 2 + 48 + 4.
    const tiny = GPT.init({ nEmbd: 2, nHead: 1, nLayer: 1, blockSize: 2 }, 2, new Random(1));
    const expected = 2 + 12 + 12 + 30 + 20 + 10 + 2 + 12 + 40 + 8 + 34 + 2 + 10 + 11 + 1 + 2 + 4 + 56;
    assert.equal(expected, 268);
    assert.equal(valueGraphSize(tiny, [1, 1]), expected);
  });

  await t.step("grows with the document", () => {
    const model = GPT.init(DEFAULT_CONFIG, 27, new Random(42));
    const sizes = [1, 2, 5].map((n) => valueGraphSize(model, [26, ...Array(n - 1).fill(3), 26]));
    assert.ok(sizes[0] > 10_000 && sizes[0] < sizes[1] && sizes[1] < sizes[2]);
  });
});
