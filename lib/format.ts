/**
 * Number formatting that prints what Python prints: `f"{x:.4f}"` rounds the exact binary
 * value with ties to even, where JS `toFixed` rounds ties away from zero.
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
