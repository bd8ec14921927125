/**
 * The checks of notebook 02's exercises ("Try it"). Each takes your answer and shows one line:
 * `✓ ...` when it is right, `✗ ...` saying what is off. Worked solutions:
 * `notebooks/solutions/02_tokenizer.ts`.
 *
 * @module
 */

import { Tokenizer } from "../../lib/mod.ts";
import { attempt, type CheckResult, choice, fail, pass, prediction } from "./check.ts";

const DOCS = ["emma", "olivia", "zoë", "a b", "ava"];

/**
 * Exercise 1 (implement a piece): `encode(text, chars)` must give `[BOS, ids..., BOS]`, where a
 * character's id is its index in `chars` and `BOS` is `chars.length`.
 *
 * @example
 * ```ts
 * import { encode } from "./02_tokenizer.ts";
 * console.log(encode(() => []).message.startsWith("✗")); // true
 * ```
 */
export function encode(yours: (text: string, chars: readonly string[]) => number[]): CheckResult {
  return attempt(() => {
    const tokenizer = Tokenizer.fromDocs(DOCS);
    for (const text of ["emma", "", "zoë", "a b", "livia"]) {
      const got = yours(text, tokenizer.chars);
      const expected = tokenizer.encode(text);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        return fail(
          `encode(${JSON.stringify(text)}) with chars ${
            JSON.stringify(tokenizer.chars.join(""))
          }: you gave ` +
            `${JSON.stringify(got)}, the tokenizer gives ${
              JSON.stringify(expected)
            } (BOS is ${tokenizer.bos})`,
        );
      }
    }
    return pass("the same ids as Tokenizer.encode, BOS at both ends");
  });
}

/**
 * Exercise 2 (implement a piece): `decode(ids, chars)` must turn ids back into text, dropping
 * `BOS` (id `chars.length`) wherever it is.
 *
 * @example
 * ```ts
 * import { decode } from "./02_tokenizer.ts";
 * console.log(decode(() => "").message.startsWith("✗")); // true
 * ```
 */
export function decode(yours: (ids: number[], chars: readonly string[]) => string): CheckResult {
  return attempt(() => {
    const tokenizer = Tokenizer.fromDocs(DOCS);
    const bos = tokenizer.bos;
    const cases = [tokenizer.encode("olivia"), [bos, bos], tokenizer.encode("zoë").slice(0, -1), [
      ...tokenizer.encode("ava"),
      ...tokenizer.encode("emma"),
    ]];
    for (const ids of cases) {
      const got = yours([...ids], tokenizer.chars);
      const expected = tokenizer.decode(ids);
      if (got !== expected) {
        return fail(
          `decode(${JSON.stringify(ids)}): you gave ${JSON.stringify(got)}, the tokenizer gives ` +
            `${JSON.stringify(expected)} (BOS, id ${bos}, is dropped)`,
        );
      }
    }
    return pass("the same text as Tokenizer.decode, BOS dropped");
  });
}

/**
 * Exercise 3 (predict, then run): how many next-token examples the name `isabella` gives.
 *
 * @example
 * ```ts
 * import { examplesOfIsabella } from "./02_tokenizer.ts";
 * console.log(examplesOfIsabella(9).ok); // true
 * ```
 */
export function examplesOfIsabella(yours: number): CheckResult {
  const tokens = [..."isabella"].length + 2; // BOS, the letters, BOS
  return attempt(() => prediction("next-token examples in isabella", yours, tokens - 1));
}

/** The answers of exercise 4. */
export const SMOOTHING_CHOICES = ["goes up", "goes down", "stays the same"] as const;

/**
 * Exercise 4 (change a setting): with `+0.01` instead of `+1` added to every count, the bigram
 * loss on the same names...
 *
 * @example
 * ```ts
 * import { lessSmoothing } from "./02_tokenizer.ts";
 * console.log(lessSmoothing("goes up").ok); // false
 * ```
 */
export function lessSmoothing(answer: string): CheckResult {
  return choice(
    "with less smoothing the loss on the names it was counted from",
    answer,
    "goes down",
    SMOOTHING_CHOICES,
    "every pair scored here was also counted, so probabilities closer to the raw counts fit these names " +
      "better; smoothing pays off on names the table has not seen (an unseen pair would cost -ln 0 = ∞ without it)",
  );
}
