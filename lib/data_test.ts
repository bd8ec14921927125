import assert from "node:assert/strict";
import { decodeUtf8, loadDocs, parseDocs, pyStrip } from "./data.ts";
import { UsageError } from "./errors.ts";

Deno.test("parseDocs() reads lines the way microgpt.py does", async (t) => {
  await t.step("universal newlines, strip, empty lines dropped", () => {
    assert.deepEqual(parseDocs("emma\r\nolivia\rava\n\n  \n mia \n"), ["emma", "olivia", "ava", "mia"]);
  });
  await t.step("Python's whitespace set, not JS trim()'s", () => {
    // \x1c-\x1f and \x85 are whitespace to Python; U+FEFF is not.
    assert.equal(pyStrip("\x1c\x1d\x1e\x1f\x85 a b\u3000"), "a b");
    assert.equal(pyStrip("\ufeffab"), "\ufeffab");
    assert.deepEqual(parseDocs("\ufeffemma\nava"), ["\ufeffemma", "ava"]);
  });
  await t.step("inner spaces are kept", () => {
    assert.deepEqual(parseDocs("mary ann\n"), ["mary ann"]);
  });
});

Deno.test("decodeUtf8() keeps a BOM and rejects invalid bytes with the line number", () => {
  assert.equal(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), "\ufeffa");
  const bad = new Uint8Array([0x61, 0x0a, 0x62, 0x0a, 0xff, 0x63, 0x0a]);
  assert.throws(() => decodeUtf8(bad, "data file x.txt"), (err: Error) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /^data file x\.txt is not valid UTF-8 \(line 3\)/);
    return true;
  });
});

Deno.test("loadDocs() errors name the problem and the fix", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await t.step("missing file", async () => {
      await assert.rejects(() => loadDocs(`${dir}/nope.txt`), UsageError, "data file not found");
    });
    await t.step("directory", async () => {
      await assert.rejects(() => loadDocs(dir), UsageError, "is a directory");
    });
    await t.step("empty file", async () => {
      await Deno.writeTextFile(`${dir}/empty.txt`, " \n\n\t\n");
      await assert.rejects(() => loadDocs(`${dir}/empty.txt`), UsageError, "has no documents");
    });
    await t.step("a real file", async () => {
      await Deno.writeTextFile(`${dir}/names.txt`, "emma\nava\n");
      assert.deepEqual(await loadDocs(`${dir}/names.txt`), ["emma", "ava"]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the default dataset is the shared names list", async () => {
  const docs = await loadDocs(new URL("../data/names.txt", import.meta.url).pathname);
  assert.equal(docs.length, 32257);
  assert.deepEqual(docs.slice(0, 3), ["emma", "olivia", "ava"]);
});
