import assert from "node:assert/strict";
import { corpusFromBytes } from "./corpus.ts";
import { docsFromBytes } from "./data.ts";
import { shuffledDataset } from "./dataset.ts";
import { UsageError } from "./errors.ts";

const FIXTURES = new URL("../tests/fixtures/", import.meta.url);

Deno.test("corpusFromBytes() is shuffledDataset(docsFromBytes()), compactly", async (t) => {
  const files = [
    new URL("../data/names.txt", import.meta.url),
    new URL("unicode-names.txt", FIXTURES), // a BOM, CRLF and lone CR, Python-only whitespace, an emoji
  ];
  for (const url of files) {
    const bytes = await Deno.readFile(url);
    for (const seed of [42, 7]) {
      await t.step(`${url.pathname.split("/").pop()}, seed ${seed}`, () => {
        const expected = shuffledDataset(docsFromBytes(bytes, "x"), seed);
        const { corpus, tokenizer, rng } = corpusFromBytes(bytes, "x", seed);
        assert.deepEqual(tokenizer.chars, expected.tokenizer.chars);
        assert.equal(corpus.length, expected.tokens.length);
        for (let i = 0; i < corpus.length; i++) {
          assert.deepEqual(corpus.at(i), expected.tokens[i], `document ${i}`);
        }
        assert.equal(corpus.text(3), expected.docs[3]);
        assert.deepEqual(rng.getState(), expected.rng.getState(), "the generator after the shuffle");
      });
    }
  }
});

Deno.test("a Corpus: views, ends and errors", () => {
  const { corpus } = corpusFromBytes(new TextEncoder().encode("emma\nolivia\nava\n"), "n.txt", 42);
  const tail = corpus.slice(1);
  assert.equal(tail.length, 2);
  assert.deepEqual(tail.at(0), corpus.at(1));
  assert.equal(corpus.at(3), undefined);
  assert.equal(corpus.at(-1), undefined);
  assert.throws(
    () => corpusFromBytes(new TextEncoder().encode(" \n\n"), "e.txt"),
    UsageError,
    "has no documents",
  );
  assert.throws(
    () => corpusFromBytes(new Uint8Array([0x61, 0x0a, 0xff, 0x0a]), "b.txt"),
    /data file b\.txt is not valid UTF-8 \(line 2\)/,
  );
});

Deno.test("Corpus.limit(): a long document as far as a model reads it", () => {
  const { corpus } = corpusFromBytes(new TextEncoder().encode("abcdefgh\nab\n"), "n.txt", 1);
  const long = corpus.text(0).length === 8 ? 0 : 1;
  const limited = corpus.limit(4);
  assert.deepEqual(limited.at(long), corpus.at(long)!.slice(0, 4));
  assert.deepEqual(limited.at(1 - long), corpus.at(1 - long)!.slice(0, 4)); // [BOS, a, b, BOS]
  assert.equal(limited.slice(0).text(long), "abcdefgh");
});
