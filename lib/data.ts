/**
 * Loading a dataset: a UTF-8 text file, one document per line, read exactly the way
 * microgpt.py reads it (universal newlines, Python's `str.strip`, empty lines dropped).
 *
 * @module
 */

import { ConfigError, UsageError } from "./errors.ts";

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
 * Splits a text into documents: universal newlines, strip, split on `\n`, strip each line,
 * drop empty lines.
 *
 * @example
 * ```ts
 * import { parseDocs } from "./data.ts";
 * console.log(parseDocs("emma\r\n olivia \r\n\nava\n")); // ["emma", "olivia", "ava"]
 * ```
 */
export function parseDocs(text: string): string[] {
  const lines = pyStrip(text.replace(/\r\n?/g, "\n")).split("\n");
  const docs: string[] = [];
  for (const line of lines) {
    const doc = pyStrip(line);
    if (doc.length > 0) docs.push(doc);
  }
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
    const line = firstInvalidUtf8Line(bytes);
    throw new UsageError(
      `${source} is not valid UTF-8 (line ${line}); save it as UTF-8 text, one document per line`,
    );
  }
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
 * Reads a dataset file's bytes, with one-line errors for a missing or unreadable file.
 *
 * @example
 * ```ts ignore
 * import { readDataFile } from "./data.ts";
 * const bytes = await readDataFile("data/names.txt");
 * ```
 */
export async function readDataFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ConfigError(
        ["dataPath"],
        (n) => `data file not found: ${path}; point ${n("dataPath")} at a text file, one document per line`,
      );
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new ConfigError(
        ["dataPath"],
        (n) =>
          `data path is a directory: ${path}; point ${n("dataPath")} at a text file, one document per line`,
      );
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(`cannot read data file ${path}: permission denied; check the file's permissions`);
    }
    throw new UsageError(`cannot read data file ${path}: ${(err as Error).message}`);
  }
}

/**
 * The documents of a dataset file's bytes (strict UTF-8), with a one-line error for a file
 * that has none.
 */
export function docsFromBytes(bytes: Uint8Array, path: string): string[] {
  const docs = parseDocs(decodeUtf8(bytes, `data file ${path}`));
  if (docs.length === 0) {
    throw new UsageError(`data file ${path} has no documents; put one document per line`);
  }
  return docs;
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
