/**
 * Integrity, bounded memory and odd files (issue 11): a checkpoint changed by a single bit
 * never loads as a different model; files are bounded in size and nesting before they are
 * parsed, and shapes by a memory estimate before anything is allocated; data must be a regular
 * file; settings that cannot fit in memory are one line naming the flag, at once. Each case
 * ends in one `error:` line, exit code 2 and no stack trace, through the CLI (and, for the bit
 * flips, the library, which can try many more).
 */
import assert from "node:assert/strict";
import { type Checkpoint, checkpointChecksum, loadCheckpoint } from "../lib/experiment/checkpoint.ts";
import { UsageError } from "../lib/errors.ts";
import { Random } from "../lib/random.ts";
import { assertUsageError, runScript } from "./cli.ts";

const NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"];

async function refused(script: string, args: string[], pattern: RegExp): Promise<void> {
  const out = await runScript(script, args);
  assertUsageError(out, pattern, `of ${script} ${args.join(" ")}`);
  assert.equal(out.stdout, "", "nothing ran");
}

Deno.test("robust: checkpoints with a flipped bit never load as another model", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_robust_bits_" });
  try {
    const data = `${dir}/names.txt`;
    await Deno.writeTextFile(data, NAMES.join("\n") + "\n");
    const made = await runScript("cli/train.ts", [
      ...["--data", data, "--steps", "20", "--n-embd", "8", "--n-head", "2", "--stop-at", "10"],
      ...["--out", `${dir}/run`],
    ]);
    assert.equal(made.code, 0, made.stderr);
    const bytes = await Deno.readFile(`${dir}/run/checkpoint.json`);
    const { checksum: _, ...original } = await loadCheckpoint(`${dir}/run/checkpoint.json`);

    await t.step(
      "100 random single-bit flips: each refused with one line, or the same contents",
      async () => {
        const rng = new Random(11);
        let refusals = 0;
        for (let i = 0; i < 100; i++) {
          const flipped = bytes.slice();
          const at = rng.randbelow(flipped.length);
          flipped[at] ^= 1 << rng.randbelow(8);
          await Deno.writeFile(`${dir}/flipped.json`, flipped);
          try {
            const { checksum: _c, ...loaded } = await loadCheckpoint(`${dir}/flipped.json`);
            // Only a flip that leaves every value as it was may load (e.g. in the name "checksum").
            assert.deepEqual(loaded, original, `flip at byte ${at} loaded different contents`);
          } catch (err) {
            assert.ok(err instanceof UsageError, `flip at byte ${at}: ${err}`);
            assert.ok(!err.message.includes("\n"), "one line");
            refusals++;
          }
        }
        assert.ok(refusals >= 95, `${refusals} of 100 refused`);
      },
    );
    await t.step("through the CLI: a flipped digit in a weight", async () => {
      const text = new TextDecoder().decode(bytes);
      const at = text.indexOf('"wte"') + 30;
      const digit = [...text].findIndex((c, i) => i >= at && c >= "1" && c <= "8");
      await Deno.mkdir(`${dir}/bit`);
      await Deno.writeTextFile(
        `${dir}/bit/checkpoint.json`,
        text.slice(0, digit) + "9" + text.slice(digit + 1),
      );
      const pattern = /its contents do not match its checksum \(the file changed or was corrupted after/;
      await refused("cli/sample.ts", ["--checkpoint", `${dir}/bit/checkpoint.json`], pattern);
      await refused("cli/train.ts", ["--resume", `${dir}/bit`], pattern);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robust: files are bounded in size, nesting and shape before they are parsed or allocated", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_robust_bounds_" });
  try {
    await t.step("a 300 MB checkpoint: its size, not 'not UTF-8'", async () => {
      await Deno.mkdir(`${dir}/huge`);
      using file = await Deno.create(`${dir}/huge/checkpoint.json`);
      await file.truncate(300e6); // sparse: nothing is written
      const pattern =
        /checkpoint .*huge\/checkpoint\.json is 300 MB, over the 256 MB limit for checkpoint files/;
      await refused("cli/sample.ts", ["--checkpoint", `${dir}/huge/checkpoint.json`], pattern);
      await refused("cli/train.ts", ["--resume", `${dir}/huge`], pattern);
    });
    await t.step("arrays nested 5000 deep", async () => {
      await Deno.mkdir(`${dir}/deep`);
      await Deno.writeTextFile(
        `${dir}/deep/checkpoint.json`,
        `{"params": ${"[".repeat(5000)}${"]".repeat(5000)}}`,
      );
      await refused(
        "cli/train.ts",
        ["--resume", `${dir}/deep`],
        /nests arrays and objects more than 32 deep/,
      );
    });
    await t.step(
      "a checkpoint that claims nLayer 1e9 (with a valid checksum): one line, nothing allocated",
      async () => {
        const checkpoint = await smallCheckpoint(dir);
        checkpoint.experiment.model.nLayer = 1e9;
        const json = { ...checkpoint, checksum: checkpointChecksum(checkpoint) };
        await Deno.writeTextFile(`${dir}/layers.json`, JSON.stringify(json));
        await refused(
          "cli/sample.ts",
          ["--checkpoint", `${dir}/layers.json`],
          /bad experiment config: a run with nEmbd 8, nLayer 1000000000, .* needs about .* of memory, more than the .* this process may use; lower nLayer/,
        );
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A real (small) checkpoint, as parsed JSON. */
async function smallCheckpoint(dir: string): Promise<Checkpoint> {
  await Deno.writeTextFile(`${dir}/n.txt`, NAMES.join("\n"));
  const out = await runScript("cli/train.ts", [
    ...["--data", `${dir}/n.txt`, "--steps", "4", "--n-embd", "8", "--n-head", "2", "--stop-at", "2"],
    ...["--out", `${dir}/small`],
  ]);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(await Deno.readTextFile(`${dir}/small/checkpoint.json`));
}

Deno.test("robust: data must be a regular file of at most 1 GB", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_robust_data_" });
  try {
    const notRegular =
      /--data|data path .* is not a regular file \(a device, FIFO or socket\); point --data at a text file/;
    await t.step("/dev/zero (it would read forever)", async () => {
      await refused("cli/train.ts", ["--data", "/dev/zero"], notRegular);
    });
    await t.step("a FIFO with no writer (it would block forever)", async () => {
      const made = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
      assert.ok(made.success);
      await refused("cli/train.ts", ["--data", `${dir}/fifo`], notRegular);
      await refused("cli/sweep.ts", ["--data", `${dir}/fifo`, "--seeds", "1", "--steps", "2"], notRegular);
    });
    await t.step("a directory", async () => {
      await refused(
        "cli/train.ts",
        ["--data", dir],
        /data path is a directory: .*; point --data at a text file/,
      );
    });
    await t.step("a 1.1 GB file: refused before it is read", async () => {
      using file = await Deno.create(`${dir}/big.txt`);
      await file.truncate(1.1e9); // sparse
      await refused(
        "cli/train.ts",
        ["--data", `${dir}/big.txt`],
        /data file .*big\.txt is 1\.1 GB, over the 1\.0 GB limit for data files; point --data at a smaller file/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("robust: sizes that cannot fit in memory are one line naming the flag, before anything runs", async (t) => {
  const cases: [string, string[], RegExp][] = [
    [
      "--n-embd 100000",
      ["--n-embd", "100000"],
      /a run with --n-embd 100000, .* needs about .* of memory, .*; lower --n-embd$/,
    ],
    [
      "--n-layer 100000",
      ["--n-layer", "100000"],
      /a run with --n-embd 16, --n-layer 100000, .*; lower --n-layer$/,
    ],
    [
      "--block-size 100000000",
      ["--block-size", "100000000"],
      /--block-size 100000000, .*; lower --block-size$/,
    ],
    [
      "--steps 1e9",
      ["--steps", "1000000000"],
      /--steps 1000000000 .* needs about 64 GB of memory, .*; lower --steps$/,
    ],
  ];
  cases.push([
    "--samples 1e9",
    ["--samples", "1000000000"],
    /--samples 1000000000 .* needs about 96 GB .*; lower --samples$/,
  ]);
  for (const [name, args, pattern] of cases) {
    await t.step(`train ${name}`, async () => await refused("cli/train.ts", args, pattern));
  }
  await t.step("a sweep with a thousand workers", async () => {
    await refused(
      "cli/sweep.ts",
      ["--seeds", "1..3", "--steps", "5", "--workers", "1000"],
      /--workers 1000 is more than 4 per core \(\d+ cores\): the extra workers would only cost memory/,
    );
  });
  await t.step("a sweep of a million runs", async () => {
    const rates = Array.from({ length: 1000 }, (_, i) => (i + 1) / 1e5).join(",");
    await refused(
      "cli/sweep.ts",
      ["--seeds", "1..1000", "--lr", rates],
      /a sweep of 1000000 runs \(1000 --seeds x 1000 --lr\) keeps about .* of records, more than the .* this process may use; give fewer --seeds/,
    );
  });
});
