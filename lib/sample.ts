/**
 * Sampling: start from `BOS`, draw the next token from the temperature-scaled softmax,
 * feed it back, stop at `BOS` or at the end of the context. One loop for every engine.
 *
 * @module
 */

import { DEFAULT_SAMPLE_CONFIG } from "./config.ts";
import type { Engine, Sequence } from "./engine.ts";
import type { GPT } from "./model.ts";
import type { Random } from "./random.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { asEngine } from "./value_engine.ts";

/** Options of `sampleName`. */
export interface SampleOptions {
  /** Logits are divided by it before the softmax (default 0.5). */
  temperature?: number;
  /** Characters the name must start with; sampling continues after them. */
  prefix?: string;
  /** Record every attention weight (`sample.cache.attention`). */
  recordAttention?: boolean;
}

/** One sampled document, with the token ids drawn and the cache used. */
export interface Sample {
  /** The text: the prefix (if any) and the sampled characters, without `BOS`. */
  text: string;
  /** Every token fed to the model, starting with `BOS`. */
  tokens: number[];
  /** The sequence it was drawn with: its length, and its attention weights if recorded. */
  cache: Sequence;
}

/**
 * Generates one document, drawing every token with `rng.choice` like microgpt's
 * `random.choices(range(vocab_size), weights=probs)`. `source` is an engine, or a model
 * (sampled on its `ValueEngine`); every engine draws the same tokens.
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
  source: GPT | Engine,
  tokenizer: Tokenizer,
  rng: Random,
  options: SampleOptions = {},
): Sample {
  const engine = asEngine(source);
  const temperature = options.temperature ?? DEFAULT_SAMPLE_CONFIG.temperature;
  const forced = [...(options.prefix ?? "")].map((ch) => tokenizer.id(ch));
  const sequence = engine.startSequence({ recordAttention: options.recordAttention });
  const tokens = [tokenizer.bos];
  let token = tokenizer.bos;
  let text = "";
  for (let pos = 0; pos < engine.model.config.blockSize; pos++) {
    if (pos < forced.length) {
      sequence.feed(token);
      token = forced[pos];
    } else {
      token = rng.choice(sequence.probabilities(token, temperature));
      if (token === tokenizer.bos) break;
    }
    tokens.push(token);
    text += tokenizer.chars[token];
  }
  return { text, tokens, cache: sequence };
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
  source: GPT | Engine,
  tokenizer: Tokenizer,
  rng: Random,
  options: SampleOptions & { numSamples?: number } = {},
): string[] {
  const engine = asEngine(source);
  const n = options.numSamples ?? DEFAULT_SAMPLE_CONFIG.numSamples;
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(sampleName(engine, tokenizer, rng, options).text);
  return names;
}
