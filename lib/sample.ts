/**
 * Sampling: start from `BOS`, draw the next token from the temperature-scaled softmax,
 * feed it back, stop at `BOS` or at the end of the context.
 *
 * @module
 */

import { DEFAULT_SAMPLE_CONFIG } from "./config.ts";
import { type GPT, KVCache, softmax } from "./model.ts";
import type { Random } from "./random.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** Options of `sampleName`. */
export interface SampleOptions {
  /** Logits are divided by it before the softmax (default 0.5). */
  temperature?: number;
  /** Characters the name must start with; sampling continues after them. */
  prefix?: string;
  /** Record every attention weight in the returned `cache`. */
  recordAttention?: boolean;
}

/** One sampled document, with the token ids drawn and the cache used. */
export interface Sample {
  /** The text: the prefix (if any) and the sampled characters, without `BOS`. */
  text: string;
  /** Every token fed to the model, starting with `BOS`. */
  tokens: number[];
  /** The key/value cache after sampling (with attention weights if recorded). */
  cache: KVCache;
}

/**
 * Generates one document, drawing every token with `rng.choice` like microgpt's
 * `random.choices(range(vocab_size), weights=probs)`.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { GPT } from "./model.ts";
 * import { Random } from "./random.ts";
 * import { sampleName } from "./sample.ts";
 * import { Tokenizer } from "./tokenizer.ts";
 * const tok = Tokenizer.fromDocs(["emma", "ava"]);
 * const rng = new Random(42);
 * const model = GPT.init(DEFAULT_CONFIG, tok.vocabSize, rng);
 * console.log(typeof sampleName(model, tok, rng).text); // string
 * ```
 */
export function sampleName(
  model: GPT,
  tokenizer: Tokenizer,
  rng: Random,
  options: SampleOptions = {},
): Sample {
  const temperature = options.temperature ?? DEFAULT_SAMPLE_CONFIG.temperature;
  const prefix = options.prefix ?? "";
  const forced = [...prefix].map((ch) => tokenizer.id(ch));
  const { blockSize } = model.config;
  const cache = new KVCache(model.config, { recordAttention: options.recordAttention });
  const tokens = [tokenizer.bos];
  let token = tokenizer.bos;
  let text = "";
  for (let pos = 0; pos < blockSize; pos++) {
    const logits = model.forward(token, pos, cache);
    if (pos < forced.length) {
      token = forced[pos];
    } else {
      const probs = softmax(logits.map((l) => l.div(temperature)));
      token = rng.choice(probs.map((p) => p.data));
      if (token === tokenizer.bos) break;
    }
    tokens.push(token);
    text += tokenizer.chars[token];
  }
  return { text, tokens, cache };
}

/**
 * `numSamples` names, one after another from the same generator (microgpt's inference loop).
 *
 * @example
 * ```ts ignore
 * const names = sampleNames(model, tokenizer, rng, { numSamples: 20 });
 * ```
 */
export function sampleNames(
  model: GPT,
  tokenizer: Tokenizer,
  rng: Random,
  options: SampleOptions & { numSamples?: number } = {},
): string[] {
  const n = options.numSamples ?? DEFAULT_SAMPLE_CONFIG.numSamples;
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(sampleName(model, tokenizer, rng, options).text);
  return names;
}
