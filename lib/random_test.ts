import assert from "node:assert/strict";
import { Random, type RandomState } from "./random.ts";

interface Case {
  seed: number;
  stateAfterSeed: RandomState;
  random: number[];
  getrandbits: [number, number][];
  randbelow: [number, number][];
  shuffle50: number[];
  gauss: number[];
  stateWithGaussCached: RandomState;
  gaussAfterState: number[];
  choices: number[];
  randomAfter700: number[];
}
interface Fixtures {
  cases: Case[];
  midStream: { state: RandomState; next: number[] };
}

// Made by CPython: python3 tests/fixtures/make_cpython_fixtures.py > tests/fixtures/cpython.json
const fixtures: Fixtures = JSON.parse(
  await Deno.readTextFile(new URL("../tests/fixtures/cpython.json", import.meta.url)),
);
const CHOICE_WEIGHTS = [0.5, 0.0, 2.25, 1e-3, 7.0, 0.25];

Deno.test("Random reproduces CPython's random module", async (t) => {
  for (const c of fixtures.cases) {
    await t.step(`seed ${c.seed}`, () => {
      const rng = new Random(c.seed);
      assert.deepEqual(rng.getState(), c.stateAfterSeed, "state after seed");
      assert.deepEqual(Array.from({ length: c.random.length }, () => rng.random()), c.random, "random()");
      for (const [k, expected] of c.getrandbits) {
        assert.equal(rng.getrandbits(k), expected, `getrandbits(${k})`);
      }
      for (const [n, expected] of c.randbelow) assert.equal(rng.randbelow(n), expected, `randbelow(${n})`);
      const items = Array.from({ length: 50 }, (_, i) => i);
      rng.shuffle(items);
      assert.deepEqual(items, c.shuffle50, "shuffle");
      assert.deepEqual(Array.from({ length: c.gauss.length }, () => rng.gauss(0, 0.08)), c.gauss, "gauss");
      assert.deepEqual(rng.getState(), c.stateWithGaussCached, "state with a cached gauss value");
      assert.deepEqual(
        Array.from({ length: 3 }, () => rng.gauss(1.5, 2.0)),
        c.gaussAfterState,
        "gauss(1.5, 2)",
      );
      assert.deepEqual(Array.from({ length: 40 }, () => rng.choice(CHOICE_WEIGHTS)), c.choices, "choices");
      const after = Array.from({ length: 700 }, () => rng.random()).slice(-5);
      assert.deepEqual(after, c.randomAfter700, "random() across a state regeneration");
    });
  }
});

Deno.test("Random state round trip", async (t) => {
  await t.step("a CPython mid-stream state continues exactly", () => {
    const rng = new Random(0);
    rng.setState(fixtures.midStream.state);
    assert.deepEqual(Array.from({ length: 5 }, () => rng.random()), fixtures.midStream.next);
  });
  await t.step("getState/setState resumes our own stream, gauss cache included", () => {
    const a = new Random(42);
    a.gauss();
    const saved = structuredClone(a.getState());
    assert.notEqual(saved.gaussNext, null);
    const expected = [a.gauss(), a.random(), a.gauss(), a.randbelow(1000)];
    const b = new Random(1);
    b.setState(saved);
    assert.deepEqual([b.gauss(), b.random(), b.gauss(), b.randbelow(1000)], expected);
  });
  await t.step("setState rejects malformed states", () => {
    const good = new Random(3).getState();
    assert.throws(() => new Random().setState({ ...good, mt: good.mt.slice(1) }), /624/);
    assert.throws(() => new Random().setState({ ...good, mt: [...good.mt.slice(1), -1] }), /624/);
    assert.throws(() => new Random().setState({ ...good, index: 625 }), /index/);
    assert.throws(() => new Random().setState({ ...good, gaussNext: NaN }), /gaussNext/);
  });
});

Deno.test("Random argument checks", () => {
  const rng = new Random(1);
  assert.throws(() => rng.seed(1.5), /integer/);
  assert.throws(() => rng.getrandbits(54), /getrandbits/);
  assert.throws(() => rng.randbelow(0), /positive/);
  assert.throws(() => rng.choice([]), /at least one/);
  assert.throws(() => rng.choice([0, 0]), /positive finite/);
  assert.equal(new Random(5n).random(), new Random(5).random());
  assert.equal(new Random(-5).random(), new Random(5).random());
});
