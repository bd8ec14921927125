/**
 * Number formatting that prints what Python prints: `f"{x:.4f}"` rounds the exact binary
 * value with ties to even, where JS `toFixed` rounds ties away from zero. Also the short
 * helpers the notebooks print with (`formatNumber`, `formatVector`, `wrapWords`), which keep
 * every line short enough that a notebook never wraps it in the middle of a number or a word.
 *
 * @module
 */

/**
 * Python's `f"{x:.{digits}f}"` for a finite number.
 *
 * @example
 * ```ts
 * import { formatFixed } from "./format.ts";
 * console.log(formatFixed(2.53125, 4)); // 2.5312 (toFixed gives 2.5313)
 * console.log(formatFixed(3.46391, 4)); // 3.4639
 * ```
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? "inf" : x < 0 ? "-inf" : "nan";
  const rounded = (Object.is(x, -0) ? "-" : "") + x.toFixed(digits);
  if (Math.abs(x) >= 1e21 || digits >= 100) return rounded;
  // toFixed(100) is the exact expansion to 100 places; a tie has exactly digits + 1 places,
  // so a tie shows as "...5000..." after the kept digits.
  const exact = Math.abs(x).toFixed(100);
  const point = exact.indexOf(".");
  const rest = exact.slice(point + 1 + digits);
  if (rest[0] !== "5" || !/^5?0*$/.test(rest)) return rounded;
  // An exact tie: round to even by truncating, then adding one unit if the kept digit is odd.
  const kept = exact.slice(0, point + 1 + digits).replace(/\.$/, "");
  const lastDigit = Number(kept[kept.length - 1]);
  const truncated = Number(kept);
  const result = lastDigit % 2 === 0 ? kept : (truncated + 10 ** -digits).toFixed(digits);
  return (x < 0 ? "-" : "") + result;
}

/** Python's `f"{n:{width}d}"`: an integer right-aligned in `width` characters. */
export function formatInt(n: number, width: number): string {
  return String(n).padStart(width, " ");
}

/** Options of `formatTable`. */
export interface TableOptions {
  /** Per column, or for all: `left` pads after the text, `right` before it (default `left`). */
  align?: "left" | "right" | readonly ("left" | "right")[];
  /** A line of dashes under the header (default false). */
  rule?: boolean;
}

/**
 * A text table: each column as wide as its widest cell, columns two spaces apart, no
 * trailing spaces. The notebooks' tables, the sweep's results and the benchmark use it.
 *
 * @example
 * ```ts
 * import { formatTable } from "./format.ts";
 * console.log(formatTable(["name", "loss"], [["emma", "2.5"], ["al", "10"]], { align: ["left", "right"], rule: true }));
 * // name  loss
 * // ----  ----
 * // emma   2.5
 * // al      10
 * ```
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const alignOf = (c: number) =>
    typeof options.align === "string" ? options.align : options.align?.[c] ?? "left";
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => alignOf(c) === "right" ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))
      .join("  ").trimEnd();
  const lines = [line(header)];
  if (options.rule) lines.push(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) lines.push(line(row));
  return lines.join("\n");
}

/** The width, in characters, that printed lines are kept within (a notebook's output area holds about 110). */
export const LINE_WIDTH = 88;

/**
 * A number as a person reads it: an integer as it is, one so small that `digits` decimals would
 * show less than two significant digits (below 10^(1-digits), not 0) in exponent form with two,
 * anything else with `digits` decimals (rounded as Python rounds, `formatFixed`).
 *
 * @example
 * ```ts
 * import { formatNumber } from "./format.ts";
 * console.log(formatNumber(4192), formatNumber(2.53125), formatNumber(3.2e-11), formatNumber(-0.0456, 2));
 * // 4192 2.5312 3.2e-11 -0.05
 * console.log(formatNumber(0.00042), formatNumber(0.0042)); // 4.2e-4 0.0042
 * ```
 */
export function formatNumber(x: number, digits = 4): string {
  if (Number.isInteger(x)) return String(x);
  if (Number.isFinite(x) && x !== 0 && Math.abs(x) < 10 ** (1 - digits)) return x.toExponential(1);
  return formatFixed(x, digits);
}

/**
 * Numbers (or `Value`s: anything with a numeric `data`) in columns of equal width, `digits`
 * decimals each, broken into lines of at most `width` characters between numbers, never
 * inside one.
 *
 * @example
 * ```ts
 * import { formatVector } from "./format.ts";
 * console.log(formatVector([0.5, -0.25, 1]));             //  0.500 -0.250  1.000
 * console.log(formatVector([1, 2, 3, 4], { digits: 1, width: 10 })); // two lines: " 1.0  2.0" and " 3.0  4.0"
 * ```
 */
export function formatVector(
  values: ArrayLike<number> | readonly { data: number }[],
  options: { digits?: number; width?: number } = {},
): string {
  const { digits = 3, width = LINE_WIDTH } = options;
  const numbers = Array.from(
    values as ArrayLike<number | { data: number }>,
    (v) => typeof v === "number" ? v : v.data,
  );
  const cells = numbers.map((x) => formatFixed(x, digits));
  const cellWidth = Math.max(0, ...cells.map((c) => c.length));
  const padded = cells.map((c) => c.padStart(cellWidth));
  const perLine = Math.max(1, Math.floor((width + 1) / (cellWidth + 1)));
  const lines: string[] = [];
  for (let i = 0; i < padded.length; i += perLine) lines.push(padded.slice(i, i + perLine).join(" "));
  return lines.join("\n");
}

/**
 * Words (or a text) joined by spaces and broken into lines of at most `width` characters
 * between words; a word longer than a line gets a line of its own.
 *
 * @example
 * ```ts
 * import { wrapWords } from "./format.ts";
 * console.log(wrapWords(["biad", "amadon", "karel", "mararo"], 12)); // "biad amadon\nkarel mararo"
 * ```
 */
export function wrapWords(words: readonly string[] | string, width = LINE_WIDTH): string {
  const list = typeof words === "string" ? words.split(/\s+/).filter((w) => w !== "") : words;
  const lines: string[] = [];
  let line = "";
  for (const word of list) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}
