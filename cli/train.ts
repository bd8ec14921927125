/**
 * `deno task train`: the main job. Trains a GPT on a text file (one document per line) and
 * prints exactly what microgpt.py prints: dataset and model sizes, one loss line per step,
 * then sampled documents.
 *
 * @module
 */

import {
  DEFAULT_CONFIG,
  DEFAULT_SAMPLE_CONFIG,
  DEFAULT_TRAIN_CONFIG,
  type GPTConfig,
  validateGPTConfig,
  validateSampleConfig,
  validateTrainConfig,
} from "../lib/config.ts";
import { loadDocs } from "../lib/data.ts";
import { formatFixed, formatInt } from "../lib/format.ts";
import { GPT } from "../lib/model.ts";
import { Random } from "../lib/random.ts";
import { sampleNames } from "../lib/sample.ts";
import { Tokenizer } from "../lib/tokenizer.ts";
import { train } from "../lib/train.ts";
import { type FlagSpec, formatHelp, parseFlags, runCli } from "./args.ts";

/** The default dataset, relative to the project root (where `deno task` runs). */
export const DEFAULT_DATA = "data/names.txt";

const FLAGS: FlagSpec[] = [
  {
    name: "data",
    kind: "string",
    metavar: "PATH",
    help: "text file, one document per line",
    defaultText: DEFAULT_DATA,
  },
  {
    name: "seed",
    kind: "int",
    metavar: "N",
    help: "random seed (shuffle, init, sampling)",
    defaultText: "42",
  },
  {
    name: "steps",
    kind: "int",
    metavar: "N",
    help: "training steps, one document each",
    defaultText: String(DEFAULT_TRAIN_CONFIG.steps),
  },
  {
    name: "n-embd",
    kind: "int",
    metavar: "N",
    help: "embedding width",
    defaultText: String(DEFAULT_CONFIG.nEmbd),
  },
  {
    name: "n-head",
    kind: "int",
    metavar: "N",
    help: "attention heads (must divide --n-embd)",
    defaultText: String(DEFAULT_CONFIG.nHead),
  },
  {
    name: "n-layer",
    kind: "int",
    metavar: "N",
    help: "transformer layers",
    defaultText: String(DEFAULT_CONFIG.nLayer),
  },
  {
    name: "block-size",
    kind: "int",
    metavar: "N",
    help: "context length in tokens",
    defaultText: String(DEFAULT_CONFIG.blockSize),
  },
  {
    name: "lr",
    kind: "number",
    metavar: "X",
    help: "Adam learning rate, decayed linearly to 0",
    defaultText: String(DEFAULT_TRAIN_CONFIG.learningRate),
  },
  {
    name: "temperature",
    kind: "number",
    metavar: "T",
    help: "sampling temperature",
    defaultText: String(DEFAULT_SAMPLE_CONFIG.temperature),
  },
  {
    name: "samples",
    kind: "int",
    metavar: "N",
    help: "documents to sample after training",
    defaultText: String(DEFAULT_SAMPLE_CONFIG.numSamples),
  },
];

const USAGE = "Usage: deno task train [flags]";
const DESCRIPTION =
  "Trains microgpt on a text file and prints the loss of every step, then samples new documents.\n" +
  "With the defaults it prints exactly what Karpathy's microgpt.py prints for seed 42.";

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, FLAGS, "deno task train");
  if (flags.help) {
    console.log(formatHelp(USAGE, DESCRIPTION, FLAGS));
    return;
  }
  const config: GPTConfig = {
    nEmbd: (flags["n-embd"] as number | undefined) ?? DEFAULT_CONFIG.nEmbd,
    nHead: (flags["n-head"] as number | undefined) ?? DEFAULT_CONFIG.nHead,
    nLayer: (flags["n-layer"] as number | undefined) ?? DEFAULT_CONFIG.nLayer,
    blockSize: (flags["block-size"] as number | undefined) ?? DEFAULT_CONFIG.blockSize,
  };
  const trainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    steps: (flags.steps as number | undefined) ?? DEFAULT_TRAIN_CONFIG.steps,
    learningRate: (flags.lr as number | undefined) ?? DEFAULT_TRAIN_CONFIG.learningRate,
  };
  const sampleConfig = {
    temperature: (flags.temperature as number | undefined) ?? DEFAULT_SAMPLE_CONFIG.temperature,
    numSamples: (flags.samples as number | undefined) ?? DEFAULT_SAMPLE_CONFIG.numSamples,
  };
  // Check everything before any work, so a bad flag never costs a training run.
  validateGPTConfig(config);
  validateTrainConfig(trainConfig);
  validateSampleConfig(sampleConfig);
  const seed = (flags.seed as number | undefined) ?? 42;
  const dataPath = (flags.data as string | undefined) ?? DEFAULT_DATA;

  const rng = new Random(seed);
  const docs = await loadDocs(dataPath);
  rng.shuffle(docs);
  const tokenizer = Tokenizer.fromDocs(docs);
  console.log(`num docs: ${docs.length}`);
  console.log(`vocab size: ${tokenizer.vocabSize}`);

  const model = GPT.init(config, tokenizer.vocabSize, rng);
  console.log(`num params: ${model.parameters.length}`);

  const stepWidth = 4;
  train(model, docs.map((doc) => tokenizer.encode(doc)), {
    ...trainConfig,
    onStep: ({ step, numSteps, loss }) => {
      console.log(
        `step ${formatInt(step + 1, stepWidth)} / ${formatInt(numSteps, stepWidth)} | loss ${
          formatFixed(loss, 4)
        }`,
      );
    },
  });

  console.log("\n--- inference (new, hallucinated names) ---");
  const names = sampleNames(model, tokenizer, rng, sampleConfig);
  names.forEach((name, i) => console.log(`sample ${formatInt(i + 1, 2)}: ${name}`));
}

if (import.meta.main) await runCli(() => main(Deno.args));
