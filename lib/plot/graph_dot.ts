/**
 * Pictures of a `Value`'s computation graph: Graphviz DOT text (one box per value with its
 * data and grad, one oval per operation), rendered to SVG by Graphviz compiled to
 * WebAssembly (`npm:@viz-js/viz`), so no system Graphviz is needed.
 *
 * @module
 */

import { instance, type Viz } from "@viz-js/viz";
import { UsageError } from "../errors.ts";
import type { Value } from "../value.ts";

/**
 * The operation that made `v`: `"leaf"`, `"+"`, `"*"`, `"exp"`, `"log"`, `"relu"` or a power
 * such as `"^2"` / `"^-1"`.
 *
 * A `Value` stores its operands and local derivatives but no operation name (it stays a few
 * numbers), so the operation is read back from those numbers: `+` has local derivatives
 * 1 and 1 and adds up, `*` has each operand's data as the other's derivative, `exp` is its
 * own derivative, and so on. This holds for a graph whose leaves have not changed since it
 * was built (draw before the optimizer moves the parameters); otherwise the op shows as `?`.
 *
 * @example
 * ```ts
 * import { opOf } from "./graph_dot.ts";
 * import { Value } from "../value.ts";
 * const a = new Value(3);
 * console.log(opOf(a), opOf(a.add(2)), opOf(a.mul(a)), opOf(a.pow(2)), opOf(a.div(4))); // leaf + * ^2 *
 * console.log(opOf(a.exp()), opOf(a.log()), opOf(a.relu()), opOf(a.pow(-1))); // exp log relu ^-1
 * ```
 */
export function opOf(v: Value): string {
  const a = v.a;
  if (a === null) return "leaf";
  const b = v.b;
  if (b !== null) {
    if (v.da === 1 && v.db === 1 && v.data === a.data + b.data) return "+";
    if (v.da === b.data && v.db === a.data && v.data === a.data * b.data) return "*";
    return "?";
  }
  const x = a.data;
  if (v.data === Math.exp(x) && v.da === v.data) return "exp";
  if (v.data === Math.log(x) && v.da === 1 / x) return "log";
  if (v.data === (x > 0 ? x : 0) && v.da === (x > 0 ? 1 : 0)) return "relu";
  // x ** k has derivative k * x ** (k - 1), so k = derivative * x / value.
  if (v.data !== 0 && Number.isFinite(v.data)) {
    const k = Math.round((v.da * x / v.data) * 1e6) / 1e6;
    if (Math.abs(x ** k - v.data) <= 1e-12 * Math.abs(v.data)) return `^${k}`;
  }
  return "?";
}

/** Options of `valueGraphDot`. */
export interface GraphDotOptions {
  /** Names to show in the boxes of some values (say, the variables of an expression). */
  names?: ReadonlyMap<Value, string>;
  /** Show each value's `grad` beside its `data` (default true). */
  showGrad?: boolean;
  /** Digits after the point (default 4). */
  digits?: number;
  /** A picture of more nodes is unreadable; larger graphs are refused (default 200). */
  maxNodes?: number;
}

// Record labels treat these characters as structure; escape them in names.
function escapeRecord(text: string): string {
  return text.replace(/[{}|<>"\\]/g, (ch) => `\\${ch}`);
}

/**
 * Graphviz DOT text for the graph that computes `root`, drawn left to right like
 * micrograd's `draw_dot`: each value is a box `name | data | grad`, each operation an oval
 * feeding the value it made. Node ids follow the topological order, so the text is the same
 * on every run.
 *
 * @example
 * ```ts
 * import { valueGraphDot } from "./graph_dot.ts";
 * import { Value } from "../value.ts";
 * const a = new Value(2);
 * const b = new Value(-3);
 * const c = a.mul(b);
 * c.backward();
 * const dot = valueGraphDot(c, { names: new Map([[a, "a"], [b, "b"], [c, "c"]]) });
 * console.log(dot.includes('n2 [label="{ c | data -6.0000 | grad 1.0000 }"]')); // true
 * console.log(dot.includes('n2_op [label="*"')); // true
 * ```
 */
export function valueGraphDot(root: Value, options: GraphDotOptions = {}): string {
  const { names = new Map(), showGrad = true, digits = 4, maxNodes = 200 } = options;
  const nodes = root.topologicalOrder();
  if (nodes.length > maxNodes) {
    throw new UsageError(
      `the graph has ${nodes.length} nodes, too many to draw (maxNodes is ${maxNodes}); draw a smaller expression or raise maxNodes`,
    );
  }
  const ids = new Map<Value, string>(nodes.map((v, i) => [v, `n${i}`]));
  const lines = [
    "digraph {",
    "  rankdir=LR;",
    '  node [fontname="Helvetica", fontsize=11];',
  ];
  for (const v of nodes) {
    const id = ids.get(v)!;
    const fields = [
      ...(names.has(v) ? [escapeRecord(names.get(v)!)] : []),
      `data ${v.data.toFixed(digits)}`,
      ...(showGrad ? [`grad ${v.grad.toFixed(digits)}`] : []),
    ];
    lines.push(`  ${id} [label="{ ${fields.join(" | ")} }", shape=record];`);
    if (v.a === null) continue;
    lines.push(`  ${id}_op [label="${opOf(v)}", shape=ellipse];`);
    lines.push(`  ${id}_op -> ${id};`);
    for (const operand of [v.a, v.b]) {
      if (operand !== null) lines.push(`  ${ids.get(operand)} -> ${id}_op;`);
    }
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

let vizInstance: Promise<Viz> | null = null;

/**
 * Renders DOT text to an SVG document with Graphviz compiled to WebAssembly (loaded once).
 * Text that is not valid DOT is a UsageError carrying Graphviz's message.
 *
 * @example
 * ```ts
 * import { renderDotSvg } from "./graph_dot.ts";
 * const svg = await renderDotSvg("digraph { a -> b }");
 * console.log(svg.includes("<svg"), svg.includes(">a</text>")); // true true
 * ```
 */
export async function renderDotSvg(dot: string): Promise<string> {
  vizInstance ??= instance();
  const viz = await vizInstance;
  const result = viz.render(dot, { format: "svg" });
  if (result.status !== "success") {
    const message = result.errors.map((e) => e.message.trim()).join("; ");
    throw new UsageError(`Graphviz could not draw this graph: ${message}; check the DOT text`);
  }
  return result.output;
}

/**
 * The computation graph of `root` as an SVG picture (`valueGraphDot` + `renderDotSvg`).
 *
 * @example
 * ```ts
 * import { valueGraphSvg } from "./graph_dot.ts";
 * import { Value } from "../value.ts";
 * const svg = await valueGraphSvg(new Value(2).mul(3).add(1));
 * console.log(svg.startsWith("<?xml") || svg.startsWith("<svg")); // true
 * ```
 */
export async function valueGraphSvg(root: Value, options: GraphDotOptions = {}): Promise<string> {
  return await renderDotSvg(valueGraphDot(root, options));
}
