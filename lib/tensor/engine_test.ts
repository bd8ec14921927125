/**
 * The tensor engine against the Value engine: the same loss and gradient bits at batch size 1,
 * the same logits and sampling probabilities, the same Adam updates and training run; and
 * minibatches whose gradient is the mean of their documents' gradients.
 */
import assert from "node:assert/strict";
import { Adam } from "../adam.ts";
import { DEFAULT_CONFIG, type GPTConfig } from "../config.ts";
import { FastEngine } from "../fast_engine.ts";
import { formatFixed } from "../format.ts";
import { loadDocs } from "../data.ts";
import { GPT, KVCache, softmax } from "../model.ts";
import { Random } from "../random.ts";
import { Tokenizer } from "../tokenizer.ts";
import { documentLoss, Trainer } from "../train.ts";
import { TensorEngine } from "./engine.ts";
import { relativeError } from "./gradcheck.ts";

/** A document of `length` random characters as `[BOS, ..., BOS]`, BOS being `vocabSize - 1`. */
function randomDoc(rng: Random, vocabSize: number, length: number): number[] {
  const bos = vocabSize - 1;
  return [bos, ...Array.from({ length }, () => rng.randbelow(bos)), bos];
}

/** How many entries differ in their bits (`Object.is`), and the largest relative difference. */
function bitDifferences(a: ArrayLike<number>, b: ArrayLike<number>): { count: number; largest: number } {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) count++;
  return { count, largest: relativeError(a, b, 0).error };
}

interface Case {
  config: GPTConfig;
  vocabSize: number;
  docLength: number;
}

const FIXED_CASES: Case[] = [
  { config: DEFAULT_CONFIG, vocabSize: 27, docLength: 5 },
  { config: DEFAULT_CONFIG, vocabSize: 27, docLength: 20 }, // longer than the context: 16 positions
  { config: { nEmbd: 12, nHead: 3, nLayer: 2, blockSize: 8 }, vocabSize: 11, docLength: 7 },
  { config: { nEmbd: 8, nHead: 1, nLayer: 3, blockSize: 6 }, vocabSize: 5, docLength: 9 },
  { config: { nEmbd: 6, nHead: 2, nLayer: 1, blockSize: 3 }, vocabSize: 30, docLength: 0 }, // [BOS, BOS]
  { config: { nEmbd: 10, nHead: 5, nLayer: 2, blockSize: 12 }, vocabSize: 9, docLength: 11 },
  { config: { nEmbd: 32, nHead: 4, nLayer: 1, blockSize: 16 }, vocabSize: 27, docLength: 9 },
  { config: { nEmbd: 4, nHead: 4, nLayer: 1, blockSize: 1 }, vocabSize: 3, docLength: 4 }, // one position
];

/** Random shapes: 1-4 heads of width 1-4, 1-3 layers, context 1-12, vocabulary 2-31, documents up to 4 longer than the context. */
function randomCases(rng: Random, count: number): Case[] {
  return Array.from({ length: count }, () => {
    const nHead = 1 + rng.randbelow(4);
    const blockSize = 1 + rng.randbelow(12);
    return {
      config: { nEmbd: nHead * (1 + rng.randbelow(4)), nHead, nLayer: 1 + rng.randbelow(3), blockSize },
      vocabSize: 2 + rng.randbelow(30),
      docLength: rng.randbelow(blockSize + 4),
    };
  });
}

Deno.test("TensorEngine computes the Value engine's loss and gradients, bit for bit", async (t) => {
  const cases = [...FIXED_CASES, ...randomCases(new Random(77), 24)];
  for (const [index, { config, vocabSize, docLength }] of cases.entries()) {
    const name = `n_embd ${config.nEmbd}, n_head ${config.nHead}, n_layer ${config.nLayer}, ` +
      `block_size ${config.blockSize}, vocab ${vocabSize}, ${docLength} characters`;
    await t.step(name, () => {
      const rng = new Random(500 + index);
      const model = GPT.init(config, vocabSize, rng);
      const tokens = randomDoc(rng, vocabSize, docLength);
      const engine = new TensorEngine(model);
      const loss = engine.lossAndGradient([tokens]);
      const valueLoss = documentLoss(model, tokens);
      valueLoss.backward();
      assert.ok(
        Object.is(loss, valueLoss.data),
        `NOT OK: loss ${loss} vs the Value engine's ${valueLoss.data}`,
      );
      const { count, largest } = bitDifferences(engine.grads, model.parameters.map((p) => p.grad));
      assert.equal(
        count,
        0,
        `NOT OK: ${count} gradients differ in their bits (largest relative difference ${largest})`,
      );
      assert.ok(engine.grads.some((g) => g !== 0));
    });
  }
});

Deno.test("TensorEngine.forward and nextTokenProbabilities", async (t) => {
  const config = { nEmbd: 12, nHead: 3, nLayer: 2, blockSize: 8 };
  const model = GPT.init(config, 13, new Random(5));
  const engine = new TensorEngine(model);
  const sequence = [12, 3, 0, 7, 7, 11, 2, 5];

  await t.step("give GPT.forward's logits and the Value engine's sampling probabilities, bit for bit", () => {
    const cache = new KVCache(config);
    for (const [pos, token] of sequence.entries()) {
      const logits = model.forward(token, pos, cache);
      const probs = softmax(logits.map((l) => l.div(0.7)));
      assert.deepEqual(Array.from(engine.forward(token, pos)), logits.map((v) => v.data), `logits at ${pos}`);
      const tensorProbs = engine.nextTokenProbabilities(token, pos, 0.7);
      assert.deepEqual(Array.from(tensorProbs), probs.map((p) => p.data), `probabilities at ${pos}`);
    }
  });

  await t.step("start a new sequence at position 0 and may go back to an earlier position", () => {
    const first = engine.forward(4, 0);
    engine.forward(9, 1);
    assert.deepEqual(engine.forward(4, 0), first);
    const again = new TensorEngine(model);
    again.forward(4, 0);
    assert.deepEqual(engine.forward(1, 1), again.forward(1, 1));
  });

  await t.step("reject tokens, positions and documents outside the model", () => {
    assert.throws(() => engine.forward(13, 0), /token 13 is outside the vocabulary 0..12/);
    assert.throws(() => engine.forward(0, 8), /position 8 is outside the context 0..7/);
    engine.forward(0, 0);
    assert.throws(() => engine.forward(0, 2), /position 2 needs positions 0..1 to be run first/);
    assert.throws(() => engine.forward(1.5, 1), /token 1.5 is outside the vocabulary/);
    engine.forward(0, 1); // the rejected token left the sequence as it was
    assert.throws(() => engine.lossAndGradient([[12]]), /at least two tokens/);
    assert.throws(() => engine.loss([[12, 40]]), /token 40 is outside the vocabulary 0..12/);
    assert.throws(() => engine.loss([]), /at least one document/);
  });
});

Deno.test("TensorEngine.loss is lossAndGradient's loss and leaves the gradients alone", () => {
  const model = GPT.init(DEFAULT_CONFIG, 27, new Random(9));
  const engine = new TensorEngine(model);
  const doc = [26, 1, 2, 3, 26];
  const withGrad = engine.lossAndGradient([doc]);
  const grads = engine.grads.slice();
  assert.equal(engine.loss([doc]), withGrad);
  assert.equal(engine.loss([[26, 8, 9, 26]]), documentLoss(model, [26, 8, 9, 26]).data);
  assert.deepEqual(engine.grads, grads);
});

Deno.test("minibatches", async (t) => {
  const config = { nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 8 };
  const rng = new Random(31);
  const model = GPT.init(config, 10, rng);
  // lengths 2, 5, 9 (longer than the context) and 1 character: padded to 8 positions
  const docs = [2, 5, 9, 1].map((n) => randomDoc(rng, 10, n));
  const engine = new TensorEngine(model);
  const single = docs.map((doc) => ({ loss: engine.lossAndGradient([doc]), grads: engine.grads.slice() }));

  await t.step("B = 4: the loss is the mean of the documents' losses", () => {
    const loss = engine.lossAndGradient(docs);
    const mean = (single[0].loss + single[1].loss + single[2].loss + single[3].loss) / 4;
    assert.ok(Math.abs(loss - mean) <= 1e-15 * mean, `batch loss ${loss}, mean of the losses ${mean}`);
  });

  await t.step("B = 4: the gradient is the mean of the four B = 1 gradients (within 1e-12)", () => {
    engine.lossAndGradient(docs);
    const mean = single[0].grads.map((_, i) =>
      (single[0].grads[i] + single[1].grads[i] + single[2].grads[i] + single[3].grads[i]) / 4
    );
    const { error, at } = relativeError(engine.grads, mean); // relative to the largest entry: about 1e-16
    assert.ok(
      error <= 1e-12,
      `NOT OK: relative difference ${error} at ${at} (${engine.grads[at]} vs ${mean[at]})`,
    );
    assert.ok(engine.grads.some((g) => g !== 0));
  });

  await t.step("padding does not change a document's loss", () => {
    // a short document padded next to a long one: its position losses are those of B = 1
    const pair = engine.loss([docs[0], docs[2]]);
    assert.ok(Math.abs(pair - (single[0].loss + single[2].loss) / 2) <= 1e-15 * pair);
  });
});

Deno.test("TensorEngine.update takes the Value engine's Adam step", () => {
  const model = GPT.init(DEFAULT_CONFIG, 27, new Random(3));
  const engine = new TensorEngine(model);
  const doc = [26, 4, 12, 12, 0, 26];
  const valueAdam = new Adam(model.parameters.length);
  const tensorAdam = new Adam(model.parameters.length);
  engine.lossAndGradient([doc]);
  engine.update(tensorAdam, 0, 10);
  assert.ok(engine.grads.every((g) => g === 0), "the update zeroes the gradients, like Adam.step");
  documentLoss(model, doc).backward();
  valueAdam.step(model.parameters, 0, 10);
  assert.deepEqual(Array.from(engine.weights), model.parameters.map((p) => p.data));
  assert.deepEqual(tensorAdam.m, valueAdam.m);
  assert.deepEqual(tensorAdam.v, valueAdam.v);
});

Deno.test("TensorEngine weights are the model's parameters in order, read and written on request", () => {
  const model = GPT.init({ nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 4 }, 7, new Random(3));
  const engine = new TensorEngine(model);
  assert.deepEqual(Array.from(engine.weights), model.parameters.map((p) => p.data));
  // each named matrix is the model's: wte[1][2], layer1's attn_wv[3][4] (inside the stacked qkv), mlp_fc2[7][31]
  assert.equal(engine.gpt.wte.at(1, 2), model.wte[1][2].data);
  assert.equal(engine.gpt.layers[1].attnWqkv.at(2 * 8 + 3, 4), model.layers[1].attnWv[3][4].data);
  assert.equal(engine.gpt.layers[1].mlpFc2.at(7, 31), model.layers[1].mlpFc2[7][31].data);
  model.parameters[7].data = 0.5;
  assert.notEqual(engine.weights[7], 0.5);
  engine.loadWeights();
  assert.equal(engine.weights[7], 0.5);
  engine.weights[100] = -2;
  engine.storeWeights();
  assert.equal(model.parameters[100].data, -2);
});

Deno.test("microgpt's 1000-step run: every loss is the Value engine's, bit for bit, and prints as the fast engine's", async () => {
  const rng = new Random(42);
  const docs = await loadDocs(new URL("../../data/names.txt", import.meta.url).pathname);
  rng.shuffle(docs);
  const tokenizer = Tokenizer.fromDocs(docs);
  const model = GPT.init(DEFAULT_CONFIG, tokenizer.vocabSize, rng);
  const encoded = docs.map((d) => tokenizer.encode(d));
  const steps = 1000;
  const copy = (): GPT => {
    const m = GPT.init(DEFAULT_CONFIG, tokenizer.vocabSize, new Random(0));
    m.parameters.forEach((p, i) => (p.data = model.parameters[i].data));
    return m;
  };

  const tensor = new TensorEngine(copy());
  const tensorAdam = new Adam(model.parameters.length);
  const fast = new FastEngine(copy());
  const fastAdam = new Adam(model.parameters.length);
  const tensorLosses: number[] = [];
  const fastLosses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const doc = encoded[step % encoded.length];
    tensorLosses.push(tensor.lossAndGradient([doc]));
    tensor.update(tensorAdam, step, steps);
    fastLosses.push(fast.lossAndGradient(doc));
    fast.applyAdam(fastAdam, step, steps);
  }
  const valueLosses = [...new Trainer(model, encoded, { steps, engine: "value" }).steps()].map((s) => s.loss);

  const differing = tensorLosses.flatMap((loss, i) => (Object.is(loss, valueLosses[i]) ? [] : [i + 1]));
  assert.deepEqual(
    differing,
    [],
    `NOT OK: the loss differs from the Value engine's at steps ${differing.slice(0, 5)}`,
  );
  assert.deepEqual(Array.from(tensor.weights), model.parameters.map((p) => p.data), "the trained weights");
  assert.deepEqual(tensorLosses.map((l) => formatFixed(l, 4)), fastLosses.map((l) => formatFixed(l, 4)));
  assert.equal(formatFixed(tensorLosses[0], 4), "3.4639"); // microgpt's first and last printed losses
  assert.equal(formatFixed(tensorLosses[steps - 1], 4), "2.5116");
});
