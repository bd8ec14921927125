/**
 * The error types for mistakes a user can make (bad data, settings, checkpoints): the message
 * is a single line naming the problem and the fix, fit to print as is. A `ConfigError` names
 * the config fields it is about (`nEmbd`), so a command line can name its flags instead.
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
 * const err = new UsageError("data file not found: names.txt; give a text file, one document per line");
 * console.log(err.message);
 * ```
 */
export class UsageError extends Error {
  /** The error's name, `UsageError`. */
  override name = "UsageError";
}

/** How a `ConfigError` names a field: the identity for the library, a flag's name for a CLI. */
export type FieldNamer = (field: string) => string;

/**
 * A UsageError about settings, written once with its fields as placeholders: the library's
 * message names the config fields (`nEmbd must be a positive integer, got 0; set nEmbd to 1
 * or more`), and `messageWith` writes it with other names for them (a CLI's `--n-embd`).
 *
 * @example
 * ```ts
 * import { ConfigError } from "./errors.ts";
 * const err = new ConfigError(["nEmbd"], (n) => `${n("nEmbd")} must be a positive integer, got 0`);
 * console.log(err.message); // nEmbd must be a positive integer, got 0
 * console.log(err.messageWith((field) => field === "nEmbd" ? "--n-embd" : field)); // --n-embd must be ...
 * ```
 */
export class ConfigError extends UsageError {
  /** The error's name, `ConfigError`. */
  override name = "ConfigError";
  readonly #render: (name: FieldNamer) => string;

  /** `fields`: the config fields the message is about; `render` writes it with `name(field)` for each. */
  constructor(readonly fields: readonly string[], render: (name: FieldNamer) => string) {
    super(render((field) => field));
    this.#render = render;
  }

  /** The message with every field named by `name`. */
  messageWith(name: FieldNamer): string {
    return this.#render(name);
  }
}
