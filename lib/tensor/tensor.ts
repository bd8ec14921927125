/**
 * `Tensor`: a matrix of numbers that remembers how it was computed, so gradients can flow back
 * through it. micrograd's `Value` one level up: a node holds a whole `[rows][cols]` array instead
 * of one number, each op (`ops.ts`) computes its result and says, right beside it, how to pass
 * its output's gradient back to its inputs, and `backward()` runs those in reverse topological
 * order.
 *
 * Two dimensions are enough for the GPT: every op except attention works row by row, so a batch
 * of B documents of T positions is one `[B*T][nEmbd]` matrix (llm.c's `(B*T, C)` view), and the
 * attention op, which needs to know where a document ends, is told B and T.
 *
 * @module
 */

/** Passes the output's gradient `dy` (d loss / d output, flat `[rows][cols]`) back into the inputs' `grad`. */
export type Backward = (dy: Float64Array) => void;

/**
 * A `[rows][cols]` matrix of float64, row-major, with its gradient.
 *
 * @example
 * ```ts
 * import { Tensor } from "./tensor.ts";
 * const t = Tensor.from([[1, 2, 3], [4, 5, 6]]);
 * console.log(t.rows, t.cols, t.at(1, 2)); // 2 3 6
 * console.log(t.toArray()); // [ [ 1, 2, 3 ], [ 4, 5, 6 ] ]
 * ```
 */
export class Tensor {
  /** The numbers, row after row: element (r, c) is `data[r * cols + c]`. */
  readonly data: Float64Array;
  /** The ops that made this tensor take these as inputs (none for a leaf). */
  readonly parents: readonly Tensor[];
  /** The op that made it (`linear`, `softmax`, ...), or "" for a leaf: micrograd's `_op`. */
  readonly op: string;
  private gradient: Float64Array | null;
  private readonly backwardFn: Backward | null;

  /**
   * A tensor of `rows` x `cols` numbers: zeros, or `data` (not copied). An op passes its inputs,
   * its `Backward` and its name; a leaf (a parameter) may pass the array its gradient accumulates in.
   */
  constructor(
    readonly rows: number,
    readonly cols: number,
    data?: Float64Array,
    options: { parents?: readonly Tensor[]; backward?: Backward; grad?: Float64Array; op?: string } = {},
  ) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new RangeError(`a tensor's shape must be two non-negative integers, got [${rows}][${cols}]`);
    }
    this.data = data ?? new Float64Array(rows * cols);
    if (this.data.length !== rows * cols) {
      throw new RangeError(
        `a [${rows}][${cols}] tensor holds ${rows * cols} numbers, got ${this.data.length}`,
      );
    }
    if (options.grad !== undefined && options.grad.length !== this.data.length) {
      throw new RangeError(`a [${rows}][${cols}] tensor's gradient holds ${rows * cols} numbers`);
    }
    this.parents = options.parents ?? [];
    this.op = options.op ?? "";
    this.backwardFn = options.backward ?? null;
    this.gradient = options.grad ?? null;
  }

  /** A leaf tensor holding a copy of `rows` (an array of equally long arrays). */
  static from(rows: readonly (readonly number[])[]): Tensor {
    const cols = rows.length > 0 ? rows[0].length : 0;
    const t = new Tensor(rows.length, cols);
    rows.forEach((row, r) => {
      if (row.length !== cols) throw new RangeError(`row ${r} has ${row.length} numbers, row 0 has ${cols}`);
      t.data.set(row, r * cols);
    });
    return t;
  }

  /** Number of elements, `rows * cols`. */
  get size(): number {
    return this.data.length;
  }

  /** d(loss)/d(data), same layout; starts at zero and only ever accumulates (`+=`). */
  get grad(): Float64Array {
    return this.gradient ??= new Float64Array(this.data.length);
  }

  /** Element (r, c). */
  at(r: number, c: number): number {
    return this.data[r * this.cols + c];
  }

  /** Row `r` as a view (no copy). */
  row(r: number): Float64Array {
    return this.data.subarray(r * this.cols, (r + 1) * this.cols);
  }

  /** The numbers as nested arrays, `[rows][cols]`. */
  toArray(): number[][] {
    return Array.from({ length: this.rows }, (_, r) => Array.from(this.row(r)));
  }

  /** The shape, as `"[rows][cols]"`. */
  get shape(): string {
    return `[${this.rows}][${this.cols}]`;
  }

  /**
   * Fills in `grad` of every tensor this one depends on. The seed is d(loss)/d(this): 1 for a
   * `[1][1]` loss (the default), or any array of this tensor's size (PyTorch's `y.backward(g)`).
   *
   * The order is micrograd's: a depth-first search from here, inputs in order, lists each tensor
   * after its inputs; walking that list backwards, each op passes its output's gradient back.
   * So an op runs its backward only once every op that used its output has run theirs.
   */
  backward(seed?: ArrayLike<number>): void {
    if (seed === undefined && this.size !== 1) {
      throw new RangeError(`backward() without a seed needs a [1][1] tensor, this one is ${this.shape}`);
    }
    if (seed !== undefined && seed.length !== this.size) {
      throw new RangeError(`backward()'s seed has ${seed.length} numbers, the tensor ${this.size}`);
    }
    const topo = this.topologicalOrder();
    const g = this.grad;
    if (seed === undefined) g[0] += 1;
    else for (let i = 0; i < g.length; i++) g[i] += seed[i];
    for (let i = topo.length - 1; i >= 0; i--) {
      const t = topo[i];
      if (t.backwardFn !== null) t.backwardFn(t.grad);
    }
  }

  /**
   * Every tensor this one depends on (itself last), each after its inputs: micrograd's depth-first
   * order. Its length is the number of ops (and leaves) of the graph, where the `Value` engine's
   * graph has one node per number.
   *
   * @example
   * ```ts
   * import { Tensor } from "./tensor.ts";
   * import { add, scale } from "./ops.ts";
   * const x = Tensor.from([[1, 2]]);
   * console.log(add(scale(x, 2), x).topologicalOrder().map(String)); // [ "Tensor[1][2]", "scale → Tensor[1][2]", "add → Tensor[1][2]" ]
   * ```
   */
  topologicalOrder(): Tensor[] {
    const topo: Tensor[] = [];
    const visited = new Set<Tensor>();
    const visit = (t: Tensor): void => {
      if (visited.has(t)) return;
      visited.add(t);
      for (const p of t.parents) visit(p);
      topo.push(t);
    };
    visit(this);
    return topo;
  }

  /** Shown in notebooks and the REPL: `Tensor[2][3]`, or `linear → Tensor[2][3]` for an op's result. */
  toString(): string {
    return `${this.op === "" ? "" : `${this.op} → `}Tensor${this.shape}`;
  }

  [Symbol.for("Deno.customInspect")](): string {
    return `${this.toString()} ${JSON.stringify(this.toArray())}`;
  }
}
