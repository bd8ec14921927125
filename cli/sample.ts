/**
 * `deno task sample`: generates documents from a checkpoint written by
 * `deno task train --out DIR`, without the dataset. Without `--seed` it continues the run's
 * own generator, so a finished run's checkpoint prints exactly the samples the run printed.
 *
 * @module
 */

import { loadCheckpoint, sampleFromCheckpoint } from "../lib/experiment/checkpoint.ts";
import { UsageError } from "../lib/errors.ts";
import { formatInt } from "../lib/format.ts";
import { type FlagSpec, formatHelp, parseFlags, runCli } from "./args.ts";

const FLAGS: FlagSpec[] = [
  {
    name: "checkpoint",
    kind: "string",
    metavar: "FILE",
    help: "checkpoint.json written by deno task train --out DIR (required)",
  },
  {
    name: "samples",
    kind: "int",
    metavar: "N",
    help: "documents to sample",
    defaultText: "the run's setting",
  },
  {
    name: "temperature",
    kind: "number",
    metavar: "T",
    help: "sampling temperature: below 1 sharper, above 1 more varied",
    defaultText: "the run's setting",
  },
  {
    name: "seed",
    kind: "int",
    metavar: "N",
    help: "seed a fresh generator",
    defaultText: "continue the run's generator",
  },
  {
    name: "prefix",
    kind: "string",
    metavar: "TEXT",
    help: "every document starts with TEXT (characters of the vocabulary)",
  },
];

const USAGE = "Usage: deno task sample --checkpoint FILE [flags]";
const DESCRIPTION =
  "Samples new documents from a trained model's checkpoint, one `sample  i: text` line each.";

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, FLAGS, "deno task sample");
  if (flags.help) {
    console.log(formatHelp(USAGE, DESCRIPTION, FLAGS));
    return;
  }
  const path = flags.checkpoint as string | undefined;
  if (path === undefined) {
    throw new UsageError(
      "--checkpoint FILE is required: the checkpoint.json that deno task train --out DIR wrote",
    );
  }
  const checkpoint = await loadCheckpoint(path);
  const names = sampleFromCheckpoint(checkpoint, {
    numSamples: flags.samples as number | undefined,
    temperature: flags.temperature as number | undefined,
    seed: flags.seed as number | undefined,
    prefix: flags.prefix as string | undefined,
  });
  const width = Math.max(2, String(names.length).length);
  names.forEach((name, i) => console.log(`sample ${formatInt(i + 1, width)}: ${name}`));
}

if (import.meta.main) await runCli(() => main(Deno.args));
