/**
 * `deno task train`: the main job. Trains a GPT on a text file (one document per line) and
 * prints exactly what microgpt.py prints: dataset and model sizes, one loss line per step,
 * then sampled documents.
 *
 * @module
 */

import {
  type Checkpoint,
  loadCheckpoint,
  requireCheckpointFits,
  saveCheckpoint,
} from "../lib/experiment/checkpoint.ts";
import { UsageError } from "../lib/errors.ts";
import { engineName, FOREIGN_ENGINES, isEngineName, runnableEngine } from "../lib/experiment/engines.ts";
import {
  type ExperimentRun,
  FIXED_WHEN_RESUMING,
  runExperiment,
  type RunOptions,
  type RunSnapshot,
} from "../lib/experiment/experiment.ts";
import {
  type ExperimentConfig,
  experimentConfig,
  MIN_VOCAB_SIZE,
  runSize,
  writeRunRecord,
} from "../lib/experiment/run_record.ts";
import { makeProbe, runDocuments, writeProbe } from "../lib/experiment/probe.ts";
import { OutDir } from "../lib/experiment/run_dir.ts";
import { DEFAULT_DATA_PATH } from "../lib/data.ts";
import { formatFixed, formatInt } from "../lib/format.ts";
import { ExitError, type FlagSpec, type FlagValues, formatHelp, parseFlags, runCli } from "./args.ts";
import { DEFAULT_ENGINE, DEFAULT_SAVE_SECONDS, pickFlags } from "./flags.ts";

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
  "force",
  "save-every",
  "plots",
  "probe",
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
  resume?: { dir: string; checkpoint: Checkpoint; engineNote: string };
  stopAt?: number;
  outDir?: string;
  /** Steps between saves, if `--save-every` gave them. */
  saveEvery?: number;
  /** Documents to write in `DIR/probe.json`, if `--probe` asked for them. */
  probe?: number;
  force: boolean;
}

/** The output files of a run, in its `--out` directory. */
const RUN_FILES = [
  "checkpoint.json",
  "run.json",
  "probe.json",
  ...["loss", "attention"].flatMap((name) => ["html", "svg", "png"].map((ext) => `${name}.${ext}`)),
];

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, FLAGS, "deno task train");
  if (flags.help) {
    console.log(formatHelp(USAGE, DESCRIPTION, FLAGS));
    return;
  }
  const plan = await planRun(flags);
  if (plan.outDir === undefined) {
    const run = await runExperiment(plan.config, { stopAt: plan.stopAt, ...printers(plan) });
    printSamples(run);
    return;
  }
  // With --out, everything that can fail is checked before the first step: the plots' tools,
  // the directory (its lock, its files, that it is writable) and the checkpoint's size.
  const plots = await import("./plots_out.ts");
  const plotFormats = plots.parsePlotsFlag(flags.plots, plan.outDir);
  await plots.checkPlotTools(plotFormats);
  requireCheckpointFits(runSize(plan.config), MIN_VOCAB_SIZE);
  const runId = plan.resume?.checkpoint.runId ?? crypto.randomUUID();
  const out = await OutDir.claim(plan.outDir, {
    files: RUN_FILES,
    runId,
    force: plan.force,
    resuming: plan.resume !== undefined && await sameDir(plan.resume.dir, plan.outDir),
    forceHint: "--force",
    resumeHint: `--resume ${plan.outDir}`,
  });
  const interrupt = new Interrupter(out);
  try {
    const print = printers(plan);
    const run = await runExperiment(plan.config, {
      resume: plan.resume?.checkpoint,
      stopAt: plan.stopAt,
      runId,
      saveEvery: plan.saveEvery,
      saveEverySeconds: plan.saveEvery === undefined ? DEFAULT_SAVE_SECONDS : 0,
      signal: interrupt.signal,
      onSave: (snapshot) => saveSnapshot(out.dir, snapshot),
      ...print,
      onStart: (info) => {
        requireCheckpointFits(runSize(plan.config), info.vocabSize); // with the real vocabulary
        print.onStart?.(info);
      },
    });
    interrupt.trained();
    const checkpointPath = `${out.dir}/checkpoint.json`;
    if (interrupt.signal.aborted) {
      const { step } = run.record;
      const { steps } = plan.config.train;
      throw new ExitError(
        step < steps
          ? `interrupted by ${interrupt.signalName} at step ${step} / ${steps}; saved ${checkpointPath}; ` +
            `continue with: deno task train --resume ${out.dir}`
          : `interrupted by ${interrupt.signalName} after training, before sampling; saved ${checkpointPath}; ` +
            `sample from it with deno task sample --checkpoint ${checkpointPath}`,
        interrupt.exitCode,
      );
    }
    const finished = run.record.status === "finished";
    if (finished) {
      await writeRunRecord(`${out.dir}/run.json`, run.record); // the samples, after the checkpoint
      printSamples(run);
    }
    if (plan.probe !== undefined) {
      // Our model's numbers for the first documents, from the checkpoint just saved.
      const texts = await runDocuments(plan.config, plan.probe);
      await writeProbe(`${out.dir}/probe.json`, makeProbe(run.checkpoint, texts));
      console.error(`probe: ${out.dir}/probe.json (${texts.length} documents, step ${run.record.step})`);
    }
    const figures = plots.runFigures(run.record.losses, run.checkpoint, finished);
    const written = await plots.writeRunPlots(out.dir, figures, plotFormats);
    console.error(`plots: ${written.join(" ")}`);
    if (!finished) {
      console.error(
        `stopped after step ${run.record.step} / ${plan.config.train.steps}; saved ${checkpointPath}; ` +
          `continue with: deno task train --resume ${out.dir}`,
      );
    }
  } finally {
    interrupt.dispose();
    out.release();
  }
}

/** Prints microgpt's inference lines: the samples of a finished run. */
function printSamples(run: ExperimentRun): void {
  console.log("\n--- inference (new, hallucinated names) ---");
  run.record.samples.forEach((name, i) => console.log(`sample ${formatInt(i + 1, 2)}: ${name}`));
}

/** Writes a run's checkpoint, then its record (which names the same run and step). */
async function saveSnapshot(dir: string, snapshot: RunSnapshot): Promise<void> {
  await saveCheckpoint(`${dir}/checkpoint.json`, snapshot.checkpoint);
  await writeRunRecord(`${dir}/run.json`, snapshot.record);
}

/** True when two paths name the same directory. */
async function sameDir(a: string, b: string): Promise<boolean> {
  try {
    return (await Deno.realPath(a)) === (await Deno.realPath(b));
  } catch {
    return false;
  }
}

/**
 * Ctrl-C (SIGINT) and SIGTERM for a run that saves: while it trains, the first signal stops it
 * after the current step (or the save under way), so it is saved as a resumable checkpoint and
 * the program exits with 128 + the signal's number (130, 143). A second signal while it stops,
 * or any after training is saved (sampling, plots), exits at once: every file is written
 * atomically, so none is ever half-written, and the last complete save stays.
 */
class Interrupter {
  readonly #controller = new AbortController();
  readonly #listeners: [Deno.Signal, () => void][] = [];
  #phase: "training" | "done" = "training";
  signalName: Deno.Signal = "SIGINT";

  constructor(private readonly out: OutDir) {
    for (const name of ["SIGINT", "SIGTERM"] as const) {
      const listener = () => this.#onSignal(name);
      try {
        Deno.addSignalListener(name, listener);
        this.#listeners.push([name, listener]);
      } catch {
        // a signal this platform cannot listen for (SIGTERM on Windows)
      }
    }
  }

  /** Aborted when a signal asks the run to stop. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The exit code for the signal received. */
  get exitCode(): number {
    return this.signalName === "SIGTERM" ? 143 : 130;
  }

  /** Training is over and saved: a signal now exits at once. */
  trained(): void {
    this.#phase = "done";
  }

  /** Stops listening. */
  dispose(): void {
    for (const [name, listener] of this.#listeners) Deno.removeSignalListener(name, listener);
  }

  #onSignal(name: Deno.Signal): void {
    if (this.#phase !== "done" && !this.#controller.signal.aborted) {
      // The first signal while training (or saving along the way): stop after this step.
      this.signalName = name;
      this.#controller.abort();
      return;
    }
    const where = `${this.out.dir}/checkpoint.json`;
    console.error(
      this.#phase === "done"
        ? `error: interrupted by ${name} after training; the run is saved in ${where} ` +
          `(sample from it with deno task sample --checkpoint ${where})`
        : `error: interrupted by ${name} again while stopping; the last complete save is ${where}`,
    );
    this.signalName = name;
    this.out.release();
    Deno.exit(this.exitCode);
  }
}

/** The flags that need `--out DIR` (or `--resume DIR`), and what they would write there. */
const NEED_OUT = [
  ["plots", "the plots"],
  ["force", "the run"],
  ["save-every", "the run"],
  ["probe", "the probe"],
] as const;

/** Checks every flag and reads the checkpoint to resume, so a bad flag never costs a training run. */
async function planRun(flags: Flags): Promise<Plan> {
  const outDir = flags.out ?? flags.resume;
  if (flags["stop-at"] !== undefined && outDir === undefined) {
    throw new UsageError("--stop-at needs --out DIR to save the checkpoint in; add --out DIR");
  }
  for (const [name, what] of NEED_OUT) {
    if (flags[name] !== undefined && outDir === undefined) {
      throw new UsageError(`--${name} needs --out DIR to write ${what} in; add --out DIR`);
    }
  }
  const saveEvery = flags["save-every"];
  if (saveEvery !== undefined && saveEvery < 0) {
    throw new UsageError(`--save-every must be 0 (only at the end) or a number of steps, got ${saveEvery}`);
  }
  const probe = flags.probe;
  if (probe !== undefined && probe < 1) {
    throw new UsageError(`--probe must be a positive number of documents, got ${probe}; try --probe 50`);
  }
  const plan = { stopAt: flags["stop-at"], outDir, saveEvery, probe, force: flags.force === true };
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
    // A run PyTorch trained (engine `torch`) continues on the fast engine unless --engine says.
    engine: flags.engine === undefined ? runnableEngine(was.engine) : engineName(flags.engine),
  });
  const engineNote = isEngineName(was.engine) || flags.engine !== undefined
    ? ""
    : `; trained by ${FOREIGN_ENGINES[was.engine]}, it continues on the ${config.engine} engine ` +
      "(--engine picks another)";
  return { ...plan, config, resume: { dir: flags.resume, checkpoint, engineNote } };
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
          `resuming ${plan.resume.dir}/checkpoint.json at step ${info.startStep} / ${info.numSteps}` +
            plan.resume.engineNote,
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

if (import.meta.main) await runCli(() => main(Deno.args), FLAGS);
