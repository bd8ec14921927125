/**
 * Parity with the original program: the CLI's stdout must equal, byte for byte, the stdout of
 * microgpt.py (the shared reference files for seed 42, and our fixtures for other settings
 * made by tests/fixtures/microgpt.py, see tests/fixtures/README.md).
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const SHARED = new URL("../../shared/reference/", import.meta.url).pathname;

async function train(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-run", "cli/train.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `train ${args.join(" ")} failed: ${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

/** Equal texts, or a failure that names the first differing line (llm.c style: show where). */
function assertSameOutput(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  const a = actual.split("\n");
  const e = expected.split("\n");
  const i = a.findIndex((line, k) => line !== e[k]);
  const at = i === -1 ? Math.min(a.length, e.length) : i;
  assert.fail(`${what}: first difference at line ${at + 1}:\n  expected: ${e[at]}\n  actual:   ${a[at]}`);
}

Deno.test("deno task train reproduces microgpt.py on names.txt, seed 42", async () => {
  const expected = await Deno.readTextFile(`${SHARED}names-seed42-steps1000.txt`);
  assertSameOutput(await train([]), expected, "names.txt");
});

Deno.test("deno task train reproduces microgpt.py on makemore's names, seed 42", async () => {
  const expected = await Deno.readTextFile(`${SHARED}makemore-seed42-steps1000.txt`);
  assertSameOutput(await train(["--data", "../shared/reference/makemore-names.txt"]), expected, "makemore");
});

Deno.test("the readable Value engine reproduces microgpt.py on names.txt, seed 42", async () => {
  const expected = await Deno.readTextFile(`${SHARED}names-seed42-steps1000.txt`);
  assertSameOutput(await train(["--engine", "value"]), expected, "names.txt, --engine value");
});

interface FixtureCase {
  name: string;
  args: string[];
}
const cases: FixtureCase[] = JSON.parse(
  await Deno.readTextFile(new URL("fixtures/microgpt_cases.json", import.meta.url)),
);

Deno.test("other seeds, shapes and data match the Python program", async (t) => {
  for (const { name, args } of cases) {
    const expected = await Deno.readTextFile(new URL(`fixtures/microgpt-${name}.txt`, import.meta.url));
    for (const engine of ["value", "fast"]) {
      await t.step(`${name} (--engine ${engine})`, async () => {
        assertSameOutput(await train([...args, "--engine", engine]), expected, `${name}, ${engine}`);
      });
    }
  }
});
