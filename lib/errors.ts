/**
 * The one error type for mistakes a user can make (bad data, flags, config, checkpoints):
 * its message is a single line naming the problem and the fix, fit to print as is.
 *
 * @module
 */

/**
 * An error caused by user input rather than by a bug. The CLI prints `error: <message>`
 * and exits non-zero; anything else is a bug and keeps its stack trace.
 *
 * @example
 * ```ts
 * import { UsageError } from "./errors.ts";
 * const err = new UsageError("--steps must be a positive integer, got -3");
 * console.log(err.message);
 * ```
 */
export class UsageError extends Error {
  override name = "UsageError";
}
