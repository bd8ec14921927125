/**
 * Worked solutions to notebook 06's exercises. Try them yourself first; each one passes its
 * check in `notebooks/exercises/06_inference.ts` (`06_inference_test.ts` runs them).
 *
 * @module
 */

import { type GPT, KVCache, type Random, softmax, type Tokenizer } from "../../lib/mod.ts";

/**
 * Exercise 1: the sampling loop with the draw replaced by the most likely token.
 *
 * @example
 * ```ts ignore
 * console.log(greedy(model, tokenizer)); // the same name every time
 * ```
 */
export function greedy(model: GPT, tokenizer: Tokenizer): string {
  const cache = new KVCache(model.config);
  let token = tokenizer.bos;
  let name = "";
  for (let pos = 0; pos < model.config.blockSize; pos++) {
    const probs = softmax(model.forward(token, pos, cache)).map((p) => p.data);
    token = probs.indexOf(Math.max(...probs));
    if (token === tokenizer.bos) break;
    name += tokenizer.chars[token];
  }
  return name;
}

/**
 * Exercise 2: keep the k largest, rescale them to sum to 1.
 *
 * @example
 * ```ts
 * import { topK } from "./06_inference.ts";
 * console.log(topK([0.1, 0.5, 0.15, 0.25], 2)); // [ 0, 0.6666666666666666, 0, 0.3333333333333333 ]
 * ```
 */
export function topK(probs: number[], k: number): number[] {
  const kept = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b).slice(0, k);
  const total = kept.reduce((sum, i) => sum + probs[i], 0);
  return probs.map((p, i) => kept.includes(i) ? p / total : 0);
}

/**
 * Exercise 3: feed `BOS` and the prefix without drawing, then draw as usual.
 *
 * @example
 * ```ts ignore
 * console.log(sampleWithPrefix(model, tokenizer, new Random(1), "ka", 0.5)); // a name starting with "ka"
 * ```
 */
export function sampleWithPrefix(
  model: GPT,
  tokenizer: Tokenizer,
  rng: Random,
  prefix: string,
  temperature: number,
): string {
  const cache = new KVCache(model.config);
  const forced = [...prefix].map((ch) => tokenizer.id(ch));
  let token = tokenizer.bos;
  let name = "";
  for (let pos = 0; pos < model.config.blockSize; pos++) {
    const logits = model.forward(token, pos, cache);
    if (pos < forced.length) {
      token = forced[pos]; // the prefix's next character, not a draw
    } else {
      token = rng.choice(softmax(logits.map((z) => z.div(temperature))).map((p) => p.data));
      if (token === tokenizer.bos) break;
    }
    name += tokenizer.chars[token];
  }
  return name;
}
