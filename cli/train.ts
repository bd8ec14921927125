/**
 * `deno task train`: the main job. Trains a GPT on a text file (one document per line) and
 * prints exactly what microgpt.py prints: dataset and model sizes, one loss line per step,
 * then sampled documents.
 *
 * @module
 */

import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../lib/experiment/checkpoint.ts";
import { UsageError } from "../lib/errors.ts";
import { engineName } from "../lib/experiment/engines.ts";
import {
  type ExperimentRun,
  FIXED_WHEN_RESUMING,
  runExperiment,
  type RunOptions,
} from "../lib/experiment/experiment.ts";
import { type ExperimentConfig, experimentConfig, writeRunRecord } from "../lib/experiment/run_record.ts";
import { DEFAULT_DATA_PATH } from "../lib/data.ts";
import { formatFixed, formatInt } from "../lib/format.ts";
import { type FlagSpec, type FlagValues, formatHelp, makeOutDir, parseFlags, runCli } from "./args.ts";
import { DEFAULT_ENGINE, pickFlags } from "./flags.ts";
import { type ImageFormat, parsePlotsFlag, runFigures, writeRunPlots } from "./plots_out.ts";

const FLAGS = pickFlags([
  "data",
  "seed",
  "steps",
  "n-embd",
  "n-head",
  "n-layer",
  "block-size",
  "lr",
  "batch-size",
  "temperature",
  "samples",
  "engine",
  "out",
  "plots",
  "stop-at",
  "resume",
  "val-fraction",
  "val-every",
  "val-docs",
]);

type Flags = FlagValues<typeof FLAGS>;

/** The flags that set what a resumed run keeps from its checkpoint (`FIXED_WHEN_RESUMING`). */
const FIXED_FLAGS = (Object.keys(FLAGS) as (keyof typeof FLAGS)[]).filter((name) => {
  const spec: FlagSpec = FLAGS[name];
  return spec.field !== undefined && FIXED_WHEN_RESUMING.includes(spec.field);
});

const USAGE = "Usage: deno task train [flags]";
const DESCRIPTION =
  "Trains microgpt on a text file and prints the loss of every step, then samples new documents.\n" +
  "With the defaults it prints exactly what Karpathy's microgpt.py prints for seed 42.";

/** What a run of the command does, worked out from the flags before any work. */
interface Plan {
  config: ExperimentConfig;
  resume?: { dir: string; checkpoint: Checkpoint };
  stopAt?: number;
  outDir?: string;
  plotFormats: ImageFormat[];
}

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, FLAGS, "deno task train");
  if (flags.help) {
    console.log(formatHelp(USAGE, DESCRIPTION, FLAGS));
    return;
  }
  const plan = await planRun(flags);
  if (plan.outDir !== undefined) await makeOutDir(plan.outDir);
  const run = await runExperiment(plan.config, {
    resume: plan.resume?.checkpoint,
    stopAt: plan.stopAt,
    ...printers(plan),
  });
  if (plan.outDir !== undefined) await saveRun(plan.outDir, run, plan.plotFormats);
  if (run.record.status === "stopped") {
    console.error(
      `stopped after step ${run.record.step} / ${plan.config.train.steps}; saved ${plan.outDir}/checkpoint.json; ` +
        `continue with: deno task train --resume ${plan.outDir}`,
    );
    return;
  }
  console.log("\n--- inference (new, hallucinated names) ---");
  run.record.samples.forEach((name, i) => console.log(`sample ${formatInt(i + 1, 2)}: ${name}`));
}

/** Checks every flag and reads the checkpoint to resume, so a bad flag never costs a training run. */
async function planRun(flags: Flags): Promise<Plan> {
  const outDir = flags.out ?? flags.resume;
  if (flags["stop-at"] !== undefined && outDir === undefined) {
    throw new UsageError("--stop-at needs --out DIR to save the checkpoint in; add --out DIR");
  }
  const plotFormats = parsePlotsFlag(flags.plots, outDir);
  const plan = { stopAt: flags["stop-at"], outDir, plotFormats };
  if (flags.resume === undefined) return { ...plan, config: newRunConfig(flags) };
  const fixed = FIXED_FLAGS.find((name) => flags[name] !== undefined);
  if (fixed !== undefined) {
    throw new UsageError(
      `--${fixed} cannot change when resuming: the run keeps its checkpoint's settings; drop --${fixed}`,
    );
  }
  const checkpoint = await loadCheckpoint(`${flags.resume}/checkpoint.json`);
  const was = checkpoint.experiment;
  const config = experimentConfig({
    ...was,
    dataPath: flags.data ?? was.dataPath,
    sample: {
      temperature: flags.temperature ?? was.sample.temperature,
      numSamples: flags.samples ?? was.sample.numSamples,
    },
    engine: flags.engine === undefined ? was.engine : engineName(flags.engine),
  });
  return { ...plan, config, resume: { dir: flags.resume, checkpoint } };
}

/** The config of a new run: the reference run with the flags given. */
function newRunConfig(flags: Flags): ExperimentConfig {
  const valFraction = flags["val-fraction"];
  if (valFraction === undefined && (flags["val-every"] !== undefined || flags["val-docs"] !== undefined)) {
    throw new UsageError("--val-every and --val-docs need --val-fraction F to hold documents out; add it");
  }
  return experimentConfig({
    seed: flags.seed,
    dataPath: flags.data ?? DEFAULT_DATA_PATH,
    model: {
      nEmbd: flags["n-embd"],
      nHead: flags["n-head"],
      nLayer: flags["n-layer"],
      blockSize: flags["block-size"],
    },
    train: { steps: flags.steps, learningRate: flags.lr, batchSize: flags["batch-size"] },
    sample: { temperature: flags.temperature, numSamples: flags.samples },
    validation: valFraction === undefined
      ? null
      : { fraction: valFraction, every: flags["val-every"], maxDocs: flags["val-docs"] },
    engine: engineName(flags.engine ?? DEFAULT_ENGINE),
  });
}

/**
 * What the run prints as it goes: stdout carries exactly microgpt.py's lines (plus val loss
 * lines when asked for), so a stopped run's stdout followed by its resumed run's is the
 * uninterrupted run's stdout.
 */
function printers(plan: Plan): Pick<RunOptions, "onStart" | "onStep" | "onValidation"> {
  const stepWidth = 4;
  const stepText = (step: number, numSteps: number) =>
    `step ${formatInt(step, stepWidth)} / ${formatInt(numSteps, stepWidth)}`;
  return {
    onStart: (info) => {
      if (plan.resume) {
        console.error(
          `resuming ${plan.resume.dir}/checkpoint.json at step ${info.startStep} / ${info.numSteps}`,
        );
        return;
      }
      console.log(`num docs: ${info.numDocs}`);
      if (plan.config.validation) {
        console.log(`train docs: ${info.numTrainDocs}, val docs: ${info.numValDocs}`);
      }
      console.log(`vocab size: ${info.vocabSize}`);
      console.log(`num params: ${info.numParams}`);
    },
    onStep: ({ step, numSteps, loss }) => {
      console.log(`${stepText(step + 1, numSteps)} | loss ${formatFixed(loss, 4)}`);
    },
    onValidation: ({ step, numSteps, loss }) => {
      console.log(`${stepText(step, numSteps)} | val loss ${formatFixed(loss, 4)}`);
    },
  };
}

/** Writes the checkpoint, the run record and the plots into `outDir`. */
async function saveRun(
  outDir: string,
  run: ExperimentRun,
  plotFormats: readonly ImageFormat[],
): Promise<void> {
  await saveCheckpoint(`${outDir}/checkpoint.json`, run.checkpoint);
  await writeRunRecord(`${outDir}/run.json`, run.record);
  const figures = runFigures(run.record.losses, run.checkpoint, run.record.status === "finished");
  const plots = await writeRunPlots(outDir, figures, plotFormats);
  console.error(`plots: ${plots.join(" ")}`);
}

if (import.meta.main) await runCli(() => main(Deno.args), FLAGS);
