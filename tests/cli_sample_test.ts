/** `deno task sample --checkpoint FILE`: samples, seeds, temperature, prefixes and its errors. */
import assert from "node:assert/strict";
import { assertUsageError, runScript as cli } from "./cli.ts";

async function sample(args: string[]): Promise<string[]> {
  const { code, stdout, stderr } = await cli("cli/sample.ts", args);
  assert.equal(code, 0, stderr);
  return stdout.trimEnd().split("\n").map((line) => {
    const m = /^sample +\d+: (.*)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    return m[1];
  });
}

async function usageError(args: string[], pattern: RegExp): Promise<void> {
  assertUsageError(await cli("cli/sample.ts", args), pattern, `of sample ${args.join(" ")}`);
}

Deno.test("CLI: deno task sample", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_sample_cli_" });
  try {
    const trained = await cli("cli/train.ts", [
      "--engine",
      "fast",
      "--steps",
      "400",
      "--seed",
      "3",
      "--samples",
      "12",
      "--out",
      dir,
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const ckpt = `${dir}/checkpoint.json`;
    await t.step("without --seed: exactly the training run's samples", async () => {
      const printed = trained.stdout.trimEnd().split("\n").slice(-12).join("\n");
      const { stdout } = await cli("cli/sample.ts", ["--checkpoint", ckpt]);
      assert.equal(stdout.trimEnd(), printed);
    });
    await t.step("--samples and --seed: repeatable, and the seed matters", async () => {
      const a = await sample(["--checkpoint", ckpt, "--samples", "30", "--seed", "5"]);
      assert.equal(a.length, 30);
      assert.deepEqual(await sample(["--checkpoint", ckpt, "--samples", "30", "--seed", "5"]), a);
      assert.notDeepEqual(await sample(["--checkpoint", ckpt, "--samples", "30", "--seed", "6"]), a);
    });
    await t.step("--prefix conditions the start of every name", async () => {
      const names = await sample(["--checkpoint", ckpt, "--samples", "15", "--prefix", "ka", "--seed", "1"]);
      assert.equal(names.length, 15);
      for (const name of names) assert.ok(name.startsWith("ka"), name);
      assert.ok(names.some((n) => n.length > 2), "something follows the prefix");
    });
    await t.step("--temperature: a low one repeats the most likely names", async () => {
      const cold = await sample([
        "--checkpoint",
        ckpt,
        "--samples",
        "40",
        "--temperature",
        "0.05",
        "--seed",
        "2",
      ]);
      const hot = await sample([
        "--checkpoint",
        ckpt,
        "--samples",
        "40",
        "--temperature",
        "2",
        "--seed",
        "2",
      ]);
      assert.ok(
        new Set(cold).size < new Set(hot).size,
        `${new Set(cold).size} vs ${new Set(hot).size} distinct`,
      );
    });
    await t.step("mistakes are one-line errors", async () => {
      await usageError([], /--checkpoint FILE is required/);
      await usageError(
        ["--checkpoint", ckpt, "--prefix", "Ka"],
        /--prefix character "K" is not in the model's vocabulary/,
      );
      await usageError(["--checkpoint", ckpt, "--prefix", "abcdefghijklmnop"], /use at most 15/);
      await usageError(
        ["--checkpoint", ckpt, "--temperature", "0"],
        /--temperature must be a number of at least 1e-300/,
      );
      await usageError(
        ["--checkpoint", ckpt, "--samples", "-1"],
        /--samples must be a non-negative integer, got -1; set --samples to 0 or more/,
      );
      await usageError(["--checkpoint", ckpt, "--bogus"], /unknown flag --bogus/);
    });
    await t.step("--help", async () => {
      const { code, stdout } = await cli("cli/sample.ts", ["--help"]);
      assert.equal(code, 0);
      assert.match(stdout, /--prefix TEXT/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
