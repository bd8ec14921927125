import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { exactJson, writeTextFileAtomic } from "./json_file.ts";

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
