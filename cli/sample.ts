/**
 * `deno task sample`: generates documents from a checkpoint written by
 * `deno task train --out DIR`, without the dataset. Without `--seed` it continues the run's
 * own generator, so a finished run's checkpoint prints exactly the samples the run printed.
 *
 * @module
 */

import { UsageError } from "../lib/errors.ts";
import { loadCheckpoint, sampleFromCheckpoint } from "../lib/experiment/checkpoint.ts";
import { formatInt } from "../lib/format.ts";
import { formatHelp, parseFlags, runCli } from "./args.ts";
import { pickFlags } from "./flags.ts";

const FLAGS = pickFlags(["checkpoint", "samples", "temperature", "seed", "prefix"], {
  samples: { help: "documents to sample", defaultText: "the run's setting" },
  temperature: {
    help: "sampling temperature: below 1 sharper, above 1 more varied",
    defaultText: "the run's setting",
  },
  seed: { help: "seed a fresh generator", defaultText: "continue the run's generator" },
});

const USAGE = "Usage: deno task sample --checkpoint FILE [flags]";
const DESCRIPTION =
  "Samples new documents from a trained model's checkpoint, one `sample  i: text` line each.";

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, FLAGS, "deno task sample");
  if (flags.help) {
    console.log(formatHelp(USAGE, DESCRIPTION, FLAGS));
    return;
  }
  const path = flags.checkpoint;
  if (path === undefined) {
    throw new UsageError(
      "--checkpoint FILE is required: the checkpoint.json that deno task train --out DIR wrote",
    );
  }
  const checkpoint = await loadCheckpoint(path);
  const names = sampleFromCheckpoint(checkpoint, {
    numSamples: flags.samples,
    temperature: flags.temperature,
    seed: flags.seed,
    prefix: flags.prefix,
  });
  const width = Math.max(2, String(names.length).length);
  names.forEach((name, i) => console.log(`sample ${formatInt(i + 1, width)}: ${name}`));
}

if (import.meta.main) await runCli(() => main(Deno.args), FLAGS);
