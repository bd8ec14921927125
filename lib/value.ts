/**
 * `Value`: a scalar that remembers how it was computed, so gradients can flow back through it.
 * The readable autograd engine of microgpt, op for op: each op states its result and its
 * local derivatives side by side, and `backward()` applies the chain rule in reverse
 * topological order.
 *
 * @module
 */

/** A number or a `Value`; plain numbers become leaf nodes when they enter the graph. */
export type Scalar = Value | number;

// Each backward() call gets a fresh stamp, so "visited" is one integer compare per node
// instead of a Set lookup, and no clean-up pass is needed afterwards.
let backwardStamp = 0;

/**
 * A node of the computation graph.
 *
 * A node has at most two operands, kept in fixed fields (`a`, `b`) beside the local
 * derivative of this node with respect to each (`da`, `db`). No closures, no arrays: a node
 * is a handful of numbers and two pointers, which keeps the engine both readable and fast.
 *
 * @example
 * ```ts
 * import { Value } from "./value.ts";
 * const a = new Value(2);
 * const b = new Value(-3);
 * const c = a.mul(b).add(a.pow(2)); // c = a*b + a^2 = -2
 * c.backward();
 * console.log(c.data, a.grad, b.grad); // -2 1 2   (dc/da = b + 2a, dc/db = a)
 * ```
 */
export class Value {
  /** The number this node holds. */
  data: number;
  /** d(loss)/d(this), filled in by `backward()`; starts at 0 and always accumulates. */
  grad = 0;
  /** First operand, or null for a leaf. */
  readonly a: Value | null;
  /** Second operand, or null for a leaf or a one-operand op. */
  readonly b: Value | null;
  /** d(this)/d(a), computed when the node is made. */
  readonly da: number;
  /** d(this)/d(b), computed when the node is made. */
  readonly db: number;
  /** Stamp of the last backward() pass that visited this node (internal). */
  visited = 0;

  /** A leaf holding `data` (a parameter or a constant), or an op's result with its operands. */
  constructor(data: number, a: Value | null = null, da = 0, b: Value | null = null, db = 0) {
    this.data = data;
    this.a = a;
    this.da = da;
    this.b = b;
    this.db = db;
  }

  // --- the primitive ops: value, then local derivatives -------------------------------

  /** `this + other`; d/da = 1, d/db = 1. */
  add(other: Scalar): Value {
    const o = other instanceof Value ? other : new Value(other);
    return new Value(this.data + o.data, this, 1, o, 1);
  }

  /** `this * other`; d/da = other, d/db = this. */
  mul(other: Scalar): Value {
    const o = other instanceof Value ? other : new Value(other);
    return new Value(this.data * o.data, this, o.data, o, this.data);
  }

  /** `this ** k` for a plain number `k`; d/da = k * this^(k-1). */
  pow(k: number): Value {
    return new Value(this.data ** k, this, k * this.data ** (k - 1));
  }

  /** Natural log; d/da = 1 / this. */
  log(): Value {
    return new Value(Math.log(this.data), this, 1 / this.data);
  }

  /** e ** this; d/da = e ** this. */
  exp(): Value {
    const e = Math.exp(this.data);
    return new Value(e, this, e);
  }

  /** max(0, this); d/da = 1 where this > 0, else 0. */
  relu(): Value {
    return new Value(this.data > 0 ? this.data : 0, this, this.data > 0 ? 1 : 0);
  }

  // --- composites, built from the primitives exactly as microgpt.py builds them ----------

  /** `-this`, as `this * -1`. */
  neg(): Value {
    return this.mul(-1);
  }

  /** `this - other`, as `this + (-other)` (a plain number is negated before it enters). */
  sub(other: Scalar): Value {
    return this.add(other instanceof Value ? other.neg() : -other);
  }

  /** `this / other`, as `this * other ** -1` (a plain number is inverted before it enters). */
  div(other: Scalar): Value {
    return this.mul(other instanceof Value ? other.pow(-1) : other ** -1);
  }

  /**
   * Fills in `grad` of every node this one depends on: d(this)/d(node).
   *
   * The order is microgpt's: a depth-first search from here, operands in order, appends
   * each node after its operands; walking that list backwards, each node passes
   * `local derivative * its grad` to each operand. The search uses an explicit stack, so a
   * graph of any depth works (a recursive search overflows at ~10^4 levels).
   */
  backward(): void {
    const topo = topoScratch;
    const n = buildTopo(this, topo);
    this.grad = 1;
    for (let i = n - 1; i >= 0; i--) {
      const v = topo[i]!;
      if (v.a !== null) v.a.grad += v.da * v.grad;
      if (v.b !== null) v.b.grad += v.db * v.grad;
      topo[i] = null; // let the graph be garbage-collected once we are done with it
    }
  }

  /** Every node this one depends on (itself last), each after its operands. */
  topologicalOrder(): Value[] {
    const topo: (Value | null)[] = [];
    buildTopo(this, topo);
    return topo as Value[];
  }

  /** Shown in notebooks and the REPL: `Value(data=…, grad=…)`. */
  toString(): string {
    return `Value(data=${this.data}, grad=${this.grad})`;
  }

  /** How Deno's `console.log` and the REPL show a Value: `toString()`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/**
 * Python's `sum(xs)` over nodes: starts from the number 0 and adds left to right,
 * `((0 + x0) + x1) + ...`, where `0 + x0` is the node `x0 + leaf(0)`.
 *
 * @example
 * ```ts
 * import { sum, Value } from "./value.ts";
 * console.log(sum([new Value(1), new Value(2), new Value(3)]).data); // 6
 * ```
 */
export function sum(xs: readonly Value[]): Value {
  if (xs.length === 0) return new Value(0);
  let total = xs[0].add(0);
  for (let i = 1; i < xs.length; i++) total = total.add(xs[i]);
  return total;
}

// Scratch arrays kept between backward() calls, so a step does not regrow them from empty.
const topoScratch: (Value | null)[] = [];
const dfsStack: (Value | null)[] = [];

/**
 * Writes into `topo` every node `root` depends on, each after its operands, and returns how
 * many. It is microgpt's recursive `build_topo` (visit `a`, then `b`, then append the node)
 * run on an explicit stack, so a graph of any depth works: the node on top of the stack
 * first descends into its first unvisited operand; when it has none left, it is appended.
 */
function buildTopo(root: Value, topo: (Value | null)[]): number {
  const stamp = ++backwardStamp;
  const stack = dfsStack;
  let n = 0;
  let top = 0;
  stack[0] = root;
  root.visited = stamp;
  while (top >= 0) {
    const v = stack[top]!;
    const a = v.a;
    if (a !== null && a.visited !== stamp) {
      a.visited = stamp;
      stack[++top] = a;
      continue;
    }
    const b = v.b;
    if (b !== null && b.visited !== stamp) {
      b.visited = stamp;
      stack[++top] = b;
      continue;
    }
    topo[n++] = v;
    stack[top--] = null;
  }
  return n;
}
