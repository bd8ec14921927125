/**
 * Worked solutions to notebook 04's exercises. Try them yourself first; each one passes its
 * check in `notebooks/exercises/04_model.ts` (`04_model_test.ts` runs them).
 *
 * @module
 */

import { type LayerWeights, linear, sum, type Value } from "../../lib/mod.ts";

/**
 * Exercise 1: wte 27×32 + wpe 16×32 + lm_head 27×32, plus per layer four 32×32 attention
 * matrices and two 128×32 MLP matrices: 864 + 512 + 864 + 4·1,024 + 2·4,096 = 14,528. The
 * layer's matrices grow with the square of the width.
 */
export const parametersAtWidth32 = 14528;

/** Exercise 2: heads are slices of the same q, k and v; their number changes no matrix. */
export const parametersWithOneHead = 4192;

/**
 * Exercise 3: a softmax that exponentiates the logits as they are.
 *
 * @example
 * ```ts
 * import { naiveSoftmax } from "./04_model.ts";
 * import { Value } from "../../lib/mod.ts";
 * console.log(naiveSoftmax([new Value(1000), new Value(999)]).map((p) => p.data)); // [ NaN, NaN ]
 * ```
 */
export function naiveSoftmax(logits: Value[]): Value[] {
  const exps = logits.map((z) => z.exp());
  const total = sum(exps);
  return exps.map((e) => e.div(total));
}

/**
 * Exercise 4: widen with `mlpFc1`, `relu`, narrow with `mlpFc2`.
 *
 * @example
 * ```ts ignore
 * const out = mlp(x, model.layers[0]); // [nEmbd]
 * ```
 */
export function mlp(x: Value[], layer: LayerWeights): Value[] {
  const hidden = linear(x, layer.mlpFc1).map((z) => z.relu()); // [4 * nEmbd]
  return linear(hidden, layer.mlpFc2); // [nEmbd]
}
