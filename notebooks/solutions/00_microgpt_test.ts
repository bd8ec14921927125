/** Notebook 00's exercises: every worked solution passes its check, and wrong answers fail it. */
import assert from "node:assert/strict";
import * as check from "../exercises/00_microgpt.ts";
import * as solution from "./00_microgpt.ts";

Deno.test("exercise 1: the uniform loss, predicted", () => {
  assert.equal(
    check.uniformLoss(solution.uniformLoss).message,
    "✓ the loss of guessing uniformly among 27 tokens: you said 3.29584, it is 3.29584",
  );
  assert.ok(check.uniformLoss(3.3).ok); // two decimals are enough
  assert.equal(
    check.uniformLoss(1 / 27).message,
    "✗ the loss of guessing uniformly among 27 tokens: you said 0.037037, it is 3.29584",
  );
  assert.match(check.uniformLoss(NaN).message, /^✗ .*replace the placeholder/);
});

Deno.test("exercise 2: what the seed changes", () => {
  assert.match(
    check.seedChanges(solution.seedChanges).message,
    /^✓ a new seed changes the order and the starting weights: Random\(seed\)/,
  );
  assert.equal(
    check.seedChanges("the vocabulary").message,
    "✗ a new seed changes the vocabulary? Not quite; think again",
  );
  assert.match(
    check.seedChanges("everything").message,
    /^✗ a new seed changes: answer one of "the names in the data", /,
  );
});

Deno.test("exercise 3: hotter samples", () => {
  assert.ok(check.hotterSamples(solution.hotterSamples).ok);
  assert.equal(check.hotterSamples("more").ok, false);
});
