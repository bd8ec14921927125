import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { canonicalSha256, exactJson, readJsonFile, tooDeepAt, writeTextFileAtomic } from "./json_file.ts";

Deno.test("exactJson()", async (t) => {
  await t.step("every double reads back bit for bit, -0 included", () => {
    const xs = [0.1, -0, 0, 1e-300, 5e-324, -1.7976931348623157e308, 1 / 3, 2 ** 53 + 2, -2.5e-7];
    const back = JSON.parse(exactJson({ xs })).xs as number[];
    assert.equal(back.length, xs.length);
    xs.forEach((x, i) => assert.ok(Object.is(back[i], x), `${x} came back as ${back[i]}`));
    assert.ok(Object.is(back[1], -0)); // JSON.stringify would have written 0
    assert.equal(JSON.stringify(-0), "0");
  });
  await t.step("typed arrays, nesting, strings and null", () => {
    const value = { m: new Float64Array([1.5, -0]), rows: [[1, 2], [3, 4]], s: 'a"b', n: null, b: true };
    const back = JSON.parse(exactJson(value));
    assert.deepEqual(back, { m: [1.5, -0], rows: [[1, 2], [3, 4]], s: 'a"b', n: null, b: true });
    assert.equal(exactJson([]), "[]");
    assert.equal(exactJson({}), "{}");
  });
  await t.step("NaN and Infinity are refused (JSON has no such numbers)", () => {
    assert.throws(() => exactJson({ w: [1, NaN] }), RangeError);
    assert.throws(() => exactJson(Infinity), RangeError);
  });
  await t.step("undefined fields are left out, as JSON.stringify does", () => {
    assert.deepEqual(JSON.parse(exactJson({ a: 1, b: undefined })), { a: 1 });
  });
});

Deno.test("writeTextFileAtomic()", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_json_file_" });
  try {
    await t.step("writes, then replaces, leaving no temporary file", async () => {
      const path = `${dir}/a.json`;
      await writeTextFileAtomic(path, "first\n");
      await writeTextFileAtomic(path, "second\n");
      assert.equal(await Deno.readTextFile(path), "second\n");
      const names = [];
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
      assert.deepEqual(names, ["a.json"]);
    });
    await t.step("a missing directory is a one-line UsageError and nothing is left behind", async () => {
      await assert.rejects(
        () => writeTextFileAtomic(`${dir}/missing/a.json`, "x"),
        (err: Error) =>
          err instanceof UsageError && /does not exist/.test(err.message) && !err.message.includes("\n"),
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("canonicalSha256() is the spec's, as Python computes it (tests/fixtures/checksum.json)", async () => {
  const fixture = JSON.parse(
    await Deno.readTextFile(new URL("../../tests/fixtures/checksum.json", import.meta.url)),
  );
  assert.ok(Object.is(fixture.value.numbers[1], -0), "the fixture's -0.0 reads as -0");
  assert.equal(`sha256:${canonicalSha256(fixture.value)}`, fixture.checksum);
  // Every value counts, down to the sign of a zero; the order of keys does not.
  const flipped = structuredClone(fixture.value);
  flipped.numbers[1] = 0;
  assert.notEqual(`sha256:${canonicalSha256(flipped)}`, fixture.checksum);
  const reordered = Object.fromEntries(Object.entries(fixture.value).reverse());
  assert.equal(`sha256:${canonicalSha256(reordered)}`, fixture.checksum);
});

Deno.test("tooDeepAt() finds nesting past the limit without parsing, skipping strings", () => {
  assert.equal(tooDeepAt("[".repeat(32) + "]".repeat(32)), -1);
  assert.equal(tooDeepAt("[".repeat(33) + "]".repeat(33)), 32);
  assert.equal(tooDeepAt(`{"a": "${"[".repeat(100)}", "b": "\\"[[["}`), -1);
  assert.equal(tooDeepAt(`[{"x": [[1]]}]`, 3), 8); // the second [ after "x"
});

Deno.test("readJsonFile() refuses before reading: not a file, too large", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => readJsonFile("/dev/zero", "run record", "fix"),
      /run record path \/dev\/zero is not a regular file/,
    );
    using file = await Deno.create(`${dir}/big.json`);
    await file.truncate(2000);
    await assert.rejects(
      () => readJsonFile(`${dir}/big.json`, "checkpoint", "pass another", 1000),
      /checkpoint .*big\.json is 2.0 kB, over the 1.0 kB limit for checkpoint files: not one this program wrote; pass another/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
