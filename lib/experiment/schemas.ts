/**
 * The valibot schemas of the JSON files we write and read back: run records, checkpoints and
 * sweep files. A schema checks every field's type, with one-line messages that `validateJson`
 * prefixes with where the problem is (`params.wte[0][1] is not a finite number`); what ties
 * fields together (shapes against the config, lengths against the step) is checked in code
 * beside each reader. The file formats do not change: these only check them.
 *
 * The types are the documented interfaces of `run_record.ts`, `checkpoint.ts` and `sweep.ts`
 * (`deno doc` shows no npm type in the public API), and each is tied to its schema by a
 * compile-time check (`Same`): `deno check` fails the moment a schema and its type differ, so
 * the type is exactly what the schema accepts.
 *
 * valibot rather than zod: the same schema-first API with inferred types, as small functions
 * without dependencies (a fraction of zod's size to download and load), and each issue carries
 * its path as keys, which `jsonPath` writes the way the code reads.
 *
 * @module
 */

import * as v from "valibot";
import type { Checkpoint } from "./checkpoint.ts";
import { RECORDED_ENGINE_NAMES } from "./engines.ts";
import type { ExperimentConfig, RunRecord } from "./run_record.ts";
import type { SweepFile } from "./sweep.ts";

// --- pieces, with one-line messages (the path is added by `validateJson`) --------------------

/** A finite number. */
const FINITE = v.pipe(v.number("is not a finite number"), v.finite("is not a finite number"));
/** A non-negative integer (a count or a step). */
const COUNT = v.pipe(
  v.number("is not a non-negative integer"),
  v.safeInteger("is not a non-negative integer"),
  v.minValue(0, "is not a non-negative integer"),
);
/** A string. */
const TEXT = v.string("is not a string");
/** One of the engines' names (ours, or `torch`: a run PyTorch's port trained). */
const ENGINE = v.picklist(RECORDED_ENGINE_NAMES, `is not an engine (${RECORDED_ENGINE_NAMES.join(", ")})`);

/** An object schema whose own type errors read `is not an object`. */
function object<const TEntries extends v.ObjectEntries>(
  entries: TEntries,
): v.ObjectSchema<TEntries, "is not an object"> {
  return v.object(entries, "is not an object");
}

/** An array schema whose own type errors read `is not an array`. */
function array<const TItem extends v.GenericSchema>(item: TItem): v.ArraySchema<TItem, "is not an array"> {
  return v.array(item, "is not an array");
}

/**
 * `true` only when `A` and `B` are the same type (each assignable to the other): the
 * `const _x: Same<Interface, InferOutput<typeof Schema>> = true` lines below do not compile
 * when a schema and its interface differ.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// --- run records -------------------------------------------------------------------------

/** `ExperimentConfig`: field types only; `validateExperimentConfig` checks the values. */
export const ExperimentConfigSchema = object({
  seed: FINITE,
  dataPath: TEXT,
  model: object({ nEmbd: FINITE, nHead: FINITE, nLayer: FINITE, blockSize: FINITE }),
  // batchSize: absent means 1 (microgpt's step); written only by runs that set it.
  train: object({
    steps: FINITE,
    learningRate: FINITE,
    beta1: FINITE,
    beta2: FINITE,
    epsAdam: FINITE,
    batchSize: v.optional(FINITE),
  }),
  sample: object({ temperature: FINITE, numSamples: FINITE }),
  validation: v.nullable(object({ fraction: FINITE, every: FINITE, maxDocs: FINITE })),
  engine: ENGINE,
});
const _experimentConfigIsItsSchema: Same<ExperimentConfig, v.InferOutput<typeof ExperimentConfigSchema>> =
  true;

const ValidationLossSchema = object({ step: COUNT, loss: FINITE, numDocs: COUNT });
const TrainingSegmentSchema = object({
  startStep: COUNT,
  endStep: COUNT,
  seconds: FINITE,
  engine: ENGINE,
  device: v.optional(TEXT),
  processes: v.optional(COUNT),
});

/** `RunRecord`. */
export const RunRecordSchema = object({
  format: v.literal("microgpt-run", 'is not "microgpt-run"'),
  version: v.literal(1, "is not 1"),
  program: object({
    name: TEXT,
    version: TEXT,
    deno: v.optional(TEXT),
    v8: v.optional(TEXT),
    python: v.optional(TEXT),
    torch: v.optional(TEXT),
  }),
  status: v.picklist(["finished", "stopped"], 'is not "finished" or "stopped"'),
  config: ExperimentConfigSchema,
  data: object({
    path: TEXT,
    sha256: TEXT,
    numDocs: COUNT,
    numTrainDocs: COUNT,
    numValDocs: COUNT,
    vocab: TEXT,
  }),
  numParams: COUNT,
  step: COUNT,
  losses: array(FINITE),
  validationLosses: array(ValidationLossSchema),
  samples: array(TEXT),
  resumedFrom: v.nullable(COUNT),
  runId: v.optional(TEXT),
  timings: object({
    startedAt: TEXT,
    trainSeconds: FINITE,
    validationSeconds: FINITE,
    sampleSeconds: FINITE,
    totalSeconds: FINITE,
    stepsPerSecond: FINITE,
    segments: array(TrainingSegmentSchema),
  }),
  torch: v.optional(object({
    device: TEXT,
    deviceName: TEXT,
    dtype: TEXT,
    processes: COUNT,
    batchSizePerProcess: COUNT,
  })),
});
const _runRecordIsItsSchema: Same<RunRecord, v.InferOutput<typeof RunRecordSchema>> = true;

// --- checkpoints -------------------------------------------------------------------------

/** `Checkpoint`: every field's type; `parseCheckpoint` checks the fields against each other. */
export const CheckpointSchema = object({
  format: v.literal("microgpt-checkpoint", 'is not "microgpt-checkpoint"'),
  version: v.literal(1, "is not 1"),
  program: object({ name: TEXT, version: TEXT }),
  experiment: ExperimentConfigSchema,
  data: object({
    sha256: v.pipe(TEXT, v.regex(/^[0-9a-f]{64}$/, "is not a SHA-256 hex digest")),
    numDocs: v.pipe(COUNT, v.minValue(1, "is not a positive integer")),
  }),
  vocab: v.pipe(
    array(v.pipe(TEXT, v.check((ch) => [...ch].length === 1, "is not a single character"))),
    v.minLength(1, "is empty"),
  ),
  step: COUNT,
  rng: object({ mt: array(COUNT), index: COUNT, gaussNext: v.nullable(FINITE) }),
  params: v.record(v.string(), array(array(FINITE)), "is not an object"),
  adam: object({
    m: array(FINITE),
    v: array(v.pipe(FINITE, v.minValue(0, "is not a finite non-negative number"))),
  }),
  history: object({
    losses: array(FINITE),
    validationLosses: array(ValidationLossSchema),
    segments: array(TrainingSegmentSchema),
  }),
  runId: v.optional(TEXT),
  checksum: v.optional(TEXT),
});
const _checkpointIsItsSchema: Same<Checkpoint, v.InferOutput<typeof CheckpointSchema>> = true;

// --- sweep files -------------------------------------------------------------------------

/** `SweepFile`. */
export const SweepFileSchema = object({
  format: v.literal("microgpt-sweep", 'is not "microgpt-sweep"'),
  version: v.literal(1, "is not 1"),
  records: array(RunRecordSchema),
});
const _sweepFileIsItsSchema: Same<SweepFile, v.InferOutput<typeof SweepFileSchema>> = true;
