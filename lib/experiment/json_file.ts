/**
 * JSON files that keep every double, are never half-written and are checked when read:
 * `exactJson` writes numbers so they read back bit for bit, `writeTextFileAtomic` replaces a
 * file in one rename, and `validateJson` checks parsed JSON against a valibot schema with a
 * one-line error that says where (`params.wte[0][1]`). Checkpoints, run records and sweep
 * files go through all three.
 * (The schemas, and why valibot: `schemas.ts`.)
 *
 * @module
 */

import { createHash } from "node:crypto";
import * as v from "valibot";
import { UsageError } from "../errors.ts";
import { FileError, readRegularFile } from "../files.ts";
import { formatBytes } from "../memory.ts";

/**
 * JSON text in which every number reads back as the same double: shortest round-trip
 * digits, `-0` kept as `-0` (plain JSON.stringify writes `0`), and NaN or Infinity refused
 * (JSON has no such numbers). Arrays of numbers go on one line, so files stay readable.
 *
 * @example
 * ```ts
 * import { exactJson } from "./json_file.ts";
 * const text = exactJson({ w: [0.1, -0, 1e-300] });
 * console.log(text); // {\n  "w": [0.1, -0, 1e-300]\n}
 * console.log(Object.is(JSON.parse(text).w[1], -0)); // true
 * ```
 */
export function exactJson(value: unknown, indent = ""): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} as JSON`);
    return Object.is(value, -0) ? "-0" : String(value);
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  const inner = indent + "  ";
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>);
    if (items.length === 0) return "[]";
    if (items.every((x) => typeof x === "number" || typeof x === "string")) {
      return `[${items.map((x) => exactJson(x)).join(", ")}]`;
    }
    return `[\n${items.map((x) => inner + exactJson(x, inner)).join(",\n")}\n${indent}]`;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    return `{\n${
      entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${exactJson(v, inner)}`).join(",\n")
    }\n${indent}}`;
  }
  throw new TypeError(`cannot write a ${typeof value} as JSON`);
}

/**
 * The SHA-256 (64 lowercase hex digits) of a JSON value's canonical form, a text that every
 * language can write exactly and that depends only on the value:
 *
 * - `null`, `true`, `false` as in JSON;
 * - a number as the 16 lowercase hex digits of its IEEE-754 double, big-endian (`0.5` is
 *   `3fe0000000000000`, `-0` is `8000000000000000`, `1` is `3ff0000000000000`): no decimal
 *   formatting to agree on, and every bit counts;
 * - a string as `JSON.stringify` writes it (Python: `json.dumps(s, ensure_ascii=False)`);
 * - an array as `[` its items joined by `,` `]`;
 * - an object as `{` its `"key":value` pairs joined by `,` `}`, keys sorted by code point
 *   (Python's `sorted`), no spaces anywhere;
 *
 * hashed as UTF-8. In Python:
 * `struct.pack(">d", x).hex()` for a number, and the rest as above.
 *
 * @example
 * ```ts
 * import { canonicalSha256 } from "./json_file.ts";
 * // the canonical form of {"b": [0.5, -0], "a": "é"} is {"a":"é","b":[3fe0000000000000,8000000000000000]}
 * console.log(canonicalSha256({ b: [0.5, -0], a: "é" }) === canonicalSha256({ a: "é", b: [0.5, -0] })); // true
 * ```
 */
export function canonicalSha256(value: unknown): string {
  const hash = createHash("sha256");
  const view = new DataView(new ArrayBuffer(8));
  let pending = "";
  const emit = (text: string) => {
    pending += text;
    if (pending.length > 1 << 16) {
      hash.update(pending, "utf8");
      pending = "";
    }
  };
  const hex8 = (n: number) => n.toString(16).padStart(8, "0");
  const walk = (v: unknown): void => {
    if (typeof v === "number") {
      view.setFloat64(0, v);
      emit(hex8(view.getUint32(0)) + hex8(view.getUint32(4)));
    } else if (v === null || typeof v === "boolean" || typeof v === "string") {
      emit(JSON.stringify(v));
    } else if (Array.isArray(v)) {
      emit("[");
      v.forEach((item, i) => {
        if (i > 0) emit(",");
        walk(item);
      });
      emit("]");
    } else if (typeof v === "object") {
      emit("{");
      Object.keys(v).sort(byCodePoint).forEach((key, i) => {
        emit(`${i > 0 ? "," : ""}${JSON.stringify(key)}:`);
        walk((v as Record<string, unknown>)[key]);
      });
      emit("}");
    } else {
      throw new TypeError(`a ${typeof v} has no canonical JSON form`);
    }
  };
  walk(value);
  hash.update(pending, "utf8");
  return hash.digest("hex");
}

/** Orders strings by code point (JavaScript's own `sort` orders by UTF-16 unit). */
function byCodePoint(a: string, b: string): number {
  const [x, y] = [[...a], [...b]];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Writes a file atomically: the text goes to a temporary file in the same directory, is
 * flushed to disk, then renamed over `path`. A crash mid-write leaves the old file (or
 * none) and a stray temporary, never a half-written `path`.
 *
 * @example
 * ```ts ignore
 * await writeTextFileAtomic("out/run/run.json", text);
 * ```
 */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash === -1 ? "." : path.slice(0, slash) || "/";
  const name = path.slice(slash + 1);
  const tmp = `${dir}/.${name}.${Deno.pid}.tmp`;
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      const bytes = new TextEncoder().encode(text);
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`cannot write ${path}: the directory ${dir} does not exist; create it first`);
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(`cannot write ${path}: permission denied; write to a directory you may write to`);
    }
    throw err;
  }
}

/**
 * Parses JSON text, with a one-line UsageError for text that is not JSON or nests deeper than
 * `MAX_JSON_DEPTH` (`where` names the file, `fix` says what to do).
 */
export function parseJsonText(text: string, where: string, fix: string): unknown {
  const deep = tooDeepAt(text);
  if (deep !== -1) {
    throw new UsageError(
      `${where} nests arrays and objects more than ${MAX_JSON_DEPTH} deep (at character ${deep}), ` +
        `which no file of ours does: corrupt; ${fix}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `${where} is not valid JSON (${oneLine((err as Error).message)}): truncated or corrupt; ${fix}`,
    );
  }
}

/** A message's line breaks (and the spaces around them) as single spaces. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}

/**
 * Where in a JSON value an issue is, written as in code: `params.wte[0][1]`.
 *
 * @example
 * ```ts
 * import { jsonPath } from "./json_file.ts";
 * console.log(jsonPath(["params", "layer0.attn_wq", 3, 1])); // params.layer0.attn_wq[3][1]
 * ```
 */
export function jsonPath(keys: readonly unknown[]): string {
  let path = "";
  for (const key of keys) {
    path += typeof key === "number" ? `[${key}]` : path === "" ? String(key) : `.${key}`;
  }
  return path;
}

/**
 * `json` checked against `schema` (the first problem stops it) and typed by it, or a one-line
 * UsageError: `<where>: <path> <problem>; <fix>`, e.g.
 * `checkpoint run/checkpoint.json: params.wte[0][1] is not a finite number; re-create it ...`.
 *
 * @example
 * ```ts
 * import * as v from "valibot";
 * import { validateJson } from "./json_file.ts";
 * const Point = v.object({ x: v.number("is not a number"), y: v.number("is not a number") }, "is not an object");
 * try {
 *   validateJson(Point, { x: 1, y: "2" }, "point.json", "write numbers");
 * } catch (err) {
 *   console.log((err as Error).message); // point.json: y is not a number; write numbers
 * }
 * ```
 */
export function validateJson<TSchema extends v.GenericSchema>(
  schema: TSchema,
  json: unknown,
  where: string,
  fix: string,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, json, { abortEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = jsonPath(issue.path?.map((item) => item.key) ?? []);
  const problem = issue.input === undefined && path !== "" ? "is missing" : issue.message;
  throw new UsageError(`${where}: ${path === "" ? "the file" : path} ${problem}; ${fix}`);
}

/**
 * The largest JSON file read: 256 MB. A checkpoint of about 3.9 million parameters (an
 * `nEmbd` of 160 with 12 layers) is that big; V8 cannot hold a text over about 512 MB as one
 * string at all. A larger file is refused before it is read.
 */
export const MAX_JSON_BYTES = 256e6;

/**
 * How deeply arrays and objects may nest in a JSON file we read. Ours nest at most 7 deep (a
 * sweep file's training segments); checking before `JSON.parse` keeps a corrupt or hostile
 * file from exhausting the stack in a parser or a checker.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The position of the first array or object nested deeper than `maxDepth` in JSON text, or
 * -1: a scan of the characters (strings skipped) that allocates nothing.
 *
 * @example
 * ```ts
 * import { tooDeepAt } from "./json_file.ts";
 * console.log(tooDeepAt('{"a": [[1], "[[["]}', 3), tooDeepAt("[[[[]]]]", 3)); // -1 3
 * ```
 */
export function tooDeepAt(text: string, maxDepth: number = MAX_JSON_DEPTH): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // a string: skip to its closing quote, over escapes
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/**
 * Reads and parses a JSON file, with one-line UsageErrors for a file that is missing, a
 * directory or not a regular file, over `maxBytes` (`MAX_JSON_BYTES`, checked before reading),
 * unreadable, not UTF-8, nested deeper than `MAX_JSON_DEPTH` (checked before parsing) or not
 * JSON. `what` names the kind of file (`checkpoint`), `fix` says what to pass instead.
 */
export async function readJsonFile(
  path: string,
  what: string,
  fix: string,
  maxBytes: number = MAX_JSON_BYTES,
): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, maxBytes);
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    switch (err.kind) {
      case "not-found":
        throw new UsageError(`${what} not found: ${path}; ${fix}`);
      case "directory":
        throw new UsageError(`${what} path is a directory: ${path}; pass the file inside it`);
      case "not-regular":
        throw new UsageError(`${what} path ${path} is not a regular file (a device, FIFO or socket); ${fix}`);
      case "too-large":
        throw new UsageError(
          `${what} ${path} is ${formatBytes(err.size)}, over the ${
            formatBytes(maxBytes)
          } limit for ${what} ` +
            `files: not one this program wrote; ${fix}`,
        );
      case "permission":
        throw new UsageError(`cannot read ${what} ${path}: permission denied; check the file's permissions`);
      default:
        throw new UsageError(`cannot read ${what} ${path}: ${err.message}`);
    }
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${what} ${path} is not UTF-8 text (corrupt); ${fix}`);
  }
  return parseJsonText(text, `${what} ${path}`, fix);
}
