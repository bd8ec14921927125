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
  const out = await scriptCommand(script, args, env).output();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** The arguments of `deno` that run `script` as its deno.json task does (`run`, the task's flags, the script). */
export function scriptArgs(script: string): string[] {
  const command = Object.values(tasks).find((c) => c.startsWith("deno run ") && c.endsWith(` ${script}`));
  if (command === undefined) throw new Error(`no task in deno.json runs ${script}`);
  return command.split(/\s+/).slice(1);
}

/** The command that runs `script` as its deno.json task does (`deno` and the task's own flags). */
export function scriptCommand(script: string, args: readonly string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: [...scriptArgs(script), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  });
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** A CLI script running in the background (`startScript`). */
export interface RunningScript {
  /** The process, e.g. to send it a signal. */
  child: Deno.ChildProcess;
  /** Resolves once stdout so far matches `pattern`; rejects if the script ends first. */
  waitForStdout(pattern: RegExp): Promise<void>;
  /** Waits for the end: everything printed, and the exit code. */
  finished(): Promise<CliOutput>;
}

/**
 * Starts `script` like `runScript`, without waiting: a test can watch its stdout and signal it.
 *
 * @example
 * ```ts ignore
 * const run = startScript("cli/train.ts", ["--out", dir]);
 * await run.waitForStdout(/step  300 \//);
 * run.child.kill("SIGINT");
 * const { code } = await run.finished();
 * ```
 */
export function startScript(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): RunningScript {
  const child = scriptCommand(script, args, env).spawn();
  let stdout = "";
  let waiters: { pattern: RegExp; resolve: () => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    waiters = waiters.filter((w) => !(w.pattern.test(stdout) && (w.resolve(), true)));
  };
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      check();
    }
    for (const w of waiters) w.reject(new Error(`the script ended before printing ${w.pattern}:\n${stdout}`));
    waiters = [];
  })();
  const stderr = new Response(child.stderr).text();
  return {
    child,
    waitForStdout: (pattern) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve, reject });
        check();
      }),
    finished: async () => {
      const [{ code }] = await Promise.all([child.status, reading]);
      return { code, stdout, stderr: await stderr };
    },
  };
}

/**
 * Asserts a user error as the CLI reports one: a non-zero exit code (2), exactly one line of
 * stderr, `error: ...` matching `pattern`, and no stack trace.
 */
export function assertUsageError(output: CliOutput, pattern: RegExp, what = ""): void {
  assertErrorLine(output, pattern, 2, what);
}

/**
 * Asserts that a command ended in exactly one line of stderr, `error: ...` matching `pattern`,
 * exit code `code`, and no stack trace.
 */
export function assertErrorLine(output: CliOutput, pattern: RegExp, code: number, what = ""): void {
  const { stderr } = output;
  assert.equal(output.code, code, `exit code ${what}; stderr:\n${stderr}`);
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
