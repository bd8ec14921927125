/** Sampling on the fast engine draws exactly what the Value engine draws from the same generator. */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../config.ts";
import { GPT } from "../model.ts";
import { Random } from "../random.ts";
import { sampleName, sampleNames } from "../sample.ts";
import { Tokenizer } from "../tokenizer.ts";
import { train } from "../train.ts";
import { FastEngine } from "./engine.ts";

const DOCS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];

Deno.test("sampleName() on the fast engine", async (t) => {
  const tokenizer = Tokenizer.fromDocs(DOCS);
  // A trained model, so that the distributions are far from uniform.
  const model = GPT.init({ ...DEFAULT_CONFIG, nLayer: 2, blockSize: 10 }, tokenizer.vocabSize, new Random(3));
  train(model, DOCS.map((d) => tokenizer.encode(d)), { steps: 60, engine: new FastEngine(model) });
  const engine = new FastEngine(model);

  for (const temperature of [0.5, 1, 1.7]) {
    await t.step(`draws what the Value engine draws at temperature ${temperature}`, () => {
      const fastRng = new Random(temperature * 10);
      const valueRng = new Random(temperature * 10);
      for (let i = 0; i < 12; i++) {
        const fast = sampleName(engine, tokenizer, fastRng, { temperature, recordAttention: true });
        const value = sampleName(model, tokenizer, valueRng, { temperature, recordAttention: true });
        assert.deepEqual(fast.tokens, value.tokens);
        assert.equal(fast.text, value.text);
        assert.deepEqual(fast.cache.attention, value.cache.attention);
      }
      // The generators are in the same state: both made the same number of draws.
      assert.equal(fastRng.random(), valueRng.random());
    });
  }

  await t.step("continues a prefix like the Value engine", () => {
    for (const prefix of ["a", "is", "evelynnnn"]) {
      const fast = sampleName(engine, tokenizer, new Random(5), { prefix });
      const value = sampleName(model, tokenizer, new Random(5), { prefix });
      assert.equal(fast.text, value.text);
      assert.ok(fast.text.startsWith(prefix.slice(0, 10)));
    }
    assert.throws(
      () => sampleName(engine, tokenizer, new Random(5), { prefix: "z" }),
      /not in the model.s vocabulary/,
    );
  });

  await t.step("sampleNames gives the same list", () => {
    const fast = sampleNames(engine, tokenizer, new Random(42), { numSamples: 20 });
    assert.deepEqual(fast, sampleNames(model, tokenizer, new Random(42), { numSamples: 20 }));
    assert.equal(new Set(fast).size > 3, true, "not one name over and over");
  });
});
