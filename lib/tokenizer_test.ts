import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import { Tokenizer } from "./tokenizer.ts";

Deno.test("Tokenizer: sorted vocabulary, BOS last, encode/decode round trip", () => {
  const tok = Tokenizer.fromDocs(["emma", "olivia", "ava"]);
  assert.deepEqual(tok.chars, ["a", "e", "i", "l", "m", "o", "v"]);
  assert.equal(tok.bos, 7);
  assert.equal(tok.vocabSize, 8);
  assert.deepEqual(tok.encode("ava"), [7, 0, 6, 0, 7]);
  assert.equal(tok.decode(tok.encode("olivia")), "olivia");
});

Deno.test("Tokenizer sorts by code point and keeps astral characters whole", () => {
  const tok = Tokenizer.fromDocs(["Zé😀a", "b"]);
  assert.deepEqual(tok.chars, ["Z", "a", "b", "é", "😀"]);
  assert.deepEqual(tok.encode("😀"), [5, 4, 5]);
  assert.equal(tok.decode([0, 3, 4]), "Zé😀");
});

Deno.test("Tokenizer rejects characters outside the vocabulary with a clear message", () => {
  const tok = Tokenizer.fromDocs(["abc"]);
  assert.throws(() => tok.encode("abz"), (err: Error) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.message, 'character "z" is not in the vocabulary ("abc"); use only those characters');
    return true;
  });
  assert.throws(() => tok.decode([9]), /outside the vocabulary/);
});
