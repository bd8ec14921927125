/**
 * Sampling on the fast engine: the same documents as `sampleName` / `sampleNames` (the same
 * probabilities to the last bit, so the same draws from the same generator), without
 * building a graph of `Value` nodes for every token.
 *
 * @module
 */

import { DEFAULT_SAMPLE_CONFIG } from "./config.ts";
import type { FastEngine } from "./fast/engine.ts";
import type { Random } from "./random.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** Options of `sampleNameFast`. */
export interface FastSampleOptions {
  /** Logits are divided by it before the softmax (default 0.5). */
  temperature?: number;
  /** Characters the document must start with; sampling continues after them. */
  prefix?: string;
}

/** One sampled document and the tokens fed to the model (starting with `BOS`). */
export interface FastSample {
  text: string;
  tokens: number[];
}

/**
 * Generates one document like `sampleName`: from `BOS`, each next token is drawn with
 * `rng.choice` from `softmax(logits / temperature)`, until `BOS` or the end of the context.
 * Uses the engine's weights as they are (`engine.loadWeights()` reads the model's).
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { FastEngine } from "./fast/engine.ts";
 * import { sampleNameFast } from "./fast_sample.ts";
 * import { GPT } from "./model.ts";
 * import { Random } from "./random.ts";
 * import { sampleName } from "./sample.ts";
 * import { Tokenizer } from "./tokenizer.ts";
 * const tok = Tokenizer.fromDocs(["emma", "ava"]);
 * const model = GPT.init(DEFAULT_CONFIG, tok.vocabSize, new Random(42));
 * const fast = sampleNameFast(new FastEngine(model), tok, new Random(7)).text;
 * console.log(fast === sampleName(model, tok, new Random(7)).text); // true
 * ```
 */
export function sampleNameFast(
  engine: FastEngine,
  tokenizer: Tokenizer,
  rng: Random,
  options: FastSampleOptions = {},
): FastSample {
  const temperature = options.temperature ?? DEFAULT_SAMPLE_CONFIG.temperature;
  const forced = [...(options.prefix ?? "")].map((ch) => tokenizer.id(ch));
  const tokens = [tokenizer.bos];
  let token = tokenizer.bos;
  let text = "";
  for (let pos = 0; pos < engine.model.config.blockSize; pos++) {
    if (pos < forced.length) {
      engine.forward(token, pos); // only to cache this position's keys and values
      token = forced[pos];
    } else {
      token = rng.choice(engine.nextTokenProbabilities(token, pos, temperature));
      if (token === tokenizer.bos) break;
    }
    tokens.push(token);
    text += tokenizer.chars[token];
  }
  return { text, tokens };
}

/**
 * `numSamples` documents, one after another from the same generator, like `sampleNames`.
 *
 * @example
 * ```ts ignore
 * const names = sampleNamesFast(new FastEngine(model), tokenizer, rng, { numSamples: 20 });
 * ```
 */
export function sampleNamesFast(
  engine: FastEngine,
  tokenizer: Tokenizer,
  rng: Random,
  options: FastSampleOptions & { numSamples?: number } = {},
): string[] {
  const n = options.numSamples ?? DEFAULT_SAMPLE_CONFIG.numSamples;
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(sampleNameFast(engine, tokenizer, rng, options).text);
  return names;
}
