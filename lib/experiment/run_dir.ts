/**
 * An output directory owned by one run at a time (`OutDir.claim`): a lock file taken before any
 * work, so two processes never write one directory at once; another run's files refused unless
 * the caller forces it (and then removed first, so the directory never mixes two runs' files);
 * temporary files left by killed writers removed; and every output name checked to be writable
 * as a file. Problems are one-line UsageErrors, raised before training starts.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { oneLine, readJsonFile } from "./json_file.ts";

/** The lock file's name inside the directory. */
export const LOCK_NAME = ".lock";

/** What is in a lock file: the process that holds it, and since when. */
interface LockInfo {
  pid: number;
  since: string;
}

/** The lock files this process holds (a lock naming our pid but not in here was left by an earlier process with the same pid). */
const heldHere = new Set<string>();

/** How long a lock file may stay unreadable before it counts as left by a crash (its writer died mid-write). */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

/** Options of `OutDir.claim`. */
export interface ClaimOptions {
  /**
   * The names this run writes in the directory; any of them present means the directory holds
   * a run's files (and each must be a regular file if present).
   */
  files: readonly string[];
  /** More names of the same run's files, by pattern (a sweep's `run-NNN.json`). */
  filePattern?: RegExp;
  /**
   * The run this is (`runId`): files that name it (its `checkpoint.json` or `run.json`) are its
   * own, and kept. Null for outputs that carry no run id (a sweep's).
   */
  runId: string | null;
  /** Replace another run's files (they are removed as the directory is claimed). */
  force: boolean;
  /** The directory's run is the one being resumed: its files are this run's, whatever they name. */
  resuming?: boolean;
  /** How to say "use force" to this program's user (default: `force: true`). */
  forceHint?: string;
  /** How to continue the run found there, if it can be continued (e.g. `--resume DIR`). */
  resumeHint?: string;
}

/**
 * A claimed output directory: this process holds its lock until `release()`.
 *
 * @example
 * ```ts ignore
 * const out = await OutDir.claim("out/run", { files: ["checkpoint.json", "run.json"], runId, force: false });
 * try {
 *   // ... write the run's files ...
 * } finally {
 *   out.release();
 * }
 * ```
 */
export class OutDir {
  #held = true;

  private constructor(readonly dir: string, private readonly lockPath: string) {}

  /**
   * Creates `dir` if needed and claims it: takes its lock (a lock left by a dead process is
   * taken over; a live one is a UsageError naming its process), removes stale temporary files,
   * checks every output name, and refuses another run's files unless `force` (which removes
   * them).
   */
  static async claim(dir: string, options: ClaimOptions): Promise<OutDir> {
    await makeDir(dir);
    const lockPath = `${dir}/${LOCK_NAME}`;
    await takeLock(dir, lockPath);
    const out = new OutDir(dir, lockPath);
    try {
      await removeStaleTemporaries(dir);
      const present = await presentFiles(dir, options);
      if (present.length > 0 && !options.resuming && !(await belongsTo(dir, present, options.runId))) {
        if (!options.force) {
          throw new UsageError(
            `${dir} already holds another run's files (${present.join(", ")}); pick another directory, ` +
              `${options.resumeHint ? `continue that run with ${options.resumeHint}, ` : ""}` +
              `or replace them with ${options.forceHint ?? "force: true"}`,
          );
        }
        for (const name of present) await Deno.remove(`${dir}/${name}`);
      }
      return out;
    } catch (err) {
      out.release();
      throw err;
    }
  }

  /** Gives the lock back (synchronously, so exit paths can call it); calling it again does nothing. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    heldHere.delete(this.lockPath);
    try {
      if (readLock(this.lockPath)?.pid === Deno.pid) Deno.removeSync(this.lockPath);
    } catch {
      // already gone: nothing to give back
    }
  }
}

async function makeDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (err) {
    const why = err instanceof Deno.errors.AlreadyExists
      ? "it exists and is not a directory"
      : oneLine((err as Error).message);
    throw new UsageError(`cannot create output directory ${dir}: ${why}; pick another directory`);
  }
}

/** Creates the lock file (failing if it exists), taking over one whose process is gone. */
async function takeLock(dir: string, lockPath: string): Promise<void> {
  const mine: LockInfo = { pid: Deno.pid, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(lockPath, JSON.stringify(mine) + "\n", { createNew: true });
      heldHere.add(lockPath);
      return;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) {
        const why = err instanceof Deno.errors.PermissionDenied
          ? "permission denied (a read-only directory?)"
          : oneLine((err as Error).message);
        throw new UsageError(`cannot write in ${dir}: ${why}; pick a directory you may write to`);
      }
    }
    const held = readLock(lockPath);
    const ours = held?.pid === Deno.pid;
    if (held !== undefined && held !== null && (ours ? heldHere.has(lockPath) : processAlive(held.pid))) {
      throw new UsageError(
        `${dir} is in use by process ${held.pid} (since ${held.since}); wait for it to finish or pick ` +
          `another directory (if that process is gone, delete ${lockPath})`,
      );
    }
    if (held === null && lockAgeMs(lockPath) < UNREADABLE_LOCK_GRACE_MS) {
      throw new UsageError(
        `${dir} is being claimed by another process; wait a moment or pick another directory`,
      );
    }
    removeStaleLock(lockPath, held);
  }
  throw new UsageError(`cannot lock ${dir}: other processes keep claiming it; pick another directory`);
}

/**
 * Removes a stale lock without ever removing a fresh one: the lock is first renamed to a name of
 * our own (atomic), then checked to be the stale one we read; a fresh one (another process took
 * the stale one over in between) is put back.
 */
function removeStaleLock(lockPath: string, stale: LockInfo | null | undefined): void {
  const aside = `${lockPath}.${Deno.pid}.stale`;
  try {
    Deno.renameSync(lockPath, aside);
  } catch {
    return; // gone already: try to create it again
  }
  const moved = readLock(aside);
  const same = stale === null ? moved === null : moved?.pid === stale?.pid && moved?.since === stale?.since;
  if (!same) {
    try {
      Deno.linkSync(aside, lockPath); // put the fresh lock back (fails if yet another was made)
    } catch {
      // another process holds a newer lock; ours to retry against
    }
  }
  Deno.removeSync(aside);
}

/** The lock's contents; null if unreadable (being written, or corrupt); undefined if there is none. */
function readLock(path: string): LockInfo | null | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
  try {
    const info = JSON.parse(text) as Partial<LockInfo>;
    return Number.isSafeInteger(info.pid) && typeof info.since === "string" ? info as LockInfo : null;
  } catch {
    return null;
  }
}

function lockAgeMs(path: string): number {
  try {
    return Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
  } catch {
    return Infinity;
  }
}

/**
 * True unless process `pid` is known to be gone: signal 0 checks it without touching it (no
 * such process: gone; another user's: alive). It needs `--allow-run` (the train and sweep tasks
 * have it); without, `/proc` answers where it may be read, and otherwise it counts as alive.
 */
export function processAlive(pid: number): boolean {
  try {
    Deno.kill(pid, 0 as unknown as Deno.Signal);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    if (!(err instanceof Deno.errors.NotCapable)) return true;
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (err) {
    return !(err instanceof Deno.errors.NotFound && isDirectory("/proc/self"));
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Removes `.NAME.PID.tmp` files (`writeTextFileAtomic`'s) whose writer is gone: a kill mid-write leaves them. */
async function removeStaleTemporaries(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const match = /^\..+\.(\d+)\.tmp$/.exec(entry.name);
    if (match === null || !entry.isFile) continue;
    const pid = Number(match[1]);
    if (pid !== Deno.pid && !processAlive(pid)) await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
  }
}

/** The run's output names present in `dir`, each checked to be a file (or a link) that can be replaced. */
async function presentFiles(dir: string, options: ClaimOptions): Promise<string[]> {
  const present: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const name = entry.name;
    if (!options.files.includes(name) && !options.filePattern?.test(name)) continue;
    if (!entry.isFile && !entry.isSymlink) {
      throw new UsageError(
        `${dir}/${name} exists and is ${entry.isDirectory ? "a directory" : "not a regular file"}, ` +
          "where this run writes a file; remove it or pick another directory",
      );
    }
    present.push(name);
  }
  return present.sort();
}

/** True when the files present are `runId`'s own: its checkpoint or record names it. */
async function belongsTo(dir: string, present: readonly string[], runId: string | null): Promise<boolean> {
  if (runId === null) return false;
  for (const name of ["checkpoint.json", "run.json"]) {
    if (!present.includes(name)) continue;
    try {
      const json = await readJsonFile(`${dir}/${name}`, "file", "");
      return (json as { runId?: unknown } | null)?.runId === runId;
    } catch {
      return false; // unreadable: not known to be ours
    }
  }
  return false;
}
