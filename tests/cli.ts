/**
 * Helpers for the end-to-end tests: run a command-line script exactly as its `deno task` runs
 * it (the command line, permissions included, is read from deno.json's `tasks`, so a test
 * fails if a task lacks a permission its script needs), and compare outputs readably.
 *
 * @module
 */

import assert from "node:assert/strict";

/** What a finished command printed, and its exit code. */
export interface CliOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** The repository root, where `deno task` runs. */
export const ROOT = new URL("..", import.meta.url).pathname;

const { tasks } = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as {
  tasks: Record<string, string>;
};

/**
 * Runs `script` (e.g. `cli/train.ts`) with `args` the way the deno.json task that runs it
 * does, from the repository root, with colours off (and `env` added to the environment).
 *
 * @example
 * ```ts ignore
 * import { runScript } from "./cli.ts";
 * const { code, stdout } = await runScript("cli/train.ts", ["--steps", "10"]);
 * ```
 */
export async function runScript(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliOutput> {
  const command = Object.values(tasks).find((c) => c.startsWith("deno run ") && c.endsWith(` ${script}`));
  if (command === undefined) throw new Error(`no task in deno.json runs ${script}`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...command.split(/\s+/).slice(1), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/**
 * Asserts a user error as the CLI reports one: a non-zero exit code (2), exactly one line of
 * stderr, `error: ...` matching `pattern`, and no stack trace.
 */
export function assertUsageError(output: CliOutput, pattern: RegExp, what = ""): void {
  const { code, stderr } = output;
  assert.equal(code, 2, `exit code ${what}; stderr:\n${stderr}`);
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line of stderr ${what}, got:\n${stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(stderr, /\s+at\s+\S+:\d+/, "no stack trace");
}

/** Equal texts, or a failure naming the first differing line (llm.c style: show where). */
export function assertSameText(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  const a = actual.split("\n");
  const e = expected.split("\n");
  const i = a.findIndex((line, k) => line !== e[k]);
  const at = i === -1 ? Math.min(a.length, e.length) : i;
  assert.fail(`${what}: first difference at line ${at + 1}:\n  expected: ${e[at]}\n  actual:   ${a[at]}`);
}
