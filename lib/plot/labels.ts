/**
 * Placing the text labels of a scatter plot so they do not overlap each other or other points:
 * each label takes, greedily, the one of eight positions around its point (Plotly's
 * `textposition` values) that collides least with the labels already placed and the markers,
 * estimated in pixels from the plot's size and axis ranges. Deterministic: the same points
 * always give the same positions.
 *
 * @module
 */

/** Where a label sits relative to its point, in Plotly's `textposition` words. */
export type TextPosition =
  | "top center"
  | "bottom center"
  | "middle right"
  | "middle left"
  | "top right"
  | "top left"
  | "bottom right"
  | "bottom left";

/** Candidate positions, in order of preference (a tie keeps the earlier one). */
const CANDIDATES: readonly { position: TextPosition; dx: number; dy: number }[] = [
  { position: "top center", dx: 0, dy: -1 },
  { position: "middle right", dx: 1, dy: 0 },
  { position: "bottom center", dx: 0, dy: 1 },
  { position: "middle left", dx: -1, dy: 0 },
  { position: "top right", dx: 1, dy: -1 },
  { position: "top left", dx: -1, dy: -1 },
  { position: "bottom right", dx: 1, dy: 1 },
  { position: "bottom left", dx: -1, dy: 1 },
];

/** A rectangle in pixels, y growing downwards. */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** What `placeLabels` needs to know about the plot. */
export interface LabelLayout {
  /** The plot area in pixels (inside the margins). */
  width: number;
  height: number;
  /** The axis ranges the area shows. */
  xRange: readonly [number, number];
  yRange: readonly [number, number];
  /** The labels' font size in pixels (default 14). */
  fontSize?: number;
  /** The markers' diameter in pixels (default 8). */
  markerSize?: number;
}

/**
 * A label's box in pixels: about 0.62 em per character, 1.2 em tall (a little wider than most
 * sans-serif letters, so the estimate errs towards keeping labels apart).
 */
export function labelBox(
  point: { x: number; y: number },
  text: string,
  candidate: { dx: number; dy: number },
  fontSize: number,
  markerSize: number,
): Box {
  const width = 0.62 * fontSize * [...text].length;
  const height = 1.2 * fontSize;
  const gap = markerSize / 2 + 2;
  const cx = point.x + candidate.dx * (gap + width / 2);
  const cy = point.y + candidate.dy * (gap + height / 2);
  return { left: cx - width / 2, right: cx + width / 2, top: cy - height / 2, bottom: cy + height / 2 };
}

/** The area two boxes share, in square pixels (0 when they do not touch). */
export function overlap(a: Box, b: Box): number {
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  return w > 0 && h > 0 ? w * h : 0;
}

/** How much of a box lies outside the plot area, in square pixels. */
function outside(box: Box, width: number, height: number): number {
  const inside = overlap(box, { left: 0, top: 0, right: width, bottom: height });
  return (box.right - box.left) * (box.bottom - box.top) - inside;
}

/**
 * A `textposition` for each point's label, chosen so labels overlap each other, the markers and
 * the plot's edges as little as possible. Points are placed most crowded first (they have the
 * fewest good places); each takes the candidate with the least overlap, preferring "top center".
 * Also returns each label's box (pixels from the plot area's top left), to test the result.
 *
 * @example
 * ```ts
 * import { placeLabels } from "./labels.ts";
 * // two points 3 px apart: their labels cannot both sit on top
 * const { positions } = placeLabels([[0, 0], [0.01, 0]], ["c", "g"], {
 *   width: 300, height: 300, xRange: [-1, 1], yRange: [-1, 1],
 * });
 * console.log(positions); // [ "top center", "middle right" ]
 * ```
 */
export function placeLabels(
  points: readonly (readonly [number, number])[],
  labels: readonly string[],
  layout: LabelLayout,
): { positions: TextPosition[]; boxes: Box[] } {
  const fontSize = layout.fontSize ?? 14;
  const markerSize = layout.markerSize ?? 8;
  const [x0, x1] = layout.xRange;
  const [y0, y1] = layout.yRange;
  const px = points.map(([x, y]) => ({
    x: ((x - x0) / (x1 - x0 || 1)) * layout.width,
    y: ((y1 - y) / (y1 - y0 || 1)) * layout.height,
  }));
  const r = markerSize / 2;
  const markers: Box[] = px.map((p) => ({ left: p.x - r, right: p.x + r, top: p.y - r, bottom: p.y + r }));
  // Crowded first: the number of other points within three label heights.
  const near = px.map((p) => px.filter((q) => Math.hypot(p.x - q.x, p.y - q.y) < 3.6 * fontSize).length);
  const order = px.map((_, i) => i).sort((a, b) => near[b] - near[a] || a - b);
  const positions: TextPosition[] = new Array(points.length).fill("top center");
  const boxes: Box[] = new Array(points.length);
  const placed: Box[] = [];
  for (const i of order) {
    let best = { cost: Infinity, position: CANDIDATES[0].position, box: markers[i] };
    for (const candidate of CANDIDATES) {
      const box = labelBox(px[i], labels[i], candidate, fontSize, markerSize);
      let cost = outside(box, layout.width, layout.height) * 2;
      for (const other of placed) cost += overlap(box, other) * 3;
      for (const [j, marker] of markers.entries()) if (j !== i) cost += overlap(box, marker);
      if (cost < best.cost - 1e-9) best = { cost, position: candidate.position, box };
    }
    positions[i] = best.position;
    boxes[i] = best.box;
    placed.push(best.box);
  }
  return { positions, boxes };
}
