/** Every tensor op's backward against fourth-order central finite differences, on random shapes. */
import assert from "node:assert/strict";
import { linear as valueLinear, rmsnorm as valueRmsnorm, softmax as valueSoftmax } from "../model.ts";
import { Random } from "../random.ts";
import { sum, Value } from "../value.ts";
import { causalSelfAttention } from "./gpt.ts";
import { numericalGradient, relativeError } from "./gradcheck.ts";
import {
  add,
  concatCols,
  concatRows,
  crossEntropy,
  documentMeanLoss,
  embedding,
  lastFirst,
  linear,
  matmul,
  nll,
  relu,
  rmsnorm,
  scale,
  slice,
  softmax,
  type SumOrder,
} from "./ops.ts";
import { Tensor } from "./tensor.ts";

/** The tolerance the issue sets, relative to the gradient's largest entry (see `relativeError`). */
const TOLERANCE = 1e-10;

/**
 * A tensor of gauss(0, std) numbers, each at least `margin` away from 0: for relu's kink, and for
 * rmsnorm, whose derivatives grow like 1 / rms^k on a row near 0 (where steps of h stop being small).
 */
function randomTensor(rng: Random, rows: number, cols: number, margin = 0, std = 1): Tensor {
  const t = new Tensor(rows, cols);
  for (let i = 0; i < t.size; i++) {
    do t.data[i] = rng.gauss(0, std); while (Math.abs(t.data[i]) < margin);
  }
  return t;
}

/** A random shape `[1..maxRows][1..maxCols]`. */
function randomShape(rng: Random, maxRows = 6, maxCols = 7): [number, number] {
  return [1 + rng.randbelow(maxRows), 1 + rng.randbelow(maxCols)];
}

/**
 * Runs `run()` once, back-propagates a random seed (so the checked function is the scalar
 * `sum(seed * output)`), and compares each input's gradient with finite differences of it.
 */
function checkGradients(rng: Random, inputs: Tensor[], run: () => Tensor): void {
  const out = run();
  const seed = Float64Array.from({ length: out.size }, () => rng.gauss(0, 1));
  out.backward(seed);
  inputs.forEach((input, k) => {
    const numeric = numericalGradient(() => run().data, input.data, seed);
    const { error, at } = relativeError(input.grad, numeric);
    assert.ok(
      error <= TOLERANCE,
      `NOT OK: input ${k} ${input.shape}: relative error ${error} at ${at} ` +
        `(backward ${input.grad[at]}, finite differences ${numeric[at]})`,
    );
  });
}

/** A random permutation of `0..n-1` for every row: any summing order gives the same gradient, up to rounding. */
function randomOrder(rng: Random, n: number): SumOrder {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(order as unknown as number[]);
  return () => order;
}

const TRIALS = 5;

Deno.test("tensor ops' gradients match finite differences on random shapes", async (t) => {
  const rng = new Random(2024);
  const cases: [string, () => [Tensor[], () => Tensor]][] = [
    ["add", () => {
      const [r, c] = randomShape(rng);
      const a = randomTensor(rng, r, c);
      const b = randomTensor(rng, r, c);
      return [[a, b], () => add(a, b)];
    }],
    ["add (a tensor added to itself)", () => {
      const [r, c] = randomShape(rng);
      const a = randomTensor(rng, r, c);
      return [[a], () => add(a, a)];
    }],
    ["scale", () => {
      const [r, c] = randomShape(rng);
      const x = randomTensor(rng, r, c);
      const k = rng.gauss(0, 2);
      return [[x], () => scale(x, k)];
    }],
    ["relu", () => {
      const [r, c] = randomShape(rng);
      const x = randomTensor(rng, r, c, 0.05);
      return [[x], () => relu(x)];
    }],
    ["linear", () => {
      const [n, nin] = randomShape(rng);
      const nout = 1 + rng.randbelow(7);
      const x = randomTensor(rng, n, nin);
      const w = randomTensor(rng, nout, nin);
      return [[x, w], () => linear(x, w)];
    }],
    ["linear with another summing order", () => {
      const [n, nin] = randomShape(rng);
      const nout = 1 + rng.randbelow(7);
      const x = randomTensor(rng, n, nin);
      const w = randomTensor(rng, nout, nin);
      const order = randomOrder(rng, nout);
      return [[x, w], () => linear(x, w, order)];
    }],
    ["matmul", () => {
      const [m, k] = randomShape(rng);
      const n = 1 + rng.randbelow(7);
      const a = randomTensor(rng, m, k);
      const b = randomTensor(rng, k, n);
      return [[a, b], () => matmul(a, b)];
    }],
    ["rmsnorm", () => {
      const [r, c] = randomShape(rng);
      if (c === 1) return [[], () => new Tensor(0, 0)]; // one column: x / |x| is flat, nothing to check
      const x = randomTensor(rng, r, c, 0.3);
      return [[x], () => rmsnorm(x)];
    }],
    ["softmax", () => {
      const [r, c] = randomShape(rng);
      const x = randomTensor(rng, r, c);
      return [[x], () => softmax(x)];
    }],
    ["softmax, causal", () => {
      const [r, extra] = randomShape(rng, 6, 3);
      const x = randomTensor(rng, r, r + extra - 1);
      return [[x], () => softmax(x, { causal: true })];
    }],
    ["nll", () => {
      const [r, c] = randomShape(rng);
      // away from 0, where log's high derivatives make finite differences inexact
      const probs = new Tensor(r, c, Float64Array.from({ length: r * c }, () => 0.5 + rng.random()));
      const targets = Int32Array.from({ length: r }, () => rng.randbelow(c + 1) - 1); // some -1: padding
      return [[probs], () => nll(probs, targets)];
    }],
    ["crossEntropy", () => {
      const [r, c] = randomShape(rng);
      const logits = randomTensor(rng, r, c);
      const targets = Int32Array.from({ length: r }, () => rng.randbelow(c));
      return [[logits], () => crossEntropy(logits, targets)];
    }],
    ["documentMeanLoss", () => {
      const B = 1 + rng.randbelow(4);
      const T = 1 + rng.randbelow(5);
      const losses = randomTensor(rng, B * T, 1);
      const lengths = Array.from({ length: B }, () => 1 + rng.randbelow(T));
      return [[losses], () => documentMeanLoss(losses, lengths)];
    }],
    ["embedding", () => {
      const [V, C] = randomShape(rng);
      const table = randomTensor(rng, V, C);
      const ids = Int32Array.from({ length: 1 + rng.randbelow(8) }, () => rng.randbelow(V)); // repeats
      return [[table], () => embedding(table, ids)];
    }],
    ["slice", () => {
      const [r, c] = randomShape(rng);
      const x = randomTensor(rng, r, c);
      const r0 = rng.randbelow(r);
      const c0 = rng.randbelow(c);
      const rows = 1 + rng.randbelow(r - r0);
      const cols = 1 + rng.randbelow(c - c0);
      return [[x], () => slice(x, r0, rows, c0, cols)];
    }],
    ["concatCols", () => {
      const r = 1 + rng.randbelow(5);
      const parts = Array.from(
        { length: 1 + rng.randbelow(3) },
        () => randomTensor(rng, r, 1 + rng.randbelow(4)),
      );
      return [parts, () => concatCols(parts)];
    }],
    ["concatRows", () => {
      const c = 1 + rng.randbelow(5);
      const parts = Array.from(
        { length: 1 + rng.randbelow(3) },
        () => randomTensor(rng, 1 + rng.randbelow(4), c),
      );
      return [parts, () => concatRows(parts)];
    }],
    ["causalSelfAttention", () => {
      const B = 1 + rng.randbelow(3);
      const T = 1 + rng.randbelow(5);
      const nHead = 1 + rng.randbelow(3);
      const qkv = randomTensor(rng, B * T, 3 * nHead * (1 + rng.randbelow(3)));
      return [[qkv], () => causalSelfAttention(qkv, B, T, nHead)];
    }],
    ["a small network: rmsnorm, linear, relu, residual, cross-entropy, mean loss", () => {
      const B = 2;
      const T = 3;
      const C = 4;
      // weights of std 0.5, so the loss's high derivatives (which finite differences truncate) stay moderate
      const w2 = randomTensor(rng, C, 3 * C, 0, 0.5);
      let x: Tensor;
      let w1: Tensor;
      do { // finite differences must not step over relu's kink: every unit at least 0.05 from it
        x = randomTensor(rng, B * T, C, 0.3);
        w1 = randomTensor(rng, 3 * C, C, 0, 0.5);
      } while (linear(rmsnorm(x), w1).data.some((h) => Math.abs(h) < 0.05));
      const targets = Int32Array.of(0, 3, 1, 2, 2, -1);
      const run = () => {
        const h = add(linear(relu(linear(rmsnorm(x), w1)), w2), x);
        return documentMeanLoss(crossEntropy(h, targets), [3, 2]);
      };
      return [[x, w1, w2], run];
    }],
  ];
  for (const [name, make] of cases) {
    await t.step(name, () => {
      for (let trial = 0; trial < TRIALS; trial++) {
        const [inputs, run] = make();
        checkGradients(rng, inputs, run);
      }
    });
  }
});

Deno.test("the gradient check catches a wrong backward", () => {
  // rmsnorm's backward with the square's second use dropped: off by a visible amount.
  const rng = new Random(7);
  const x = randomTensor(rng, 2, 5);
  const wrong = (): Tensor => {
    const y = rmsnorm(x);
    return new Tensor(y.rows, y.cols, y.data, {
      parents: [x],
      backward: (dy) => {
        const dx = x.grad;
        for (let i = 0; i < dy.length; i++) dx[i] += dy[i] * 0.999; // not the derivative
      },
    });
  };
  assert.throws(() => checkGradients(rng, [x], wrong), /NOT OK: input 0 \[2\]\[5\]: relative error/);
});

Deno.test("ops reject inputs of the wrong shape", () => {
  const a = new Tensor(2, 3);
  assert.throws(() => add(a, new Tensor(3, 2)), /add: b must be \[2\]\[3\], got \[3\]\[2\]/);
  assert.throws(() => linear(a, new Tensor(4, 2)), /linear: x must be \[2\]\[2\], got \[2\]\[3\]/);
  assert.throws(() => matmul(a, new Tensor(2, 3)), /matmul: b must be \[3\]\[3\], got \[2\]\[3\]/);
  assert.throws(() => softmax(new Tensor(3, 2), { causal: true }), /causal mask needs rows <= cols/);
  assert.throws(() => embedding(a, Int32Array.of(0, 2)), /embedding: id 2 at 1 is outside 0..1/);
  assert.throws(() => nll(a, Int32Array.of(0)), /nll: 2 rows need 2 targets, got 1/);
  assert.throws(() => nll(a, Int32Array.of(0, 3)), /nll: target 3 at 1 is outside 0..2/);
  assert.throws(() => slice(a, 1, 2, 0, 1), /slice: rows 1..\+2, columns 0..\+1 are outside \[2\]\[3\]/);
  assert.throws(() => concatRows([a, new Tensor(1, 2)]), /concatRows: every part must be \[1\]\[3\]/);
  assert.throws(() => concatCols([a, new Tensor(1, 2)]), /concatCols: every part must be \[2\]\[2\]/);
  assert.throws(() => documentMeanLoss(new Tensor(5, 1), [1, 1]), /5 rows do not split into 2 documents/);
  assert.throws(() => documentMeanLoss(new Tensor(4, 1), [1, 3]), /length 3 is outside 1..2/);
  assert.throws(() => causalSelfAttention(new Tensor(4, 12), 1, 4, 3), /not \[4\]\[3 \* a multiple of 3\]/);
  assert.throws(() => new Tensor(2, 2, new Float64Array(3)), /holds 4 numbers, got 3/);
  assert.throws(() => a.backward(), /needs a \[1\]\[1\] tensor, this one is \[2\]\[3\]/);
});

Deno.test("ops compute microgpt's expressions exactly", async (t) => {
  await t.step("rmsnorm: sum(x*x) * n ** -1, then (ms + 1e-5) ** -0.5", () => {
    const x = [0.3, -1.7, 2.2];
    const ms = (0 + x[0] * x[0] + x[1] * x[1] + x[2] * x[2]) * 3 ** -1;
    const s = (ms + 1e-5) ** -0.5;
    assert.deepEqual(rmsnorm(Tensor.from([x])).toArray(), [x.map((v) => v * s)]);
  });

  await t.step("softmax: exp(x - max) * total ** -1", () => {
    const x = [0.5, 2.25, -1];
    const e = x.map((v) => Math.exp(v - 2.25));
    const inv = (0 + e[0] + e[1] + e[2]) ** -1;
    assert.deepEqual(softmax(Tensor.from([x])).toArray(), [e.map((v) => v * inv)]);
  });

  await t.step("linear sums w[r][i] * x[i] from i = 0", () => {
    const y = linear(Tensor.from([[1e16, 1, -1e16]]), Tensor.from([[1, 1, 1]])).at(0, 0);
    assert.equal(y, 0); // ((1e16 + 1) - 1e16): the 1 is lost, as in microgpt
  });

  await t.step("linear adds the input gradient in the order it is given", () => {
    // dx[0] = dy[0] * w[0][0] + dy[1] * w[1][0] + dy[2] * w[2][0] with values that round differently
    const w = Tensor.from([[1e16], [1], [-1e16]]);
    const run = (order: SumOrder) => {
      const x = Tensor.from([[1]]);
      linear(x, w, order).backward([1, 1, 1]);
      return x.grad[0];
    };
    assert.equal(run(lastFirst(3)), 0); // (-1e16 + 1) + 1e16: the 1 is lost
    assert.equal(run(() => Int32Array.of(0, 2, 1)), 1); // (1e16 - 1e16) + 1
  });
});

/** The rows of `t` as `Value` leaves. */
function toValues(t: Tensor): Value[][] {
  return t.toArray().map((row) => row.map((x) => new Value(x)));
}

/** Asserts that a tensor's gradient has the same bits as the `Value` leaves' gradients. */
function assertSameBits(name: string, tensor: Tensor, values: Value[][]): void {
  const expected = values.flat().map((v) => v.grad);
  const differing = expected.flatMap((g, i) => (Object.is(g, tensor.grad[i]) ? [] : [i]));
  assert.deepEqual(
    differing,
    [],
    `NOT OK: ${name}: gradients differ from the Value engine's at ${differing}`,
  );
}

Deno.test("ops give the Value engine's gradients bit for bit", async (t) => {
  const rng = new Random(99);
  /** The Value graph's `sum(seed_i * y_i)`, whose backward gives every y_i the gradient seed_i. */
  const seeded = (ys: Value[][], seed: Float64Array): Value => sum(ys.flat().map((y, i) => y.mul(seed[i])));
  const randomSeed = (n: number) => Float64Array.from({ length: n }, () => rng.gauss(0, 1));

  await t.step("linear (microgpt's, one row of x per position)", () => {
    for (let trial = 0; trial < 10; trial++) {
      const [n, nin] = randomShape(rng);
      const x = randomTensor(rng, n, nin);
      const w = randomTensor(rng, 1 + rng.randbelow(9), nin);
      const [vx, vw] = [toValues(x), toValues(w)];
      const y = linear(x, w);
      const seed = randomSeed(y.size);
      y.backward(seed);
      seeded(vx.map((row) => valueLinear(row, vw)), seed).backward();
      assert.deepEqual(
        y.data,
        Float64Array.from(vx.flatMap((row) => valueLinear(row, vw)).map((v) => v.data)),
      );
      assertSameBits("linear's input", x, vx);
      assertSameBits("linear's weights", w, vw);
    }
  });

  for (
    const [name, tensorOp, valueOp] of [
      ["rmsnorm", rmsnorm, valueRmsnorm],
      ["softmax", softmax, valueSoftmax],
    ] as const
  ) {
    await t.step(name, () => {
      for (let trial = 0; trial < 10; trial++) {
        const [n, c] = randomShape(rng);
        const x = randomTensor(rng, n, c);
        const vx = toValues(x);
        const y = tensorOp(x);
        const seed = randomSeed(y.size);
        y.backward(seed);
        seeded(vx.map((row) => valueOp(row)), seed).backward();
        assertSameBits(name, x, vx);
      }
    });
  }

  await t.step("crossEntropy and documentMeanLoss (microgpt's loss of one document)", () => {
    for (let trial = 0; trial < 10; trial++) {
      const [n, vocab] = randomShape(rng, 8, 12);
      const logits = randomTensor(rng, n, vocab);
      const targets = Int32Array.from({ length: n }, () => rng.randbelow(vocab));
      const vLogits = toValues(logits);
      const loss = documentMeanLoss(crossEntropy(logits, targets), [n]);
      loss.backward();
      const vLoss = sum(vLogits.map((z, p) => valueSoftmax(z)[targets[p]].log().neg())).mul(1 / n);
      vLoss.backward();
      assert.ok(Object.is(loss.at(0, 0), vLoss.data));
      assertSameBits("crossEntropy", logits, vLogits);
    }
  });
});
