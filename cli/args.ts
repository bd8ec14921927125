/**
 * A small, strict, typed command-line flag parser: every flag is declared once (`FLAGS` in
 * `cli/flags.ts`) with its kind, help line and the config field it sets, so parsing, `--help`,
 * the parsed values' types and the naming of flags in error messages all come from one table.
 * Every mistake is a one-line UsageError.
 *
 * Hand-written rather than an npm parser: `node:util`'s `parseArgs` refuses a negative number
 * as a value (`--lr -0.1` is "ambiguous") and prints several lines, and the common npm
 * parsers coerce silently (`--steps 1.5`, a `--seed` without a value) or print their own
 * multi-line errors; what we need (typed values, our one-line messages, lists with ranges,
 * config fields named as flags) is this page.
 *
 * @module
 */

import { ConfigError, UsageError } from "../lib/errors.ts";

/** How a flag's value is read, and its type once parsed. */
export interface FlagKinds {
  /** A safe integer. */
  int: number;
  /** A finite number. */
  number: number;
  /** A non-empty string. */
  string: string;
  /** No value: present or not. */
  boolean: true;
  /** Integers, as `1,2,3` or a range `1..5`. */
  ints: number[];
  /** Numbers, as `0.01,0.003`. */
  numbers: number[];
}

/** One flag: `--name VALUE` (or `--name=VALUE`), or a boolean `--name`. */
export interface FlagSpec<K extends keyof FlagKinds = keyof FlagKinds> {
  kind: K;
  /** Placeholder shown in help, e.g. `N` or `PATH`. */
  metavar?: string;
  /** Help text, one line. */
  help: string;
  /** Shown as the default in help; the caller applies defaults. */
  defaultText?: string;
  /** The config field the flag sets (`nEmbd`, `validation.fraction`): errors about it name the flag. */
  field?: string;
}

/** A program's flags, by name without dashes (`n-embd`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Parsed values by flag name, typed by each flag's kind; an absent flag is undefined. */
export type FlagValues<S extends FlagSpecs> =
  & { -readonly [K in keyof S]?: FlagKinds[S[K]["kind"]] }
  & { help?: true };

/**
 * Parses `args` against `specs`. Unknown flags, missing values, malformed numbers and
 * positional arguments are UsageErrors that name the fix.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./args.ts";
 * const specs = { steps: { kind: "int", help: "steps" }, lr: { kind: "numbers", help: "rates" } } as const;
 * const flags = parseFlags(["--steps", "300", "--lr=0.01,0.003"], specs, "deno task x");
 * console.log(flags.steps, flags.lr); // 300 [0.01, 0.003]
 * ```
 */
export function parseFlags<const S extends FlagSpecs>(
  args: readonly string[],
  specs: S,
  program: string,
): FlagValues<S> {
  const parsed: Record<string, FlagKinds[keyof FlagKinds]> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-h" || arg === "--help") {
      parsed.help = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      throw new UsageError(`unexpected argument '${arg}'; flags start with -- (see ${program} --help)`);
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) throw new UsageError(`unknown flag --${name}; see ${program} --help for the flags`);
    if (spec.kind === "boolean") {
      if (eq !== -1) throw new UsageError(`--${name} takes no value; write just --${name}`);
      parsed[name] = true;
      continue;
    }
    let raw: string;
    if (eq !== -1) {
      raw = arg.slice(eq + 1);
    } else {
      if (i + 1 >= args.length) {
        throw new UsageError(`--${name} needs a value: --${name} ${spec.metavar ?? "VALUE"}`);
      }
      raw = args[++i];
    }
    parsed[name] = convert(raw, name, spec.kind);
  }
  return parsed as FlagValues<S>;
}

function convert(raw: string, name: string, kind: keyof FlagKinds): FlagKinds[keyof FlagKinds] {
  const flag = `--${name}`;
  switch (kind) {
    case "string":
      if (raw === "") throw new UsageError(`${flag} needs a non-empty value`);
      return raw;
    case "int":
    case "number": {
      const trimmed = raw.trim();
      const value = trimmed === "" ? NaN : Number(trimmed);
      if (kind === "int" && !Number.isSafeInteger(value)) {
        throw new UsageError(`${flag} must be an integer, got '${raw}'`);
      }
      if (!Number.isFinite(value)) throw new UsageError(`${flag} must be a number, got '${raw}'`);
      return value;
    }
    default:
      return parseList(raw, name, kind === "ints");
  }
}

/**
 * Parses `1,2,3` or `1..5` (integers, inclusive) or `0.01,0.003` into numbers.
 *
 * @example
 * ```ts
 * import { parseList } from "./args.ts";
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

/** The help text: usage line, description, then one aligned line per flag. */
export function formatHelp(usage: string, description: string, specs: FlagSpecs): string {
  const entries = Object.entries(specs);
  const left = entries.map(([name, s]) =>
    `  --${name}${s.kind === "boolean" ? "" : ` ${s.metavar ?? "VALUE"}`}`
  );
  const width = Math.max(...left.map((l) => l.length), "  -h, --help".length) + 2;
  const lines = entries.map(([, s], i) =>
    left[i].padEnd(width) + s.help + (s.defaultText !== undefined ? ` (default: ${s.defaultText})` : "")
  );
  lines.push("  -h, --help".padEnd(width) + "show this help and exit");
  return `${usage}\n\n${description}\n\nFlags:\n${lines.join("\n")}\n`;
}

/**
 * The message of a library error as this program's user should read it: a ConfigError's
 * fields become the flags that set them (`nEmbd` becomes `--n-embd`); other errors as they are.
 *
 * @example
 * ```ts
 * import { ConfigError } from "../lib/errors.ts";
 * import { cliMessage } from "./args.ts";
 * const err = new ConfigError(["nEmbd"], (n) => `${n("nEmbd")} must be a positive integer, got 0`);
 * console.log(cliMessage(err, { "n-embd": { kind: "int", help: "width", field: "nEmbd" } })); // --n-embd must be a positive integer, got 0
 * ```
 */
export function cliMessage(err: Error, specs: FlagSpecs = {}): string {
  if (!(err instanceof ConfigError)) return err.message;
  const flags = new Map(
    Object.entries(specs).flatMap(([name, s]) => s.field ? [[s.field, `--${name}`]] : []),
  );
  return err.messageWith((field) => flags.get(field) ?? field);
}

/** A UsageError that ends the program with its own exit code (an interrupted run: 128 + the signal's number). */
export class ExitError extends UsageError {
  /** The error's name, `ExitError`. */
  override name = "ExitError";

  /** `message`: the one line to print; `exitCode`: the program's exit status. */
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/**
 * Runs `main`, printing a UsageError as one `error:` line (fields named as the flags in
 * `specs`) with exit code 2 (an ExitError's own code).
 */
export async function runCli(main: () => Promise<void>, specs: FlagSpecs = {}): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${cliMessage(err, specs)}`);
      Deno.exit(err instanceof ExitError ? err.exitCode : 2);
    }
    throw err;
  }
}
