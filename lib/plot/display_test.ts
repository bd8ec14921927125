/** Tests of the display layer: MIME bundles, the HTML fallback, tables, the live loss curve. */

import assert from "node:assert/strict";
import {
  display,
  displayHtml,
  displayTable,
  figureBundle,
  liveLossCurve,
  type MimeBundle,
  tableHtml,
  tableText,
  withDisplaySink,
} from "./display.ts";
import { smoothLosses } from "../stats.ts";
import { BOS_LABEL, type Figure, lossCurveFigure } from "./figures.ts";
import { figureHtml, figureSummary, fnv1a, plotElementId, scriptJson } from "./plot_html.ts";

interface Sent {
  bundle: MimeBundle;
  options: { raw: true; update?: boolean; display_id?: string };
}

/** Runs `fn` as if in a kernel, collecting everything it displays. */
async function collect(fn: () => Promise<void>): Promise<Sent[]> {
  const sent: Sent[] = [];
  await withDisplaySink({
    display(bundle, options) {
      sent.push({ bundle, options });
      return Promise.resolve();
    },
  }, fn);
  return sent;
}

/** Captures console.log while `fn` runs. */
async function captureLog(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines;
}

function plotlyJson(bundle: MimeBundle): Figure {
  return bundle["application/vnd.plotly.v1+json"] as Figure;
}

const figure = lossCurveFigure({ name: "run </script>", losses: [3, 2.5, 2] }, { title: "a <b>title</b>" });

Deno.test("figureBundle()", async (t) => {
  const bundle = figureBundle(figure, "plot-1");
  await t.step("Plotly JSON for VS Code / JupyterLab, the figure unchanged", () => {
    assert.deepEqual(plotlyJson(bundle), { data: figure.data, layout: figure.layout });
  });
  await t.step("HTML fallback: a sized div and a script that draws into it once Plotly exists", () => {
    const html = bundle["text/html"] as string;
    assert.match(html, /^<div id="plot-1" class="microgpt-plot" style="width: 100%; height: 450px;"><\/div>/);
    assert.ok(html.includes('document.getElementById("plot-1")'));
    assert.ok(html.includes("window.Plotly.newPlot(el, figure.data, figure.layout,"));
    // The only </script> is the closing tag: labels cannot break out of the element.
    assert.equal(html.split("</script>").length, 2);
    assert.ok(html.includes("run \\u003c/script>"));
    // The embedded JSON is the figure.
    const json = /var figure = (.*);\n/.exec(html)?.[1];
    assert.deepEqual(JSON.parse(json!), JSON.parse(JSON.stringify(figure)));
  });
  await t.step("text summary", () => {
    assert.equal(
      bundle["text/plain"],
      'Figure "a <b>title</b>": 2 traces\n  scatter "run </script> (raw)": 3 points\n  scatter "run </script>": 3 points',
    );
  });
  await t.step("ids are a content hash: same figure same id, different figure different id", () => {
    assert.equal(plotElementId(figure, 3), `microgpt-plot-3-${fnv1a(scriptJson(figure))}`);
    assert.equal(plotElementId(figure, 3), plotElementId(structuredClone(figure), 3));
    const other = lossCurveFigure({ name: "run", losses: [3, 2.5, 2.1] });
    assert.notEqual(plotElementId(figure, 3), plotElementId(other, 3));
    assert.equal(figureHtml(figure, "x"), figureHtml(figure, "x"));
  });
  await t.step("a fixed layout size carries into the div", () => {
    const sized = { data: [], layout: { width: 640, height: 320 } };
    assert.match(figureHtml(sized, "p"), /style="width: 640px; height: 320px;"/);
  });
  await t.step("heatmap summaries give the matrix shape", () => {
    assert.equal(
      figureSummary({ data: [{ type: "heatmap", name: "h", z: [[1, 2, 3], [4, 5, 6]] }], layout: {} }),
      'Figure: 1 trace\n  heatmap "h": 2×3',
    );
  });
});

Deno.test("display() in a kernel", async (t) => {
  const sent = await collect(async () => {
    await display(figure);
    await display(figure);
  });
  await t.step("plotly.js goes out once, inline, before the first figure", () => {
    assert.equal(sent.length, 3);
    const loader = sent[0].bundle["text/html"] as string;
    assert.ok(loader.startsWith('<script type="text/javascript">/* plotly.js 3.7.0'));
    assert.ok(loader.includes("if (!window.Plotly)"));
    assert.ok(loader.length > 1_000_000, "the whole bundle is inlined, no network");
    assert.ok(!/<script[^>]+src=/.test(loader));
    assert.equal(sent[0].bundle["application/vnd.plotly.v1+json"], undefined);
  });
  await t.step("each figure: raw bundle with all three types and a new, reproducible id", () => {
    for (const { bundle, options } of sent.slice(1)) {
      assert.deepEqual(Object.keys(bundle), ["application/vnd.plotly.v1+json", "text/html", "text/plain"]);
      assert.deepEqual(options, { raw: true });
    }
    const id = (s: Sent) => /<div id="([^"]+)"/.exec(s.bundle["text/html"] as string)?.[1];
    const hash = fnv1a(scriptJson(figure));
    assert.deepEqual([id(sent[1]), id(sent[2])], [`microgpt-plot-1-${hash}`, `microgpt-plot-2-${hash}`]);
  });
  await t.step("a second 'kernel' gets plotly.js again and the same ids", async () => {
    const again = await collect(() => display(figure));
    assert.equal(again.length, 2);
    assert.equal(again[1].bundle["text/html"], sent[1].bundle["text/html"]);
  });
});

Deno.test("display functions outside a kernel print text", async (t) => {
  await t.step("display prints the summary", async () => {
    const lines = await captureLog(() => display(figure));
    assert.deepEqual(lines, [figureSummary(figure)]);
  });
  await t.step("displayHtml prints the text", async () => {
    assert.deepEqual(await captureLog(() => displayHtml("<b>x</b>", "x")), ["x"]);
  });
  await t.step("displayTable prints the aligned table", async () => {
    const lines = await captureLog(() => displayTable([{ n: 1, name: "ava" }], { title: "T" }));
    assert.deepEqual(lines, ["T\nn  name\n-  ----\n1  ava"]);
  });
});

Deno.test("tables", async (t) => {
  const rows = [{ step: 1, loss: 3.2958, sample: "kamon" }, { step: 1000, loss: 2.65, sample: BOS_LABEL }];
  await t.step("text: header, rule, numbers right-aligned, text left-aligned", () => {
    assert.equal(
      tableText(rows),
      [
        "step    loss  sample",
        "----  ------  ------",
        "   1  3.2958  kamon",
        "1000    2.65  ⟨BOS⟩",
      ].join("\n"),
    );
  });
  await t.step("columns are the union of keys; missing cells are empty", () => {
    assert.equal(tableText([{ a: "x" }, { b: 2 }]), "a  b\n-  -\nx\n   2");
  });
  await t.step("HTML: escaped, with a caption", () => {
    const html = tableHtml([{ "<k>": "a & b" }], { title: "<T>" });
    assert.ok(html.includes("<caption"));
    assert.ok(html.includes("&lt;T&gt;</caption>"));
    assert.ok(html.includes('<th style="text-align: left">&lt;k&gt;</th>'));
    assert.ok(html.includes('<td style="text-align: left">a &amp; b</td>'));
  });
  await t.step("displayTable in a kernel sends HTML and text", async () => {
    const sent = await collect(() => displayTable(rows));
    assert.equal(sent.length, 1);
    assert.equal(sent[0].bundle["text/html"], tableHtml(rows));
    assert.equal(sent[0].bundle["text/plain"], tableText(rows));
  });
});

Deno.test("liveLossCurve()", async (t) => {
  const losses = Array.from({ length: 50 }, (_, i) => 3.3 - i * 0.02);

  await t.step("in a kernel: one display, then in-place updates, ending with the full curve", async () => {
    let live = liveLossCurve();
    const sent = await collect(async () => {
      live = liveLossCurve({ totalSteps: 50, updatesPerSecond: 0 }); // only the first and final draw
      for (const [step, loss] of losses.entries()) await live.update(step, loss);
      await live.finish();
    });
    assert.equal(sent.length, 3, "plotly.js, the first draw, the final draw");
    const [first, last] = [sent[1], sent[2]];
    assert.deepEqual(first.options, { raw: true, display_id: "microgpt-live-loss-1" });
    assert.deepEqual(last.options, { raw: true, update: true, display_id: "microgpt-live-loss-1" });
    assert.deepEqual(plotlyJson(first.bundle).data[0].x, [1]);
    const final = plotlyJson(last.bundle);
    assert.equal(final.data.length, 2);
    assert.deepEqual(final.data[0].x, losses.map((_, i) => i + 1));
    assert.deepEqual(final.data[0].y, losses);
    assert.deepEqual(final.data[1].y, smoothLosses(losses, 0.9));
    const title = (final.layout.title as { text: string }).text;
    assert.equal(
      title,
      `Training loss: 50 steps, last loss ${losses[49].toFixed(4)}, smoothed ${
        smoothLosses(losses, 0.9)[49].toFixed(4)
      }`,
    );
    assert.deepEqual((final.layout.xaxis as { range: number[] }).range, [0, 51]);
    assert.deepEqual(live.losses, losses);
  });
  await t.step("unthrottled, every update redraws the same display", async () => {
    const sent = await collect(async () => {
      const live = liveLossCurve({ updatesPerSecond: Infinity, title: "L" });
      for (const [step, loss] of losses.slice(0, 5).entries()) await live.update(step, loss);
      await live.finish();
    });
    assert.equal(sent.length, 1 + 5 + 1);
    assert.ok(
      sent.slice(2).every((s) =>
        s.options.update === true && s.options.display_id === "microgpt-live-loss-1"
      ),
    );
    assert.deepEqual(sent.slice(1, 6).map((s) => (plotlyJson(s.bundle).data[0].x as number[]).length), [
      1,
      2,
      3,
      4,
      5,
    ]);
    assert.match((plotlyJson(sent[3].bundle).layout.title as { text: string }).text, /^L: step 3, last loss/);
  });
  await t.step("steps are plotted as reported (0-based in, 1-based on the axis)", async () => {
    const sent = await collect(async () => {
      const live = liveLossCurve({ updatesPerSecond: 0 });
      await live.update(10, 3);
      await live.update(20, 2);
      await live.finish();
    });
    assert.deepEqual(plotlyJson(sent.at(-1)!.bundle).data[0].x, [11, 21]);
  });
  await t.step("outside a kernel: nothing drawn, finish prints one line", async () => {
    const lines = await captureLog(async () => {
      const live = liveLossCurve({ smoothing: 0 });
      for (const [step, loss] of [3, 2].entries()) await live.update(step, loss);
      await live.finish();
    });
    assert.deepEqual(lines, ["Training loss: 2 steps, last loss 2.0000, smoothed 2.0000"]);
  });
  await t.step("bad smoothing fails at once", () => {
    assert.throws(() => liveLossCurve({ smoothing: 1 }), /smoothing must be in \[0, 1\)/);
  });
});
