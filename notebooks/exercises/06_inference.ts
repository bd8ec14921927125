/**
 * The checks of notebook 06's exercises ("Try it"). Each takes your answer and shows one line:
 * `✓ ...` when it is right, `✗ ...` saying what is off. Worked solutions:
 * `notebooks/solutions/06_inference.ts`.
 *
 * @module
 */

import { type GPT, KVCache, Random, sampleName, softmax, type Tokenizer } from "../../lib/mod.ts";
import { attempt, type CheckResult, fail, numbers, pass } from "./check.ts";

/** The name the model writes when it always takes the most likely next token (ties: the lowest id). */
function greedyName(model: GPT, tokenizer: Tokenizer): string {
  const cache = new KVCache(model.config);
  let token = tokenizer.bos;
  let text = "";
  for (let pos = 0; pos < model.config.blockSize; pos++) {
    const probs = softmax(model.forward(token, pos, cache)).map((p) => p.data);
    token = probs.indexOf(Math.max(...probs));
    if (token === tokenizer.bos) break;
    text += tokenizer.chars[token];
  }
  return text;
}

/**
 * Exercise 1 (implement a piece): `greedy(model, tokenizer)` must write the name the model gets
 * by always taking its most likely next token (temperature → 0), stopping at `BOS` or the end
 * of the context.
 *
 * @example
 * ```ts ignore
 * console.log(check.greedy(greedy, model, tokenizer).message); // ✓ ...
 * ```
 */
export function greedy(
  yours: (model: GPT, tokenizer: Tokenizer) => string,
  model: GPT,
  tokenizer: Tokenizer,
): CheckResult {
  return attempt(() => {
    const got = yours(model, tokenizer);
    const expected = greedyName(model, tokenizer);
    return got === expected
      ? pass(`the most likely name, "${expected}", every time: greedy decoding has no randomness`)
      : fail(`you wrote "${got}"; always taking the most likely token writes "${expected}"`);
  });
}

/**
 * Exercise 2 (implement a piece): `topK(probs, k)` must keep the `k` largest probabilities
 * (ties: the lower index first), set the others to 0, and rescale the kept ones to sum to 1.
 *
 * @example
 * ```ts
 * import { topK } from "./06_inference.ts";
 * console.log(topK((p) => p).message.startsWith("✗")); // true
 * ```
 */
export function topK(yours: (probs: number[], k: number) => number[]): CheckResult {
  return attempt(() => {
    const cases: [number[], number][] = [[[0.1, 0.5, 0.15, 0.25], 2], [[0.2, 0.2, 0.6], 1], [[0.3, 0.7], 2], [
      [0.05, 0.3, 0.3, 0.35],
      2,
    ]];
    for (const [probs, k] of cases) {
      const order = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b).slice(0, k);
      const kept = order.reduce((total, i) => total + probs[i], 0);
      const expected = probs.map((p, i) => order.includes(i) ? p / kept : 0);
      const result = numbers(`topK([${probs}], ${k})`, yours([...probs], k), expected, { tolerance: 1e-12 });
      if (!result.ok) return result;
    }
    return pass("the k most likely tokens, rescaled to sum to 1; the rest can never be drawn");
  });
}

/**
 * Exercise 3 (implement a piece): `sampleWithPrefix(model, tokenizer, rng, prefix, temperature)`
 * must write a name that starts with `prefix`: feed `BOS` and the prefix's characters without
 * drawing, then sample as usual. The same names as `sampleName(..., { prefix })` from the same
 * generator.
 *
 * @example
 * ```ts ignore
 * console.log(check.prefix(sampleWithPrefix, model, tokenizer).message); // ✓ ...
 * ```
 */
export function prefix(
  yours: (model: GPT, tokenizer: Tokenizer, rng: Random, prefix: string, temperature: number) => string,
  model: GPT,
  tokenizer: Tokenizer,
): CheckResult {
  return attempt(() => {
    const written: string[] = [];
    const inVocabulary = (text: string) => [...text].every((ch) => tokenizer.chars.includes(ch));
    const starts = ["ka", "j", "", "mar", "el"].filter(inVocabulary); // names.txt's; other data: its own letters
    if (starts.length < 4) starts.push(tokenizer.chars.slice(0, 2).join(""), tokenizer.chars[2] ?? "");
    starts.push(...starts); // each prefix twice, with different generators
    for (const [i, start] of starts.entries()) {
      const seed = i + 1;
      const got = yours(model, tokenizer, new Random(seed), start, 0.5);
      const expected =
        sampleName(model, tokenizer, new Random(seed), { prefix: start, temperature: 0.5 }).text;
      if (got !== expected) {
        return fail(
          `prefix "${start}", Random(${seed}): you wrote "${got}", sampleName writes "${expected}"` +
            (got.startsWith(start) ? "" : " (the name must start with the prefix)"),
        );
      }
      written.push(got);
    }
    return pass(`the same names as sampleName with a prefix: ${written.join(", ")}`);
  });
}
