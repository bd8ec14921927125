/** Tests of the figure builders: traces, labels, shapes and the numbers they carry. */

import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { smoothLosses } from "../stats.ts";
import {
  attentionFigure,
  barFigure,
  BOS_LABEL,
  embeddingPcaFigure,
  type Figure,
  heatmapFigure,
  histogramFigure,
  lineFigure,
  lossBandFigure,
  lossCurveFigure,
  type PlotlyValue,
  probabilityBarsFigure,
  tokenLabels,
} from "./figures.ts";

/** A layout entry as an object (the tests know which entries are objects). */
function obj(value: PlotlyValue | undefined): { [key: string]: PlotlyValue | undefined } {
  assert.ok(value !== null && typeof value === "object" && !Array.isArray(value), `not an object: ${value}`);
  return value;
}

function arr(value: PlotlyValue | undefined): PlotlyValue[] {
  assert.ok(Array.isArray(value), `not an array: ${value}`);
  return value;
}

function titleText(value: PlotlyValue | undefined): PlotlyValue | undefined {
  return obj(value).text;
}

/** Plotly 3 dropped `titlefont` and string titles on axes and layout; every title must be `{ text }`. */
function assertPlotly3Safe(figure: Figure): void {
  const walk = (value: PlotlyValue | undefined, path: string): void => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${path}[${i}]`));
    if (value === null || typeof value !== "object") return;
    for (const [key, v] of Object.entries(value)) {
      assert.ok(!["titlefont", "titleside", "titleposition", "titleoffset"].includes(key), `${path}.${key}`);
      if (key === "title" && v !== undefined) {
        assert.equal(typeof v, "object", `${path}.title is not { text }`);
      }
      walk(v, `${path}.${key}`);
    }
  };
  walk(figure.layout, "layout");
  figure.data.forEach((trace, i) => {
    assert.notEqual(trace.type, "heatmapgl", "heatmapgl is gone in plotly.js 3");
    walk(trace, `data[${i}]`);
  });
  // Plain JSON: survives a round trip unchanged (undefined entries are dropped).
  assert.deepEqual(JSON.parse(JSON.stringify(figure)), JSON.parse(JSON.stringify(structuredClone(figure))));
}

Deno.test("lossCurveFigure()", async (t) => {
  const losses = [3.3, 3.1, 2.9, 2.95, 2.7];
  await t.step("one run: raw points and a smoothed line", () => {
    const fig = lossCurveFigure({ name: "seed 42", losses }, { smoothing: 0.5 });
    assert.equal(fig.data.length, 2);
    const [raw, line] = fig.data;
    assert.equal(raw.mode, "markers");
    assert.deepEqual(raw.x, [1, 2, 3, 4, 5]);
    assert.deepEqual(raw.y, losses);
    assert.equal(line.mode, "lines");
    assert.equal(line.name, "seed 42");
    assert.deepEqual(line.y, smoothLosses(losses, 0.5));
    assert.equal(titleText(fig.layout.title), "Training loss");
    assert.equal(titleText(obj(fig.layout.xaxis).title), "step");
    assert.equal(titleText(obj(fig.layout.yaxis).title), "loss (line: smoothed 0.5)");
    assert.equal(fig.layout.showlegend, false);
    assertPlotly3Safe(fig);
  });
  await t.step("several runs overlay with a colour and legend group each", () => {
    const fig = lossCurveFigure([{ name: "a", losses }, { name: "b", losses: [1, 2] }], { title: "two" });
    assert.equal(fig.data.length, 4);
    assert.deepEqual(fig.data.map((d) => d.legendgroup), ["run0", "run0", "run1", "run1"]);
    assert.deepEqual(fig.data.map((d) => obj(d.line ?? d.marker).color), [
      "rgba(31, 119, 180, 0.35)",
      "#1f77b4",
      "rgba(255, 127, 14, 0.35)",
      "#ff7f0e",
    ]);
    assert.deepEqual(fig.data[3].x, [1, 2]);
    assert.equal(fig.layout.showlegend, true);
    assert.equal(titleText(fig.layout.title), "two");
  });
  await t.step("showRaw: false leaves only the lines; a NaN loss becomes a gap", () => {
    const fig = lossCurveFigure({ name: "a", losses: [2, NaN, 1] }, { showRaw: false, smoothing: 0 });
    assert.equal(fig.data.length, 1);
    assert.deepEqual(fig.data[0].y, [2, 2, 1]);
    const withRaw = lossCurveFigure({ name: "a", losses: [2, NaN, 1] });
    assert.deepEqual(withRaw.data[0].y, [2, null, 1]);
  });
  await t.step("bad smoothing is a UsageError", () => {
    assert.throws(() => lossCurveFigure({ name: "a", losses }, { smoothing: 2 }), UsageError);
  });
});

Deno.test("lossBandFigure()", async (t) => {
  await t.step("mean ± sample std across runs", () => {
    const fig = lossBandFigure([
      { name: "s1", losses: [3, 2, 1] },
      { name: "s2", losses: [5, 2, 3] },
    ], { smoothing: 0 });
    assert.equal(fig.data.length, 3);
    const [upper, lower, mean] = fig.data;
    assert.deepEqual(mean.y, [4, 2, 2]);
    const sd = Math.SQRT2; // sample std of {3, 5} and of {1, 3}
    assert.deepEqual(upper.y, [4 + sd, 2, 2 + sd]);
    assert.deepEqual(lower.y, [4 - sd, 2, 2 - sd]);
    assert.equal(lower.fill, "tonexty");
    assert.deepEqual(mean.customdata, [sd, 0, sd]);
    assert.match(String(titleText(fig.layout.title)), /mean ± std of 2 runs/);
    assertPlotly3Safe(fig);
  });
  await t.step("runs of different lengths: later steps use the runs that reached them", () => {
    const fig = lossBandFigure([{ name: "a", losses: [1, 1, 1] }, { name: "b", losses: [3] }], {
      smoothing: 0,
    });
    assert.deepEqual(fig.data[2].y, [2, 1, 1]);
    assert.deepEqual(fig.data[2].x, [1, 2, 3]);
  });
  await t.step("no runs is a UsageError", () => {
    assert.throws(() => lossBandFigure([]), UsageError);
  });
});

Deno.test("tokenLabels()", async (t) => {
  await t.step("characters, and BOS as the visible symbol", () => {
    assert.deepEqual(tokenLabels(["a", "b"], [2, 0, 1, 2]), [BOS_LABEL, "a", "b", BOS_LABEL]);
    assert.equal(BOS_LABEL, "⟨BOS⟩");
  });
  await t.step("ids outside the vocabulary throw", () => {
    assert.throws(() => tokenLabels(["a"], [2]), RangeError);
    assert.throws(() => tokenLabels(["a"], [-1]), RangeError);
  });
});

Deno.test("attentionFigure()", async (t) => {
  // 2 layers x 2 heads, 3 positions; weights made up but each row sums to 1.
  const head = (a: number): number[][] => [[1], [a, 1 - a], [0.2, 0.3, 0.5]];
  const attention = [[head(0.1), head(0.2)], [head(0.3), head(0.4)]];
  const labels = [BOS_LABEL, "a", "a", "extra"];
  const fig = attentionFigure(attention, labels);

  await t.step("one heatmap per head per layer, masked above the diagonal", () => {
    assert.equal(fig.data.length, 4);
    assert.deepEqual(fig.data.map((d) => d.name), [
      "layer 0 head 0",
      "layer 0 head 1",
      "layer 1 head 0",
      "layer 1 head 1",
    ]);
    assert.deepEqual(fig.data[1].z, [[1, null, null], [0.2, 0.8, null], [0.2, 0.3, 0.5]]);
    assert.ok(
      fig.data.every((d) => d.type === "heatmap" && d.coloraxis === "coloraxis" && d.hoverongaps === false),
    );
    assert.deepEqual(obj(fig.layout.coloraxis).cmin, 0);
    assert.deepEqual(obj(fig.layout.coloraxis).cmax, 1);
  });
  await t.step("each subplot on its own axes, in a grid of layers x heads", () => {
    assert.deepEqual(fig.data.map((d) => [d.xaxis, d.yaxis]), [["x", "y"], ["x2", "y2"], ["x3", "y3"], [
      "x4",
      "y4",
    ]]);
    const x2 = obj(fig.layout.xaxis2);
    const x1 = obj(fig.layout.xaxis);
    assert.ok(arr(x1.domain)[1] as number < (arr(x2.domain)[0] as number), "head 1 is right of head 0");
    const y1 = obj(fig.layout.yaxis);
    const y3 = obj(fig.layout.yaxis3);
    assert.ok((arr(y3.domain)[1] as number) < (arr(y1.domain)[0] as number), "layer 1 is below layer 0");
    assert.equal(y1.autorange, "reversed");
    assert.equal(arr(fig.layout.annotations).length, 4);
    assert.equal(obj(arr(fig.layout.annotations)[3]).text, "layer 1 · head 1");
  });
  await t.step("axes labelled with the tokens (repeats kept apart), extra labels ignored", () => {
    const x = obj(fig.layout.xaxis);
    assert.deepEqual(x.tickvals, [0, 1, 2]);
    assert.deepEqual(x.ticktext, [BOS_LABEL, "a", "a"]);
    assert.deepEqual(obj(fig.layout.yaxis4).ticktext, [BOS_LABEL, "a", "a"]);
  });
  await t.step("hover names query and key tokens and the weight", () => {
    const text = arr(fig.data[0].text);
    assert.equal(arr(text[2])[0], `query a (pos 2) → key ${BOS_LABEL} (pos 0)`);
    assert.match(String(fig.data[0].hovertemplate), /weight %\{z:\.3f\}/);
    assertPlotly3Safe(fig);
  });
  await t.step("a whitespace token is quoted so it stays visible", () => {
    const one = attentionFigure([[[[1], [0.5, 0.5]]]], [BOS_LABEL, " "]);
    assert.deepEqual(obj(one.layout.xaxis).ticktext, [BOS_LABEL, '" "']);
    assert.equal(arr(one.layout.annotations).length, 1);
    assert.equal(obj(arr(one.layout.annotations)[0]).text, "head 0");
  });
  await t.step("mistakes are UsageErrors", () => {
    assert.throws(() => attentionFigure([], labels), /recordAttention/);
    assert.throws(() => attentionFigure(attention, ["a"]), /3 positions but only 1 labels/);
    assert.throws(() => attentionFigure([[[[1], [1]]]], ["a", "b"]), /causal row t has t \+ 1/);
    assert.throws(() => attentionFigure([[head(0.1)], [head(0.1), head(0.2)]], labels), UsageError);
  });
});

Deno.test("probabilityBarsFigure()", async (t) => {
  await t.step("one bar per token, highlight in red, positions not categories", () => {
    const fig = probabilityBarsFigure([0.5, 0.3, 0.2], ["a", "a", BOS_LABEL], { highlight: 2, title: "p" });
    const [bars] = fig.data;
    assert.equal(bars.type, "bar");
    assert.deepEqual(bars.x, [0, 1, 2]);
    assert.deepEqual(bars.y, [0.5, 0.3, 0.2]);
    assert.deepEqual(obj(bars.marker).color, ["#1f77b4", "#1f77b4", "#d62728"]);
    assert.deepEqual(obj(fig.layout.xaxis).ticktext, ["a", "a", BOS_LABEL]);
    assert.equal(titleText(obj(fig.layout.yaxis).title), "probability");
    assertPlotly3Safe(fig);
  });
  await t.step("mismatched lengths and a bad highlight are UsageErrors", () => {
    assert.throws(() => probabilityBarsFigure([1], ["a", "b"]), /1 values but 2 labels/);
    assert.throws(() => probabilityBarsFigure([1], ["a"], { highlight: 1 }), UsageError);
  });
});

Deno.test("embeddingPcaFigure()", async (t) => {
  await t.step("the figure labels every point and names the variance kept", () => {
    const fig = embeddingPcaFigure([[4, 0], [-4, 0], [0, 1], [0, -1]], ["a", "b", "c", BOS_LABEL]);
    const [points] = fig.data;
    assert.equal(points.mode, "markers+text");
    assert.deepEqual(points.text, ["a", "b", "c", BOS_LABEL]);
    assert.deepEqual(obj(points.marker).color, ["#1f77b4", "#1f77b4", "#1f77b4", "#d62728"]);
    assert.equal(titleText(obj(fig.layout.xaxis).title), "PC1 (94.1% of variance)");
    assert.equal(titleText(obj(fig.layout.yaxis).title), "PC2 (5.9% of variance)");
    assertPlotly3Safe(fig);
  });
  await t.step("ragged rows or a label count mismatch are UsageErrors", () => {
    assert.throws(() => embeddingPcaFigure([[1, 2]], ["a", "b"]), UsageError);
  });
});

Deno.test("histogramFigure(), barFigure(), lineFigure(), heatmapFigure()", async (t) => {
  await t.step("histogram", () => {
    const fig = histogramFigure([0.1, -0.2, Infinity], { xTitle: "weight", title: "init" });
    assert.equal(fig.data[0].type, "histogram");
    assert.deepEqual(fig.data[0].x, [0.1, -0.2, null]);
    assert.equal(titleText(obj(fig.layout.xaxis).title), "weight");
    assert.equal(titleText(obj(fig.layout.yaxis).title), "count");
    assertPlotly3Safe(fig);
  });
  await t.step("bars", () => {
    const fig = barFigure(["x", "y", "x"], [1, 2, 3], { yTitle: "count" });
    assert.deepEqual(fig.data[0].x, [0, 1, 2]);
    assert.deepEqual(obj(fig.layout.xaxis).ticktext, ["x", "y", "x"]);
    assert.throws(() => barFigure(["x"], [1, 2]), UsageError);
  });
  await t.step("lines on log axes", () => {
    const fig = lineFigure([{ name: "a", x: [1, 10], y: [3, 2] }, { name: "b", x: [1], y: [1] }], {
      logX: true,
      xTitle: "params",
    });
    assert.equal(obj(fig.layout.xaxis).type, "log");
    assert.equal(obj(fig.layout.yaxis).type, "linear");
    assert.deepEqual(fig.data.map((d) => obj(d.line).color), ["#1f77b4", "#ff7f0e"]);
    assert.equal(fig.layout.showlegend, true);
    assert.throws(() => lineFigure([{ name: "bad", x: [1], y: [] }]), /1 x values but 0 y values/);
  });
  await t.step("heatmap", () => {
    const fig = heatmapFigure([[1, 2, 3], [4, 5, 6]], ["a", "b", "c"], ["r0", "r1"], { title: "m" });
    assert.deepEqual(fig.data[0].z, [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(obj(fig.layout.xaxis).ticktext, ["a", "b", "c"]);
    assert.deepEqual(obj(fig.layout.yaxis).ticktext, ["r0", "r1"]);
    assert.equal(arr(arr(fig.data[0].text)[1])[2], "r1 · c");
    assert.throws(() => heatmapFigure([[1, 2]], ["a"], ["r"]), UsageError);
    assertPlotly3Safe(fig);
  });
});

Deno.test("figure builders are deterministic", () => {
  const build = () =>
    JSON.stringify([
      lossCurveFigure({ name: "a", losses: [3, 2, 1] }),
      attentionFigure([[[[1], [0.4, 0.6]]]], [BOS_LABEL, "a"]),
      embeddingPcaFigure([[1, 2], [3, 1], [0, 0]], ["a", "b", "c"]),
    ]);
  assert.equal(build(), build());
});
