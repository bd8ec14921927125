/**
 * Library misuse (issue 11): each mistake a caller can make is a clear, one-line `Error` that
 * names the problem and the fix, thrown before any garbage is computed: a vocabulary size that
 * is not a whole positive number, a sampling temperature out of range, a prefix longer than the
 * context, PCA of non-numbers, Adam state of another model, a token outside the vocabulary, a
 * plot saved under a file, and the runs behind the CLI's saves (`runExperiment`'s `onSave`,
 * `signal`).
 */
import assert from "node:assert/strict";
import { Adam } from "../lib/adam.ts";
import { DEFAULT_CONFIG, MIN_TEMPERATURE } from "../lib/config.ts";
import { ConfigError, UsageError } from "../lib/errors.ts";
import { runExperiment, type RunSnapshot } from "../lib/experiment/experiment.ts";
import { experimentConfig } from "../lib/experiment/run_record.ts";
import { FastEngine } from "../lib/fast/engine.ts";
import { createEngine, ENGINE_NAMES } from "../lib/experiment/engines.ts";
import { GPT } from "../lib/model.ts";
import { savePlot } from "../lib/plot/export.ts";
import { barFigure } from "../lib/plot/figures.ts";
import { Random } from "../lib/random.ts";
import { sampleName } from "../lib/sample.ts";
import { pca2 } from "../lib/stats.ts";
import { Tokenizer } from "../lib/tokenizer.ts";
import { Trainer } from "../lib/train.ts";

/** Asserts `fn` throws an error of `type` with a one-line message matching `pattern`. */
function throwsOneLine(fn: () => unknown, type: new (...args: never[]) => Error, pattern: RegExp): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof type, `${err.name}: ${err.message}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes("\n"), "one line");
    return true;
  });
}

const tokenizer = Tokenizer.fromDocs(["emma", "ava", "mia"]);
const model = () => GPT.init(DEFAULT_CONFIG, tokenizer.vocabSize, new Random(1));

Deno.test("robust library: GPT.init with a vocabulary size that is not a whole number of at least 1", () => {
  for (const vocabSize of [0, -3, 2.5, NaN]) {
    throwsOneLine(
      () => GPT.init(DEFAULT_CONFIG, vocabSize, new Random(1)),
      RangeError,
      new RegExp(
        `vocabSize must be a whole number of tokens, at least 1 .*, got ${vocabSize}; pass tokenizer.vocabSize`,
      ),
    );
  }
});

Deno.test("robust library: sampleName's temperature and prefix", async (t) => {
  const m = model();
  await t.step("a temperature that is 0, negative, NaN or below MIN_TEMPERATURE", () => {
    for (const temperature of [0, -1, NaN, 1e-310, MIN_TEMPERATURE / 2]) {
      throwsOneLine(
        () => sampleName(m, tokenizer, new Random(1), { temperature }),
        ConfigError,
        /temperature must be a number of at least 1e-300 \(a smaller one makes logits \/ temperature overflow\)/,
      );
    }
  });
  await t.step("at MIN_TEMPERATURE every engine samples (the likeliest token) without NaN", () => {
    for (const engine of ENGINE_NAMES.map((name) => createEngine(name, m))) {
      const sample = sampleName(engine, tokenizer, new Random(1), { temperature: MIN_TEMPERATURE });
      assert.equal(typeof sample.text, "string");
    }
  });
  await t.step("logits too large even for a valid temperature: one line, not NaN probabilities", () => {
    const huge = model();
    // A blown-up model: logits of about ±1e308, whose halves (temperature 0.5) overflow.
    huge.lmHead.forEach((row, r) => row.forEach((p) => (p.data = r % 2 === 0 ? 1e308 : -1e308)));
    throwsOneLine(
      () => sampleName(huge, tokenizer, new Random(1), { temperature: 0.5 }),
      ConfigError,
      /cannot sample at temperature 0\.5: the model's logits divided by it are not finite .*; raise temperature or retrain/,
    );
  });
  await t.step("a prefix as long as the context, or longer (once cut silently)", () => {
    for (const length of [DEFAULT_CONFIG.blockSize, DEFAULT_CONFIG.blockSize + 5]) {
      throwsOneLine(
        () => sampleName(m, tokenizer, new Random(1), { prefix: "a".repeat(length) }),
        ConfigError,
        new RegExp(
          `prefix has ${length} characters but the model's context holds 16 tokens .*; use at most 15`,
        ),
      );
    }
    const longest = sampleName(m, tokenizer, new Random(1), { prefix: "a".repeat(15) }).text;
    assert.ok(longest.startsWith("a".repeat(15)) && longest.length <= 16, longest);
  });
  await t.step("a prefix character outside the vocabulary", () => {
    throwsOneLine(
      () => sampleName(m, tokenizer, new Random(1), { prefix: "ez" }),
      ConfigError,
      /prefix character "z" is not in the model's vocabulary "aeimv"/,
    );
  });
});

Deno.test("robust library: pca2 on NaN or Infinity", () => {
  throwsOneLine(
    () => pca2([[1, 2], [3, NaN], [5, 6]]),
    UsageError,
    /PCA needs finite numbers, but row 1, column 1 is NaN; drop or fix that row/,
  );
  throwsOneLine(() => pca2([[Infinity, 0], [1, 1]]), UsageError, /row 0, column 0 is Infinity/);
});

Deno.test("robust library: an Adam sized for another model is refused before any step", () => {
  const m = model();
  const other = GPT.init({ ...DEFAULT_CONFIG, nEmbd: 8 }, tokenizer.vocabSize, new Random(1));
  for (const engine of [undefined, new FastEngine(m)]) {
    throwsOneLine(
      () => new Trainer(m, [tokenizer.encode("emma")], { adam: new Adam(other.parameters.length), engine }),
      RangeError,
      new RegExp(
        `the Adam state holds ${other.parameters.length} moments but the model has ${m.parameters.length} ` +
          "parameters: it belongs to another model; pass new Adam\\(model\\.parameters\\.length\\)",
      ),
    );
  }
});

Deno.test("robust library: a token id outside the vocabulary, on every engine", () => {
  const m = model();
  const bos = tokenizer.bos;
  for (const engine of ENGINE_NAMES.map((name) => createEngine(name, m))) {
    for (const bad of [tokenizer.vocabSize, -1, 1.5]) {
      throwsOneLine(
        () => engine.lossAndGradient([[bos, 0, bad]]),
        RangeError,
        new RegExp(`token ${bad} is outside the vocabulary 0\\.\\.${tokenizer.vocabSize - 1}`),
      );
      throwsOneLine(() => engine.loss([[bos, bad, bos]]), RangeError, /is outside the vocabulary/);
    }
  }
});

Deno.test("robust library: savePlot under a path that is a file, or onto a folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_robust_plot_" });
  try {
    await Deno.writeTextFile(`${dir}/notes`, "a file");
    const figure = barFigure(["a"], [1]);
    for (const path of [`${dir}/notes/loss.html`, `${dir}/notes/deeper/loss.svg`]) {
      await assert.rejects(
        () => savePlot(figure, path),
        (err: Error) =>
          err instanceof UsageError && !err.message.includes("\n") &&
          new RegExp(`cannot save the plot .*: .*notes is a file, not a folder; pick another path`).test(
            err.message,
          ),
      );
    }
    await Deno.mkdir(`${dir}/folder.html`);
    await assert.rejects(
      () => savePlot(figure, `${dir}/folder.html`),
      /folder\.html is a folder; pick another path/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robust library: runExperiment saves before sampling, on a schedule, and when aborted", async (t) => {
  const data = new TextEncoder().encode("emma\nolivia\nava\nisabella\nsophia\nmia\n");
  const config = experimentConfig({
    seed: 3,
    model: { nEmbd: 8, nHead: 2 },
    train: { steps: 30 },
    sample: { numSamples: 2 },
    engine: "fast",
  });
  await t.step("periodic saves, then the trained run, before the first sample is drawn", async () => {
    const events: string[] = [];
    await runExperiment(config, {
      data,
      saveEvery: 10,
      onSave: ({ checkpoint, record, reason }) => {
        events.push(`${reason} ${checkpoint.step} ${record.status} ${record.runId === checkpoint.runId}`);
      },
      onSample: () => events.push("sample"),
    });
    assert.deepEqual(events, [
      "periodic 10 stopped true",
      "periodic 20 stopped true",
      "trained 30 stopped true",
      "sample",
      "sample",
    ]);
  });
  await t.step("an aborted signal stops after the current step, saved and resumable", async () => {
    const controller = new AbortController();
    let saved: RunSnapshot | undefined;
    const run = await runExperiment(config, {
      data,
      signal: controller.signal,
      onStep: ({ step }) => step === 11 && controller.abort(),
      onSave: (snapshot) => void (saved = snapshot),
    });
    assert.equal(run.record.status, "stopped");
    assert.equal(run.record.step, 12);
    assert.equal(saved?.checkpoint.step, 12);
    const whole = await runExperiment(config, { data });
    const rest = await runExperiment(config, { data, resume: run.checkpoint });
    assert.deepEqual(rest.record.losses, whole.record.losses);
    assert.deepEqual(rest.record.samples, whole.record.samples);
    assert.equal(rest.record.runId, run.record.runId, "a resumed run keeps its id");
  });
  await t.step("what would not fit is refused before the data is read", async () => {
    await assert.rejects(
      () => runExperiment({ ...config, model: { ...config.model, nLayer: 1e7 } }, { data }),
      /a run with nEmbd 8, nLayer 10000000, .* needs about .* of memory, .*; lower nLayer/,
    );
  });
});
