/**
 * Every mistake a user can make on the command line gets one `error:` line naming the
 * problem and the fix, a non-zero exit code, and no stack trace.
 */
import assert from "node:assert/strict";
import { assertUsageError, type CliOutput, runScript } from "./cli.ts";

function train(args: string[]): Promise<CliOutput> {
  return runScript("cli/train.ts", args);
}

/** Asserts a failed run with exactly one stderr line, `error: ...` matching `pattern`. */
async function assertTrainError(args: string[], pattern: RegExp): Promise<void> {
  assertUsageError(await train(args), pattern, `of train ${args.join(" ")}`);
}

Deno.test("CLI: bad input gets a one-line error and a non-zero exit", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/empty.txt`, "\n  \n");
    await Deno.writeFile(
      `${dir}/latin1.txt`,
      new Uint8Array([0x61, 0x6e, 0x6e, 0x0a, 0x6a, 0x6f, 0xeb, 0x6c, 0x0a]),
    );
    await Deno.writeTextFile(`${dir}/tiny.txt`, "emma\nava\n");
    const cases: [string, string[], RegExp][] = [
      [
        "missing data file",
        ["--data", `${dir}/missing.txt`],
        /data file not found: .*missing\.txt; point --data at a text file/,
      ],
      ["data path is a directory", ["--data", dir], /is a directory/],
      ["empty data file", ["--data", `${dir}/empty.txt`], /has no documents/],
      ["data that is not UTF-8", ["--data", `${dir}/latin1.txt`], /not valid UTF-8 \(line 2\)/],
      [
        "n_embd not divisible by n_head",
        ["--n-embd", "18", "--n-head", "4"],
        /--n-embd \(18\) must be divisible by --n-head \(4\); pick --n-embd a multiple of --n-head/,
      ],
      [
        "zero layers",
        ["--n-layer", "0"],
        /--n-layer must be a positive integer, got 0; set --n-layer to 1 or more/,
      ],
      ["negative block size", ["--block-size", "-2"], /--block-size must be a positive integer/],
      ["zero steps", ["--steps", "0"], /--steps must be a positive integer, got 0/],
      ["zero heads", ["--n-head", "0"], /--n-head must be a positive integer/],
      ["non-integer steps", ["--steps", "1.5"], /--steps must be an integer, got '1\.5'/],
      ["non-numeric lr", ["--lr", "fast"], /--lr must be a number, got 'fast'/],
      ["negative lr", ["--lr", "-0.1"], /--lr must be a positive number, got -0\.1; set --lr above 0/],
      ["zero temperature", ["--temperature", "0"], /--temperature must be a number of at least 1e-300/],
      ["negative samples", ["--samples", "-1"], /--samples must be a non-negative integer/],
      ["unknown flag", ["--epochs", "3"], /unknown flag --epochs; see .*--help/],
      ["missing flag value", ["--seed"], /--seed needs a value/],
      ["positional argument", ["names.txt"], /unexpected argument 'names\.txt'/],
      [
        "--probe without --out",
        ["--probe", "5"],
        /--probe needs --out DIR to write the probe in; add --out DIR/,
      ],
      [
        "--probe 0",
        ["--probe", "0", "--out", `${dir}/run`],
        /--probe must be a positive number of documents/,
      ],
      [
        "--engine torch",
        ["--engine", "torch"],
        /the engine 'torch' is PyTorch \(python3 torch\/microgpt\.py\), which does not run here; use --engine value, fast or tensor/,
      ],
      [
        "a diverged run",
        ["--data", `${dir}/tiny.txt`, "--lr", "1e30", "--steps", "20"],
        /training diverged: loss is (Infinity|NaN) at step \d+; lower the learning rate \(--lr\) or change the seed \(--seed\)/,
      ],
    ];
    for (const [name, args, pattern] of cases) {
      await t.step(name, () => assertTrainError(args, pattern));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: --help documents every flag and exits 0", async () => {
  const { code, stdout } = await train(["--help"]);
  assert.equal(code, 0);
  for (
    const flag of [
      "--data",
      "--seed",
      "--steps",
      "--n-embd",
      "--n-head",
      "--n-layer",
      "--block-size",
      "--lr",
      "--temperature",
      "--samples",
    ]
  ) {
    assert.match(stdout, new RegExp(`^\\s+${flag} `, "m"), `help mentions ${flag}`);
  }
});

Deno.test("CLI: any text file works, with other shapes and seeds", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/words.txt`, "the cat\nsat on\nthe mat\r\nÉtienne 😀\n");
    const { code, stdout, stderr } = await train([
      "--data",
      `${dir}/words.txt`,
      "--steps",
      "12",
      "--n-embd",
      "12",
      "--n-head",
      "3",
      "--n-layer",
      "2",
      "--block-size",
      "8",
      "--seed",
      "7",
      "--samples",
      "3",
    ]);
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 2), ["num docs: 4", "vocab size: 14"]);
    assert.equal(lines.filter((l) => /^step +\d+ \/ {3}12 \| loss \d+\.\d{4}$/.test(l)).length, 12);
    assert.equal(lines.filter((l) => /^sample +\d: /.test(l)).length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
