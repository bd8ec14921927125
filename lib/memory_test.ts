import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { countParams, estimateRunBytes, formatBytes, memoryBudget, requireRunFits } from "./memory.ts";
import { parameterLayout } from "./parameters.ts";

Deno.test("countParams() is the parameter layout's count", () => {
  for (const config of [DEFAULT_CONFIG, { ...DEFAULT_CONFIG, nEmbd: 24, nLayer: 3, blockSize: 7 }]) {
    for (const vocabSize of [1, 27, 300]) {
      assert.equal(countParams(config, vocabSize), parameterLayout(config, vocabSize).numParams);
    }
  }
});

Deno.test("estimateRunBytes(): the parts, and the Value graph only for the Value engine", () => {
  const fast = estimateRunBytes({ model: DEFAULT_CONFIG, steps: 1000 }, 27);
  const value = estimateRunBytes({ model: DEFAULT_CONFIG, steps: 1000, valueGraph: true }, 27);
  assert.equal(fast.numParams, 4192);
  assert.equal(fast.history, 64_000);
  assert.equal(fast.total, fast.params + fast.step + fast.history);
  // A Value-engine step measured about 15 MB at this size (lib/memory.ts); the estimate is close.
  assert.ok(value.step > 1e7 && value.step < 4e7, `${value.step}`);
  // A minibatch of 16 holds 16 documents' graphs (or activations) at once.
  const value16 = estimateRunBytes(
    { model: DEFAULT_CONFIG, steps: 1000, valueGraph: true, batchSize: 16 },
    27,
  );
  assert.equal(value16.step, 16 * value.step);
  const fast16 = estimateRunBytes({ model: DEFAULT_CONFIG, steps: 1000, batchSize: 16 }, 27);
  assert.equal(fast16.step, (17 / 2) * fast.step);
});

Deno.test("requireRunFits() names the setting that makes a run too large", () => {
  const budget = 4e9;
  const cases: [Partial<typeof DEFAULT_CONFIG>, number, string][] = [
    [{ nEmbd: 100000 }, 1000, "nEmbd"],
    [{ nLayer: 100000 }, 1000, "nLayer"],
    [{ blockSize: 1e8 }, 1000, "blockSize"],
    [{}, 1e9, "steps"],
    [{ nEmbd: 4096, nLayer: 8 }, 1000, "nEmbd"],
  ];
  assert.throws(
    () => requireRunFits({ model: DEFAULT_CONFIG, steps: 1000, numSamples: 1e9 }, 27, budget),
    /a run with nEmbd 16, nLayer 1, blockSize 16, steps 1000, numSamples 1000000000 .*; lower numSamples$/,
  );
  for (const [model, steps, field] of cases) {
    assert.throws(
      () => requireRunFits({ model: { ...DEFAULT_CONFIG, ...model }, steps }, 27, budget),
      (err: Error) =>
        err instanceof ConfigError && err.fields[0] === field && /; lower \w+$/.test(err.message),
      field,
    );
  }
  assert.throws(
    () =>
      requireRunFits({ model: DEFAULT_CONFIG, steps: 1000, valueGraph: true, batchSize: 1e6 }, 27, budget),
    /a run with nEmbd 16, nLayer 1, blockSize 16, batchSize 1000000, steps 1000 .*; lower batchSize$/,
  );
  requireRunFits({ model: DEFAULT_CONFIG, steps: 1000, valueGraph: true }, 27, budget);
  assert.ok(memoryBudget() > 1e8);
});

Deno.test("formatBytes()", () => {
  assert.deepEqual(
    [0, 999, 1500, 2.5e6, 629e6, 4.4e9, 1.6e12, 4.2e19, 1e30].map(formatBytes),
    ["0 B", "999 B", "1.5 kB", "2.5 MB", "629 MB", "4.4 GB", "1.6 TB", "42 EB", "1.0e+30 B"],
  );
});
