/**
 * Sampling: start from `BOS`, draw the next token from the temperature-scaled softmax,
 * feed it back, stop at `BOS` or at the end of the context. One loop for every engine.
 *
 * @module
 */

import { DEFAULT_SAMPLE_CONFIG, validateTemperature } from "./config.ts";
import type { Engine, Sequence } from "./engine.ts";
import { ConfigError } from "./errors.ts";
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
  validateTemperature(temperature);
  const forced = prefixTokens(options.prefix ?? "", tokenizer, engine.model.config.blockSize);
  const sequence = engine.startSequence({ recordAttention: options.recordAttention });
  const tokens = [tokenizer.bos];
  let token = tokenizer.bos;
  let text = "";
  for (let pos = 0; pos < engine.model.config.blockSize; pos++) {
    if (pos < forced.length) {
      sequence.feed(token);
      token = forced[pos];
    } else {
      token = rng.choice(checkedProbabilities(sequence.probabilities(token, temperature), temperature));
      if (token === tokenizer.bos) break;
    }
    tokens.push(token);
    text += tokenizer.chars[token];
  }
  return { text, tokens, cache: sequence };
}

/**
 * The token ids of a prefix, checked: every character in the vocabulary, and short enough
 * (at most `blockSize - 1` characters) that at least one token is still drawn after it.
 * Problems are ConfigErrors about the field `prefix`.
 */
export function prefixTokens(prefix: string, tokenizer: Tokenizer, blockSize: number): number[] {
  const chars = [...prefix];
  if (chars.length >= blockSize) {
    throw new ConfigError(
      ["prefix"],
      (n) =>
        `${n("prefix")} has ${chars.length} characters but the model's context holds ${blockSize} tokens ` +
        `(BOS and ${blockSize - 1} characters); use at most ${blockSize - 1}`,
    );
  }
  return chars.map((ch) => {
    if (!tokenizer.chars.includes(ch)) {
      throw new ConfigError(
        ["prefix"],
        (n) =>
          `${n("prefix")} character ${JSON.stringify(ch)} is not in the model's vocabulary ` +
          `${JSON.stringify(tokenizer.chars.join(""))}; use only those characters`,
      );
    }
    return tokenizer.id(ch);
  });
}

/**
 * `probs` if every one is a finite number; else a ConfigError about the temperature. Only
 * logits too large for the temperature get here (`MIN_TEMPERATURE` keeps every logit up to
 * about 1.8e8 in size finite), e.g. a model whose weights blew up.
 */
function checkedProbabilities(probs: ArrayLike<number>, temperature: number): ArrayLike<number> {
  for (let i = 0; i < probs.length; i++) {
    if (!Number.isFinite(probs[i])) {
      throw new ConfigError(
        ["temperature"],
        (n) =>
          `cannot sample at ${n("temperature")} ${temperature}: the model's logits divided by it are not ` +
          `finite (logits over about ${
            (Number.MAX_VALUE * temperature).toPrecision(2)
          } in size, a diverged model?); ` +
          `raise ${n("temperature")} or retrain`,
      );
    }
  }
  return probs;
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
