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
 * Engines that train runs elsewhere: a run record or checkpoint may name one (its run, or a
 * stretch of it, trained there), but it does not run here. `torch` is the PyTorch port,
 * `torch/microgpt.py`, which writes our checkpoints and records. A run it trained continues
 * here on a runnable engine (`runnableEngine`).
 */
export const FOREIGN_ENGINES = {
  torch: "PyTorch (python3 torch/microgpt.py)",
} as const;

/** The name of an engine in `FOREIGN_ENGINES`. */
export type ForeignEngineName = keyof typeof FOREIGN_ENGINES;

/** An engine a record or checkpoint may name: one of ours, or one that trains elsewhere. */
export type RecordedEngineName = EngineName | ForeignEngineName;

/** Every engine name a record or checkpoint may hold. */
export const RECORDED_ENGINE_NAMES: readonly RecordedEngineName[] = [
  ...ENGINE_NAMES,
  ...Object.keys(FOREIGN_ENGINES) as ForeignEngineName[],
];

/**
 * The engine a run trained elsewhere continues on when none is asked for: the fast one, the
 * quickest of ours (every engine computes the same numbers).
 */
export const RESUME_ENGINE: EngineName = "fast";

/**
 * The engine that continues (or samples) a run that `name` trained: `name` itself when it runs
 * here, else `RESUME_ENGINE`.
 *
 * @example
 * ```ts
 * import { runnableEngine } from "./engines.ts";
 * console.log(runnableEngine("tensor"), runnableEngine("torch")); // tensor fast
 * ```
 */
export function runnableEngine(name: RecordedEngineName): EngineName {
  return isEngineName(name) ? name : RESUME_ENGINE;
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

/**
 * True for a name a record or checkpoint may hold (`RECORDED_ENGINE_NAMES`).
 *
 * @example
 * ```ts
 * import { isRecordedEngineName } from "./engines.ts";
 * console.log(isRecordedEngineName("torch"), isRecordedEngineName("gpu")); // true false
 * ```
 */
export function isRecordedEngineName(name: unknown): name is RecordedEngineName {
  return isEngineName(name) || (typeof name === "string" && Object.hasOwn(FOREIGN_ENGINES, name));
}

/**
 * `name` as the name of an engine that runs here, or a ConfigError (field `engine`) listing
 * them (and saying where a foreign one, such as `torch`, runs).
 */
export function engineName(name: string): EngineName {
  if (isEngineName(name)) return name;
  if (isRecordedEngineName(name)) {
    const where = FOREIGN_ENGINES[name as ForeignEngineName];
    throw new ConfigError(
      ["engine"],
      (n) => `the engine '${name}' is ${where}, which does not run here; use ${n("engine")} ${engineList()}`,
    );
  }
  throw new ConfigError(
    ["engine"],
    (n) => `unknown engine '${name}'; use ${n("engine")} ${engineList()}`,
  );
}

/**
 * `name` as a name a record or checkpoint may hold, or a ConfigError (field `engine`).
 */
export function recordedEngineName(name: string): RecordedEngineName {
  return isRecordedEngineName(name) ? name : engineName(name);
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
