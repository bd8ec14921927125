import assert from "node:assert/strict";
import { FileError, readRegularFile } from "./files.ts";

async function problem(path: string, maxBytes = 1e6): Promise<string> {
  try {
    await readRegularFile(path, maxBytes);
    return "read";
  } catch (err) {
    assert.ok(err instanceof FileError, String(err));
    return err.kind;
  }
}

/** Makes a FIFO; false where that cannot be done (no mkfifo, or no --allow-run as in test:unit). */
async function mkfifo(path: string): Promise<boolean> {
  try {
    return (await new Deno.Command("mkfifo", { args: [path] }).output()).success;
  } catch {
    return false;
  }
}

Deno.test("readRegularFile() reads regular files only, and never more than the limit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "emma\n");
    assert.equal(new TextDecoder().decode(await readRegularFile(`${dir}/a.txt`, 5)), "emma\n");
    assert.equal(await problem(`${dir}/a.txt`, 4), "too-large");
    assert.equal(await problem(`${dir}/none`), "not-found");
    assert.equal(await problem(dir), "directory");
    assert.equal(await problem("/dev/zero"), "not-regular"); // never read: it would not end
    if (await mkfifo(`${dir}/fifo`)) assert.equal(await problem(`${dir}/fifo`), "not-regular"); // never opened: it would block
    await Deno.symlink(`${dir}/a.txt`, `${dir}/link`);
    assert.equal(await problem(`${dir}/link`), "read", "a link to a file is that file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
