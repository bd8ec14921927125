/**
 * `deno task sweep`: trains one run per seed (and per combination of listed settings) in
 * parallel workers, prints a results table and a mean ± std summary, and with `--out DIR`
 * writes every run record. Stdout depends only on the runs, never on timing or workers;
 * progress and timings go to stderr.
 *
 * @module
 */

import { exactJson, writeTextFileAtomic } from "../lib/experiment/json_file.ts";
import { UsageError } from "../lib/errors.ts";
import { formatFixed } from "../lib/format.ts";
import { DEFAULT_DATA_PATH, type ExperimentOverrides, finalLoss, writeRunRecord } from "../lib/experiment/run_record.ts";
import { DEFAULT_VALIDATION } from "../lib/experiment/split.ts";
import {
  groupTable,
  runSweep,
  sweepConfigs,
  type SweepGrid,
  type SweepSetting,
  sweepTable,
} from "../lib/experiment/sweep.ts";
import { ENGINE_NAMES } from "../lib/train.ts";
import { type FlagSpec, formatHelp, parseFlags, runCli } from "./args.ts";

/** Grid flags: each takes one value or a comma-separated list. */
const GRID_FLAGS: { flag: string; setting: SweepSetting; integer: boolean; help: string }[] = [
  { flag: "steps", setting: "steps", integer: true, help: "training steps" },
  { flag: "n-embd", setting: "nEmbd", integer: true, help: "embedding width" },
  { flag: "n-head", setting: "nHead", integer: true, help: "attention heads" },
  { flag: "n-layer", setting: "nLayer", integer: true, help: "transformer layers" },
  { flag: "block-size", setting: "blockSize", integer: true, help: "context length" },
  { flag: "lr", setting: "learningRate", integer: false, help: "Adam learning rate" },
  { flag: "temperature", setting: "temperature", integer: false, help: "sampling temperature" },
];

const DEFAULT_SEEDS = "1..5";
const DEFAULT_ENGINE = "fast";

const FLAGS: FlagSpec[] = [
  {
    name: "seeds",
    kind: "string",
    metavar: "LIST",
    help: "seeds, as 1,2,3 or a range 1..5",
    defaultText: DEFAULT_SEEDS,
  },
  {
    name: "data",
    kind: "string",
    metavar: "PATH",
    help: "text file, one document per line",
    defaultText: DEFAULT_DATA_PATH,
  },
  ...GRID_FLAGS.map(({ flag, help }): FlagSpec => ({
    name: flag,
    kind: "string",
    metavar: "LIST",
    help: `${help}: one value, or a comma-separated list to sweep over`,
    defaultText: "as deno task train",
  })),
  { name: "samples", kind: "int", metavar: "N", help: "documents to sample per run", defaultText: "20" },
  {
    name: "engine",
    kind: "string",
    metavar: "NAME",
    help: `training engine: ${ENGINE_NAMES.join(" or ")} (same numbers)`,
    defaultText: DEFAULT_ENGINE,
  },
  {
    name: "val-fraction",
    kind: "number",
    metavar: "F",
    help: "hold out the last F of the shuffled documents; report validation loss",
    defaultText: "off",
  },
  {
    name: "val-every",
    kind: "int",
    metavar: "K",
    help: "measure validation loss every K steps",
    defaultText: String(DEFAULT_VALIDATION.every),
  },
  {
    name: "val-docs",
    kind: "int",
    metavar: "N",
    help: "measure it on the first N held-out documents",
    defaultText: String(DEFAULT_VALIDATION.maxDocs),
  },
  {
    name: "workers",
    kind: "int",
    metavar: "N",
    help: "parallel workers",
    defaultText: "number of cores, at most one per run",
  },
  {
    name: "out",
    kind: "string",
    metavar: "DIR",
    help: "write DIR/sweep.json (all records) and DIR/run-NNN.json (one per run)",
  },
];

const USAGE = "Usage: deno task sweep [flags]";
const DESCRIPTION =
  "Trains one run per seed and per combination of the listed settings, in parallel workers,\n" +
  "then prints one row per run and the mean ± std of the final loss over seeds.\n" +
  "Example: deno task sweep --seeds 1..5 --steps 500 --lr 0.01,0.003";

/**
 * Parses `1,2,3` or `1..5` (integers, inclusive) or `0.01,0.003` into numbers.
 *
 * @example
 * ```ts
 * import { parseList } from "./sweep.ts";
 * console.log(parseList("1..3", "seeds", true), parseList("0.01, 0.003", "lr", false)); // [1, 2, 3] [0.01, 0.003]
 * ```
 */
export function parseList(text: string, flag: string, integer: boolean): number[] {
  const range = /^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$/.exec(text);
  if (range) {
    if (!integer) throw new UsageError(`--${flag} takes a comma-separated list, not a range, got '${text}'`);
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (to < from) throw new UsageError(`--${flag} range ${text} is empty; write it low..high`);
    if (to - from >= 1000) throw new UsageError(`--${flag} range ${text} has over 1000 values; narrow it`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  return text.split(",").map((part) => {
    const trimmed = part.trim();
    const value = trimmed === "" ? NaN : Number(trimmed);
    if (integer ? !Number.isSafeInteger(value) : !Number.isFinite(value)) {
      throw new UsageError(
        `--${flag} needs ${integer ? "integers" : "numbers"} separated by commas${
          integer ? " (or a range like 1..5)" : ""
        }, got '${text}'`,
      );
    }
    return value;
  });
}

/** Left-aligned text columns, two spaces apart. */
function formatColumns(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd()).join("\n");
}

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, FLAGS, "deno task sweep");
  if (flags.help) {
    console.log(formatHelp(USAGE, DESCRIPTION, FLAGS));
    return;
  }
  const seeds = parseList((flags.seeds as string | undefined) ?? DEFAULT_SEEDS, "seeds", true);
  const grid: SweepGrid = {};
  for (const { flag, setting, integer } of GRID_FLAGS) {
    const text = flags[flag] as string | undefined;
    if (text !== undefined) grid[setting] = parseList(text, flag, integer);
  }
  const engine = (flags.engine as string | undefined) ?? DEFAULT_ENGINE;
  const engineName = ENGINE_NAMES.find((e) => e === engine);
  if (engineName === undefined) {
    throw new UsageError(`unknown engine '${engine}'; use --engine ${ENGINE_NAMES.join(" or ")}`);
  }
  const valFraction = flags["val-fraction"] as number | undefined;
  if (valFraction === undefined && (flags["val-every"] !== undefined || flags["val-docs"] !== undefined)) {
    throw new UsageError("--val-every and --val-docs need --val-fraction F to hold documents out; add it");
  }
  const base: ExperimentOverrides = {
    dataPath: (flags.data as string | undefined) ?? DEFAULT_DATA_PATH,
    sample: { numSamples: flags.samples as number | undefined },
    validation: valFraction === undefined ? null : {
      fraction: valFraction,
      every: flags["val-every"] as number | undefined,
      maxDocs: flags["val-docs"] as number | undefined,
    },
    engine: engineName,
  };
  // Checks every run's settings before any work starts.
  const configs = sweepConfigs({ base, seeds, grid });
  const outDir = flags.out as string | undefined;
  if (outDir !== undefined) {
    try {
      await Deno.mkdir(outDir, { recursive: true });
    } catch (err) {
      throw new UsageError(
        `cannot create output directory ${outDir}: ${(err as Error).message}; pick another --out`,
      );
    }
  }

  const records = await runSweep(configs, {
    workers: flags.workers as number | undefined,
    onRun: (record, index, finished, total) => {
      console.error(
        `[${finished}/${total}] run ${index + 1} (seed ${record.config.seed}): final loss ${
          formatFixed(finalLoss(record), 4)
        }, ${record.timings.trainSeconds.toFixed(2)} s`,
      );
    },
  });

  const table = sweepTable(records);
  const settingNames = Object.keys(table[0].settings) as SweepSetting[];
  const hasVal = table.some((r) => r.valLoss !== null);
  const flagOf = (setting: SweepSetting): string => GRID_FLAGS.find((g) => g.setting === setting)!.flag;
  const header = [
    "run",
    "seed",
    ...settingNames.map(flagOf),
    "final loss",
    ...(hasVal ? ["val loss"] : []),
    "samples",
  ];
  const rows = table.map((r) => [
    String(r.run),
    String(r.seed),
    ...settingNames.map((s) => String(r.settings[s])),
    formatFixed(r.finalLoss, 4),
    ...(hasVal ? [r.valLoss === null ? "-" : formatFixed(r.valLoss, 4)] : []),
    r.samples.slice(0, 5).join(", "),
  ]);
  console.log(formatColumns([header, ...rows]));
  console.log("");
  const groups = groupTable(records);
  const groupHeader = [
    ...settingNames.map(flagOf),
    "runs",
    "final loss (mean ± std)",
    ...(hasVal ? ["val loss (mean ± std)"] : []),
  ];
  const groupRows = groups.map((g) => [
    ...settingNames.map((s) => String(g.settings[s])),
    String(g.runs),
    `${formatFixed(g.finalLossMean, 4)} ± ${formatFixed(g.finalLossStd, 4)}`,
    ...(hasVal
      ? [g.valLossMean === null ? "-" : `${formatFixed(g.valLossMean, 4)} ± ${formatFixed(g.valLossStd!, 4)}`]
      : []),
  ]);
  console.log(formatColumns([groupHeader, ...groupRows]));

  if (outDir !== undefined) {
    const width = Math.max(3, String(records.length).length);
    for (let i = 0; i < records.length; i++) {
      await writeRunRecord(`${outDir}/run-${String(i + 1).padStart(width, "0")}.json`, records[i]);
    }
    await writeTextFileAtomic(
      `${outDir}/sweep.json`,
      exactJson({ format: "microgpt-sweep", version: 1, records }) + "\n",
    );
    console.error(`wrote ${outDir}/sweep.json and ${records.length} run records`);
  }
}

if (import.meta.main) await runCli(() => main(Deno.args));
