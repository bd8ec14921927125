/**
 * The training CLI's plots: with `--out DIR` it writes `DIR/loss.html` and, for a finished
 * run, `DIR/attention.html` (the attention of the first sampled name); `--plots svg,png`
 * adds those formats, rendered in headless Chromium.
 *
 * @module
 */

import {
  type Checkpoint,
  modelFromCheckpoint,
  rngFromCheckpoint,
  tokenizerFromCheckpoint,
} from "../lib/experiment/checkpoint.ts";
import { UsageError } from "../lib/errors.ts";
import { findChromium, loadPlaywright, PlotRenderer, standaloneHtml } from "../lib/plot/export.ts";
import { plotlyBundle } from "../lib/plot/plotly_bundle.ts";
import { layoutSize } from "../lib/plot/plot_html.ts";
import { attentionFigure, type Figure, lossCurveFigure, tokenLabels } from "../lib/plot/figures.ts";
import { sampleName } from "../lib/sample.ts";

/** Image formats `--plots` takes (HTML is always written). */
export const IMAGE_FORMATS = ["svg", "png"] as const;
/** One of `IMAGE_FORMATS`. */
export type ImageFormat = typeof IMAGE_FORMATS[number];

/** Size of the exported images in CSS pixels; PNGs get twice the pixels, for sharp notes. */
export const IMAGE_SIZE = { width: 900, height: 500, pngScale: 2 } as const;

/**
 * The `--plots` flag's formats, checked before any training: a comma-separated list of
 * `svg` and `png` (`html` is accepted and always written). It needs `--out DIR`, and a
 * browser for the images (`findChromium`).
 *
 * @example
 * ```ts
 * import { parsePlotsFlag } from "./plots_out.ts";
 * console.log(parsePlotsFlag(undefined, "out")); // []
 * console.log(parsePlotsFlag("html", "out")); // []
 * ```
 */
export function parsePlotsFlag(
  value: string | number | boolean | undefined,
  outDir: string | undefined,
): ImageFormat[] {
  if (value === undefined) return [];
  if (outDir === undefined) {
    throw new UsageError("--plots needs --out DIR to write the plots in; add --out DIR");
  }
  const formats: ImageFormat[] = [];
  for (const part of String(value).split(",").map((p) => p.trim().toLowerCase())) {
    if (part === "html") continue;
    const format = IMAGE_FORMATS.find((f) => f === part);
    if (format === undefined) {
      throw new UsageError(`unknown plot format '${part}'; --plots takes svg, png or both (--plots svg,png)`);
    }
    if (!formats.includes(format)) formats.push(format);
  }
  if (formats.length > 0) findChromium(); // no browser: fail now, not after training
  return formats;
}

/**
 * Checks, before a run trains, that its plots can be written: plotly.js for the HTML pages, and
 * for images a Chromium and the driver that starts it (`playwright-core`).
 */
export async function checkPlotTools(formats: readonly ImageFormat[]): Promise<void> {
  await plotlyBundle();
  if (formats.length === 0) return;
  findChromium();
  await loadPlaywright();
}

/** The figures of a run: its loss curve, and the attention of its first sample if it finished. */
export function runFigures(
  losses: readonly number[],
  checkpoint: Checkpoint,
  finished: boolean,
): { name: string; figure: Figure }[] {
  const { seed } = checkpoint.experiment;
  const figures = [{
    name: "loss",
    figure: lossCurveFigure({ name: `seed ${seed}`, losses }, { title: `Training loss (seed ${seed})` }),
  }];
  if (finished && checkpoint.experiment.sample.numSamples > 0) {
    // The checkpoint holds the generator as sampling found it, so this replays the first
    // printed sample exactly, without touching the run's own generator or its output.
    const tokenizer = tokenizerFromCheckpoint(checkpoint);
    const sample = sampleName(modelFromCheckpoint(checkpoint), tokenizer, rngFromCheckpoint(checkpoint), {
      temperature: checkpoint.experiment.sample.temperature,
      recordAttention: true,
    });
    figures.push({
      name: "attention",
      figure: attentionFigure(sample.cache.attention!, tokenLabels(tokenizer.chars, sample.tokens), {
        title: `Attention while sampling "${sample.text}"`,
      }),
    });
  }
  return figures;
}

/**
 * Writes `DIR/<name>.html` for each figure, plus `DIR/<name>.<format>` for each image
 * format; returns the paths written.
 */
export async function writeRunPlots(
  outDir: string,
  figures: readonly { name: string; figure: Figure }[],
  formats: readonly ImageFormat[],
): Promise<string[]> {
  const written: string[] = [];
  for (const { name, figure } of figures) {
    const path = `${outDir}/${name}.html`;
    await Deno.writeTextFile(path, await standaloneHtml(figure));
    written.push(path);
  }
  if (formats.length === 0) return written;
  const renderer = await PlotRenderer.open();
  try {
    for (const { name, figure } of figures) {
      for (const format of formats) {
        const path = `${outDir}/${name}.${format}`;
        const scale = format === "png" ? IMAGE_SIZE.pngScale : 1;
        await renderer.save(figure, path, {
          width: IMAGE_SIZE.width,
          height: layoutSize(figure, "height") ?? IMAGE_SIZE.height,
          scale,
        });
        written.push(path);
      }
    }
  } finally {
    await renderer.close();
  }
  return written;
}
