/**
 * The engines agree end to end: microgpt's whole 1000-step run gives the Value engine's losses
 * on the tensor engine bit for bit (it sums gradients in the Value graph's order) and on the fast
 * engine within 1e-9. (That each engine's CLI output is the reference output byte for byte is
 * tests/reference_test.ts.)
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../lib/config.ts";
import { loadDataset } from "../lib/dataset.ts";
import { createEngine, type EngineName } from "../lib/experiment/engines.ts";
import { GPT } from "../lib/model.ts";
import { train } from "../lib/train.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** microgpt's default run (names.txt, seed 42, 1000 steps) on one engine: every step's loss. */
async function referenceRunLosses(engine: EngineName): Promise<number[]> {
  const { tokenizer, tokens, rng } = await loadDataset(`${ROOT}data/names.txt`, 42);
  const model = GPT.init(DEFAULT_CONFIG, tokenizer.vocabSize, rng);
  return train(model, tokens, { engine: createEngine(engine, model) }).losses;
}

Deno.test("every engine gives the Value engine's loss at every step of microgpt's run", async (t) => {
  const value = await referenceRunLosses("value");
  assert.equal(value.length, 1000);

  await t.step("tensor: the same bits at every step", async () => {
    const tensor = await referenceRunLosses("tensor");
    const differing = tensor.flatMap((loss, i) => (Object.is(loss, value[i]) ? [] : [i + 1]));
    assert.deepEqual(
      differing,
      [],
      `NOT OK: the tensor engine's loss differs at steps ${differing.slice(0, 5)}`,
    );
  });

  await t.step("fast: within 1e-9", async () => {
    const fast = await referenceRunLosses("fast");
    assert.equal(fast[0], value[0], "step 1 runs on the same weights, so its loss is the same bits");
    let worst = 0;
    let at = 0;
    fast.forEach((loss, i) => {
      const diff = Math.abs(loss - value[i]);
      if (diff > worst) [worst, at] = [diff, i];
    });
    assert.ok(
      worst <= 1e-9,
      `NOT OK: losses differ by up to ${worst} (step ${at + 1}: fast ${fast[at]}, value ${value[at]})`,
    );
  });
});
