/** Statistics: mean ± std, smoothing, the loss band across runs, PCA. */
import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import { lossBand, mean, meanStd, movingAverage, pca2, smoothLosses } from "./stats.ts";

Deno.test("mean() and meanStd()", () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  assert.ok(Number.isNaN(mean([])));
  assert.deepEqual(meanStd([2, 4, 4, 4, 5, 5, 7, 9]), { mean: 5, std: Math.sqrt(32 / 7) });
  assert.deepEqual(meanStd([5]), { mean: 5, std: 0 });
  assert.ok(Number.isNaN(meanStd([]).mean));
});

Deno.test("smoothLosses()", async (t) => {
  await t.step("bias-corrected EMA", () => {
    // (0.5 * 0.5 * 4 + 0.5 * 2) / (1 - 0.25) = 2 / 0.75 = 2.667
    assert.deepEqual(smoothLosses([4, 2], 0.5), [4, 2 / 0.75]);
    assert.deepEqual(smoothLosses([1, 2, 3], 0), [1, 2, 3]);
  });
  await t.step("skips non-finite values", () => {
    assert.deepEqual(smoothLosses([NaN, 2, Infinity, 4], 0.5).slice(1), [
      2,
      2,
      (0.5 * 2 * 0.5 + 0.5 * 4) / 0.75,
    ]);
    assert.ok(Number.isNaN(smoothLosses([NaN], 0.5)[0]));
  });
  await t.step("rejects smoothing outside [0, 1)", () => {
    assert.throws(() => smoothLosses([1], 1), UsageError);
    assert.throws(() => smoothLosses([1], -0.1), /smoothing must be in \[0, 1\)/);
  });
});

Deno.test("movingAverage()", async (t) => {
  await t.step("is trailing and starts with partial windows", () => {
    assert.deepEqual(movingAverage([4, 2, 6, 0], 3), [4, 3, 4, 8 / 3]);
    assert.deepEqual(movingAverage([1, 2], 1), [1, 2]);
    assert.throws(() => movingAverage([1], 0), RangeError);
  });
});

Deno.test("lossBand()", async (t) => {
  await t.step("mean ± sample std per step; each step uses the runs that reached it", () => {
    const band = lossBand([{ losses: [3, 2, 1] }, { losses: [1, 2] }, { losses: [2, 2, 5] }]);
    assert.deepEqual(band.steps, [1, 2, 3]);
    assert.deepEqual(band.mean, [2, 2, 3]);
    assert.deepEqual(band.std, [1, 0, Math.sqrt(8)]);
    assert.deepEqual(band.lower, [1, 2, 3 - Math.sqrt(8)]);
    assert.deepEqual(band.upper, [3, 2, 3 + Math.sqrt(8)]);
  });
  await t.step("one run left: std 0; non-finite losses are skipped", () => {
    const band = lossBand([{ losses: [NaN, 1, 1] }, { losses: [3, 3] }]);
    assert.deepEqual(band.mean, [3, 2, 1]);
    assert.deepEqual(band.std, [0, Math.SQRT2, 0]);
  });
  await t.step("smooths each run first (smoothLosses)", () => {
    const band = lossBand([{ losses: [4, 2] }, { losses: [2, 0] }], { smoothing: 0.5 });
    assert.deepEqual(band.mean, [3, (2 / 0.75 + 0.5 / 0.75) / 2]);
  });
  await t.step("no runs is a UsageError", () => {
    assert.throws(() => lossBand([]), UsageError);
  });
});

Deno.test("pca2()", async (t) => {
  await t.step("points on a line: all variance on PC1, PC2 zero", () => {
    const { points, explained } = pca2([[1, 1, 1], [2, 2, 2], [3, 3, 3]]);
    assert.ok(Math.abs(explained[0] - 1) < 1e-12 && Math.abs(explained[1]) < 1e-12);
    const root3 = Math.sqrt(3);
    points.forEach(([a, b], i) => {
      assert.ok(Math.abs(a - (i - 1) * root3) < 1e-12, `PC1 of row ${i}: ${a}`);
      assert.ok(Math.abs(b) < 1e-12);
    });
  });
  await t.step("an axis-aligned ellipse: PC1 is the long axis, shares 16:1", () => {
    const rows = [[4, 0, 0], [-4, 0, 0], [0, 1, 0], [0, -1, 0]];
    const { points, explained } = pca2(rows);
    assert.ok(Math.abs(explained[0] - 16 / 17) < 1e-12, String(explained[0]));
    assert.ok(Math.abs(explained[1] - 1 / 17) < 1e-12, String(explained[1]));
    const rounded = points.map((p) => p.map((v) => Math.round(v * 1e9) / 1e9 + 0));
    assert.deepEqual(rounded, [[4, 0], [-4, 0], [0, 1], [0, -1]]);
  });
  await t.step("a rotated cloud matches a hand computation", () => {
    // Covariance [[2, 1], [1, 2]] / eigenvalues 3 and 1, directions (1, 1)/√2 and (-1, 1)/√2.
    const rows = [[1, 1], [-1, -1], [1, -1], [-1, 1], [2, 2], [-2, -2]];
    const { explained } = pca2(rows);
    // Variances: along (1,1)/√2 the projections are √2, -√2, 0, 0, 2√2, -2√2 -> sum sq 20;
    // along (-1,1)/√2: 0, 0, -√2, √2, 0, 0 -> 4. Shares 20/24 and 4/24.
    assert.ok(Math.abs(explained[0] - 20 / 24) < 1e-12);
    assert.ok(Math.abs(explained[1] - 4 / 24) < 1e-12);
  });
  await t.step("ragged rows are a UsageError", () => {
    assert.throws(() => pca2([[1, 2], [3]]), /row 1 has 1 numbers/);
  });
});
