/**
 * Loading a dataset: a UTF-8 text file, one document per line, read exactly the way
 * microgpt.py reads it (universal newlines, Python's `str.strip`, empty lines dropped).
 *
 * @module
 */

import { ConfigError, type FieldNamer, UsageError } from "./errors.ts";
import { FileError, readRegularFile } from "./files.ts";
import { formatBytes } from "./memory.ts";

/** The default dataset, relative to the project root (where `deno task` runs). */
export const DEFAULT_DATA_PATH = "data/names.txt";

// Python's str.isspace() set: unlike JS trim(), it includes \x1c-\x1f and \x85 and excludes \ufeff.
const PY_WHITESPACE = new Set(
  [
    0x09,
    0x0a,
    0x0b,
    0x0c,
    0x0d,
    0x1c,
    0x1d,
    0x1e,
    0x1f,
    0x20,
    0x85,
    0xa0,
    0x1680,
    0x2000,
    0x2001,
    0x2002,
    0x2003,
    0x2004,
    0x2005,
    0x2006,
    0x2007,
    0x2008,
    0x2009,
    0x200a,
    0x2028,
    0x2029,
    0x202f,
    0x205f,
    0x3000,
  ],
);

/**
 * Python's `str.strip()` with no arguments.
 *
 * @example
 * ```ts
 * import { pyStrip } from "./data.ts";
 * console.log(JSON.stringify(pyStrip("\x1c emma \n"))); // "emma"
 * ```
 */
export function pyStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_WHITESPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PY_WHITESPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/**
 * Calls `fn` with each document of `text` in order, as microgpt.py reads them: universal
 * newlines (`\r\n`, `\r` and `\n` each end a line), each line stripped (`pyStrip`), empty
 * lines dropped. (Stripping the whole text first, as microgpt.py also does, changes nothing:
 * it only removes whitespace that the lines' own strip removes or that is on empty lines.)
 * One line at a time, so reading a large file never holds a second copy of it.
 *
 * @example
 * ```ts
 * import { forEachDoc } from "./data.ts";
 * const docs: string[] = [];
 * forEachDoc("emma\r\n olivia \r\rava", (doc) => docs.push(doc));
 * console.log(docs); // ["emma", "olivia", "ava"]
 * ```
 */
export function forEachDoc(text: string, fn: (doc: string) => void): void {
  let start = 0;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 10; // the end of the text ends the last line
    if (c !== 10 && c !== 13) continue;
    const doc = pyStrip(text.slice(start, i));
    if (doc.length > 0) fn(doc);
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
    start = i + 1;
  }
}

/**
 * Splits a text into documents: universal newlines, strip, split on `\n`, strip each line,
 * drop empty lines (`forEachDoc`).
 *
 * @example
 * ```ts
 * import { parseDocs } from "./data.ts";
 * console.log(parseDocs("emma\r\n olivia \r\n\nava\n")); // ["emma", "olivia", "ava"]
 * ```
 */
export function parseDocs(text: string): string[] {
  const docs: string[] = [];
  forEachDoc(text, (doc) => docs.push(doc));
  return docs;
}

/**
 * Decodes UTF-8 bytes strictly (a byte order mark is kept as a character, as Python's
 * "utf-8" codec does). Invalid bytes are a UsageError naming the line they are on.
 */
export function decodeUtf8(bytes: Uint8Array, source = "data file"): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw invalidUtf8(source, firstInvalidUtf8Line(bytes));
  }
}

function invalidUtf8(source: string, line: number): UsageError {
  return new UsageError(
    `${source} is not valid UTF-8 (line ${line}); save it as UTF-8 text, one document per line`,
  );
}

function firstInvalidUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line - 1;
}

/**
 * The largest data file read: 1 GB. Reading one takes about 3 bytes of memory per byte of
 * the file (the bytes, the documents' token ids, and two 4-byte indexes per document) and a
 * few seconds per hundred MB; a larger file is refused before it is read.
 */
export const MAX_DATA_BYTES = 1e9;

/**
 * Reads a dataset file's bytes, with one-line errors for a missing or unreadable file, a path
 * that is not a regular file (a directory, `/dev/zero`, a FIFO: checked before opening, so
 * nothing blocks or reads forever) and a file over `maxBytes` (`MAX_DATA_BYTES`).
 *
 * @example
 * ```ts ignore
 * import { readDataFile } from "./data.ts";
 * const bytes = await readDataFile("data/names.txt");
 * ```
 */
export async function readDataFile(path: string, maxBytes: number = MAX_DATA_BYTES): Promise<Uint8Array> {
  try {
    return await readRegularFile(path, maxBytes);
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    const fix = (n: FieldNamer) => `point ${n("dataPath")} at a text file, one document per line`;
    switch (err.kind) {
      case "not-found":
        throw new ConfigError(["dataPath"], (n) => `data file not found: ${path}; ${fix(n)}`);
      case "directory":
        throw new ConfigError(["dataPath"], (n) => `data path is a directory: ${path}; ${fix(n)}`);
      case "not-regular":
        throw new ConfigError(
          ["dataPath"],
          (n) => `data path ${path} is not a regular file (a device, FIFO or socket); ${fix(n)}`,
        );
      case "too-large":
        throw new ConfigError(
          ["dataPath"],
          (n) =>
            `data file ${path} is ${formatBytes(err.size)}, over the ${
              formatBytes(maxBytes)
            } limit for data ` +
            `files; point ${n("dataPath")} at a smaller file (a sample of it)`,
        );
      case "permission":
        throw new UsageError(
          `cannot read data file ${path}: permission denied; check the file's permissions`,
        );
      default:
        throw new UsageError(`cannot read data file ${path}: ${err.message}`);
    }
  }
}

/** The longest stretch of a data file without a line break that is read. */
const MAX_LINE_BYTES = 256e6;

/**
 * Calls `fn` with each document of a dataset file's bytes (strict UTF-8, a BOM kept, as
 * `decodeUtf8`), a megabyte at a time: each piece ends after a newline byte, which no UTF-8
 * character contains, so no character or `\r\n` is ever cut. Invalid bytes are a UsageError
 * naming their line. Returns the number of documents.
 */
export function forEachDocInBytes(bytes: Uint8Array, source: string, fn: (doc: string) => void): number {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const piece = 1 << 20;
  let count = 0;
  let linesBefore = 0;
  for (let start = 0; start < bytes.length;) {
    let end = Math.min(start + piece, bytes.length);
    while (end < bytes.length && bytes[end - 1] !== 0x0a) end++;
    if (end - start > MAX_LINE_BYTES) {
      // V8 cannot hold a text of about 512 MB or more as one string: no document is that long.
      throw new UsageError(
        `${source} has a line over ${formatBytes(MAX_LINE_BYTES)} long (after line ${linesBefore}): ` +
          "not one document per line; split it into lines",
      );
    }
    const chunk = bytes.subarray(start, end);
    let text: string;
    try {
      text = decoder.decode(chunk);
    } catch {
      throw invalidUtf8(source, linesBefore + firstInvalidUtf8Line(chunk));
    }
    forEachDoc(text, (doc) => {
      count++;
      fn(doc);
    });
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 0x0a) linesBefore++;
    start = end;
  }
  return count;
}

/**
 * The documents of a dataset file's bytes (strict UTF-8), with a one-line error for a file
 * that has none.
 */
export function docsFromBytes(bytes: Uint8Array, path: string): string[] {
  const docs: string[] = [];
  forEachDocInBytes(bytes, `data file ${path}`, (doc) => docs.push(doc));
  if (docs.length === 0) throw noDocuments(path);
  return docs;
}

/** The error for a data file without documents. */
export function noDocuments(path: string): UsageError {
  return new UsageError(`data file ${path} has no documents; put one document per line`);
}

/**
 * Reads the documents of a dataset file, with one-line errors for a missing, unreadable,
 * non-UTF-8 or empty file.
 *
 * @example
 * ```ts ignore
 * import { loadDocs } from "./data.ts";
 * const docs = await loadDocs("data/names.txt");
 * console.log(docs.length); // 32257
 * ```
 */
export async function loadDocs(path: string): Promise<string[]> {
  return docsFromBytes(await readDataFile(path), path);
}
