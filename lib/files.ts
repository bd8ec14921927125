/**
 * Reading a file whole, safely: only a regular file (checked with `stat` before opening, so a
 * FIFO never blocks and `/dev/zero` is never read), and never more than a limit (checked before
 * reading and again while reading, in case the file grows). Problems are `FileError`s with a
 * kind, which each reader turns into its own one-line message.
 *
 * @module
 */

/** What went wrong reading a file. */
export type FileProblem = "not-found" | "directory" | "not-regular" | "too-large" | "permission" | "other";

/** A file that could not be read, and why (`kind`); `size` is set for `too-large`. */
export class FileError extends Error {
  /** The error's name, `FileError`. */
  override name = "FileError";

  /** `kind`: the problem; `size`: the bytes found, for `too-large`; `message`: the system's words, for `other`. */
  constructor(readonly kind: FileProblem, readonly path: string, message: string, readonly size = 0) {
    super(message);
  }
}

/**
 * The bytes of the regular file at `path`, at most `maxBytes` of them; anything else is a
 * `FileError`.
 *
 * @example
 * ```ts ignore
 * import { readRegularFile } from "./files.ts";
 * const bytes = await readRegularFile("data/names.txt", 1e9);
 * ```
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Uint8Array> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) throw new FileError("directory", path, `${path} is a directory`);
    if (!info.isFile) throw new FileError("not-regular", path, `${path} is not a regular file`);
    if (info.size > maxBytes) throw new FileError("too-large", path, `${path} is too large`, info.size);
    using file = await Deno.open(path);
    let buffer = new Uint8Array(info.size + 1); // one more: room to notice a file that grew
    let length = 0;
    while (true) {
      if (length === buffer.length) {
        if (length > maxBytes) throw new FileError("too-large", path, `${path} is too large`, length);
        const bigger = new Uint8Array(Math.min(maxBytes + 1, Math.max(2 * length, 1 << 16)));
        bigger.set(buffer);
        buffer = bigger;
      }
      const read = await file.read(buffer.subarray(length));
      if (read === null) return buffer.subarray(0, length);
      length += read;
    }
  } catch (err) {
    if (err instanceof FileError) throw err;
    if (err instanceof Deno.errors.NotFound) throw new FileError("not-found", path, `${path} not found`);
    if (err instanceof Deno.errors.IsADirectory) {
      throw new FileError("directory", path, `${path} is a directory`);
    }
    if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
      throw new FileError("permission", path, `${path}: permission denied`);
    }
    throw new FileError("other", path, (err as Error).message.replace(/\s*\n\s*/g, " "));
  }
}
