/**
 * The program's version, written into every run record and checkpoint so a result can be
 * traced to the code that made it.
 *
 * @module
 */

/**
 * This program's version (semantic versioning).
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(VERSION); // 0.1.0
 * ```
 */
export const VERSION = "0.1.0";

/** The program's name, as records and checkpoints name it. */
export const PROGRAM_NAME = "microgpt-ts";
