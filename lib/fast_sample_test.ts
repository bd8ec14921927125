/** Fast sampling draws exactly what sampleName draws from the same generator. */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "./config.ts";
import { FastEngine } from "./fast/engine.ts";
import { sampleNameFast, sampleNamesFast } from "./fast_sample.ts";
import { GPT } from "./model.ts";
import { Random } from "./random.ts";
import { sampleName, sampleNames } from "./sample.ts";
import { Tokenizer } from "./tokenizer.ts";
import { train } from "./train.ts";

const DOCS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];

Deno.test("sampleNameFast()", async (t) => {
  const tokenizer = Tokenizer.fromDocs(DOCS);
  // A trained model, so that the distributions are far from uniform.
  const model = GPT.init({ ...DEFAULT_CONFIG, nLayer: 2, blockSize: 10 }, tokenizer.vocabSize, new Random(3));
  train(model, DOCS.map((d) => tokenizer.encode(d)), { steps: 60, engine: "fast" });
  const engine = new FastEngine(model);

  for (const temperature of [0.5, 1, 1.7]) {
    await t.step(`draws what sampleName draws at temperature ${temperature}`, () => {
      const fastRng = new Random(temperature * 10);
      const valueRng = new Random(temperature * 10);
      for (let i = 0; i < 12; i++) {
        const fast = sampleNameFast(engine, tokenizer, fastRng, { temperature });
        const value = sampleName(model, tokenizer, valueRng, { temperature });
        assert.deepEqual(fast, { text: value.text, tokens: value.tokens });
      }
      // The generators are in the same state: both made the same number of draws.
      assert.equal(fastRng.random(), valueRng.random());
    });
  }

  await t.step("continues a prefix like sampleName", () => {
    for (const prefix of ["a", "is", "evelynnnn"]) {
      const fast = sampleNameFast(engine, tokenizer, new Random(5), { prefix });
      const value = sampleName(model, tokenizer, new Random(5), { prefix });
      assert.equal(fast.text, value.text);
      assert.ok(fast.text.startsWith(prefix.slice(0, 10)));
    }
    assert.throws(
      () => sampleNameFast(engine, tokenizer, new Random(5), { prefix: "z" }),
      /not in the vocabulary/,
    );
  });

  await t.step("sampleNamesFast gives sampleNames' list", () => {
    const fast = sampleNamesFast(engine, tokenizer, new Random(42), { numSamples: 20 });
    assert.deepEqual(fast, sampleNames(model, tokenizer, new Random(42), { numSamples: 20 }));
    assert.equal(new Set(fast).size > 3, true, "not one name over and over");
  });
});
