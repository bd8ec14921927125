"""
Tests of torch/: the PyTorch module against microgpt's arithmetic and our TypeScript side, our file
formats byte for byte, and data-parallel training against one process. From the repository root:

    /usr/bin/python3 -m unittest discover torch

`TestAgainstDeno` runs our side (`deno task train`, `deno task sample`, `deno task train --probe`) for its
numbers, so it always compares with the current TypeScript code; where `deno` is not installed it is
skipped and says so. Everything else needs only Python and PyTorch.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import formats  # noqa: E402
import microgpt  # noqa: E402
import reference  # noqa: E402
import torch  # noqa: E402

NAMES = os.path.join(ROOT, "data", "names.txt")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SCRIPT = os.path.join(HERE, "microgpt.py")
DENO = shutil.which("deno")


def run_main(*argv: str) -> tuple[int, str, str]:
    """Runs `microgpt.py ARGV` in this process (from the repository root): (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            microgpt.main(list(argv))
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


def run_process(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs a command from the repository root and captures its output."""
    return subprocess.run(list(argv), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def deno(*argv: str) -> str:
    """`deno ARGV` from the repository root; its stdout (fails the test on an error)."""
    result = run_process("deno", *argv)
    if result.returncode != 0:
        raise AssertionError(f"deno {' '.join(argv)} failed ({result.returncode}): {result.stderr}")
    return result.stdout


def train(*argv: str) -> str:
    """`microgpt.py train ARGV` in this process; its stdout (fails the test on an error)."""
    code, out, err = run_main("train", *argv)
    if code != 0:
        raise AssertionError(f"train {' '.join(argv)} failed ({code}): {err}")
    return out


class Background:
    """A command running in the background (unbuffered), whose stdout a test reads as it comes."""

    def __init__(self, *argv: str, new_session: bool = False) -> None:
        self.stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # (a pipe would need a reader)
        self.process = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            start_new_session=new_session,
        )
        self.stdout = ""

    def wait_for(self, text: str) -> None:
        """Reads stdout until a line starts with `text` (fails if the command ends first)."""
        while True:
            line = self.process.stdout.readline()
            if line == "":
                raise AssertionError(f"ended before printing {text!r}: {self.finish()}")
            self.stdout += line
            if line.startswith(text):
                return

    def finish(self) -> tuple[int, str, str]:
        """Waits for the end: (exit code, all of stdout, stderr)."""
        self.stdout += self.process.stdout.read()  # to the end, after what `wait_for` read
        self.process.stdout.close()
        self.process.wait(timeout=300)
        self.stderr.seek(0)
        err = self.stderr.read()
        self.stderr.close()
        return self.process.returncode, self.stdout, err


def usage_error_line(test: unittest.TestCase, result: tuple[int, str, str], message: str) -> None:
    """Asserts exit code 2 and stderr ending in exactly one `error: ...` line that contains `message`."""
    code, _, err = result
    test.assertEqual(code, 2, err)
    lines = err.splitlines()  # the error is the last line (training's first line says where it runs)
    test.assertTrue(lines[-1].startswith("error: "), err)
    test.assertIn(message, lines[-1])
    test.assertEqual(sum(line.startswith("error") for line in lines), 1, err)
    test.assertNotIn("Traceback", err)


def max_diff(a: list[float], b: list[float]) -> float:
    assert len(a) == len(b), (len(a), len(b))
    return max(abs(x - y) for x, y in zip(a, b))


def weights(checkpoint: dict) -> list[float]:
    return [x for m in checkpoint["params"].values() for row in m for x in row]


def small_checkpoint(seed: int = 1) -> dict:
    """A real checkpoint of a fresh model (step 0), made by microgpt.make_checkpoint."""
    docs = ["emma", "olivia", "ava", "isabella", "sophia"]
    rng = random.Random(seed)
    rng.shuffle(docs)
    tokenizer = microgpt.Tokenizer.from_docs(docs)
    experiment = microgpt.new_experiment(
        microgpt.build_parser().parse_args(["train", "--steps", "10", "--n-embd", "8", "--n-head", "2"])
    )
    model = microgpt.GPT(microgpt.model_config(experiment, tokenizer.vocab_size)).double()
    model.init_weights(rng)
    adam = microgpt.Adam(list(model.parameters()), microgpt.train_config(experiment))
    history = {"losses": [], "validationLosses": [], "segments": []}
    data = {"sha256": "0" * 64, "numDocs": 5}
    return microgpt.make_checkpoint(experiment, data, tokenizer.chars, 0, rng, model, adam, history, "run-1")


class TestFormats(unittest.TestCase):
    """Our JSON, numbers and checkpoint checks, as lib/json_file.ts and lib/checkpoint.ts have them."""

    def test_numbers_are_written_as_javascript_writes_them(self) -> None:
        cases = [
            (0.1, "0.1"),
            (-0.0, "-0"),
            (0.0, "0"),
            (2.0, "2"),
            (1e-7, "1e-7"),
            (1e-6, "0.000001"),
            (1.5e-6, "0.0000015"),
            (123e-20, "1.23e-18"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (2.0**53, "9007199254740992"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-3.463906521228835, "-3.463906521228835"),
            (123456.789, "123456.789"),
        ]
        self.assertEqual([(x, formats.js_number(x)) for x, _ in cases], cases)
        self.assertEqual(formats.js_number(4294967295), "4294967295")
        with self.assertRaises(ValueError):
            formats.js_number(math.nan)

    def test_json_layout_matches_exact_json(self) -> None:
        value = {
            "a": [1, 2.5, -0.0],
            "b": {"c": "é\n\x01"},
            "d": [],
            "e": {},
            "f": [[1], ["x"]],
            "g": None,
            "h": True,
        }
        expected = (
            '{\n  "a": [1, 2.5, -0],\n  "b": {\n    "c": "é\\n\\u0001"\n  },\n  "d": [],\n  "e": {},\n'
            '  "f": [\n    [1],\n    ["x"]\n  ],\n  "g": null,\n  "h": true\n}'
        )
        self.assertEqual(formats.exact_json(value), expected)

    def test_minus_zero_and_every_bit_survive(self) -> None:
        xs = formats.parse_json("[-0, 0, -0.0, 0.1, 5e-324, 1.7976931348623157e+308]")
        self.assertEqual([math.copysign(1, x) for x in xs[:3]], [-1, 1, -1])
        self.assertEqual(formats.exact_json(xs), "[-0, 0, -0, 0.1, 5e-324, 1.7976931348623157e+308]")
        with self.assertRaises(ValueError):
            formats.parse_json("[NaN]")  # not JSON, though Python's json reads it

    def test_a_checkpoint_reads_back_as_the_same_bytes(self) -> None:
        checkpoint = small_checkpoint()
        checkpoint["params"]["wte"][0][0] = -0.0
        text = formats.encode_checkpoint(checkpoint)
        again = formats.decode_checkpoint(text, "x")
        self.assertEqual(formats.encode_checkpoint(again), text)
        self.assertEqual(math.copysign(1, again["params"]["wte"][0][0]), -1)

    def test_every_corruption_is_one_line_naming_it(self) -> None:
        good = small_checkpoint()

        def broken(change) -> str:
            checkpoint = json.loads(json.dumps(good))
            change(checkpoint)
            return formats.encode_checkpoint(checkpoint)

        text = formats.encode_checkpoint(good)
        cases = [
            (text[: len(text) // 2], "is not valid JSON"),
            (broken(lambda c: c.update(format="other")), 'not a microgpt checkpoint (format "other"'),
            (broken(lambda c: c.update(version=2)), "format version 2"),
            (
                broken(lambda c: c["experiment"]["model"].update(nHead=3)),
                "n_embd (8) must be divisible by n_head (3)",
            ),
            (
                broken(lambda c: c["experiment"]["train"].update(learningRate=-1)),
                "learning rate must be a positive number",
            ),
            (broken(lambda c: c["experiment"].update(engine="gpu")), "unknown engine 'gpu'"),
            (broken(lambda c: c["data"].update(sha256="xyz")), "data.sha256 is not a SHA-256 hex digest"),
            (broken(lambda c: c.update(vocab=list(reversed(c["vocab"])))), "vocab is not strictly sorted"),
            (broken(lambda c: c.update(step=11)), "step must be an integer in 0..10"),
            (broken(lambda c: c["rng"].update(index=625)), "the random generator state is invalid"),
            (broken(lambda c: c["rng"]["mt"].append(1)), "the random generator state is invalid"),
            (broken(lambda c: c["params"].pop("layer0.mlp_fc2")), "params has no matrix 'layer0.mlp_fc2'"),
            (broken(lambda c: c["params"]["wpe"].pop()), "matrix wpe should have 16 rows"),
            (broken(lambda c: c["params"]["wte"][2].append(0.5)), "matrix wte row 2 should have 8 numbers"),
            (
                broken(lambda c: c["params"]["lm_head"][1].__setitem__(3, "x")),
                "matrix lm_head[1][3] is not a finite number",
            ),
            (broken(lambda c: c["adam"]["m"].pop()), "adam.m should hold"),
            (
                broken(lambda c: c["adam"]["v"].__setitem__(5, -1.0)),
                "adam.v[5] is not a finite non-negative number",
            ),
            (broken(lambda c: c["history"]["losses"].append(1.0)), "history.losses should hold 0 losses"),
            (
                broken(lambda c: c["history"]["segments"].append({"startStep": 0})),
                "history.segments is malformed",
            ),
        ]
        for text, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(formats.UsageError) as caught:
                    formats.decode_checkpoint(text, "ckpt.json")
                self.assertIn(message, str(caught.exception))
                self.assertTrue(str(caught.exception).startswith("checkpoint ckpt.json"))
                self.assertNotIn("\n", str(caught.exception))

    def test_the_checksum_is_the_specs(self) -> None:
        # tests/fixtures/checksum.json: awkward values (-0, 5e-324, escapes, keys that sort differently
        # by code point than by UTF-16 unit) and their checksum, made by make_checksum_fixture.py.
        with open(os.path.join(FIXTURES, "checksum.json"), encoding="utf-8") as f:
            fixture = formats.parse_json(f.read())
        self.assertEqual(formats.checkpoint_checksum(fixture["value"]), fixture["checksum"])
        changed = json.loads(json.dumps(fixture["value"]))
        changed["numbers"][1] = 0.0  # -0 and 0 differ
        self.assertNotEqual(formats.checkpoint_checksum(changed), fixture["checksum"])
        self.assertEqual(formats.canonical(["\ud800", "😀"]), '["\\ud800","😀"]')  # JSON.stringify's way

    def test_a_checkpoint_carries_its_checksum_and_is_checked_by_it(self) -> None:
        checkpoint = small_checkpoint()
        text = formats.encode_checkpoint(checkpoint)
        written = formats.parse_json(text)
        self.assertEqual(list(written)[-1], "checksum")
        self.assertEqual(written["checksum"], formats.checkpoint_checksum(checkpoint))
        self.assertEqual(formats.decode_checkpoint(text, "x")["runId"], checkpoint["runId"])

        def changed(change) -> str:
            value = formats.parse_json(text)
            change(value)
            return formats.exact_json(value)

        cases = [
            (lambda c: c["params"]["wte"][0].__setitem__(0, 0.5), "do not match its checksum"),
            (lambda c: c.update(runId="another run"), "do not match its checksum"),
            (lambda c: c.update(checksum="sha256:xyz"), 'checksum is not "sha256:" and 64 hex digits'),
            (lambda c: c.update(comment="a field we do not know counts too"), "do not match its checksum"),
        ]
        for change, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(formats.UsageError) as caught:
                    formats.decode_checkpoint(changed(change), "ckpt.json")
                self.assertIn(message, str(caught.exception))
        # A checkpoint without a checksum (written before checksums existed) loads unchecked.
        unchecked = formats.decode_checkpoint(changed(lambda c: c.pop("checksum")), "old.json")
        self.assertEqual(unchecked["params"], formats.decode_checkpoint(text, "x")["params"])

    def test_atomic_write_leaves_no_temporary_file(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "checkpoint.json")
            formats.save_checkpoint(path, small_checkpoint())
            self.assertEqual(os.listdir(tmp), ["checkpoint.json"])
            with self.assertRaises(formats.UsageError) as caught:
                formats.save_checkpoint(os.path.join(tmp, "missing", "c.json"), small_checkpoint())
            self.assertIn("does not exist; create it first", str(caught.exception))


class TestModel(unittest.TestCase):
    """The module against microgpt's own arithmetic (reference.py), its init, batches and masking."""

    def fresh_model(self, seed: int, **shape: int) -> tuple[microgpt.GPT, list[str], microgpt.Tokenizer]:
        docs, _ = microgpt.read_docs(NAMES)
        rng = random.Random(seed)
        rng.shuffle(docs)
        tokenizer = microgpt.Tokenizer.from_docs(docs)
        model = microgpt.GPT(microgpt.GPTConfig(tokenizer.vocab_size, **shape)).double()
        model.init_weights(rng)
        return model, docs, tokenizer

    def test_init_draws_microgpts_weights(self) -> None:
        model, docs, _ = self.fresh_model(42)
        rng = random.Random(42)
        rng.shuffle(list(docs))  # the same draws as the shuffle of the data
        expected = [rng.gauss(0, 0.08) for _ in range(4192)]
        self.assertEqual([x for _, p in model.matrices() for x in p.reshape(-1).tolist()], expected)
        self.assertEqual(
            [name for name, _ in model.matrices()][:4], ["wte", "wpe", "lm_head", "layer0.attn_wq"]
        )

    def test_logits_equal_microgpts_arithmetic_on_50_documents(self) -> None:
        for seed, shape in [(42, {}), (7, {"n_embd": 24, "n_head": 6, "n_layer": 2, "block_size": 8})]:
            with self.subTest(seed=seed, **shape):
                model, docs, tokenizer = self.fresh_model(seed, **shape)
                params = {name: p.tolist() for name, p in model.matrices()}
                tokens = [tokenizer.encode(doc) for doc in docs[:50]]
                logits, losses = microgpt.module_logits(model, tokens)
                c = model.config
                ref = [reference.logits(params, c.n_head, c.n_layer, c.block_size, t) for t in tokens]
                flat = [x for doc in logits for row in doc for x in row]
                ref_flat = [x for doc in ref for row in doc for x in row]
                self.assertEqual(len(flat), len(ref_flat))
                self.assertLess(max_diff(flat, ref_flat), 1e-12)
                self.assertLess(max_diff(losses, [reference.loss(z, t) for z, t in zip(ref, tokens)]), 1e-12)

    def test_a_batch_is_the_mean_of_its_documents(self) -> None:
        model, docs, tokenizer = self.fresh_model(3, block_size=8)
        batch = docs[:6] + ["abcdefghijklmnop"]  # one longer than the context
        rows, positions = microgpt.encode_docs(batch, tokenizer, 8)
        self.assertEqual(positions[-1], 8)
        loss = microgpt.batch_loss(model, rows, positions)
        loss.backward()
        batch_grads = [p.grad.clone() for p in model.parameters()]
        model.zero_grad()
        singles = []
        for i in range(len(batch)):
            single = microgpt.batch_loss(model, rows[i : i + 1], positions[i : i + 1]) * (1 / len(batch))
            single.backward()
            singles.append(single.item() * len(batch))
        self.assertLess(abs(loss.item() - sum(singles) / len(batch)), 1e-15)
        for p, g in zip(model.parameters(), batch_grads):
            self.assertLess((p.grad - g).abs().max().item(), 1e-15)


class TestMicrogptOutput(unittest.TestCase):
    """`train` prints microgpt.py's output byte for byte (tests/fixtures/microgpt-*.txt, made by it)."""

    def test_fixture_cases(self) -> None:
        with open(os.path.join(FIXTURES, "microgpt_cases.json"), encoding="utf-8") as f:
            cases = json.load(f)
        ran = 0
        for case in cases:
            args = case["args"]
            if "--data" in args and not os.path.exists(os.path.join(ROOT, args[args.index("--data") + 1])):
                continue  # its data lives outside the repository
            with self.subTest(case=case["name"]):
                with open(os.path.join(FIXTURES, f"microgpt-{case['name']}.txt"), encoding="utf-8") as f:
                    self.assertEqual(train(*args), f.read())
                ran += 1
        self.assertGreaterEqual(ran, 4)


class TestDataParallel(unittest.TestCase):
    """K processes of batch B are one process of batch K*B; torchrun's way of starting them is --procs's."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        common = ["--steps", "20", "--samples", "0", "--device", "cpu"]
        cls.procs = run_process(
            sys.executable,
            SCRIPT,
            "train",
            *common,
            "--batch-size",
            "2",
            "--procs",
            "2",
            "--out",
            f"{cls.dir}/procs2",
        )
        train(*common, "--batch-size", "4", "--out", f"{cls.dir}/one")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_two_processes_equal_one_with_twice_the_batch(self) -> None:
        self.assertEqual(self.procs.returncode, 0, self.procs.stderr)
        two, one = formats.read_checkpoint(f"{self.dir}/procs2/checkpoint.json"), formats.read_checkpoint(
            f"{self.dir}/one/checkpoint.json"
        )
        self.assertEqual(two["experiment"]["train"]["batchSize"], 4)
        self.assertLess(max_diff(weights(two), weights(one)), 1e-10)
        self.assertLess(max_diff(two["history"]["losses"], one["history"]["losses"]), 1e-12)
        args = microgpt.build_parser().parse_args(
            ["train", "--data", NAMES, "--batch-size", "4", "--device", "cpu"]
        )
        self.assertGreater(
            max_diff(weights(two), weights(microgpt.prepare_run(args, 1).start)), 0.01
        )  # it trained
        self.assertEqual(two["history"]["segments"][0]["processes"], 2)

    def test_processes_started_the_torchrun_way(self) -> None:
        env = {
            **os.environ,
            "WORLD_SIZE": "2",
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(microgpt.free_port()),
        }
        argv = [
            sys.executable,
            SCRIPT,
            "train",
            "--steps",
            "20",
            "--samples",
            "0",
            "--device",
            "cpu",
            "--batch-size",
            "2",
            "--out",
            f"{self.dir}/torchrun",
        ]
        workers = [
            subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**env, "RANK": str(r), "LOCAL_RANK": str(r)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for r in (0, 1)
        ]
        outputs = [w.communicate(timeout=300) for w in workers]
        self.assertEqual([w.returncode for w in workers], [0, 0], outputs)
        self.assertEqual(outputs[1][0], "")  # only process 0 prints
        by_hand, procs = formats.read_checkpoint(
            f"{self.dir}/torchrun/checkpoint.json"
        ), formats.read_checkpoint(f"{self.dir}/procs2/checkpoint.json")
        for key in ("params", "adam", "rng"):
            self.assertEqual(by_hand[key], procs[key])
        self.assertEqual(by_hand["history"]["losses"], procs["history"]["losses"])


@unittest.skipIf(DENO is None, "deno is not installed: the comparisons with our TypeScript side were skipped")
class TestAgainstDeno(unittest.TestCase):
    """PyTorch against `deno task train` / `deno task sample`: logits, losses, checkpoints both ways."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.ts100 = deno("task", "train", "--steps", "100", "--out", f"{cls.dir}/ts100")
        deno("task", "train", "--steps", "50", "--out", f"{cls.dir}/ts50", "--probe", "50")
        cls.py100 = train("--steps", "100", "--out", f"{cls.dir}/py100")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_logits_equal_ours_on_50_documents(self) -> None:
        checkpoint = formats.read_checkpoint(f"{self.dir}/ts50/checkpoint.json")
        ref = formats.read_probe(f"{self.dir}/ts50/probe.json", checkpoint)
        self.assertEqual(len(ref["tokens"]), 50)
        logits, losses = microgpt.module_logits(microgpt.model_from_checkpoint(checkpoint), ref["tokens"])
        flat = [x for doc in logits for row in doc for x in row]
        ref_flat = [x for doc in ref["logits"] for row in doc for x in row]
        self.assertLess(max_diff(flat, ref_flat), 1e-12)
        self.assertLess(max_diff(losses, ref["losses"]), 1e-12)
        code, out, _ = run_main(
            "verify", f"{self.dir}/ts50/checkpoint.json", "--probe", f"{self.dir}/ts50/probe.json"
        )
        self.assertEqual(code, 0)
        self.assertIn("OK (tolerance 1e-12)", out)

    def test_100_steps_equal_ours(self) -> None:
        self.assertEqual(self.py100, self.ts100)  # every printed loss and every sample
        ours, torch_run = formats.read_run_record(f"{self.dir}/ts100/run.json"), formats.read_run_record(
            f"{self.dir}/py100/run.json"
        )
        self.assertLess(max_diff(torch_run["losses"], ours["losses"]), 1e-9)
        self.assertEqual(torch_run["samples"], ours["samples"])

    def test_held_out_validation_equals_ours(self) -> None:
        flags = ["--steps", "120", "--val-fraction", "0.1", "--val-every", "50", "--samples", "3"]
        self.assertEqual(train(*flags), deno("task", "train", *flags))

    def test_the_reference_run_byte_for_byte(self) -> None:
        ours = deno("task", "train")  # microgpt.py's output for seed 42 (see tests/reference_test.ts)
        self.assertEqual(train(), ours)

    def test_ours_to_torch_to_ours_is_bit_exact(self) -> None:
        path = f"{self.dir}/ts50/checkpoint.json"
        with open(path, encoding="utf-8") as f:
            text = f.read()
        checkpoint = formats.read_checkpoint(path)
        model = microgpt.model_from_checkpoint(checkpoint)
        adam = microgpt.adam_from_checkpoint(checkpoint, model)
        rng = random.Random()
        rng.setstate(formats.python_rng_state(checkpoint["rng"]))
        again = microgpt.make_checkpoint(
            checkpoint["experiment"],
            checkpoint["data"],
            checkpoint["vocab"],
            checkpoint["step"],
            rng,
            model,
            adam,
            checkpoint["history"],
            checkpoint["runId"],
        )
        self.assertEqual(again["program"]["name"], "microgpt-torch")
        again["program"] = checkpoint["program"]
        # Every weight, moment and generator word, and the checksum: ours, to the last hex digit.
        self.assertEqual(formats.encode_checkpoint(again), text)

    def test_our_sample_reads_a_torch_checkpoint(self) -> None:
        sampled = deno("task", "sample", "--checkpoint", f"{self.dir}/py100/checkpoint.json")
        printed = [line for line in self.py100.splitlines() if line.startswith("sample ")]
        self.assertEqual(sampled.splitlines(), printed)

    def test_checksums_both_ways(self) -> None:
        ours, theirs = f"{self.dir}/ts50/checkpoint.json", f"{self.dir}/py100/checkpoint.json"
        for path in (ours, theirs):  # each program's checkpoint carries the checksum the other verifies
            with open(path, encoding="utf-8") as f:
                text = f.read()
            value = formats.parse_json(text)
            self.assertEqual(value["checksum"], formats.checkpoint_checksum(value))
            formats.read_checkpoint(path)
            tampered = f"{path}.tampered.json"
            value["history"]["losses"][-1] += 1e-12  # a change the checksum alone catches
            with open(tampered, "w", encoding="utf-8") as f:
                f.write(formats.exact_json(value))
            with self.assertRaises(formats.UsageError) as caught:
                formats.read_checkpoint(tampered)
            self.assertIn("do not match its checksum", str(caught.exception))
            result = run_process("deno", "task", "sample", "--checkpoint", tampered)
            self.assertEqual(result.returncode, 2)
            self.assertIn("its contents do not match its checksum", result.stderr)

    def test_one_run_directory_alternates_between_the_programs(self) -> None:
        # PyTorch trains (and holds the directory: ours is refused), Ctrl-C saves it; ours continues
        # it in the same directory, PyTorch again, ours to the end. Together they print microgpt.py's
        # output for seed 42, byte for byte, and the files name one run.
        d = f"{self.dir}/alternating"
        torch_first = Background(sys.executable, SCRIPT, "train", "--out", d)
        torch_first.wait_for("step   10 /")
        torch_first.process.send_signal(signal.SIGSTOP)  # paused mid-run, holding the directory
        refused = run_process("deno", "task", "train", "--steps", "5", "--out", d)
        self.assertEqual(refused.returncode, 2)
        self.assertIn(f"{d} is in use by process {torch_first.process.pid}", refused.stderr)
        torch_first.process.send_signal(signal.SIGINT)  # Ctrl-C, taken as it continues
        torch_first.process.send_signal(signal.SIGCONT)
        code, out, err = torch_first.finish()
        self.assertEqual(code, 130, err)
        step = formats.read_checkpoint(f"{d}/checkpoint.json")["step"]
        out += deno("task", "train", "--resume", d, "--stop-at", str(step + 30))
        out += train("--from", f"{d}/checkpoint.json", "--out", d, "--stop-at", str(step + 60))
        out += deno("task", "train", "--resume", d)
        with open(os.path.join(FIXTURES, "names-seed42-steps1000.txt"), encoding="utf-8") as f:
            self.assertEqual(out, f.read())
        checkpoint, record = formats.read_checkpoint(f"{d}/checkpoint.json"), formats.read_run_record(
            f"{d}/run.json"
        )
        self.assertEqual(record["runId"], checkpoint["runId"])
        segments = record["timings"]["segments"]
        self.assertEqual([s["engine"] for s in segments], ["torch", "fast", "torch", "fast"])
        self.assertEqual([s["endStep"] for s in segments], [step, step + 30, step + 60, 1000])
        self.assertEqual(segments[0]["device"], "cpu")

    def test_runs_continue_across_the_bridge(self) -> None:
        d = self.dir
        # torch trains steps 1-50, ours continues to 100; then ours 1-50 and torch to 100.
        first = train("--steps", "100", "--stop-at", "50", "--out", f"{d}/torch_first")
        self.assertEqual(first + deno("task", "train", "--resume", f"{d}/torch_first"), self.ts100)
        first = deno("task", "train", "--steps", "100", "--stop-at", "50", "--out", f"{d}/ours_first")
        self.assertEqual(
            first + train("--from", f"{d}/ours_first/checkpoint.json", "--out", f"{d}/ours_first"), self.ts100
        )
        ours = formats.read_run_record(f"{d}/ts100/run.json")["losses"]
        for run in ("torch_first", "ours_first"):
            self.assertLess(max_diff(formats.read_run_record(f"{d}/{run}/run.json")["losses"], ours), 1e-9)


class TestOutDir(unittest.TestCase):
    """`--out DIR` as `deno task train` has it (run_dir.py): one run and one process at a time."""

    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = os.path.join(self.tmp.name, "run")
        self.small = ["--steps", "3", "--samples", "0", "--n-embd", "8", "--n-head", "2"]

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def run_id(self) -> str:
        return formats.read_checkpoint(f"{self.dir}/checkpoint.json")["runId"]

    def test_another_runs_files_are_refused_unless_force(self) -> None:
        d = self.dir
        train(*self.small, "--out", d)
        first = self.run_id()
        usage_error_line(
            self,
            run_main("train", *self.small, "--out", d),
            f"{d} already holds another run's files (checkpoint.json, run.json); pick another directory, "
            f"continue that run with python3 torch/microgpt.py train --from {d}/checkpoint.json --out {d}, "
            "or replace them with --force",
        )
        self.assertEqual(self.run_id(), first)  # untouched
        train("--from", f"{d}/checkpoint.json", "--steps", "5", "--out", d)  # its own run: continued
        self.assertEqual(self.run_id(), first)
        record = formats.read_run_record(f"{d}/run.json")
        self.assertEqual((record["runId"], record["status"], record["resumedFrom"]), (first, "finished", 3))
        with open(f"{d}/loss.html", "w") as f:
            f.write("a plot of the run")
        train(*self.small, "--out", d, "--force")  # another run replaces it, plots and all
        self.assertNotEqual(self.run_id(), first)
        self.assertFalse(os.path.exists(f"{d}/loss.html"))
        self.assertEqual(sorted(os.listdir(d)), ["checkpoint.json", "run.json"])  # the lock is gone

    def test_a_live_lock_keeps_a_second_process_out_and_a_stale_one_is_taken_over(self) -> None:
        os.makedirs(self.dir)
        holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            with open(f"{self.dir}/.lock", "w") as f:  # as deno task train writes it
                f.write(json.dumps({"pid": holder.pid, "since": "2026-01-01T00:00:00.000Z"}) + "\n")
            usage_error_line(
                self,
                run_main("train", *self.small, "--out", self.dir),
                f"{self.dir} is in use by process {holder.pid} (since 2026-01-01T00:00:00.000Z); wait for it",
            )
        finally:
            holder.kill()
            holder.wait()
        # Its process is gone now: the lock is stale, taken over, and given back at the end.
        with open(f"{self.dir}/.{'checkpoint.json'}.{holder.pid}.tmp", "w") as f:
            f.write('{"format": "microgpt-checkpoint", "ver')  # a writer killed mid-write left this
        train(*self.small, "--out", self.dir)
        self.assertEqual(sorted(os.listdir(self.dir)), ["checkpoint.json", "run.json"])

    def test_names_it_cannot_write_are_refused_before_training(self) -> None:
        os.makedirs(f"{self.dir}/run.json")
        usage_error_line(
            self,
            run_main("train", *self.small, "--out", self.dir),
            f"{self.dir}/run.json exists and is a directory, where this run writes a file",
        )
        usage_error_line(self, run_main("train", *self.small, "--force"), "--force needs --out DIR")


class TestSignals(unittest.TestCase):
    """Ctrl-C (SIGINT) stops a run after the step, saves it resumably and exits 130, as ours does."""

    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def interrupt(self, *argv: str, group: bool = False) -> tuple[int, str, str]:
        """Starts `microgpt.py train ARGV`, sends SIGINT after step 10 (to its process group: Ctrl-C)."""
        run = Background(sys.executable, SCRIPT, "train", *argv, new_session=group)
        run.wait_for("step   10 /")
        if group:
            os.killpg(run.process.pid, signal.SIGINT)
        else:
            run.process.send_signal(signal.SIGINT)
        return run.finish()

    def test_sigint_saves_and_the_run_continues_exactly(self) -> None:
        d, flags = f"{self.dir}/run", ["--steps", "500", "--samples", "3"]
        code, out, err = self.interrupt(*flags, "--out", d)
        self.assertEqual(code, 130, err)
        step = formats.read_checkpoint(f"{d}/checkpoint.json")["step"]
        self.assertEqual(out.count("| loss "), step)  # the step it was in finished, and was saved
        self.assertGreaterEqual(step, 10)
        self.assertEqual(
            err.splitlines()[-1],
            f"error: interrupted by SIGINT at step {step} / 500; saved {d}/checkpoint.json; continue with: "
            f"python3 torch/microgpt.py train --from {d}/checkpoint.json --out {d} "
            f"(or deno task train --resume {d})",
        )
        self.assertEqual(formats.read_run_record(f"{d}/run.json")["status"], "stopped")
        self.assertEqual(sorted(os.listdir(d)), ["checkpoint.json", "run.json"])  # the lock is given back
        rest = train("--from", f"{d}/checkpoint.json", "--out", d)
        self.assertEqual(out + rest, train(*flags))  # every loss and every sample

    def test_sigint_stops_every_process_after_the_same_step(self) -> None:
        d = f"{self.dir}/procs"
        flags = ["--steps", "300", "--samples", "0", "--device", "cpu", "--batch-size", "2"]
        code, out, err = self.interrupt(*flags, "--procs", "2", "--out", d, group=True)
        self.assertEqual(code, 130, err)
        self.assertNotIn("Traceback", err)
        self.assertEqual(
            sum(line.startswith("error: interrupted by SIGINT") for line in err.splitlines()), 1, err
        )
        stopped = formats.read_checkpoint(f"{d}/checkpoint.json")
        self.assertEqual(out.count("| loss "), stopped["step"])
        train("--from", f"{d}/checkpoint.json", "--out", d, "--batch-size", "4")  # one process now
        one = f"{self.dir}/one"
        train(*flags[:-1], "4", "--out", one)
        self.assertLess(
            max_diff(
                weights(formats.read_checkpoint(f"{d}/checkpoint.json")),
                weights(formats.read_checkpoint(f"{one}/checkpoint.json")),
            ),
            1e-10,
        )


class TestGpuCheckOnTheCpu(unittest.TestCase):
    """torch/gpu_check.py has never run on a GPU here; its CPU mode (the same code, gloo) must pass."""

    def test_gpu_check_device_cpu_quick(self) -> None:
        result = run_process(sys.executable, os.path.join(HERE, "gpu_check.py"), "--device", "cpu", "--quick")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("7 of 7 checks passed", result.stdout)
        self.assertNotIn("FAIL", result.stdout)


class TestErrors(unittest.TestCase):
    """A mistake is one line, `error: ...`, naming the fix, and exit code 2; no traceback."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        train("--steps", "3", "--samples", "0", "--out", f"{cls.dir}/run")
        with open(f"{cls.dir}/corrupt.json", "w") as f:
            f.write('{"format": "microgpt-checkpoint", "vers')

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def assert_usage_error(self, message: str, *argv: str) -> None:
        usage_error_line(self, run_main(*argv), message)

    def test_usage_errors(self) -> None:
        d = self.dir
        cases = [
            ("data file not found: nope.txt", "train", "--data", "nope.txt"),
            ("n_embd (10) must be divisible by n_head (4)", "train", "--n-embd", "10"),
            ("batch size must be a positive integer, got 0", "train", "--batch-size", "0"),
            ("--stop-at needs --out DIR", "train", "--stop-at", "5"),
            ("is not valid JSON", "train", "--from", f"{d}/corrupt.json"),
            ("checkpoint not found", "sample", f"{d}/nope.json"),
            (
                "--n-embd cannot change when continuing",
                "train",
                "--from",
                f"{d}/run/checkpoint.json",
                "--n-embd",
                "32",
            ),
            ("pass --steps N with N > 3", "train", "--from", f"{d}/run/checkpoint.json"),
            ("verify needs one reference", "verify", f"{d}/run/checkpoint.json"),
            ("unrecognized arguments: --nope", "train", "--nope"),
            ("training diverged", "train", "--steps", "20", "--lr", "1e300", "--samples", "0"),
        ]
        if not torch.cuda.is_available():
            cases.append(("PyTorch sees no CUDA GPU here", "train", "--device", "cuda"))
        for message, *argv in cases:
            with self.subTest(message=message):
                self.assert_usage_error(message, *argv)

    def test_an_error_in_every_process_is_printed_once(self) -> None:
        result = run_process(
            sys.executable,
            SCRIPT,
            "train",
            "--steps",
            "20",
            "--lr",
            "1e300",
            "--samples",
            "0",
            "--procs",
            "2",
            "--device",
            "cpu",
        )
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr.count("error: training diverged"), 1, result.stderr)
        self.assertNotIn("Traceback", result.stderr)

    def test_torchrun_variables_must_be_complete(self) -> None:
        result = run_process(
            sys.executable, SCRIPT, "train", "--steps", "2", env={**os.environ, "WORLD_SIZE": "2"}
        )
        self.assertEqual(result.returncode, 2)
        self.assertEqual(
            result.stderr,
            "error: WORLD_SIZE is set but RANK is not; launch with torchrun, or set RANK, "
            "MASTER_ADDR and MASTER_PORT too\n",
        )


if __name__ == "__main__":
    unittest.main()
