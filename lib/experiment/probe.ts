/**
 * Probe files: documents with the logits and the loss that a checkpoint's model computes for
 * them, so another program can recompute them from the same checkpoint and compare
 * (`python3 torch/microgpt.py verify CHECKPOINT --probe FILE`, PyTorch's port). The numbers
 * come from the readable model (`GPT.forward`, one position at a time with its cache: microgpt's
 * own arithmetic) and are written exactly. `deno task train --out DIR --probe N` writes
 * `DIR/probe.json`; the format is specified in torch/README.md.
 *
 * @module
 */

import { corpusFromBytes } from "../corpus.ts";
import { readDataFile } from "../data.ts";
import { KVCache } from "../model.ts";
import { documentLoss } from "../value_engine.ts";
import { PROGRAM_NAME, VERSION } from "../version.ts";
import { type Checkpoint, modelFromCheckpoint, tokenizerFromCheckpoint } from "./checkpoint.ts";
import { exactJson, writeTextFileAtomic } from "./json_file.ts";
import type { ExperimentConfig } from "./run_record.ts";

/** The `format` field of every probe file. */
export const PROBE_FORMAT = "microgpt-probe";
/** The probe layout this program writes. */
export const PROBE_VERSION = 1;

/** One document of a probe, with what the model computes for it. */
export interface ProbeDocument {
  /** The document's text. */
  text: string;
  /** `[BOS, ...its characters' ids, BOS]` (all of them, even past the context). */
  tokens: number[];
  /** The document's loss as training defines it: the mean of `-log p(next token)` over its positions. */
  loss: number;
  /**
   * `logits[pos]`: the model's output at position `pos` (the scores for token `pos + 1`), for
   * `pos = 0 .. n-1`, `n = min(blockSize, tokens.length - 1)`.
   */
  logits: number[][]; // [n][vocabSize]
}

/** A probe file's contents. */
export interface Probe {
  /** Always `PROBE_FORMAT`. */
  format: typeof PROBE_FORMAT;
  /** Always `PROBE_VERSION`. */
  version: typeof PROBE_VERSION;
  /** The program that computed the numbers. */
  program: { name: string; version: string };
  /** The checkpoint's step (a reader refuses a checkpoint at another step). */
  step: number;
  /** The checkpoint's vocabulary. */
  vocab: string[];
  /** The documents. */
  docs: ProbeDocument[];
}

/**
 * The probe of `texts` (each made only of the vocabulary's characters) under the checkpoint's
 * model.
 *
 * @example
 * ```ts
 * import { Adam } from "../adam.ts";
 * import { makeCheckpoint } from "./checkpoint.ts";
 * import { GPT } from "../model.ts";
 * import { makeProbe } from "./probe.ts";
 * import { Random } from "../random.ts";
 * import { experimentConfig } from "./run_record.ts";
 * import { Tokenizer } from "../tokenizer.ts";
 * const experiment = experimentConfig();
 * const tokenizer = Tokenizer.fromDocs(["emma", "ava"]);
 * const rng = new Random(1);
 * const model = GPT.init(experiment.model, tokenizer.vocabSize, rng);
 * const history = { losses: [], validationLosses: [], segments: [] };
 * const checkpoint = makeCheckpoint({
 *   experiment, data: { sha256: "0".repeat(64), numDocs: 2 }, tokenizer, model,
 *   adam: new Adam(model.parameters.length), step: 0, rng, history,
 * });
 * const probe = makeProbe(checkpoint, ["ava"]);
 * console.log(probe.docs[0].tokens, probe.docs[0].logits.length, probe.docs[0].logits[0].length); // [4, 0, 3, 0, 4] 4 5
 * ```
 */
export function makeProbe(checkpoint: Checkpoint, texts: readonly string[]): Probe {
  const model = modelFromCheckpoint(checkpoint);
  const tokenizer = tokenizerFromCheckpoint(checkpoint);
  const docs = texts.map((text): ProbeDocument => {
    const tokens = tokenizer.encode(text);
    const n = Math.min(model.config.blockSize, tokens.length - 1);
    const cache = new KVCache(model.config);
    const logits: number[][] = [];
    for (let pos = 0; pos < n; pos++) logits.push(model.forward(tokens[pos], pos, cache).map((v) => v.data));
    return { text, tokens, loss: documentLoss(model, tokens).data, logits };
  });
  return {
    format: PROBE_FORMAT,
    version: PROBE_VERSION,
    program: { name: PROGRAM_NAME, version: VERSION },
    step: checkpoint.step,
    vocab: [...checkpoint.vocab],
    docs,
  };
}

/**
 * The first `count` documents of a run's order (its data file shuffled with its seed, as
 * training takes them), or all of them if there are fewer.
 *
 * @example
 * ```ts ignore
 * const texts = await runDocuments(checkpoint.experiment, 50);
 * ```
 */
export async function runDocuments(
  config: Pick<ExperimentConfig, "dataPath" | "seed">,
  count: number,
): Promise<string[]> {
  const { corpus } = corpusFromBytes(await readDataFile(config.dataPath), config.dataPath, config.seed);
  return Array.from({ length: Math.min(count, corpus.length) }, (_, i) => corpus.text(i));
}

/**
 * Writes a probe atomically, every number exact.
 *
 * @example
 * ```ts ignore
 * await writeProbe("out/run/probe.json", makeProbe(checkpoint, texts));
 * ```
 */
export async function writeProbe(path: string, probe: Probe): Promise<void> {
  await writeTextFileAtomic(path, exactJson(probe) + "\n");
}
