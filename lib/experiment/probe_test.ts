import assert from "node:assert/strict";
import { corpusFromBytes } from "../corpus.ts";
import { softmax } from "../model.ts";
import { Value } from "../value.ts";
import { modelFromCheckpoint } from "./checkpoint.ts";
import { createEngine } from "./engines.ts";
import { runExperiment } from "./experiment.ts";
import { makeProbe, PROBE_FORMAT, runDocuments, writeProbe } from "./probe.ts";
import { experimentConfig } from "./run_record.ts";

const NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];
const DATA = new TextEncoder().encode(NAMES.join("\n") + "\n");

Deno.test("makeProbe() / writeProbe() / runDocuments()", async (t) => {
  const config = experimentConfig({
    seed: 3,
    dataPath: "names10.txt",
    model: { nEmbd: 8, nHead: 2, blockSize: 6 },
    train: { steps: 12 },
    sample: { numSamples: 0 },
    engine: "fast",
  });
  const { checkpoint } = await runExperiment(config, { data: DATA });
  const texts = NAMES.slice(0, 4); // "isabella" is longer than the context
  const probe = makeProbe(checkpoint, texts);

  await t.step("one row of logits per position the model reads, at most blockSize", () => {
    assert.equal(probe.format, PROBE_FORMAT);
    assert.equal(probe.step, 12);
    assert.deepEqual(probe.vocab, checkpoint.vocab);
    assert.deepEqual(probe.docs.map((d) => d.text), texts);
    assert.deepEqual(probe.docs.map((d) => d.logits.length), [5, 6, 4, 6]);
    for (const doc of probe.docs) {
      assert.equal(doc.tokens.length, doc.text.length + 2);
      for (const row of doc.logits) assert.equal(row.length, checkpoint.vocab.length + 1);
    }
  });
  await t.step("the loss is the mean of -log softmax(logits)[next token], the run's engine's bits", () => {
    const fast = createEngine("fast", modelFromCheckpoint(checkpoint));
    for (const doc of probe.docs) {
      const nll = doc.logits.map((row, pos) =>
        -Math.log(softmax(row.map((x) => new Value(x)))[doc.tokens[pos + 1]].data)
      );
      const mean = nll.reduce((a, b) => a + b, 0) / nll.length;
      assert.ok(Math.abs(doc.loss - mean) < 1e-14, `${doc.text}: ${doc.loss} vs ${mean}`);
      assert.equal(doc.loss, fast.loss([doc.tokens])); // one document: every engine's bits
    }
  });
  await t.step("written exactly: every number reads back as the same double", async () => {
    const dir = await Deno.makeTempDir({ prefix: "microgpt_probe_" });
    try {
      await writeProbe(`${dir}/probe.json`, probe);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/probe.json`)), probe);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step(
    "runDocuments(): the run's order (its data shuffled by its seed), at most all of them",
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "microgpt_probe_" });
      try {
        const dataPath = `${dir}/names.txt`;
        await Deno.writeFile(dataPath, DATA);
        const { corpus } = corpusFromBytes(DATA, dataPath, 3);
        const order = Array.from({ length: corpus.length }, (_, i) => corpus.text(i));
        assert.notDeepEqual(order, NAMES);
        assert.deepEqual(await runDocuments({ dataPath, seed: 3 }, 4), order.slice(0, 4));
        assert.deepEqual(await runDocuments({ dataPath, seed: 3 }, 50), order);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
});
