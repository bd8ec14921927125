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
import { TensorEngine } from "../tensor/engine.ts";
import { ValueEngine } from "../value_engine.ts";

/**
 * Every engine, by name: `value`, the readable scalar autograd graph of `lib/value.ts`; `fast`,
 * flat arrays and a hand-written backward pass (the same numbers, about 100 times sooner);
 * `tensor`, an autograd over matrices (`lib/tensor/`), the same model in a dozen matrix ops.
 */
export const ENGINES = {
  value: (model: GPT): Engine => new ValueEngine(model),
  fast: (model: GPT): Engine => new FastEngine(model),
  tensor: (model: GPT): Engine => new TensorEngine(model),
} as const;

/** The name of an engine in `ENGINES`. */
export type EngineName = keyof typeof ENGINES;

/** The engines' names, for flags and menus. */
export const ENGINE_NAMES: readonly EngineName[] = Object.keys(ENGINES) as EngineName[];

/**
 * The engines' names as a sentence reads them: `value, fast or tensor`.
 *
 * @example
 * ```ts
 * import { engineList } from "./engines.ts";
 * console.log(engineList()); // value, fast or tensor
 * ```
 */
export function engineList(): string {
  return `${ENGINE_NAMES.slice(0, -1).join(", ")} or ${ENGINE_NAMES[ENGINE_NAMES.length - 1]}`;
}

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
    (n) => `unknown engine '${name}'; use ${n("engine")} ${engineList()}`,
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
