/** Notebook 06's exercises: every worked solution passes its check, and wrong answers fail it. */
import assert from "node:assert/strict";
import {
  DEFAULT_CONFIG,
  FastEngine,
  type GPT,
  GPT as Model,
  KVCache,
  type Random,
  shuffledDataset,
  softmax,
  type Tokenizer,
  Trainer,
} from "../../lib/mod.ts";
import * as check from "../exercises/06_inference.ts";
import * as solution from "./06_inference.ts";

// A model trained a little on a few names, so its choices are not uniform.
const names = [
  "emma",
  "olivia",
  "ava",
  "isabella",
  "sophia",
  "mia",
  "amelia",
  "harper",
  "evelyn",
  "abigail",
  "kaja",
  "mark",
];
const { tokenizer, tokens, rng } = shuffledDataset(names, 42);
const model = Model.init(DEFAULT_CONFIG, tokenizer.vocabSize, rng);
for (const _ of new Trainer(model, tokens, { steps: 200, engine: new FastEngine(model) }).steps());

Deno.test("exercise 1: greedy decoding", () => {
  assert.match(
    check.greedy(solution.greedy, model, tokenizer).message,
    /^✓ the most likely name, "\w+", every time/,
  );
  // wrong: the least likely token instead
  const least = (m: GPT, t: Tokenizer) => {
    const probs = softmax(m.forward(t.bos, 0, new KVCache(m.config))).map((p) => p.data);
    return t.chars[probs.indexOf(Math.min(...probs))] ?? "";
  };
  assert.match(
    check.greedy(least, model, tokenizer).message,
    /^✗ you wrote "\w*"; always taking the most likely token writes "\w+"$/,
  );
});

Deno.test("exercise 2: top-k", () => {
  assert.equal(
    check.topK(solution.topK).message,
    "✓ the k most likely tokens, rescaled to sum to 1; the rest can never be drawn",
  );
  // wrong: keeps the top k but forgets to rescale
  const unscaled = (probs: number[], k: number) => {
    const kept = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a]).slice(0, k);
    return probs.map((p, i) => kept.includes(i) ? p : 0);
  };
  assert.match(
    check.topK(unscaled).message,
    /^✗ topK\(\[0\.1,0\.5,0\.15,0\.25\], 2\): \[1\] is 0\.5, expected 0\.666667/,
  );
  // wrong: ties broken towards the higher index
  const lastTie = (probs: number[], k: number) => {
    const kept = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a] || b - a).slice(0, k);
    const total = kept.reduce((s, i) => s + probs[i], 0);
    return probs.map((p, i) => kept.includes(i) ? p / total : 0);
  };
  assert.equal(check.topK(lastTie).ok, false);
});

Deno.test("exercise 3: sampling with a prefix", () => {
  assert.match(
    check.prefix(solution.sampleWithPrefix, model, tokenizer).message,
    /^✓ the same names as sampleName with a prefix: ka\w*, j\w*, \w*, mar\w*, el\w*, ka\w*, /,
  );
  // wrong: draws a token for every position, prefix or not (the generator gets out of step)
  const drawsAlways = (m: GPT, t: Tokenizer, r: Random, prefix: string, temperature: number) => {
    const cache = new KVCache(m.config);
    let token = t.bos;
    let name = "";
    for (let pos = 0; pos < m.config.blockSize; pos++) {
      const drawn = r.choice(
        softmax(m.forward(token, pos, cache).map((z) => z.div(temperature))).map((p) => p.data),
      );
      token = pos < prefix.length ? t.id(prefix[pos]) : drawn;
      if (pos >= prefix.length && token === t.bos) break;
      name += t.chars[token];
    }
    return name;
  };
  assert.match(
    check.prefix(drawsAlways, model, tokenizer).message,
    /^✗ prefix "(\w*)", Random\(\d+\): you wrote "\1\w*", sampleName writes "\1\w*"$/,
  );
  assert.match(
    check.prefix(() => "xy", model, tokenizer).message,
    /\(the name must start with the prefix\)$/,
  );
});
