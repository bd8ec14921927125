/**
 * `deno task train`: the main job. Trains a GPT on a text file (one document per line) and
 * prints exactly what microgpt.py prints: dataset and model sizes, one loss line per step,
 * then sampled documents.
 *
 * @module
 */

import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../lib/experiment/checkpoint.ts";
import { DEFAULT_CONFIG, DEFAULT_SAMPLE_CONFIG, DEFAULT_TRAIN_CONFIG } from "../lib/config.ts";
import { UsageError } from "../lib/errors.ts";
import { runExperiment } from "../lib/experiment/experiment.ts";
import { formatFixed, formatInt } from "../lib/format.ts";
import { type ExperimentConfig, experimentConfig, writeRunRecord } from "../lib/experiment/run_record.ts";
import { DEFAULT_VALIDATION } from "../lib/experiment/split.ts";
import { ENGINE_NAMES, type EngineName } from "../lib/train.ts";
import { type FlagSpec, formatHelp, parseFlags, runCli } from "./args.ts";
import { parsePlotsFlag, runFigures, writeRunPlots } from "./plots_out.ts";

/** The default dataset, relative to the project root (where `deno task` runs). */
export const DEFAULT_DATA = "data/names.txt";

/** The fast engine prints the same bytes as the readable Value engine, about 100 times sooner. */
const DEFAULT_ENGINE: EngineName = "fast";

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
  {
    name: "engine",
    kind: "string",
    metavar: "NAME",
    help: `training engine: ${ENGINE_NAMES.join(" or ")} (same numbers; fast is much faster)`,
    defaultText: DEFAULT_ENGINE,
  },
  {
    name: "out",
    kind: "string",
    metavar: "DIR",
    help: "write DIR/run.json (run record) and DIR/checkpoint.json (model + optimizer state)",
  },
  {
    name: "plots",
    kind: "string",
    metavar: "svg,png",
    help:
      "with --out: also write DIR/loss.* and DIR/attention.* as these (DIR/*.html always; needs Chromium)",
  },
  {
    name: "stop-at",
    kind: "int",
    metavar: "N",
    help: "train only the first N steps of the schedule, save to --out DIR and exit",
  },
  {
    name: "resume",
    kind: "string",
    metavar: "DIR",
    help: "continue the run saved in DIR/checkpoint.json to the end (or to --stop-at)",
  },
  {
    name: "val-fraction",
    kind: "number",
    metavar: "F",
    help: "hold out the last F of the shuffled documents and report validation loss",
    defaultText: "off",
  },
  {
    name: "val-every",
    kind: "int",
    metavar: "K",
    help: "with --val-fraction: a val loss line every K steps and at the last step",
    defaultText: String(DEFAULT_VALIDATION.every),
  },
  {
    name: "val-docs",
    kind: "int",
    metavar: "N",
    help: "with --val-fraction: measure on the first N held-out documents",
    defaultText: String(DEFAULT_VALIDATION.maxDocs),
  },
];

/** Flags that fix a run's trajectory: a resumed run takes them from its checkpoint. */
const FIXED_WHEN_RESUMING = [
  "seed",
  "steps",
  "n-embd",
  "n-head",
  "n-layer",
  "block-size",
  "lr",
  "val-fraction",
  "val-every",
  "val-docs",
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
  const resumeDir = flags.resume as string | undefined;
  const stopAt = flags["stop-at"] as number | undefined;
  const outDir = (flags.out as string | undefined) ?? resumeDir;
  if (stopAt !== undefined && outDir === undefined) {
    throw new UsageError("--stop-at needs --out DIR to save the checkpoint in; add --out DIR");
  }
  const plotFormats = parsePlotsFlag(flags.plots, outDir);
  // Check everything before any work, so a bad flag never costs a training run.
  let config: ExperimentConfig;
  let resume: Checkpoint | undefined;
  if (resumeDir !== undefined) {
    const fixed = FIXED_WHEN_RESUMING.find((name) => flags[name] !== undefined);
    if (fixed !== undefined) {
      throw new UsageError(
        `--${fixed} cannot change when resuming: the run keeps its checkpoint's settings; drop --${fixed}`,
      );
    }
    resume = await loadCheckpoint(`${resumeDir}/checkpoint.json`);
    const was = resume.experiment;
    config = experimentConfig({
      ...was,
      dataPath: (flags.data as string | undefined) ?? was.dataPath,
      sample: {
        temperature: (flags.temperature as number | undefined) ?? was.sample.temperature,
        numSamples: (flags.samples as number | undefined) ?? was.sample.numSamples,
      },
      engine: parseEngine(flags.engine) ?? was.engine,
    });
  } else {
    const valFraction = flags["val-fraction"] as number | undefined;
    if (valFraction === undefined && (flags["val-every"] !== undefined || flags["val-docs"] !== undefined)) {
      throw new UsageError("--val-every and --val-docs need --val-fraction F to hold documents out; add it");
    }
    config = experimentConfig({
      seed: flags.seed as number | undefined,
      dataPath: (flags.data as string | undefined) ?? DEFAULT_DATA,
      model: {
        nEmbd: flags["n-embd"] as number | undefined,
        nHead: flags["n-head"] as number | undefined,
        nLayer: flags["n-layer"] as number | undefined,
        blockSize: flags["block-size"] as number | undefined,
      },
      train: { steps: flags.steps as number | undefined, learningRate: flags.lr as number | undefined },
      sample: {
        temperature: flags.temperature as number | undefined,
        numSamples: flags.samples as number | undefined,
      },
      validation: valFraction === undefined ? null : {
        fraction: valFraction,
        every: flags["val-every"] as number | undefined,
        maxDocs: flags["val-docs"] as number | undefined,
      },
      engine: parseEngine(flags.engine) ?? DEFAULT_ENGINE,
    });
  }
  if (outDir !== undefined) await makeOutDir(outDir);

  // stdout carries exactly microgpt.py's lines (plus val loss lines when asked for), so a
  // stopped run's stdout followed by its resumed run's is the uninterrupted run's stdout.
  const stepWidth = 4;
  const run = await runExperiment(config, {
    resume,
    stopAt,
    onStart: (info) => {
      if (resume) {
        console.error(`resuming ${resumeDir}/checkpoint.json at step ${info.startStep} / ${info.numSteps}`);
        return;
      }
      console.log(`num docs: ${info.numDocs}`);
      if (config.validation) console.log(`train docs: ${info.numTrainDocs}, val docs: ${info.numValDocs}`);
      console.log(`vocab size: ${info.vocabSize}`);
      console.log(`num params: ${info.numParams}`);
    },
    onStep: ({ step, numSteps, loss }) => {
      console.log(
        `step ${formatInt(step + 1, stepWidth)} / ${formatInt(numSteps, stepWidth)} | loss ${
          formatFixed(loss, 4)
        }`,
      );
    },
    onValidation: ({ step, numSteps, loss }) => {
      console.log(
        `step ${formatInt(step, stepWidth)} / ${formatInt(numSteps, stepWidth)} | val loss ${
          formatFixed(loss, 4)
        }`,
      );
    },
  });

  if (outDir !== undefined) {
    await saveCheckpoint(`${outDir}/checkpoint.json`, run.checkpoint);
    await writeRunRecord(`${outDir}/run.json`, run.record);
    const figures = runFigures(run.record.losses, run.checkpoint, run.record.status === "finished");
    const plots = await writeRunPlots(outDir, figures, plotFormats);
    console.error(`plots: ${plots.join(" ")}`);
  }
  if (run.record.status === "stopped") {
    console.error(
      `stopped after step ${run.record.step} / ${config.train.steps}; saved ${outDir}/checkpoint.json; ` +
        `continue with: deno task train --resume ${outDir}`,
    );
    return;
  }
  console.log("\n--- inference (new, hallucinated names) ---");
  run.record.samples.forEach((name, i) => console.log(`sample ${formatInt(i + 1, 2)}: ${name}`));
}

/** The `--engine` flag's value, checked; undefined when not given. */
function parseEngine(value: string | number | boolean | undefined): EngineName | undefined {
  if (value === undefined) return undefined;
  const name = ENGINE_NAMES.find((e) => e === value);
  if (name === undefined) {
    throw new UsageError(`unknown engine '${value}'; use --engine ${ENGINE_NAMES.join(" or ")}`);
  }
  return name;
}

/** Creates the output directory (and its parents), with a one-line error if it cannot. */
async function makeOutDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new UsageError(
      `cannot create output directory ${dir}: ${(err as Error).message}; pick another --out`,
    );
  }
}

if (import.meta.main) await runCli(() => main(Deno.args));
