/**
 * The character tokenizer: every distinct character of the dataset is a token, sorted by
 * code point, plus one special token `BOS` that marks where a document begins and ends.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/**
 * Maps characters to token ids and back.
 *
 * @example
 * ```ts
 * import { Tokenizer } from "./tokenizer.ts";
 * const tok = Tokenizer.fromDocs(["emma", "ava"]);
 * console.log(tok.chars.join(""), tok.bos, tok.vocabSize); // aemv 4 5
 * console.log(tok.encode("ava")); // [4, 0, 3, 0, 4]
 * console.log(tok.decode([0, 3, 0])); // ava
 * ```
 */
export class Tokenizer {
  /** The vocabulary: id `i` is the character `chars[i]`. */
  readonly chars: readonly string[];
  /** The id of the begin/end-of-sequence token, `chars.length`. */
  readonly bos: number;
  private readonly ids: Map<string, number>;

  /** A tokenizer with the vocabulary `chars` (distinct characters, in token-id order). */
  constructor(chars: readonly string[]) {
    this.chars = [...chars];
    this.bos = this.chars.length;
    this.ids = new Map(this.chars.map((ch, i) => [ch, i]));
    if (this.ids.size !== this.chars.length) throw new RangeError("vocabulary has a repeated character");
  }

  /** The sorted set of characters (by code point, whole code points) of the documents. */
  static fromDocs(docs: readonly string[]): Tokenizer {
    const set = new Set<string>();
    for (const doc of docs) for (const ch of doc) set.add(ch);
    return new Tokenizer([...set].sort(byCodePoint));
  }

  /** Number of token ids: the characters plus `BOS`. */
  get vocabSize(): number {
    return this.bos + 1;
  }

  /** The id of one character; a character outside the vocabulary is a UsageError. */
  id(ch: string): number {
    const id = this.ids.get(ch);
    if (id === undefined) {
      throw new UsageError(
        `character ${JSON.stringify(ch)} is not in the vocabulary (${
          JSON.stringify(this.chars.join(""))
        }); use only those characters`,
      );
    }
    return id;
  }

  /** A document as `[BOS, ...character ids, BOS]`. */
  encode(doc: string): number[] {
    const tokens = [this.bos];
    for (const ch of doc) tokens.push(this.id(ch));
    tokens.push(this.bos);
    return tokens;
  }

  /** Token ids back to text; `BOS` is skipped. */
  decode(ids: readonly number[]): string {
    let text = "";
    for (const id of ids) {
      if (id === this.bos) continue;
      const ch = this.chars[id];
      if (ch === undefined) throw new RangeError(`token id ${id} is outside the vocabulary 0..${this.bos}`);
      text += ch;
    }
    return text;
  }
}

function byCodePoint(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}
