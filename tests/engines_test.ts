/**
 * The two engines agree end to end: microgpt's whole 1000-step run gives the same losses on
 * both (within 1e-9). (That each engine's CLI output is the reference output byte for byte is
 * tests/reference_test.ts.)
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../lib/config.ts";
import { loadDocs } from "../lib/data.ts";
import { GPT } from "../lib/model.ts";
import { Random } from "../lib/random.ts";
import { Tokenizer } from "../lib/tokenizer.ts";
import { type EngineName, train } from "../lib/train.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** microgpt's default run (names.txt, seed 42, 1000 steps) on one engine: every step's loss. */
async function referenceRunLosses(engine: EngineName): Promise<number[]> {
  const rng = new Random(42);
  const docs = await loadDocs(`${ROOT}data/names.txt`);
  rng.shuffle(docs);
  const tokenizer = Tokenizer.fromDocs(docs);
  const model = GPT.init(DEFAULT_CONFIG, tokenizer.vocabSize, rng);
  return train(model, docs.map((d) => tokenizer.encode(d)), { engine }).losses;
}

Deno.test("the fast and Value engines give the same loss at every step of microgpt's run", async () => {
  const value = await referenceRunLosses("value");
  const fast = await referenceRunLosses("fast");
  assert.equal(fast.length, 1000);
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
