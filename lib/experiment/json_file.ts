/**
 * JSON files that keep every double and are never half-written: `exactJson` writes numbers
 * so they read back bit for bit, and `writeTextFileAtomic` replaces a file in one rename.
 * Checkpoints and run records are written with both.
 *
 * @module
 */

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
      throw new UsageError(`cannot write ${path}: permission denied; pick a writable --out directory`);
    }
    throw err;
  }
}
