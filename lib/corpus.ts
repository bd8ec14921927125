/**
 * A dataset held compactly, for files of any size up to `MAX_DATA_BYTES`: every document's
 * character ids side by side in one typed array (one byte each for up to 255 characters),
 * where each document starts, and the shuffled order, instead of one string and one array per
 * document (about 30 times the file's size for short names). It is the same dataset as
 * `shuffledDataset` makes, in the same order with the same vocabulary and generator; a
 * document's token ids are built when it is asked for (`at`), and training asks for one
 * document per step.
 *
 * @module
 */

import { forEachDocInBytes, noDocuments } from "./data.ts";
import { DEFAULT_SEED } from "./dataset.ts";
import { Random } from "./random.ts";
import { Tokenizer } from "./tokenizer.ts";

/**
 * Documents as token ids (`[BOS, ...characters, BOS]`), read one at a time: an array of
 * them, or a `Corpus`. Training and validation take either.
 */
export interface DocumentList {
  /** How many documents. */
  readonly length: number;
  /** Document `index` (0-based), or undefined outside `0..length-1`. */
  at(index: number): readonly number[] | undefined;
}

/** The ids of every document, one after another. */
type Ids = Uint8Array | Uint16Array | Uint32Array;

/**
 * Documents in a shuffled order, stored compactly; `at(i)` is the `i`-th document of the
 * order as token ids, `text(i)` its characters.
 */
export class Corpus implements DocumentList {
  /**
   * @param ids every document's character ids, in file order; @param starts where document d's
   * ids start (`starts[d]..starts[d+1]`); @param order the file index of each document of the
   * list; @param maxTokens the most tokens `at` returns (see `limit`).
   */
  constructor(
    readonly tokenizer: Tokenizer,
    private readonly ids: Ids,
    private readonly starts: Uint32Array, // [numFileDocs + 1]
    private readonly order: Uint32Array, // [length]
    private readonly maxTokens: number = Infinity,
  ) {}

  /** How many documents. */
  get length(): number {
    return this.order.length;
  }

  /**
   * Document `index` as `[BOS, ...character ids, BOS]` (a new array; its first `maxTokens`
   * only), or undefined.
   */
  at(index: number): number[] | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.order.length) return undefined;
    const d = this.order[index];
    const from = this.starts[d];
    const to = this.starts[d + 1];
    const bos = this.tokenizer.bos;
    const length = Math.min(to - from + 2, this.maxTokens);
    const tokens = new Array<number>(length);
    tokens[0] = bos;
    for (let i = 1; i < length; i++) tokens[i] = from + i - 1 < to ? this.ids[from + i - 1] : bos;
    return tokens;
  }

  /** Document `index`'s text (all of it). */
  text(index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= this.order.length) {
      throw new RangeError(`document ${index} is outside 0..${this.length - 1}`);
    }
    const d = this.order[index];
    return this.tokenizer.decode(Array.from(this.ids.subarray(this.starts[d], this.starts[d + 1])));
  }

  /** Documents `start..end-1` of this list: a view, nothing is copied. */
  slice(start: number, end: number = this.length): Corpus {
    const order = this.order.subarray(start, end);
    return new Corpus(this.tokenizer, this.ids, this.starts, order, this.maxTokens);
  }

  /**
   * This list with each document cut to its first `maxTokens` tokens: a model with a context of
   * `blockSize` reads only the first `blockSize + 1` (the last as a target), so training on a
   * document of any length never builds more than that.
   */
  limit(maxTokens: number): Corpus {
    return new Corpus(this.tokenizer, this.ids, this.starts, this.order, maxTokens);
  }
}

/** What `corpusFromBytes` returns: `shuffledDataset`'s dataset, compactly. */
export interface CorpusDataset {
  /** The documents, shuffled as `shuffledDataset` shuffles them. */
  corpus: Corpus;
  /** Every character of the documents, and `BOS`. */
  tokenizer: Tokenizer;
  /** The generator, as the shuffle left it: initialise the model from it, then sample from it. */
  rng: Random;
}

/**
 * A dataset file's bytes as `shuffledDataset(docsFromBytes(bytes, path), seed)` prepares them
 * (the same order, vocabulary and generator state), held compactly. Two passes over the bytes,
 * a megabyte of text at a time: the first finds the vocabulary and sizes, the second writes
 * the ids. Invalid UTF-8 and a file without documents are one-line UsageErrors.
 *
 * @example
 * ```ts
 * import { corpusFromBytes } from "./corpus.ts";
 * const { corpus, tokenizer } = corpusFromBytes(new TextEncoder().encode("emma\nolivia\nava\n"), "names.txt", 42);
 * console.log(corpus.length, tokenizer.vocabSize, corpus.text(0), corpus.at(2)); // 3 9 olivia [8, 0, 7, 0, 8]
 * ```
 */
export function corpusFromBytes(bytes: Uint8Array, path: string, seed: number = DEFAULT_SEED): CorpusDataset {
  const source = `data file ${path}`;
  // Pass 1: the characters (BMP ones in a table, others in a set), documents and their lengths.
  const seenBmp = new Uint8Array(0x10000);
  const seenAstral = new Set<number>();
  let numChars = 0;
  const numDocs = forEachDocInBytes(bytes, source, (doc) => {
    for (let i = 0; i < doc.length; i++) {
      const code = doc.codePointAt(i)!;
      if (code > 0xffff) {
        seenAstral.add(code);
        i++; // the low surrogate
      } else {
        seenBmp[code] = 1;
      }
      numChars++;
    }
  });
  if (numDocs === 0) throw noDocuments(path);
  const codes: number[] = [];
  for (let c = 0; c < 0x10000; c++) if (seenBmp[c]) codes.push(c);
  codes.push(...[...seenAstral].sort((a, b) => a - b));
  const tokenizer = new Tokenizer(codes.map((c) => String.fromCodePoint(c)));

  // Pass 2: every document's ids, in file order.
  const idOfBmp = new Int32Array(0x10000).fill(-1);
  const idOfAstral = new Map<number, number>();
  codes.forEach((c, id) => c > 0xffff ? idOfAstral.set(c, id) : (idOfBmp[c] = id));
  const ids: Ids = tokenizer.vocabSize <= 0x100
    ? new Uint8Array(numChars)
    : tokenizer.vocabSize <= 0x10000
    ? new Uint16Array(numChars)
    : new Uint32Array(numChars);
  const starts = new Uint32Array(numDocs + 1);
  let d = 0;
  let k = 0;
  forEachDocInBytes(bytes, source, (doc) => {
    starts[d++] = k;
    for (let i = 0; i < doc.length; i++) {
      const code = doc.codePointAt(i)!;
      if (code > 0xffff) {
        ids[k++] = idOfAstral.get(code)!;
        i++;
      } else {
        ids[k++] = idOfBmp[code];
      }
    }
  });
  starts[numDocs] = k;

  // microgpt's shuffle of the documents, done on their indexes: the same draws, the same order.
  const rng = new Random(seed);
  const order = new Uint32Array(numDocs);
  for (let i = 0; i < numDocs; i++) order[i] = i;
  rng.shuffle(order);
  return { corpus: new Corpus(tokenizer, ids, starts, order), tokenizer, rng };
}
