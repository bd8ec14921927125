import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../config.ts";
import { UsageError } from "../errors.ts";
import { GPT } from "../model.ts";
import { Random } from "../random.ts";
import { evaluateLoss, splitDocs, validateValidationConfig } from "./split.ts";
import { Tokenizer } from "../tokenizer.ts";
import { documentLoss } from "../value_engine.ts";
import { FastEngine } from "../fast/engine.ts";

const NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];

Deno.test("splitDocs()", async (t) => {
  await t.step("holds out the last ceil(fraction * N) documents", () => {
    assert.deepEqual(splitDocs(NAMES, 0.1), { train: NAMES.slice(0, 9), val: ["abigail"] });
    assert.deepEqual(splitDocs(NAMES, 0.25).val, ["harper", "evelyn", "abigail"]); // ceil(2.5) = 3
    assert.equal(splitDocs(NAMES, 0.01).val.length, 1); // never an empty validation set
    const { train, val } = splitDocs(NAMES, 0.5);
    assert.deepEqual([...train, ...val], NAMES);
  });
  await t.step("a fraction that leaves nothing to train on, or is out of range, is a UsageError", () => {
    assert.throws(
      () => splitDocs(["a"], 0.5),
      (e: Error) => e instanceof UsageError && /none to train on/.test(e.message),
    );
    assert.throws(() => splitDocs(NAMES, 0), UsageError);
    assert.throws(() => splitDocs(NAMES, 1), UsageError);
    assert.throws(() => splitDocs(NAMES, NaN), UsageError);
  });
});

Deno.test("validateValidationConfig()", async (t) => {
  await t.step("names the field to fix", () => {
    assert.throws(
      () => validateValidationConfig({ fraction: 1.5, every: 10, maxDocs: 5 }),
      /: validation\.fraction must be/,
    );
    assert.throws(
      () => validateValidationConfig({ fraction: 0.1, every: 0, maxDocs: 5 }),
      /: validation\.every must be/,
    );
    assert.throws(
      () => validateValidationConfig({ fraction: 0.1, every: 10, maxDocs: 2.5 }),
      /: validation\.maxDocs must be/,
    );
  });
});

Deno.test("evaluateLoss()", async (t) => {
  const tok = Tokenizer.fromDocs(NAMES);
  const docs = NAMES.map((d) => tok.encode(d));
  const model = GPT.init(DEFAULT_CONFIG, tok.vocabSize, new Random(3));
  await t.step("is the mean of the documents' losses, over the first maxDocs", () => {
    const losses = docs.map((d) => documentLoss(model, d).data);
    const mean3 = (losses[0] + losses[1] + losses[2]) / 3;
    assert.equal(evaluateLoss(model, docs, { maxDocs: 3 }), mean3);
    assert.equal(evaluateLoss(model, docs), losses.reduce((a, b) => a + b, 0) / losses.length);
    const chance = Math.log(tok.vocabSize); // an untrained model is close to uniform
    assert.ok(Math.abs(mean3 - chance) < 0.3, `untrained loss ${mean3} should be near ln(${tok.vocabSize})`);
  });
  await t.step("the fast engine gives the same bits", () => {
    assert.equal(
      evaluateLoss(new FastEngine(model), docs),
      evaluateLoss(model, docs),
    );
  });
  await t.step("changes no parameter and no gradient", () => {
    const before = model.parameters.map((p) => [p.data, p.grad]);
    evaluateLoss(model, docs);
    evaluateLoss(new FastEngine(model), docs);
    assert.deepEqual(model.parameters.map((p) => [p.data, p.grad]), before);
  });
  await t.step("needs at least one document", () => {
    assert.throws(() => evaluateLoss(model, []), RangeError);
  });
});
