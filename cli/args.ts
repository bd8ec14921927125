/**
 * A small, strict command-line flag parser: every flag is declared with its type, default
 * and help line, so `--help` is generated from the same table that parses, and every
 * mistake is a one-line UsageError.
 *
 * @module
 */

import { UsageError } from "../lib/errors.ts";

/** One flag: `--name VALUE` (or `--name=VALUE`), or a boolean `--name`. */
export interface FlagSpec {
  /** Flag name without dashes, e.g. `n-embd`. */
  name: string;
  kind: "int" | "number" | "string" | "boolean";
  /** Placeholder shown in help, e.g. `N` or `PATH`. */
  metavar?: string;
  /** Help text, one line. */
  help: string;
  /** Shown as the default in help; the caller applies defaults. */
  defaultText?: string;
}

/** Parsed flag values by name; absent flags are missing. */
export type ParsedFlags = Record<string, number | string | boolean>;

/**
 * Parses `args` against `specs`. Unknown flags, missing values, malformed numbers and
 * positional arguments are UsageErrors that name the fix.
 */
export function parseFlags(
  args: readonly string[],
  specs: readonly FlagSpec[],
  program: string,
): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const parsed: ParsedFlags = {};
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
    const spec = byName.get(name);
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
    parsed[name] = convert(raw, spec);
  }
  return parsed;
}

function convert(raw: string, spec: FlagSpec): number | string {
  const flag = `--${spec.name}`;
  if (spec.kind === "string") {
    if (raw === "") throw new UsageError(`${flag} needs a non-empty value`);
    return raw;
  }
  const trimmed = raw.trim();
  const value = trimmed === "" ? NaN : Number(trimmed);
  if (spec.kind === "int") {
    if (!Number.isSafeInteger(value)) throw new UsageError(`${flag} must be an integer, got '${raw}'`);
    return value;
  }
  if (!Number.isFinite(value)) throw new UsageError(`${flag} must be a number, got '${raw}'`);
  return value;
}

/** The help text: usage line, description, then one aligned line per flag. */
export function formatHelp(usage: string, description: string, specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => `  --${s.name}${s.kind === "boolean" ? "" : ` ${s.metavar ?? "VALUE"}`}`);
  const width = Math.max(...left.map((l) => l.length), "  -h, --help".length) + 2;
  const lines = specs.map((s, i) =>
    left[i].padEnd(width) + s.help + (s.defaultText !== undefined ? ` (default: ${s.defaultText})` : "")
  );
  lines.push("  -h, --help".padEnd(width) + "show this help and exit");
  return `${usage}\n\n${description}\n\nFlags:\n${lines.join("\n")}\n`;
}

/** Runs `main`, printing a UsageError as one `error:` line with exit code 2. */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}`);
      Deno.exit(2);
    }
    throw err;
  }
}
