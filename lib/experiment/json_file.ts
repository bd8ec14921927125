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

import * as v from "valibot";
import { UsageError } from "../errors.ts";

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
 * Parses JSON text, with a one-line UsageError for text that is not JSON (`where` names the
 * file, `fix` says what to do).
 */
export function parseJsonText(text: string, where: string, fix: string): unknown {
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
 * Reads and parses a JSON file, with one-line UsageErrors for a file that is missing, a
 * directory, unreadable, not UTF-8 or not JSON. `what` names the kind of file (`checkpoint`),
 * `fix` says what to pass instead.
 */
export async function readJsonFile(path: string, what: string, fix: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new UsageError(`${what} not found: ${path}; ${fix}`);
    if (err instanceof Deno.errors.IsADirectory) {
      throw new UsageError(`${what} path is a directory: ${path}; pass the file inside it`);
    }
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new UsageError(`cannot read ${what} ${path}: permission denied; check the file's permissions`);
    }
    if (err instanceof TypeError) throw new UsageError(`${what} ${path} is not UTF-8 text (corrupt); ${fix}`);
    throw new UsageError(`cannot read ${what} ${path}: ${oneLine((err as Error).message)}`);
  }
  return parseJsonText(text, `${what} ${path}`, fix);
}
