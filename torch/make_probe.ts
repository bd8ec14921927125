/**
 * Writes a probe file: the first N documents of a run's shuffled order with the logits and loss that
 * our TypeScript model (the readable `Value` engine) computes for them from a checkpoint, so that
 * `python3 torch/microgpt.py verify CHECKPOINT --probe FILE` can compare PyTorch with it. The format
 * is specified in torch/README.md. (A stand-in until `deno task train --probe` writes the same file.)
 *
 *     deno run --allow-read --allow-write torch/make_probe.ts CHECKPOINT DATA N OUT
 *
 * @module
 */

import { loadCheckpoint, modelFromCheckpoint, tokenizerFromCheckpoint } from "../lib/checkpoint.ts";
import { loadDocs } from "../lib/data.ts";
import { exactJson, writeTextFileAtomic } from "../lib/json_file.ts";
import { KVCache } from "../lib/model.ts";
import { Random } from "../lib/random.ts";
import { documentLoss } from "../lib/train.ts";
import { PROGRAM_NAME, VERSION } from "../lib/version.ts";

const [checkpointPath, dataPath, count, outPath] = Deno.args;
if (outPath === undefined || !/^[1-9][0-9]*$/.test(count)) {
  console.error("usage: deno run --allow-read --allow-write torch/make_probe.ts CHECKPOINT DATA N OUT");
  Deno.exit(2);
}
const checkpoint = await loadCheckpoint(checkpointPath);
const model = modelFromCheckpoint(checkpoint);
const tokenizer = tokenizerFromCheckpoint(checkpoint);
// The run's order: the documents shuffled by a fresh generator with the run's seed.
const docs = await loadDocs(dataPath);
new Random(checkpoint.experiment.seed).shuffle(docs);

const probeDocs = docs.slice(0, Number(count)).map((text) => {
  const tokens = tokenizer.encode(text);
  const n = Math.min(model.config.blockSize, tokens.length - 1);
  const cache = new KVCache(model.config);
  const logits: number[][] = []; // [n][vocabSize]
  for (let pos = 0; pos < n; pos++) logits.push(model.forward(tokens[pos], pos, cache).map((v) => v.data));
  return { text, tokens, loss: documentLoss(model, tokens).data, logits };
});
const probe = {
  format: "microgpt-probe",
  version: 1,
  program: { name: PROGRAM_NAME, version: VERSION },
  step: checkpoint.step,
  vocab: checkpoint.vocab,
  docs: probeDocs,
};
await writeTextFileAtomic(outPath, exactJson(probe) + "\n");
