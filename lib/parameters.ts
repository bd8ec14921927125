/**
 * The parameter layout: every weight matrix of the GPT by name and shape, in microgpt's order.
 * This one table fixes the order in which `GPT.init` draws the weights, the state dict and
 * checkpoint names, the flat order engines and Adam work in, and what a checkpoint must hold.
 *
 * @module
 */

import type { GPTConfig } from "./config.ts";

/** One weight matrix: its name (microgpt's: `wte`, `layer0.attn_wq`, ...), rows and columns. */
export type ParameterShape = [name: string, rows: number, cols: number];

/** The matrices of each transformer layer, in order: `LayerWeights` field, name, shape in units of nEmbd. */
export const LAYER_MATRICES = [
  ["attnWq", "attn_wq", 1, 1], // [nEmbd][nEmbd]
  ["attnWk", "attn_wk", 1, 1], // [nEmbd][nEmbd]
  ["attnWv", "attn_wv", 1, 1], // [nEmbd][nEmbd]
  ["attnWo", "attn_wo", 1, 1], // [nEmbd][nEmbd]
  ["mlpFc1", "mlp_fc1", 4, 1], // [4*nEmbd][nEmbd]
  ["mlpFc2", "mlp_fc2", 1, 4], // [nEmbd][4*nEmbd]
] as const;

/** A field of `LayerWeights`: `attnWq`, ..., `mlpFc2`. */
export type LayerMatrix = typeof LAYER_MATRICES[number][0];

/** The name of layer `l`'s matrix `field` (`layerName(0, "attnWq")` is `layer0.attn_wq`). */
export function layerName(l: number, field: LayerMatrix): string {
  const entry = LAYER_MATRICES.find(([f]) => f === field)!;
  return `layer${l}.${entry[1]}`;
}

/**
 * Every weight matrix of a model with this shape and vocabulary, in parameter order: `wte`,
 * `wpe`, `lm_head`, then each layer's six matrices.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { parameterShapes } from "./parameters.ts";
 * const shapes = parameterShapes(DEFAULT_CONFIG, 27);
 * console.log(shapes.length, shapes[0], shapes[7]); // 9 ["wte", 27, 16] ["layer0.mlp_fc1", 64, 16]
 * ```
 */
export function parameterShapes(
  config: Pick<GPTConfig, "nEmbd" | "nLayer" | "blockSize">,
  vocabSize: number,
): ParameterShape[] {
  const { nEmbd, blockSize, nLayer } = config;
  const shapes: ParameterShape[] = [
    ["wte", vocabSize, nEmbd],
    ["wpe", blockSize, nEmbd],
    ["lm_head", vocabSize, nEmbd],
  ];
  for (let l = 0; l < nLayer; l++) {
    for (const [, name, rows, cols] of LAYER_MATRICES) {
      shapes.push([`layer${l}.${name}`, rows * nEmbd, cols * nEmbd]);
    }
  }
  return shapes;
}

/** Where a matrix's first weight sits in the flat parameter order (row-major). */
export interface ParameterSlot {
  /** The matrix's name. */
  name: string;
  /** Its rows. */
  rows: number;
  /** Its columns. */
  cols: number;
  /** The flat index of its first weight, `[0][0]`. */
  offset: number;
}

/**
 * The layout with each matrix's offset into the flat parameter order, by name, and the total.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { parameterLayout } from "./parameters.ts";
 * const { slots, numParams } = parameterLayout(DEFAULT_CONFIG, 27);
 * console.log(numParams, slots.get("lm_head")?.offset); // 4192 688
 * ```
 */
export function parameterLayout(
  config: Pick<GPTConfig, "nEmbd" | "nLayer" | "blockSize">,
  vocabSize: number,
): { slots: Map<string, ParameterSlot>; numParams: number } {
  const slots = new Map<string, ParameterSlot>();
  let offset = 0;
  for (const [name, rows, cols] of parameterShapes(config, vocabSize)) {
    slots.set(name, { name, rows, cols, offset });
    offset += rows * cols;
  }
  return { slots, numParams: offset };
}

/**
 * The weight at flat index `index`, as `name[row][col]`: what a mismatch message should say.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts";
 * import { parameterName } from "./parameters.ts";
 * console.log(parameterName(DEFAULT_CONFIG, 27, 0), parameterName(DEFAULT_CONFIG, 27, 4191)); // wte[0][0] layer0.mlp_fc2[15][63]
 * ```
 */
export function parameterName(
  config: Pick<GPTConfig, "nEmbd" | "nLayer" | "blockSize">,
  vocabSize: number,
  index: number,
): string {
  let start = 0;
  for (const [name, rows, cols] of parameterShapes(config, vocabSize)) {
    if (index < start + rows * cols) {
      const i = index - start;
      return `${name}[${Math.floor(i / cols)}][${i % cols}]`;
    }
    start += rows * cols;
  }
  throw new RangeError(`parameter index ${index} is outside 0..${start - 1}`);
}
