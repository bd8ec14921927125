/**
 * The engines by name: the one place where a name in a flag, a config or a record becomes an
 * `Engine`. The core knows only the `Engine` interface; this registry, above the core and the
 * engines, is where a new engine is added.
 *
 * @module
 */

import type { Engine } from "../engine.ts";
import { ConfigError } from "../errors.ts";
import { FastEngine } from "../fast/engine.ts";
import type { GPT } from "../model.ts";
import { ValueEngine } from "../value_engine.ts";

/**
 * Every engine, by name: `value`, the readable scalar autograd graph of `lib/value.ts`; `fast`,
 * flat arrays and a hand-written backward pass (the same numbers, about 100 times sooner).
 */
export const ENGINES = {
  value: (model: GPT): Engine => new ValueEngine(model),
  fast: (model: GPT): Engine => new FastEngine(model),
} as const;

/** The name of an engine in `ENGINES`. */
export type EngineName = keyof typeof ENGINES;

/** The engines' names, for flags and menus. */
export const ENGINE_NAMES: readonly EngineName[] = Object.keys(ENGINES) as EngineName[];

/**
 * True for the name of an engine in `ENGINES`.
 *
 * @example
 * ```ts
 * import { isEngineName } from "./engines.ts";
 * console.log(isEngineName("fast"), isEngineName("gpu")); // true false
 * ```
 */
export function isEngineName(name: unknown): name is EngineName {
  return typeof name === "string" && Object.hasOwn(ENGINES, name);
}

/** `name` as an engine name, or a ConfigError (field `engine`) listing the engines. */
export function engineName(name: string): EngineName {
  if (isEngineName(name)) return name;
  throw new ConfigError(
    ["engine"],
    (n) => `unknown engine '${name}'; use ${n("engine")} ${ENGINE_NAMES.join(" or ")}`,
  );
}

/**
 * A new engine of `model`, by name.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts";
 * import { createEngine } from "./engines.ts";
 * import { GPT } from "../model.ts";
 * import { Random } from "../random.ts";
 * const engine = createEngine("fast", GPT.init(DEFAULT_CONFIG, 27, new Random(42)));
 * console.log(engine.name, engine.loss([[26, 4, 12, 12, 0, 26]]).toFixed(4)); // fast 3.3660
 * ```
 */
export function createEngine(name: EngineName, model: GPT): Engine {
  return ENGINES[engineName(name)](model);
}
