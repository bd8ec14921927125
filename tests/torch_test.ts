/**
 * The PyTorch port (`torch/`) against this project: its own test suite (`python3 -m unittest
 * discover torch`, which holds it to our TypeScript side: logits within 1e-12 of `deno task
 * train --probe`'s on 50 documents, 100 training steps within 1e-9 of ours, 2 processes × B equal
 * to 1 × 2B within 1e-10, checkpoints and run directories shared both ways), a checkpoint
 * and run record it wrote read through the library the notebooks use (`lib/mod.ts`), and notebook
 * 10's exercises (notebooks/solutions/10_pytorch_test.py). Notebook 10 itself runs with the
 * others, on its Python kernel, in tests/notebooks_test.ts.
 *
 * They need `/usr/bin/python3` with PyTorch (`apt-get install python3-torch`; another Python:
 * `TORCH_PYTHON`). Without it they are skipped, saying so; CI installs it (`.ci/run`).
 */
import assert from "node:assert/strict";
import {
  attentionFigure,
  loadCheckpoint,
  lossCurveFigure,
  modelFromCheckpoint,
  readRunRecord,
  resumeExperiment,
  sampleFromCheckpoint,
  sampleName,
  tokenizerFromCheckpoint,
  tokenLabels,
} from "../lib/mod.ts";
import { rngFromCheckpoint } from "../lib/experiment/checkpoint.ts";
import { ROOT } from "./cli.ts";

const PYTHON = Deno.env.get("TORCH_PYTHON") ?? "/usr/bin/python3";

/** Runs Python from the repository root: exit code and output. */
async function python(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(PYTHON, { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
      .output();
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { code: 127, stdout: "", stderr: `${PYTHON} not found` };
    throw err;
  }
}

const probe = await python(["-c", "import torch; print(torch.__version__)"]);
const HAVE_TORCH = probe.code === 0;
if (!HAVE_TORCH) {
  console.log(
    `tests/torch_test.ts: skipped: PyTorch is not importable by ${PYTHON} ` +
      `(${probe.stderr.trim().split("\n").pop()}); install it with apt-get install python3-torch ` +
      "(or point TORCH_PYTHON at a Python that has it)",
  );
}

Deno.test({
  name: "PyTorch port: its test suite (python3 -m unittest discover torch)",
  ignore: !HAVE_TORCH,
  fn: async () => {
    const { code, stdout, stderr } = await python(["-m", "unittest", "discover", "-v", "torch"]);
    const output = (stdout + stderr).trimEnd();
    assert.equal(code, 0, `the torch suite failed:\n${output.split("\n").slice(-60).join("\n")}`);
    assert.match(output, /\nOK( \(skipped=0\))?$/, `some torch tests were skipped:\n${output}`);
    assert.doesNotMatch(output, /skipped '/, "the comparisons with our TypeScript side must run here");
  },
});

Deno.test({
  name: "PyTorch port: its checkpoint and run record in the library the notebooks use",
  ignore: !HAVE_TORCH,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "microgpt_torch_" });
    try {
      // A minibatched run at another size: 2 layers of width 32, 4 documents per step.
      const flags = ["--n-embd", "32", "--n-layer", "2", "--batch-size", "4", "--lr", "0.005"];
      const made = await python([
        "torch/microgpt.py",
        "train",
        ...flags,
        "--steps",
        "30",
        "--samples",
        "5",
        "--device",
        "cpu",
        "--out",
        dir,
      ]);
      assert.equal(made.code, 0, made.stderr);
      const printed = made.stdout.split("\n").filter((l) => l.startsWith("sample ")).map((l) =>
        l.replace(/^sample +\d+: /, "")
      );
      const checkpoint = await loadCheckpoint(`${dir}/checkpoint.json`); // its checksum verified
      const record = await readRunRecord(`${dir}/run.json`);

      await t.step("loadCheckpoint / readRunRecord: what PyTorch trained, said so", () => {
        assert.equal(checkpoint.program.name, "microgpt-torch");
        assert.equal(checkpoint.experiment.engine, "torch");
        assert.equal(checkpoint.experiment.train.batchSize, 4);
        assert.deepEqual(checkpoint.experiment.model, { nEmbd: 32, nHead: 4, nLayer: 2, blockSize: 16 });
        assert.match(checkpoint.checksum!, /^sha256:[0-9a-f]{64}$/);
        assert.equal(record.runId, checkpoint.runId);
        assert.equal(record.program.name, "microgpt-torch");
        assert.match(record.program.torch!, /^\d+\.\d+/);
        assert.equal(record.program.deno, undefined);
        assert.deepEqual(record.torch, {
          device: "cpu",
          deviceName: record.torch!.deviceName,
          dtype: "float64",
          processes: 1,
          batchSizePerProcess: 4,
        });
        assert.deepEqual(record.timings.segments.map((s) => [s.engine, s.device, s.processes]), [
          ["torch", "cpu", 1],
        ]);
        assert.equal(record.losses.length, 30);
        assert.deepEqual(record.losses, checkpoint.history.losses);
        assert.deepEqual(record.samples, printed);
      });
      await t.step("sampleFromCheckpoint continues its generator: the names PyTorch printed", () => {
        assert.deepEqual(sampleFromCheckpoint(checkpoint, { numSamples: 5 }), printed);
      });
      await t.step("the plots of its run", () => {
        const loss = lossCurveFigure({ name: "torch", losses: record.losses });
        assert.deepEqual(loss.data[0].y, record.losses); // the raw points
        const tokenizer = tokenizerFromCheckpoint(checkpoint);
        const sample = sampleName(modelFromCheckpoint(checkpoint), tokenizer, rngFromCheckpoint(checkpoint), {
          temperature: checkpoint.experiment.sample.temperature,
          recordAttention: true,
        });
        assert.equal(sample.text, printed[0]);
        const attention = attentionFigure(
          sample.cache.attention!,
          tokenLabels(tokenizer.chars, sample.tokens),
        );
        assert.equal(attention.data.length, 2 * 4); // every head of both layers
      });
      await t.step(
        "resumeExperiment continues it here, on the fast engine, as PyTorch would have",
        async () => {
          const stopped = await python([
            "torch/microgpt.py",
            "train",
            ...flags,
            "--steps",
            "30",
            "--stop-at",
            "20",
            "--samples",
            "5",
            "--device",
            "cpu",
            "--out",
            `${dir}/stopped`,
          ]);
          assert.equal(stopped.code, 0, stopped.stderr);
          const resumed = await resumeExperiment(await loadCheckpoint(`${dir}/stopped/checkpoint.json`));
          assert.equal(resumed.record.config.engine, "fast");
          assert.deepEqual(resumed.record.timings.segments.map((s) => [s.engine, s.endStep]), [
            ["torch", 20],
            ["fast", 30],
          ]);
          assert.deepEqual(resumed.record.losses.slice(0, 20), record.losses.slice(0, 20));
          // Batches of 4 at width 32, 2 layers: our arithmetic and PyTorch's agree to 1e-9 (sums in another order).
          resumed.record.losses.forEach((loss, i) =>
            assert.ok(
              Math.abs(loss - record.losses[i]) < 1e-9,
              `step ${i + 1}: ${loss} vs ${record.losses[i]}`,
            )
          );
          assert.deepEqual(resumed.record.samples, printed);
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "notebook 10's exercises: each worked solution passes its check, each placeholder fails it",
  ignore: !HAVE_TORCH,
  fn: async () => {
    const { code, stdout, stderr } = await python(["notebooks/solutions/10_pytorch_test.py"]);
    assert.equal(code, 0, stdout + stderr);
    assert.match(stderr, /^Ran 1 test in [\d.]+s\n\nOK$/m);
  },
});
