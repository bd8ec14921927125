/**
 * Every flag of the command-line tasks, declared once: `deno task train`, `sample` and `sweep`
 * each take a subset (`pickFlags`), so a flag means, parses and helps the same everywhere, and
 * library errors about a config field name the flag that sets it.
 *
 * @module
 */

import { DEFAULT_CONFIG, DEFAULT_SAMPLE_CONFIG, DEFAULT_TRAIN_CONFIG } from "../lib/config.ts";
import { DEFAULT_DATA_PATH } from "../lib/data.ts";
import { DEFAULT_SEED } from "../lib/dataset.ts";
import { engineList, type EngineName } from "../lib/experiment/engines.ts";
import { DEFAULT_VALIDATION } from "../lib/experiment/split.ts";
import type { FlagSpec, FlagSpecs } from "./args.ts";

/** The command line's engine: the fast one prints the same bytes as the Value engine, about 100 times sooner. */
export const DEFAULT_ENGINE: EngineName = "fast";

/**
 * Seconds of training between the checkpoints a run with `--out` saves as it trains, unless
 * `--save-every N` sets a number of steps. By time, not steps: a save costs as much as 100-200
 * fast-engine steps of the default model (16-19 ms: the JSON, its checksum and fsync; see
 * BENCHMARKS.md), a share that stays about the same for larger models, so any fixed number of
 * steps is either costly or rare; once a minute costs under 1% (and never over 5%: a slow save
 * stretches the interval) and a crash or a kill loses at most about a minute. Ctrl-C loses
 * nothing: the run saves as it stops.
 */
export const DEFAULT_SAVE_SECONDS = 60;

/** Every flag, by name. */
export const FLAGS = {
  data: {
    kind: "string",
    metavar: "PATH",
    help: "text file, one document per line",
    defaultText: DEFAULT_DATA_PATH,
    field: "dataPath",
  },
  seed: {
    kind: "int",
    metavar: "N",
    help: "random seed (shuffle, init, sampling)",
    defaultText: String(DEFAULT_SEED),
    field: "seed",
  },
  steps: {
    kind: "int",
    metavar: "N",
    help: "training steps, one document (or --batch-size documents) each",
    defaultText: String(DEFAULT_TRAIN_CONFIG.steps),
    field: "steps",
  },
  "n-embd": {
    kind: "int",
    metavar: "N",
    help: "embedding width",
    defaultText: String(DEFAULT_CONFIG.nEmbd),
    field: "nEmbd",
  },
  "n-head": {
    kind: "int",
    metavar: "N",
    help: "attention heads (must divide --n-embd)",
    defaultText: String(DEFAULT_CONFIG.nHead),
    field: "nHead",
  },
  "n-layer": {
    kind: "int",
    metavar: "N",
    help: "transformer layers",
    defaultText: String(DEFAULT_CONFIG.nLayer),
    field: "nLayer",
  },
  "block-size": {
    kind: "int",
    metavar: "N",
    help: "context length in tokens",
    defaultText: String(DEFAULT_CONFIG.blockSize),
    field: "blockSize",
  },
  lr: {
    kind: "number",
    metavar: "X",
    help: "Adam learning rate, decayed linearly to 0",
    defaultText: String(DEFAULT_TRAIN_CONFIG.learningRate),
    field: "learningRate",
  },
  "batch-size": {
    kind: "int",
    metavar: "B",
    help: "documents per step, padded and masked; the loss is their mean (1 is microgpt's step)",
    defaultText: "1",
    field: "batchSize",
  },
  temperature: {
    kind: "number",
    metavar: "T",
    help: "sampling temperature, at least 1e-300 (smaller ones make logits / T overflow)",
    defaultText: String(DEFAULT_SAMPLE_CONFIG.temperature),
    field: "temperature",
  },
  samples: {
    kind: "int",
    metavar: "N",
    help: "documents to sample after training",
    defaultText: String(DEFAULT_SAMPLE_CONFIG.numSamples),
    field: "numSamples",
  },
  engine: {
    kind: "string",
    metavar: "NAME",
    help: `training engine: ${engineList()} (same numbers; fast is the fastest)`,
    defaultText: DEFAULT_ENGINE,
    field: "engine",
  },
  out: {
    kind: "string",
    metavar: "DIR",
    help: "write DIR/run.json (run record) and DIR/checkpoint.json (model + optimizer state)",
  },
  plots: {
    kind: "string",
    metavar: "svg,png",
    help:
      "with --out: also write DIR/loss.* and DIR/attention.* as these (DIR/*.html always; needs Chromium)",
  },
  force: {
    kind: "boolean",
    help: "with --out: replace the run already in DIR (without it, a DIR holding another run is refused)",
  },
  "save-every": {
    kind: "int",
    metavar: "N",
    help:
      "with --out: save DIR/checkpoint.json every N steps, so a crash loses at most N (0: only at the end)",
    defaultText: `every ${DEFAULT_SAVE_SECONDS} s of training`,
    field: "saveEvery",
  },
  probe: {
    kind: "int",
    metavar: "N",
    help: "with --out: also write DIR/probe.json, the first N documents with our model's logits and losses " +
      "(python3 torch/microgpt.py verify compares with it)",
  },
  "stop-at": {
    kind: "int",
    metavar: "N",
    help: "train only the first N steps of the schedule, save to --out DIR and exit",
    field: "stopAt",
  },
  resume: {
    kind: "string",
    metavar: "DIR",
    help: "continue the run saved in DIR/checkpoint.json to the end (or to --stop-at)",
  },
  "val-fraction": {
    kind: "number",
    metavar: "F",
    help: "hold out the last F of the shuffled documents and report validation loss",
    defaultText: "off",
    field: "validation.fraction",
  },
  "val-every": {
    kind: "int",
    metavar: "K",
    help: "with --val-fraction: a val loss line every K steps and at the last step",
    defaultText: String(DEFAULT_VALIDATION.every),
    field: "validation.every",
  },
  "val-docs": {
    kind: "int",
    metavar: "N",
    help: "with --val-fraction: measure on the first N held-out documents",
    defaultText: String(DEFAULT_VALIDATION.maxDocs),
    field: "validation.maxDocs",
  },
  checkpoint: {
    kind: "string",
    metavar: "FILE",
    help: "checkpoint.json written by deno task train --out DIR (required)",
  },
  prefix: {
    kind: "string",
    metavar: "TEXT",
    help: "every document starts with TEXT (characters of the vocabulary)",
    field: "prefix",
  },
  seeds: {
    kind: "ints",
    metavar: "LIST",
    help: "seeds, as 1,2,3 or a range 1..5",
    defaultText: "1..5",
    field: "seeds",
  },
  workers: {
    kind: "int",
    metavar: "N",
    help: "parallel workers",
    defaultText: "number of cores, at most one per run",
    field: "workers",
  },
} as const satisfies FlagSpecs;

/** The name of a flag in `FLAGS`. */
export type FlagName = keyof typeof FLAGS;

/** What a program may change in a shared flag: how its help reads. */
export type FlagWording = Partial<Pick<FlagSpec, "help" | "defaultText" | "metavar">>;

/** How a flag reads in help, once a program has changed it (or not). */
type Wording = Pick<FlagSpec, "help" | "defaultText" | "metavar">;

/** A flag as `pickFlags` hands it out: its kind and field as in `FLAGS`, its wording maybe changed. */
export type PickedFlag<N extends FlagName> = Omit<(typeof FLAGS)[N], keyof Wording> & Wording;

/**
 * The flags a program takes, in help order, each as in `FLAGS` with its wording changed by
 * `wording` where given.
 *
 * @example
 * ```ts
 * import { pickFlags } from "./flags.ts";
 * const flags = pickFlags(["seed", "samples"], { samples: { defaultText: "the run's setting" } });
 * console.log(Object.keys(flags), flags.samples.defaultText); // ["seed", "samples"] the run's setting
 * ```
 */
export function pickFlags<const N extends FlagName>(
  names: readonly N[],
  wording: { [K in N]?: FlagWording } = {},
): { [K in N]: PickedFlag<K> } {
  const picked: Partial<Record<N, FlagSpec>> = {};
  for (const name of names) picked[name] = { ...FLAGS[name], ...wording[name] };
  return picked as { [K in N]: PickedFlag<K> };
}

/** A number flag as a list flag (`listFlag`). */
export type ListFlag<N extends FlagName> = Omit<(typeof FLAGS)[N], "kind" | keyof Wording> & Wording & {
  kind: (typeof FLAGS)[N]["kind"] extends "int" ? "ints" : "numbers";
};

/** The list form of a number flag, for sweeps: one value or a comma-separated list (`ints` also take ranges). */
export function listFlag<const N extends FlagName>(
  name: N,
  help: string,
): ListFlag<N> {
  const flag: FlagSpec = FLAGS[name];
  const list: FlagSpec = {
    ...flag,
    kind: flag.kind === "int" ? "ints" : "numbers",
    metavar: "LIST",
    help: `${help}: one value, or a comma-separated list to sweep over`,
    defaultText: "as deno task train",
  };
  return list as ListFlag<N>;
}
