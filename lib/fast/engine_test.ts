/**
 * What only the fast engine has: `forward`, one position at a time on the engine's own state.
 * (What every engine must do against the `Value` engine — loss bits, gradients within 1e-10,
 * batches, Adam, weights, sequences, sampling, Trainer — is `lib/experiment/engines_test.ts`.)
 */
import assert from "node:assert/strict";
import { GPT, KVCache } from "../model.ts";
import { Random } from "../random.ts";
import { FastEngine } from "./engine.ts";

Deno.test("FastEngine.forward", async (t) => {
  const config = { nEmbd: 12, nHead: 3, nLayer: 2, blockSize: 8 };
  const model = GPT.init(config, 13, new Random(5));
  const engine = new FastEngine(model);
  const tokens = [12, 3, 0, 7, 7, 11, 2, 5];

  await t.step("forward gives GPT.forward's logits, bit for bit, one position at a time", () => {
    const cache = new KVCache(config);
    for (const [pos, token] of tokens.entries()) {
      const fast = Array.from(engine.forward(token, pos));
      const value = model.forward(token, pos, cache).map((v) => v.data);
      assert.deepEqual(fast, value, `position ${pos}`);
    }
  });

  await t.step("rejects tokens and positions outside the model", () => {
    assert.throws(() => engine.forward(13, 0), /token 13 is outside the vocabulary 0..12/);
    assert.throws(() => engine.forward(0, 8), /position 8 is outside the context 0..7/);
  });
});
