/**
 * The Web Worker behind `runSweep`: receives one job at a time (an experiment config and
 * the dataset's bytes), runs it with `runExperiment` and posts back its record. A run
 * depends only on its config and data, so which worker runs it never changes the result.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { runExperiment } from "./experiment.ts";
import type { ExperimentConfig, RunRecord } from "./run_record.ts";

/** A job sent to a sweep worker. */
export interface SweepJob {
  /** The run's index in the sweep; the reply carries it back. */
  index: number;
  config: ExperimentConfig;
  /** The dataset's bytes (the main thread reads each file once). */
  data: Uint8Array;
}

/** A sweep worker's reply: the record, or the run's error as one line. */
export type SweepReply =
  | { kind: "done"; index: number; record: RunRecord }
  | { kind: "error"; index: number; message: string; usage: boolean };

/** The part of a worker's global scope this module uses. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<SweepJob>) => void) | null;
  postMessage(message: SweepReply): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async (event: MessageEvent<SweepJob>) => {
  const { index, config, data } = event.data;
  try {
    const { record } = await runExperiment(config, { data });
    scope.postMessage({ kind: "done", index, record });
  } catch (err) {
    const usage = err instanceof UsageError;
    const message = usage ? err.message : String((err as Error).stack ?? err);
    scope.postMessage({ kind: "error", index, message, usage });
  }
};
