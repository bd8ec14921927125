/**
 * Sweeps: many runs (several seeds, optionally a grid of settings) trained in parallel Web
 * Workers across the cores. Each run is fully determined by its own config and data, and
 * the records come back in run order, so the result never depends on the number of
 * workers or on which finishes first. Helpers summarise the records in result tables, and
 * `writeSweep` / `readSweep` keep them in one `sweep.json`.
 *
 * @module
 */

import { batchSizeOf } from "../config.ts";
import { readDataFile } from "../data.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { formatBytes, memoryBudget } from "../memory.ts";
import { meanStd } from "../stats.ts";
import { exactJson, readJsonFile, validateJson, writeTextFileAtomic } from "./json_file.ts";
import {
  checkConfigValues,
  type ExperimentConfig,
  experimentConfig,
  type ExperimentOverrides,
  finalLoss,
  type RunRecord,
  validateExperimentConfig,
} from "./run_record.ts";
import { SweepFileSchema } from "./schemas.ts";
import type { SweepJob, SweepReply } from "./sweep_worker.ts";

/** The settings a grid can vary (seeds are varied separately). */
export type SweepSetting =
  | "nEmbd"
  | "nHead"
  | "nLayer"
  | "blockSize"
  | "steps"
  | "learningRate"
  | "batchSize"
  | "temperature";

/** Every grid setting, in the order tables show them. */
export const SWEEP_SETTINGS: readonly SweepSetting[] = [
  "nEmbd",
  "nHead",
  "nLayer",
  "blockSize",
  "steps",
  "learningRate",
  "batchSize",
  "temperature",
];

/** Values to try per setting; the sweep runs every combination. */
export type SweepGrid = Partial<Record<SweepSetting, readonly number[]>>;

/** A sweep: the base settings, the seeds, and optionally a grid. */
export interface SweepSpec {
  /** Settings shared by every run (defaults: the reference run). */
  base?: ExperimentOverrides;
  /** Each combination of grid values runs once per seed. */
  seeds: readonly number[];
  /** Values to try per setting (none: only the seeds vary). */
  grid?: SweepGrid;
}

/** The value of a grid setting in a config. */
export function settingOf(config: ExperimentConfig, setting: SweepSetting): number {
  switch (setting) {
    case "steps":
    case "learningRate":
      return config.train[setting];
    case "batchSize":
      return batchSizeOf(config.train);
    case "temperature":
      return config.sample.temperature;
    default:
      return config.model[setting];
  }
}

function withSetting(config: ExperimentConfig, setting: SweepSetting, value: number): ExperimentConfig {
  switch (setting) {
    case "steps":
    case "learningRate":
    case "batchSize":
      return { ...config, train: { ...config.train, [setting]: value } };
    case "temperature":
      return { ...config, sample: { ...config.sample, temperature: value } };
    default:
      return { ...config, model: { ...config.model, [setting]: value } };
  }
}

/**
 * The configs of a sweep, in run order: grid combinations in order (the first setting
 * changes slowest), and within each combination the seeds in the order given.
 *
 * @example
 * ```ts
 * import { sweepConfigs } from "./sweep.ts";
 * const configs = sweepConfigs({ seeds: [1, 2], grid: { learningRate: [0.01, 0.003] } });
 * console.log(configs.map((c) => `${c.train.learningRate}/${c.seed}`)); // ["0.01/1", "0.01/2", "0.003/1", "0.003/2"]
 * ```
 */
export function sweepConfigs(spec: SweepSpec): ExperimentConfig[] {
  if (spec.seeds.length === 0) {
    throw new ConfigError(["seeds"], (n) => `a sweep needs at least one seed; pass ${n("seeds")} 1,2,3`);
  }
  const base = experimentConfig(spec.base);
  requireSweepFits(spec, base);
  let combos: ExperimentConfig[] = [base];
  for (const setting of SWEEP_SETTINGS) {
    const values = spec.grid?.[setting];
    if (values === undefined) continue;
    if (values.length === 0) {
      throw new ConfigError([setting], (n) => `the grid's ${n(setting)} has no values; give at least one`);
    }
    combos = combos.flatMap((c) => values.map((v) => withSetting(c, setting, v)));
  }
  const configs = combos.flatMap((c) => spec.seeds.map((seed) => ({ ...c, seed })));
  for (const config of configs) validateExperimentConfig(config);
  return configs;
}

/** Bytes a sweep keeps per run besides its losses (config, samples, timings), and per loss. */
const RECORD_BYTES = 16e3;
const LOSS_BYTES = 64;

/**
 * Throws a ConfigError unless every record of the sweep fits in memory (they are all kept, to
 * be summarised and written): counted before a single config is made, so a sweep of a million
 * runs is refused at once. Names the longest list: the seeds or a grid setting.
 */
function requireSweepFits(spec: SweepSpec, base: ExperimentConfig): void {
  const lists: [string, number][] = [["seeds", spec.seeds.length]];
  for (const setting of SWEEP_SETTINGS) {
    const values = spec.grid?.[setting];
    if (values !== undefined) lists.push([setting, values.length]);
  }
  const runs = lists.reduce((product, [, count]) => product * count, 1);
  const steps = Math.max(base.train.steps, ...(spec.grid?.steps ?? []));
  const bytes = runs * (RECORD_BYTES + steps * LOSS_BYTES);
  const budget = memoryBudget();
  if (bytes <= budget) return;
  const [longest] = lists.reduce((a, b) => (b[1] > a[1] ? b : a));
  throw new ConfigError(
    lists.map(([field]) => field),
    (n) =>
      `a sweep of ${runs} runs (${
        lists.map(([field, count]) => `${count} ${n(field)}`).join(" x ")
      }) keeps ` +
      `about ${formatBytes(bytes)} of records, more than the ${formatBytes(budget)} this process may use; ` +
      `give fewer ${n(longest)}`,
  );
}

/** The most sweep workers per core (`runSweep`). */
export const MAX_WORKERS_PER_CORE = 4;

/** Options of `runSweep`. */
export interface SweepOptions {
  /** Parallel workers (default: the number of cores, at most one per run). */
  workers?: number;
  /** Called as each run finishes (in completion order), with how many have finished. */
  onRun?: (record: RunRecord, index: number, finished: number, total: number) => void;
}

/**
 * Trains every run of a sweep in parallel workers and returns the records in run order.
 * Takes a `SweepSpec` or a list of configs. Each distinct data file is read once, here.
 * A run that fails stops the sweep with its error.
 *
 * @example
 * ```ts ignore
 * const records = await runSweep({
 *   base: { dataPath: "../data/names.txt", train: { steps: 300 }, engine: "fast" },
 *   seeds: [1, 2, 3, 4, 5],
 * });
 * const band = lossBand(records, { window: 20 });
 * ```
 */
export async function runSweep(
  sweep: SweepSpec | readonly ExperimentConfig[],
  options: SweepOptions = {},
): Promise<RunRecord[]> {
  const configs = isConfigList(sweep) ? [...sweep] : sweepConfigs(sweep);
  for (const config of configs) validateExperimentConfig(config);
  if (configs.length === 0) return [];
  const cores = typeof navigator !== "undefined" && navigator.hardwareConcurrency > 0
    ? navigator.hardwareConcurrency
    : 1;
  const numWorkers = options.workers ?? Math.min(cores, configs.length);
  if (!Number.isSafeInteger(numWorkers) || numWorkers < 1) {
    throw new ConfigError(
      ["workers"],
      (n) =>
        `${n("workers")} must be a positive integer, got ${numWorkers}; set ${n("workers")} to 1 or more`,
    );
  }
  // Each worker is a V8 isolate of its own (tens of MB before it trains anything), and workers
  // beyond the cores only wait for them: a few per core is plenty.
  const maxWorkers = MAX_WORKERS_PER_CORE * cores;
  if (numWorkers > maxWorkers) {
    throw new ConfigError(
      ["workers"],
      (n) =>
        `${n("workers")} ${numWorkers} is more than ${MAX_WORKERS_PER_CORE} per core (${cores} cores): the ` +
        `extra workers would only cost memory; set ${n("workers")} to ${cores} or fewer`,
    );
  }
  const dataByPath = new Map<string, Uint8Array>();
  for (const config of configs) {
    if (!dataByPath.has(config.dataPath)) {
      dataByPath.set(config.dataPath, await readDataFile(config.dataPath));
    }
  }

  const records: (RunRecord | undefined)[] = new Array(configs.length);
  const workers: Worker[] = [];
  let next = 0;
  let finished = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const give = (worker: Worker): void => {
        if (next >= configs.length) return;
        const index = next++;
        const config = configs[index];
        const job: SweepJob = { index, config, data: dataByPath.get(config.dataPath)! };
        worker.postMessage(job);
      };
      const count = Math.min(numWorkers, configs.length);
      for (let w = 0; w < count; w++) {
        const worker = new Worker(new URL("./sweep_worker.ts", import.meta.url).href, { type: "module" });
        workers.push(worker);
        worker.onmessage = (event: MessageEvent<SweepReply>) => {
          const reply = event.data;
          if (reply.kind === "error") {
            const what = `run ${reply.index + 1} (seed ${configs[reply.index].seed})`;
            reject(
              reply.usage
                ? new UsageError(`${what}: ${reply.message}`)
                : new Error(`${what}: ${reply.message}`),
            );
            return;
          }
          records[reply.index] = reply.record;
          finished++;
          options.onRun?.(reply.record, reply.index, finished, configs.length);
          if (finished === configs.length) resolve();
          else give(worker);
        };
        worker.onerror = (event: ErrorEvent) => {
          event.preventDefault();
          reject(new Error(`a sweep worker failed: ${event.message}`));
        };
        give(worker);
      }
    });
  } finally {
    for (const worker of workers) worker.terminate();
  }
  return records as RunRecord[];
}

function isConfigList(sweep: SweepSpec | readonly ExperimentConfig[]): sweep is readonly ExperimentConfig[] {
  return Array.isArray(sweep);
}

// --- summaries -------------------------------------------------------------------------

/** The grid settings whose values differ between records (what a table should show). */
export function varyingSettings(records: readonly RunRecord[]): SweepSetting[] {
  return SWEEP_SETTINGS.filter((s) => new Set(records.map((r) => settingOf(r.config, s))).size > 1);
}

/** One row of `sweepTable`. */
export interface SweepRow {
  /** 1-based run number. */
  run: number;
  /** The run's seed. */
  seed: number;
  /** The values of the settings that vary across the sweep. */
  settings: Partial<Record<SweepSetting, number>>;
  /** Mean training loss over the last tenth of the steps. */
  finalLoss: number;
  /** The last validation loss, or null without validation. */
  valLoss: number | null;
  /** Seconds of training. */
  seconds: number;
  /** The run's sampled documents. */
  samples: string[];
}

/**
 * One row per run: seed, the settings that vary, final and validation loss, time, samples.
 *
 * @example
 * ```ts ignore
 * console.table(sweepTable(records).map((r) => ({ seed: r.seed, loss: r.finalLoss.toFixed(4) })));
 * ```
 */
export function sweepTable(records: readonly RunRecord[]): SweepRow[] {
  const varying = varyingSettings(records);
  return records.map((r, i) => ({
    run: i + 1,
    seed: r.config.seed,
    settings: Object.fromEntries(varying.map((s) => [s, settingOf(r.config, s)])),
    finalLoss: finalLoss(r),
    valLoss: r.validationLosses.length > 0 ? r.validationLosses[r.validationLosses.length - 1].loss : null,
    seconds: r.timings.trainSeconds,
    samples: r.samples,
  }));
}

/** One row of `groupTable`: a combination of settings over its seeds. */
export interface SweepGroupRow {
  /** The values of the settings that vary. */
  settings: Partial<Record<SweepSetting, number>>;
  /** How many runs (seeds) the row averages. */
  runs: number;
  /** Mean final loss over the seeds. */
  finalLossMean: number;
  /** Its sample standard deviation. */
  finalLossStd: number;
  /** Over the runs' last validation losses; null without validation. */
  valLossMean: number | null;
  /** Its sample standard deviation; null without validation. */
  valLossStd: number | null;
}

/**
 * Groups runs that differ only by seed: mean ± std of final (and validation) loss per
 * combination of settings, in first-appearance order.
 *
 * @example
 * ```ts ignore
 * for (const g of groupTable(records)) console.log(g.settings, g.finalLossMean.toFixed(3), "±", g.finalLossStd.toFixed(3));
 * ```
 */
export function groupTable(records: readonly RunRecord[]): SweepGroupRow[] {
  const varying = varyingSettings(records);
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const key = JSON.stringify(varying.map((s) => settingOf(r.config, s)));
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((runs) => {
    const final = meanStd(runs.map((r) => finalLoss(r)));
    const vals = runs.filter((r) => r.validationLosses.length > 0)
      .map((r) => r.validationLosses[r.validationLosses.length - 1].loss);
    const val = vals.length > 0 ? meanStd(vals) : null;
    return {
      settings: Object.fromEntries(varying.map((s) => [s, settingOf(runs[0].config, s)])),
      runs: runs.length,
      finalLossMean: final.mean,
      finalLossStd: final.std,
      valLossMean: val?.mean ?? null,
      valLossStd: val?.std ?? null,
    };
  });
}

// --- sweep files ------------------------------------------------------------------------

/** The `format` field of a sweep file. */
export const SWEEP_FORMAT = "microgpt-sweep";

/** A sweep file's contents: every run's record, in run order. */
export interface SweepFile {
  /** Always `SWEEP_FORMAT`. */
  format: typeof SWEEP_FORMAT;
  /** The layout's version. */
  version: 1;
  /** The runs' records, in run order. */
  records: RunRecord[];
}

/**
 * Writes a sweep's records as one JSON file (e.g. `sweep.json`), atomically.
 *
 * @example
 * ```ts ignore
 * await writeSweep("out/sweep/sweep.json", records);
 * ```
 */
export async function writeSweep(path: string, records: readonly RunRecord[]): Promise<void> {
  const file: SweepFile = { format: SWEEP_FORMAT, version: 1, records: [...records] };
  await writeTextFileAtomic(path, exactJson(file) + "\n");
}

/**
 * Reads a file written by `writeSweep`, checking every record.
 *
 * @example
 * ```ts ignore
 * const records = await readSweep("out/sweep/sweep.json");
 * console.table(sweepTable(records));
 * ```
 */
export async function readSweep(path: string): Promise<RunRecord[]> {
  const fix = "pass a sweep.json that deno task sweep --out DIR wrote";
  const where = `sweep file ${path}`;
  const file = validateJson(SweepFileSchema, await readJsonFile(path, "sweep file", fix), where, fix);
  file.records.forEach((record, i) => checkConfigValues(record.config, `${where}: records[${i}]`));
  return file.records;
}
