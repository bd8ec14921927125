/**
 * Worked solutions to notebook 02's exercises. Try them yourself first; each one passes its
 * check in `notebooks/exercises/02_tokenizer.ts` (`02_tokenizer_test.ts` runs them).
 *
 * @module
 */

/**
 * Exercise 1: a character's id is its index in `chars`; `BOS` (id `chars.length`) at both ends.
 *
 * @example
 * ```ts
 * import { encode } from "./02_tokenizer.ts";
 * console.log(encode("ab", ["a", "b"])); // [ 2, 0, 1, 2 ]
 * ```
 */
export function encode(text: string, chars: readonly string[]): number[] {
  const bos = chars.length;
  return [bos, ...[...text].map((ch) => chars.indexOf(ch)), bos];
}

/**
 * Exercise 2: every id but `BOS` back to its character.
 *
 * @example
 * ```ts
 * import { decode } from "./02_tokenizer.ts";
 * console.log(decode([2, 0, 1, 2], ["a", "b"])); // ab
 * ```
 */
export function decode(ids: number[], chars: readonly string[]): string {
  return ids.filter((id) => id !== chars.length).map((id) => chars[id]).join("");
}

/** Exercise 3: `[BOS, i, s, a, b, e, l, l, a, BOS]` predicts each of its last 9 tokens from the ones before. */
export const examplesOfIsabella = 9;

/** Exercise 4: every pair scored was counted, so less smoothing fits these names better. */
export const lessSmoothing = "goes down";
