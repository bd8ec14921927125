/**
 * A dataset as microgpt prepares it: the documents shuffled by the run's one generator, the
 * tokenizer built from them, every document encoded; the same generator then draws the
 * model's initial weights (`GPT.init(config, dataset.tokenizer.vocabSize, dataset.rng)`) and
 * later the samples. Seed, shuffle, tokenizer, init: the start of every run, in one place.
 *
 * @module
 */

import { DEFAULT_DATA_PATH, loadDocs } from "./data.ts";
import { Random } from "./random.ts";
import { Tokenizer } from "./tokenizer.ts";

/** The seed of microgpt.py's run. */
export const DEFAULT_SEED = 42;

/** Documents ready to train on. */
export interface Dataset {
  /** The documents, in the shuffled order training visits them. */
  docs: string[];
  /** Every character of the documents, and `BOS`. */
  tokenizer: Tokenizer;
  /** `docs[i]` encoded as `[BOS, ...characters, BOS]`. */
  tokens: number[][];
  /** The generator, as the shuffle left it: initialise the model from it, then sample from it. */
  rng: Random;
}

/**
 * `docs` as microgpt prepares them: `Random(seed)` shuffles them (in place), then the
 * tokenizer is built and every document encoded.
 *
 * @example
 * ```ts
 * import { shuffledDataset } from "./dataset.ts";
 * const { docs, tokenizer, tokens } = shuffledDataset(["emma", "olivia", "ava"], 42);
 * console.log(docs, tokenizer.vocabSize, tokens[0].length); // ["olivia", "ava", "emma"] 9 8
 * ```
 */
export function shuffledDataset(docs: string[], seed: number = DEFAULT_SEED): Dataset {
  const rng = new Random(seed);
  rng.shuffle(docs);
  const tokenizer = Tokenizer.fromDocs(docs);
  return { docs, tokenizer, tokens: docs.map((doc) => tokenizer.encode(doc)), rng };
}

/**
 * Reads a dataset file (`loadDocs`) and prepares it (`shuffledDataset`).
 *
 * @example
 * ```ts ignore
 * import { DEFAULT_CONFIG, GPT, loadDataset } from "../lib/mod.ts";
 * const { tokenizer, tokens, rng } = await loadDataset("data/names.txt");
 * const model = GPT.init(DEFAULT_CONFIG, tokenizer.vocabSize, rng); // microgpt's initial weights
 * ```
 */
export async function loadDataset(
  path: string = DEFAULT_DATA_PATH,
  seed: number = DEFAULT_SEED,
): Promise<Dataset> {
  return shuffledDataset(await loadDocs(path), seed);
}
