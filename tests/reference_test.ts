/**
 * Parity with the original program: the CLI's stdout must equal, byte for byte, the stdout of
 * microgpt.py (the original program's own output for seed 42, copied into tests/fixtures/, and
 * for other settings the output of tests/fixtures/microgpt.py; see tests/fixtures/README.md).
 */
import assert from "node:assert/strict";
import { assertSameText as assertSameOutput, runScript } from "./cli.ts";

const FIXTURES = new URL("fixtures/", import.meta.url).pathname;

async function train(args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runScript("cli/train.ts", args);
  assert.equal(code, 0, `train ${args.join(" ")} failed: ${stderr}`);
  return stdout;
}

Deno.test("deno task train reproduces microgpt.py on names.txt, seed 42", async (t) => {
  const expected = await Deno.readTextFile(`${FIXTURES}names-seed42-steps1000.txt`);
  await t.step("default engine (fast)", async () => {
    assertSameOutput(await train([]), expected, "names.txt");
  });
  for (const engine of ["value", "tensor"]) {
    await t.step(`--engine ${engine}`, async () => {
      assertSameOutput(await train(["--engine", engine]), expected, `names.txt, --engine ${engine}`);
    });
  }
});

Deno.test("deno task train reproduces microgpt.py on makemore's names, seed 42", async (t) => {
  const expected = await Deno.readTextFile(`${FIXTURES}makemore-seed42-steps1000.txt`);
  const data = ["--data", "tests/fixtures/makemore-names.txt"];
  await t.step("default engine (fast)", async () => {
    assertSameOutput(await train(data), expected, "makemore");
  });
  for (const engine of ["value", "tensor"]) {
    await t.step(`--engine ${engine}`, async () => {
      assertSameOutput(await train([...data, "--engine", engine]), expected, `makemore, --engine ${engine}`);
    });
  }
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
    for (const engine of ["value", "fast", "tensor"]) {
      await t.step(`${name} (--engine ${engine})`, async () => {
        assertSameOutput(await train([...args, "--engine", engine]), expected, `${name}, ${engine}`);
      });
    }
  }
});

Deno.test("--batch-size 4: every engine prints the same bytes (the PyTorch port's rule: step s takes documents 4s..4s+3)", async () => {
  const args = ["--batch-size", "4", "--steps", "60", "--samples", "5"];
  const value = await train([...args, "--engine", "value"]);
  assert.match(value, /^step {3}60 \/ {3}60 \| loss \d\.\d{4}$/m);
  for (const engine of ["fast", "tensor"]) {
    assertSameOutput(await train([...args, "--engine", engine]), value, `--batch-size 4, --engine ${engine}`);
  }
});
