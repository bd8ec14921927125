/**
 * `deno task sweep`: trains one run per seed (and per combination of listed settings) in
 * parallel workers, prints a results table and a mean ± std summary, and with `--out DIR`
 * writes every run record. Stdout depends only on the runs, never on timing or workers;
 * progress and timings go to stderr.
 *
 * @module
 */

import { DEFAULT_DATA_PATH } from "../lib/data.ts";
import { UsageError } from "../lib/errors.ts";
import { engineList, engineName } from "../lib/experiment/engines.ts";
import {
  type ExperimentConfig,
  type ExperimentOverrides,
  finalLoss,
  type RunRecord,
  writeRunRecord,
} from "../lib/experiment/run_record.ts";
import {
  groupTable,
  runSweep,
  sweepConfigs,
  type SweepGrid,
  type SweepSetting,
  sweepTable,
  writeSweep,
} from "../lib/experiment/sweep.ts";
import { formatFixed, formatTable } from "../lib/format.ts";
import { OutDir } from "../lib/experiment/run_dir.ts";
import { type FlagValues, formatHelp, parseFlags, runCli } from "./args.ts";
import { DEFAULT_ENGINE, listFlag, pickFlags } from "./flags.ts";

const FLAGS = {
  ...pickFlags(["seeds", "data"]),
  // The grid: each takes one value or a list, and sweeps the setting its field names.
  steps: listFlag("steps", "training steps"),
  "n-embd": listFlag("n-embd", "embedding width"),
  "n-head": listFlag("n-head", "attention heads"),
  "n-layer": listFlag("n-layer", "transformer layers"),
  "block-size": listFlag("block-size", "context length"),
  lr: listFlag("lr", "Adam learning rate"),
  "batch-size": listFlag("batch-size", "documents per step"),
  temperature: listFlag("temperature", "sampling temperature"),
  ...pickFlags(["samples", "engine", "val-fraction", "val-every", "val-docs", "workers", "out", "force"], {
    samples: { help: "documents to sample per run" },
    engine: { help: `training engine: ${engineList()} (same numbers)` },
    "val-fraction": { help: "hold out the last F of the shuffled documents; report validation loss" },
    "val-every": { help: "measure validation loss every K steps" },
    "val-docs": { help: "measure it on the first N held-out documents" },
    out: { help: "write DIR/sweep.json (all records) and DIR/run-NNN.json (one per run)" },
    force: { help: "with --out: replace the sweep already in DIR (without it, such a DIR is refused)" },
  }),
};

/** The grid flags, in table order; each sweeps the setting its `field` names. */
const GRID_FLAGS = [
  "steps",
  "n-embd",
  "n-head",
  "n-layer",
  "block-size",
  "lr",
  "batch-size",
  "temperature",
] as const;

type Flags = FlagValues<typeof FLAGS>;

const USAGE = "Usage: deno task sweep [flags]";
const DESCRIPTION =
  "Trains one run per seed and per combination of the listed settings, in parallel workers,\n" +
  "then prints one row per run and the mean ± std of the final loss over seeds.\n" +
  "Example: deno task sweep --seeds 1..5 --steps 500 --lr 0.01,0.003";

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, FLAGS, "deno task sweep");
  if (flags.help) {
    console.log(formatHelp(USAGE, DESCRIPTION, FLAGS));
    return;
  }
  // Checks every run's settings before any work starts.
  const configs = sweepConfigs({
    base: baseFromFlags(flags),
    seeds: flags.seeds ?? [1, 2, 3, 4, 5],
    grid: gridFromFlags(flags),
  });
  if (flags.force !== undefined && flags.out === undefined) {
    throw new UsageError("--force needs --out DIR to write the sweep in; add --out DIR");
  }
  const out = flags.out === undefined ? undefined : await OutDir.claim(flags.out, {
    files: ["sweep.json"],
    filePattern: /^run-\d+\.json$/,
    runId: null,
    force: flags.force === true,
    forceHint: "--force",
  });
  try {
    await sweep(configs, flags, out);
  } finally {
    out?.release();
  }
}

/** Runs the sweep, prints its tables and writes its files into `out`. */
async function sweep(configs: ExperimentConfig[], flags: Flags, out: OutDir | undefined): Promise<void> {
  const records = await runSweep(configs, {
    workers: flags.workers,
    onRun: (record, index, finished, total) => {
      console.error(
        `[${finished}/${total}] run ${index + 1} (seed ${record.config.seed}): final loss ${
          formatFixed(finalLoss(record), 4)
        }, ${record.timings.trainSeconds.toFixed(2)} s`,
      );
    },
  });
  printTables(records);
  if (out !== undefined) await writeOutputs(out.dir, records);
}

/** The settings every run shares. */
function baseFromFlags(flags: Flags): ExperimentOverrides {
  const valFraction = flags["val-fraction"];
  if (valFraction === undefined && (flags["val-every"] !== undefined || flags["val-docs"] !== undefined)) {
    throw new UsageError("--val-every and --val-docs need --val-fraction F to hold documents out; add it");
  }
  return {
    dataPath: flags.data ?? DEFAULT_DATA_PATH,
    sample: { numSamples: flags.samples },
    validation: valFraction === undefined
      ? null
      : { fraction: valFraction, every: flags["val-every"], maxDocs: flags["val-docs"] },
    engine: engineName(flags.engine ?? DEFAULT_ENGINE),
  };
}

/** The values each grid flag lists. */
function gridFromFlags(flags: Flags): SweepGrid {
  const grid: SweepGrid = {};
  for (const name of GRID_FLAGS) {
    const values = flags[name];
    if (values !== undefined) grid[FLAGS[name].field] = values;
  }
  return grid;
}

/** Prints one row per run, then the mean ± std of each combination of settings. */
function printTables(records: readonly RunRecord[]): void {
  const table = sweepTable(records);
  const settingNames = Object.keys(table[0].settings) as SweepSetting[];
  const hasVal = table.some((r) => r.valLoss !== null);
  const flagOf = (setting: SweepSetting): string => GRID_FLAGS.find((name) => FLAGS[name].field === setting)!;
  const runRows = table.map((r) => [
    String(r.run),
    String(r.seed),
    ...settingNames.map((s) => String(r.settings[s])),
    formatFixed(r.finalLoss, 4),
    ...(hasVal ? [r.valLoss === null ? "-" : formatFixed(r.valLoss, 4)] : []),
    r.samples.slice(0, 5).join(", "),
  ]);
  const runHeader = [
    "run",
    "seed",
    ...settingNames.map(flagOf),
    "final loss",
    ...(hasVal ? ["val loss"] : []),
    "samples",
  ];
  console.log(formatTable(runHeader, runRows));
  console.log("");
  const groupRows = groupTable(records).map((g) => [
    ...settingNames.map((s) => String(g.settings[s])),
    String(g.runs),
    `${formatFixed(g.finalLossMean, 4)} ± ${formatFixed(g.finalLossStd, 4)}`,
    ...(hasVal
      ? [g.valLossMean === null ? "-" : `${formatFixed(g.valLossMean, 4)} ± ${formatFixed(g.valLossStd!, 4)}`]
      : []),
  ]);
  const groupHeader = [
    ...settingNames.map(flagOf),
    "runs",
    "final loss (mean ± std)",
    ...(hasVal ? ["val loss (mean ± std)"] : []),
  ];
  console.log(formatTable(groupHeader, groupRows));
}

/** Writes `DIR/run-NNN.json` for each run and `DIR/sweep.json` with them all. */
async function writeOutputs(outDir: string, records: readonly RunRecord[]): Promise<void> {
  const width = Math.max(3, String(records.length).length);
  for (let i = 0; i < records.length; i++) {
    await writeRunRecord(`${outDir}/run-${String(i + 1).padStart(width, "0")}.json`, records[i]);
  }
  await writeSweep(`${outDir}/sweep.json`, records);
  console.error(`wrote ${outDir}/sweep.json and ${records.length} run records`);
}

if (import.meta.main) await runCli(() => main(Deno.args), FLAGS);
