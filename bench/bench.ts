/**
 * `deno task bench`: the engines side by side, on the same work in one process. First
 * microgpt's default run (names.txt, seed 42, 1000 steps) on the Value and fast engines, then
 * per-step times as the model grows, then every engine (value, fast, tensor) at batch sizes 1
 * and 16. Prints a report; times are wall-clock, so note the machine's load (printed in the
 * header) when you compare runs.
 *
 * @module
 */

import os from "node:os";
import { DEFAULT_CONFIG, type GPTConfig } from "../lib/config.ts";
import { type Dataset, loadDataset } from "../lib/dataset.ts";
import { createEngine, ENGINE_NAMES, type EngineName } from "../lib/experiment/engines.ts";
import { timeTraining, type TrainingTiming } from "../lib/experiment/timing.ts";
import { formatTable } from "../lib/format.ts";
import { GPT } from "../lib/model.ts";
import { type ModelSync, Trainer } from "../lib/train.ts";
import { valueGraphSize } from "../lib/value_engine.ts";

const DATA_PATH = new URL("../data/names.txt", import.meta.url).pathname;
const SEED = 42;
const STEPS = 1000;
/** Timed runs of the fast engine per measurement; the best is reported (the least disturbed). */
const FAST_REPEATS = 10;
/** Roughly how long the Value engine is timed for each row of the scaling table. */
const VALUE_BUDGET_SECONDS = 1.5;

/** microgpt's freshly initialised model for `config` (the default config gives the reference run's). */
function freshModel(work: Dataset, config: GPTConfig): GPT {
  return GPT.init(config, work.tokenizer.vocabSize, work.rng.clone()); // the dataset's generator stays as it is
}

function machineLines(): string[] {
  const lines = [
    `deno ${Deno.version.deno}, v8 ${Deno.version.v8}, ${Deno.build.os} ${
      tryOr(() => Deno.osRelease(), "?")
    }`,
    `cpu: ${cpuModel()}, ${navigator.hardwareConcurrency} logical cores`,
  ];
  const load = tryOr(() => Deno.loadavg(), null);
  if (load) {
    lines.push(`load average (1, 5, 15 min): ${load.map((x) => x.toFixed(2)).join(" ")}`);
    if (load[0] > navigator.hardwareConcurrency) {
      lines.push(
        "warning: the machine is busy (more runnable tasks than cores); the times below are inflated",
      );
    }
  }
  return lines;
}

function cpuModel(): string {
  return tryOr(() => os.cpus()[0]?.model, undefined) ?? "unknown model";
}

function tryOr<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/**
 * The fastest of `repeats` timed runs of each function, each run on a fresh model; the
 * functions take turns, so a burst of load elsewhere does not fall on one of them only.
 */
function bestOf(repeats: number, runs: (() => TrainingTiming)[]): TrainingTiming[] {
  const best = runs.map((run) => run());
  for (let i = 1; i < repeats; i++) {
    runs.forEach((run, k) => {
      const t = run();
      if (t.seconds < best[k].seconds) best[k] = t;
    });
  }
  return best;
}

function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(1)} ms`;
}

function table(header: string[], rows: string[][]): string {
  return formatTable(header, rows, { align: "right", rule: true });
}

function defaultRun(work: Dataset): void {
  const fast = (modelSync: ModelSync) => () =>
    timeTraining(freshModel(work, DEFAULT_CONFIG), work.tokens, { engine: "fast", steps: STEPS, modelSync });
  // Warm-up: let the JIT compile both engines before anything is timed.
  fast("on-demand")();
  fast("every-step")();
  timeTraining(freshModel(work, DEFAULT_CONFIG), work.tokens, { engine: "value", steps: 30 });

  const value = timeTraining(freshModel(work, DEFAULT_CONFIG), work.tokens, {
    engine: "value",
    steps: STEPS,
  });
  const [onDemand, everyStep] = bestOf(FAST_REPEATS, [fast("on-demand"), fast("every-step")]);

  console.log(
    `\n## microgpt's run: ${STEPS} steps, names.txt, seed ${SEED}, n_embd 16, 1 layer, 4192 params\n`,
  );
  const row = (name: string, t: TrainingTiming) => [
    name,
    ms(t.seconds),
    t.msPerStep.toFixed(3),
    t.stepsPerSecond.toFixed(0),
    `${(value.seconds / t.seconds).toFixed(1)}x`,
  ];
  console.log(table(["engine", "training time", "ms/step", "steps/s", "speed-up"], [
    row("value", value),
    row("fast (modelSync on-demand)", onDemand),
    row("fast (modelSync every-step)", everyStep),
  ]));
  console.log(`\nfast: best of ${FAST_REPEATS} runs each, after a warm-up run; value: one run.`);
  console.log("on-demand keeps the weights in the fast engine between steps and writes them into the");
  console.log("model at the end; every-step writes them into the model's Value objects after every step");
  console.log("(the Trainer's default, for code that reads the model between steps).");

  let worst = 0;
  value.losses.forEach((loss, i) => (worst = Math.max(worst, Math.abs(loss - onDemand.losses[i]))));
  console.log(`same numbers: largest per-step loss difference between the engines ${worst.toExponential(2)}`);
  console.log(
    `final loss: value ${value.losses[STEPS - 1].toFixed(4)}, fast ${onDemand.losses[STEPS - 1].toFixed(4)}`,
  );
  const sample = work.tokens.slice(0, 50);
  const model = freshModel(work, DEFAULT_CONFIG);
  const nodes = sample.reduce((total, doc) => total + valueGraphSize(model, doc), 0) / sample.length;
  console.log(
    `the Value engine builds ${Math.round(nodes)} graph nodes per step (mean of the first 50 documents)`,
  );
}

/** Value-engine steps of `config` for about `seconds` (5 to 200 steps): how many, and ms per step. */
function timeValueWithin(
  work: Dataset,
  config: GPTConfig,
  seconds: number,
): { steps: number; msPerStep: number } {
  const model = freshModel(work, config);
  const trainer = new Trainer(model, work.tokens, { steps: 200, engine: createEngine("value", model) });
  const start = performance.now();
  while (!trainer.done && (trainer.nextStep < 5 || performance.now() - start < seconds * 1000)) {
    trainer.step();
  }
  return { steps: trainer.nextStep, msPerStep: (performance.now() - start) / trainer.nextStep };
}

function scalingTable(work: Dataset): void {
  const configs: GPTConfig[] = [
    { ...DEFAULT_CONFIG },
    { ...DEFAULT_CONFIG, nEmbd: 32 },
    { ...DEFAULT_CONFIG, nEmbd: 64 },
    { ...DEFAULT_CONFIG, nLayer: 2 },
    { ...DEFAULT_CONFIG, nLayer: 4 },
    { ...DEFAULT_CONFIG, blockSize: 32 },
  ];
  const rows: string[][] = [];
  for (const config of configs) {
    // The Value engine runs (after two warm-up steps) until the budget is spent; the fast
    // engine then trains on those same documents, repeated.
    timeTraining(freshModel(work, config), work.tokens, { engine: "value", steps: 2 });
    const value = timeValueWithin(work, config, VALUE_BUDGET_SECONDS);
    const valueSteps = value.steps;
    const docs = work.tokens.slice(0, valueSteps);
    const fastSteps = valueSteps * Math.max(1, Math.ceil(1000 / valueSteps));
    const fastRun = () =>
      timeTraining(freshModel(work, config), docs, {
        engine: "fast",
        steps: fastSteps,
        modelSync: "on-demand",
      });
    fastRun();
    const [fast] = bestOf(3, [fastRun]);
    rows.push([
      String(config.nEmbd),
      String(config.nLayer),
      String(config.blockSize),
      String(freshModel(work, config).parameters.length),
      value.msPerStep.toFixed(2),
      String(valueSteps),
      fast.msPerStep.toFixed(4),
      String(fastSteps),
      `${(value.msPerStep / fast.msPerStep).toFixed(0)}x`,
    ]);
  }
  console.log("\n## scaling: per-step time (4 heads)\n");
  console.log(table(
    [
      "n_embd",
      "n_layer",
      "block_size",
      "params",
      "value ms/step",
      "steps",
      "fast ms/step",
      "steps",
      "speed-up",
    ],
    rows,
  ));
  console.log(
    `\nEach row: the Value engine is timed on the first N documents (N = its steps, about ${VALUE_BUDGET_SECONDS} s`,
  );
  console.log("of work; fewer at the large sizes), the fast engine (modelSync on-demand, best of 3) on the");
  console.log("same documents cycled, so both see the same mix of lengths. Names are short (7 positions on");
  console.log("average), so block_size 32 changes little: a step costs what its document's length costs.");
}

/** Steps timed per engine and batch size: well under a second of work each (the Value engine's B = 16 step is ~0.3 s). */
const BATCH_STEPS: Record<EngineName, Record<number, number>> = {
  value: { 1: 150, 16: 10 },
  fast: { 1: 1000, 16: 100 },
  tensor: { 1: 1000, 16: 100 },
};
/** Timed runs of the fast and tensor engines per batch size; the best is reported. */
const BATCH_REPEATS = 5;

/** Every engine at batch sizes 1 and 16: time per step, tokens per second, and each against the tensor engine. */
function batchTable(work: Dataset): void {
  const sizes = [1, 16];
  const cases = sizes.flatMap((batchSize) => ENGINE_NAMES.map((engine) => ({ engine, batchSize })));
  const runOf = ({ engine, batchSize }: { engine: EngineName; batchSize: number }) => () =>
    timeTraining(freshModel(work, DEFAULT_CONFIG), work.tokens, {
      engine,
      steps: BATCH_STEPS[engine][batchSize],
      batchSize,
    });
  for (const c of cases) runOf(c)(); // warm-up
  // The fast and tensor runs take turns (bestOf), so a burst of load elsewhere does not fall on one of them only.
  const quick = cases.filter((c) => c.engine !== "value");
  const best = bestOf(BATCH_REPEATS, quick.map(runOf));
  const timing = (engine: EngineName, batchSize: number): TrainingTiming =>
    engine === "value"
      ? runOf({ engine, batchSize })()
      : best[quick.findIndex((c) => c.engine === engine && c.batchSize === batchSize)];
  const timings = cases.map((c) => ({ ...c, t: timing(c.engine, c.batchSize) }));
  const tokensPerSecond = (engine: EngineName, batchSize: number) =>
    timings.find((x) => x.engine === engine && x.batchSize === batchSize)!.t.tokensPerSecond;
  const ratio = (x: number): string => `${x >= 0.1 ? x.toFixed(2) : x.toPrecision(2)}x`;

  console.log("\n## minibatches: every engine at batch size 1 and 16 (microgpt's model)\n");
  console.log(table(
    ["engine", "batch", "steps", "ms/step", "docs/s", "tokens/s", "vs tensor"],
    timings.map(({ engine, batchSize, t }) => [
      engine,
      String(batchSize),
      String(t.steps),
      t.msPerStep.toFixed(3),
      (t.stepsPerSecond * batchSize).toFixed(0),
      t.tokensPerSecond.toFixed(0),
      ratio(t.tokensPerSecond / tokensPerSecond("tensor", batchSize)),
    ]),
  ));
  console.log("");
  for (const batchSize of sizes) {
    const per = (engine: EngineName) =>
      ratio(tokensPerSecond("tensor", batchSize) / tokensPerSecond(engine, batchSize));
    console.log(
      `B = ${batchSize}: the tensor engine trains ${per("value")} the value engine's tokens/s, ${
        per("fast")
      } the fast engine's`,
    );
  }
  for (const engine of ENGINE_NAMES) {
    console.log(
      `${engine} at B = 16: ${
        ratio(tokensPerSecond(engine, 16) / tokensPerSecond(engine, 1))
      } its tokens/s at B = 1`,
    );
  }
  console.log(
    "\nEach row trains microgpt's model from seed 42 on the first documents of names.txt, B per step",
  );
  console.log("(step s takes documents sB..sB+B-1); tokens/s counts the positions trained on (not padding).");
  console.log(
    `"vs tensor" is tokens/s over the tensor engine's at the same batch size. fast and tensor: best of`,
  );
  console.log(`${BATCH_REPEATS} runs, all four taking turns, after a warm-up run; value: one run.`);
}

if (import.meta.main) {
  const started = performance.now();
  console.log("# microgpt engines benchmark (deno task bench)\n");
  for (const line of machineLines()) console.log(line);
  const work = await loadDataset(DATA_PATH, SEED);
  defaultRun(work);
  scalingTable(work);
  batchTable(work);
  console.log(`\nbench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
