/**
 * Broken checkpoints through the CLI: `deno task train --resume` and `deno task sample
 * --checkpoint` report a broken file or changed data as one `error:` line and exit code 2,
 * never a stack trace, never a silently wrong model. Every kind of broken file is checked by
 * `parseCheckpoint`'s tests (lib/experiment/checkpoint_test.ts); here a few of them go through
 * each command, to show that both pass the library's one-line error on.
 */
import assert from "node:assert/strict";
import { checkpointChecksum } from "../lib/experiment/checkpoint.ts";
import { assertUsageError, runScript as cli } from "./cli.ts";

async function usageError(script: string, args: string[], pattern: RegExp): Promise<void> {
  const output = await cli(script, args);
  assertUsageError(output, pattern, `of ${script} ${args.join(" ")}`);
  assert.equal(output.stdout, "", "nothing printed to stdout");
}

/** The checkpoint as JSON text, with its checksum made again for its edited contents. */
function withChecksum(json: Record<string, unknown>): string {
  return JSON.stringify({ ...json, checksum: checkpointChecksum(json) });
}

/** The text with one bit of the byte at `at` flipped (a digit stays a digit: 0x31 <-> 0x30). */
function flipBit(text: string, at: number): string {
  const bytes = new TextEncoder().encode(text);
  const digit = bytes.findIndex((b, i) => i >= at && b >= 0x31 && b <= 0x39 && b % 2 === 1);
  bytes[digit] ^= 1;
  return new TextDecoder().decode(bytes);
}

const NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];

Deno.test("CLI: broken checkpoints are one-line errors", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_ckpt_cli_" });
  try {
    const data = `${dir}/names.txt`;
    await Deno.writeTextFile(data, NAMES.join("\n") + "\n");
    const made = await cli("cli/train.ts", [
      "--data",
      data,
      "--engine",
      "fast",
      "--steps",
      "20",
      "--stop-at",
      "10",
      "--out",
      `${dir}/good`,
    ]);
    assert.equal(made.code, 0, made.stderr);
    const text = await Deno.readTextFile(`${dir}/good/checkpoint.json`);
    const json = () => JSON.parse(text);

    /** Writes a broken variant as DIR/NAME/checkpoint.json and returns DIR/NAME. */
    const variant = async (name: string, content: string): Promise<string> => {
      await Deno.mkdir(`${dir}/${name}`);
      await Deno.writeTextFile(`${dir}/${name}/checkpoint.json`, content);
      return `${dir}/${name}`;
    };
    const cases: [string, string, RegExp, ("train" | "sample")[]][] = [
      [
        "truncated",
        text.slice(0, 1000),
        /checkpoint .*truncated\/checkpoint\.json is not valid JSON .*truncated or corrupt/,
        ["train", "sample"],
      ],
      ["foreign", JSON.stringify({ ...json(), format: "safetensors" }), /not a microgpt checkpoint/, [
        "sample",
      ]],
      [
        "shape (its checksum made again)",
        withChecksum({ ...json(), params: { ...json().params, wpe: json().params.wpe.slice(1) } }),
        /params\.wpe should have 16 rows/,
        ["train"],
      ],
      [
        "a flipped bit",
        flipBit(text, text.indexOf('"wte"') + 20),
        /its contents do not match its checksum/,
        ["train", "sample"],
      ],
    ];
    for (const [name, content, pattern, commands] of cases) {
      await t.step(`${name} (${commands.join(", ")})`, async () => {
        const path = await variant(name, content);
        if (commands.includes("train")) await usageError("cli/train.ts", ["--resume", path], pattern);
        if (commands.includes("sample")) {
          await usageError("cli/sample.ts", ["--checkpoint", `${path}/checkpoint.json`], pattern);
        }
      });
    }
    await t.step("missing file and directory", async () => {
      await usageError("cli/sample.ts", ["--checkpoint", `${dir}/none.json`], /checkpoint not found/);
      await usageError("cli/sample.ts", ["--checkpoint", `${dir}/good`], /checkpoint path is a directory/);
    });
    await t.step("changed data is refused on resume", async () => {
      await Deno.writeTextFile(`${dir}/changed.txt`, NAMES.join("\n") + "\nzoe\n");
      await usageError(
        "cli/train.ts",
        ["--resume", `${dir}/good`, "--data", `${dir}/changed.txt`],
        /data file .*changed\.txt is not the file the checkpoint was trained on \(its SHA-256 differs\)/,
      );
    });
    await t.step("moved data with the same bytes resumes fine", async () => {
      await Deno.copyFile(data, `${dir}/moved.txt`);
      const { code, stdout, stderr } = await cli("cli/train.ts", [
        "--resume",
        `${dir}/good`,
        "--data",
        `${dir}/moved.txt`,
        "--out",
        `${dir}/moved`,
      ]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /^step {3}11 \/ {3}20 \| loss \d\.\d{4}\n/);
    });
    await t.step("the intact checkpoint still works after all that", async () => {
      const { code, stdout } = await cli("cli/sample.ts", ["--checkpoint", `${dir}/good/checkpoint.json`]);
      assert.equal(code, 0);
      assert.equal(stdout.trimEnd().split("\n").length, 20);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
