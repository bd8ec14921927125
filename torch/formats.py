"""
Our file formats in Python, read and written exactly as the TypeScript side does: the checkpoint
(`checkpoint.json`, lib/checkpoint.ts), the run record (`run.json`, lib/run_record.ts), and the
probe file that `microgpt.py verify --probe` reads (its format is in torch/README.md).

- Numbers are written as JavaScript's `String(x)` writes them (shortest round-trip digits, `-0`
  kept), arrays of numbers on one line: a checkpoint read and written back is the same bytes.
- Files are written atomically: to a temporary file in the same directory, flushed, then renamed.
- Reading checks every field that lib/experiment/checkpoint.ts checks, with the same limits; a
  missing, truncated, corrupt or inconsistent file is one `UsageError` line naming the file and
  the fix.
- A checkpoint carries `checksum`: "sha256:" and the SHA-256 of the canonical form of its JSON
  without that field (`canonical`, the spec in README.md "The checkpoint checksum"). Writing adds
  it; reading refuses a checkpoint whose contents do not match it (one without it, written before
  checksums existed, is read unchecked, as our TypeScript reader does).

A checkpoint is handled here as the plain dict of its JSON (TypeScript's field names: `nEmbd`,
`learningRate`, ...), with counts as `int` and every other number as `float`. Text and dict meet
in exactly two functions, `encode_checkpoint` and `decode_checkpoint`, which add and check the
checksum. This file needs only the standard library.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
from typing import Any

CHECKPOINT_FORMAT = "microgpt-checkpoint"
CHECKPOINT_VERSION = 1
RUN_RECORD_FORMAT = "microgpt-run"
RUN_RECORD_VERSION = 1
# The engines a checkpoint or run record may name (lib/experiment/engines.ts): our TypeScript
# engines, and `torch`, this port, which names every run and stretch of training it does.
ENGINE_NAMES = ("value", "fast", "tensor", "torch")
TORCH_ENGINE = "torch"
MT_WORDS = 624  # words of the Mersenne Twister state
MAX_SAFE_INTEGER = 2**53 - 1
RECREATE = "re-create it with deno task train --out DIR (or python3 torch/microgpt.py train --out DIR)"


class UsageError(Exception):
    """A mistake a user can make (a flag, a file); its message is one line naming the fix."""


# --- exact JSON ------------------------------------------------------------------------


def js_number(x: int | float) -> str:
    """
    `x` as JavaScript's `String(x)` writes it, so files match the TypeScript side's bytes.

    Python's `repr` already gives the shortest digits that read back as the same double (as
    JavaScript does); only the layout differs (`1e-08` vs `1e-8`, `1e+16` vs `10000000000000000`).

    >>> [js_number(x) for x in (0.1, -0.0, 1e-08, 1e21, 1e16, 2.0, 123456789.25, 5e-324)]
    ['0.1', '-0', '1e-8', '1e+21', '10000000000000000', '2', '123456789.25', '5e-324']
    """
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"not a number: {x!r}")
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot write {x} as JSON")
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    text = repr(x)
    if "e" not in text:  # 1e-4 <= |x| < 1e16: the same digits, except Python's ".0" on whole numbers
        return text[:-2] if text.endswith(".0") else text
    sign = "-" if x < 0 else ""
    mantissa, _, exponent = text.lstrip("-").partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    # The value is 0.DIGITS * 10**point (ECMAScript's n is `point`, its k is len(digits)).
    point = len(whole) + int(exponent or 0) - (len(whole + frac) - len(digits))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    e = point - 1
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + ("e+" if e >= 0 else "e-") + str(abs(e))


def exact_json(value: Any, indent: str = "") -> str:
    """
    JSON text laid out as lib/json_file.ts's `exactJson` lays it out: two-space indents, arrays of
    numbers and strings on one line, every number exact (see `js_number`). NaN and infinities
    raise ValueError (JSON has no such numbers).
    """
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    inner = indent + "  "
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if all(type(x) is float for x in value):  # the bulk of a checkpoint: rows of weights
            return "[" + ", ".join(map(js_number, value)) + "]"
        if all(isinstance(x, (int, float, str)) and not isinstance(x, bool) for x in value):
            return "[" + ", ".join(exact_json(x) for x in value) + "]"
        return "[\n" + ",\n".join(inner + exact_json(x, inner) for x in value) + "\n" + indent + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {exact_json(v, inner)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


# --- the canonical form and the checksum -----------------------------------------------

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def canonical_string(s: str) -> str:
    """A string as JavaScript's `JSON.stringify` writes it (a lone surrogate as `\\udxxx`, as it does)."""
    text = json.dumps(s, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def canonical(value: Any) -> str:
    """
    The canonical form of a JSON value, which depends only on the value (README.md, "The checkpoint
    checksum"): `null`/`true`/`false`; a number as the 16 hex digits of its IEEE-754 double,
    big-endian; a string as JSON writes it; `[a,b]`; `{"key":value,...}` with the keys sorted by
    code point; no whitespace.

    >>> canonical({"b": [0.5, -0.0], "a": "é"})
    '{"a":"é","b":[3fe0000000000000,8000000000000000]}'
    """
    parts: list[str] = []

    def walk(v: Any) -> None:
        if v is None:
            parts.append("null")
        elif v is True or v is False:
            parts.append("true" if v else "false")
        elif isinstance(v, (int, float)):
            parts.append(struct.pack(">d", v).hex())
        elif isinstance(v, str):
            parts.append(canonical_string(v))
        elif isinstance(v, (list, tuple)):
            if v and all(type(x) is float or type(x) is int for x in v):  # rows of weights: one pack
                digits = struct.pack(f">{len(v)}d", *v).hex()
                parts.append("[" + ",".join(digits[i : i + 16] for i in range(0, len(digits), 16)) + "]")
                return
            parts.append("[")
            for i, x in enumerate(v):
                if i:
                    parts.append(",")
                walk(x)
            parts.append("]")
        elif isinstance(v, dict):
            parts.append("{")
            for i, key in enumerate(sorted(v)):
                parts.append(("," if i else "") + canonical_string(key) + ":")
                walk(v[key])
            parts.append("}")
        else:
            raise TypeError(f"a {type(v).__name__} has no canonical JSON form")

    walk(value)
    return "".join(parts)


def checkpoint_checksum(checkpoint: dict[str, Any]) -> str:
    """`sha256:` and the SHA-256 of the canonical form of the checkpoint without its `checksum` field."""
    payload = {key: value for key, value in checkpoint.items() if key != "checksum"}
    return "sha256:" + hashlib.sha256(canonical(payload).encode("utf-8")).hexdigest()


def parse_json(text: str) -> Any:
    """JSON as JavaScript reads it: `-0` stays -0.0 and NaN/Infinity literals are errors."""

    def parse_int(s: str) -> int | float:
        return -0.0 if s == "-0" else int(s)

    def reject(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_int=parse_int, parse_constant=reject)


def write_text_atomic(path: str, text: str) -> None:
    """
    Writes `text` (UTF-8) to `path` atomically: a crash leaves the old file (or none) and a stray
    temporary file, never half a file. Missing or unwritable directories are UsageErrors.
    """
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        try:
            os.remove(tmp)
        except OSError:
            pass
        if isinstance(err, FileNotFoundError):
            raise UsageError(
                f"cannot write {path}: the directory {directory} does not exist; create it first"
            )
        if isinstance(err, PermissionError):
            raise UsageError(f"cannot write {path}: permission denied; pick a writable --out directory")
        raise UsageError(f"cannot write {path}: {err.strerror}; pick another --out directory")


# --- checks shared by every reader -----------------------------------------------------


def is_number(x: Any) -> bool:
    """A finite JSON number (JavaScript's `typeof x === "number" && Number.isFinite(x)`)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def is_int(x: Any) -> bool:
    """A JSON number that is a safe integer (JavaScript's `Number.isSafeInteger`)."""
    return is_number(x) and x == int(x) and abs(x) <= MAX_SAFE_INTEGER


def is_count(x: Any) -> bool:
    """A safe integer >= 0."""
    return is_int(x) and x >= 0


def read_bytes(path: str, what: str, fix: str) -> bytes:
    """A file's bytes, with one-line errors for a missing or unreadable file (`what` names it)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise UsageError(f"{what} not found: {path}; {fix}")
    except IsADirectoryError:
        raise UsageError(f"{what} path is a directory: {path}; {fix}")
    except PermissionError:
        raise UsageError(f"cannot read {what} {path}: permission denied; check the file's permissions")
    except OSError as err:
        raise UsageError(f"cannot read {what} {path}: {err.strerror}")


def read_text(path: str, what: str, fix: str) -> str:
    """A UTF-8 text file's contents, with one-line errors for a missing, unreadable or binary file."""
    try:
        return read_bytes(path, what, fix).decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{what} {path} is not UTF-8 text (corrupt); {fix}")


def require_positive_int(value: Any, name: str, flag: str) -> None:
    if not is_int(value) or value <= 0:
        raise UsageError(f"{name} must be a positive integer, got {value}; set {flag} to 1 or more")


def require_positive(value: Any, name: str, flag: str) -> None:
    if not is_number(value) or value <= 0:
        raise UsageError(f"{name} must be a positive number, got {value}; set {flag} above 0")


def validate_experiment(config: dict[str, Any]) -> None:
    """
    Checks every setting of an experiment config, raising a one-line UsageError that names the flag
    to fix (lib/run_record.ts `validateExperimentConfig`, with the same messages).
    """
    if not is_int(config["seed"]):
        raise UsageError(f"seed must be an integer, got {config['seed']}; set --seed to a whole number")
    if not isinstance(config["dataPath"], str) or config["dataPath"] == "":
        raise UsageError("data path must be a non-empty string; set --data to a text file")
    model, train, sample, validation = (
        config["model"],
        config["train"],
        config["sample"],
        config["validation"],
    )
    require_positive_int(model["nEmbd"], "n_embd", "--n-embd")
    require_positive_int(model["nHead"], "n_head", "--n-head")
    require_positive_int(model["nLayer"], "n_layer", "--n-layer")
    require_positive_int(model["blockSize"], "block_size", "--block-size")
    if model["nEmbd"] % model["nHead"] != 0:
        raise UsageError(
            f"n_embd ({model['nEmbd']}) must be divisible by n_head ({model['nHead']}); "
            "pick --n-embd a multiple of --n-head"
        )
    require_positive_int(train["steps"], "steps", "--steps")
    require_positive(train["learningRate"], "learning rate", "--lr")
    for beta in ("beta1", "beta2"):
        if not (is_number(train[beta]) and 0 <= train[beta] < 1):
            raise UsageError(f"{beta} must be in [0, 1), got {train[beta]}")
    require_positive(train["epsAdam"], "Adam's eps", "epsAdam")
    if "batchSize" in train:
        require_positive_int(train["batchSize"], "batch size", "--batch-size")
    require_positive(sample["temperature"], "temperature", "--temperature")
    if not is_count(sample["numSamples"]):
        raise UsageError(
            f"number of samples must be a non-negative integer, got {sample['numSamples']}; "
            "set --samples to 0 or more"
        )
    if validation is not None:
        if not (is_number(validation["fraction"]) and 0 < validation["fraction"] < 1):
            raise UsageError(
                f"validation fraction must be between 0 and 1 (exclusive), got {validation['fraction']}; "
                "try --val-fraction 0.1"
            )
        if not is_int(validation["every"]) or validation["every"] < 1:
            raise UsageError(
                f"--val-every must be a positive integer, got {validation['every']}; try --val-every 100"
            )
        if not is_int(validation["maxDocs"]) or validation["maxDocs"] < 1:
            raise UsageError(
                f"--val-docs must be a positive integer, got {validation['maxDocs']}; try --val-docs 200"
            )
    if config["engine"] not in ENGINE_NAMES:
        raise UsageError(f"unknown engine '{config['engine']}' (expected one of {', '.join(ENGINE_NAMES)})")


def parse_experiment_config(value: Any, source: str) -> dict[str, Any]:
    """
    An experiment config (lib/run_record.ts `ExperimentConfig`) out of parsed JSON, checked as
    `parseExperimentConfig` checks it; errors are UsageErrors prefixed with `source`. Unknown fields
    are dropped, except `train.batchSize` (documents per step, which PyTorch runs write when it is
    not 1). Integer settings come back as `int`, the others as `float`.
    """

    def fail(what: str) -> Any:
        raise UsageError(f"{source}: {what}")

    if not isinstance(value, dict):
        fail("the experiment config is missing or not an object")

    def num(part: str, key: str) -> int | float:
        obj = value.get(part)
        if not isinstance(obj, dict):
            fail(f"the experiment config has no '{part}' object")
        x = obj.get(key)
        if not is_number(x):
            fail(f"the experiment config's {part}.{key} is not a finite number")
        return x

    model = {key: num("model", key) for key in ("nEmbd", "nHead", "nLayer", "blockSize")}
    train_keys = ("steps", "learningRate", "beta1", "beta2", "epsAdam")
    train = {key: num("train", key) for key in train_keys}
    if "batchSize" in value["train"]:
        train["batchSize"] = num("train", "batchSize")
    sample = {key: num("sample", key) for key in ("temperature", "numSamples")}
    validation = None
    if value.get("validation", {}) is not None:
        validation = {key: num("validation", key) for key in ("fraction", "every", "maxDocs")}
    if not is_number(value.get("seed")):
        fail("the experiment config's seed is not a number")
    if not isinstance(value.get("dataPath"), str):
        fail("the experiment config's dataPath is not a string")
    if not isinstance(value.get("engine"), str):
        fail("the experiment config's engine is not a string")
    config = {
        "seed": value["seed"],
        "dataPath": value["dataPath"],
        "model": model,
        "train": train,
        "sample": sample,
        "validation": validation,
        "engine": value["engine"],
    }
    try:
        validate_experiment(config)
    except UsageError as err:
        fail(f"bad experiment config: {err}")
    config["seed"] = int(config["seed"])
    config["model"] = {key: int(x) for key, x in model.items()}
    config["train"] = {key: int(x) if key in ("steps", "batchSize") else float(x) for key, x in train.items()}
    config["sample"] = {"temperature": float(sample["temperature"]), "numSamples": int(sample["numSamples"])}
    if validation is not None:
        config["validation"] = {
            "fraction": float(validation["fraction"]),
            "every": int(validation["every"]),
            "maxDocs": int(validation["maxDocs"]),
        }
    return config


# --- checkpoints -----------------------------------------------------------------------


def matrix_shapes(model: dict[str, int], vocab_size: int) -> list[tuple[str, int, int]]:
    """The matrix names and shapes (rows, cols) of a model, in parameter order (microgpt's)."""
    n_embd, block_size = model["nEmbd"], model["blockSize"]
    shapes = [("wte", vocab_size, n_embd), ("wpe", block_size, n_embd), ("lm_head", vocab_size, n_embd)]
    for layer in range(model["nLayer"]):
        shapes += [
            (f"layer{layer}.attn_wq", n_embd, n_embd),
            (f"layer{layer}.attn_wk", n_embd, n_embd),
            (f"layer{layer}.attn_wv", n_embd, n_embd),
            (f"layer{layer}.attn_wo", n_embd, n_embd),
            (f"layer{layer}.mlp_fc1", 4 * n_embd, n_embd),
            (f"layer{layer}.mlp_fc2", n_embd, 4 * n_embd),
        ]
    return shapes


def encode_checkpoint(checkpoint: dict[str, Any]) -> str:
    """
    A checkpoint dict as the exact text lib/experiment/checkpoint.ts writes, its checksum (made
    again for these contents) last (ValueError on NaN/inf).
    """
    payload = {key: value for key, value in checkpoint.items() if key != "checksum"}
    text = exact_json(payload)  # first: it refuses NaN and infinities, which have no canonical form
    return text[:-2] + f',\n  "checksum": "{checkpoint_checksum(payload)}"\n}}\n'


def decode_checkpoint(text: str, source: str) -> dict[str, Any]:
    """Checkpoint text to a checked dict, its checksum verified; `source` names the file in errors."""
    try:
        value = parse_json(text)
    except (ValueError, RecursionError) as err:
        message = str(err).splitlines()[0]
        raise UsageError(
            f"checkpoint {source} is not valid JSON ({message}): truncated or corrupt; {RECREATE}"
        )
    return check_checkpoint(value, source)


def save_checkpoint(path: str, checkpoint: dict[str, Any]) -> None:
    """Writes a checkpoint atomically; a non-finite number (a diverged run) writes nothing."""
    try:
        text = encode_checkpoint(checkpoint)
    except ValueError as err:
        raise UsageError(
            f"cannot save checkpoint {path}: {err} (the run diverged); lower --lr or change --seed"
        )
    write_text_atomic(path, text)


def read_checkpoint(path: str) -> dict[str, Any]:
    """Reads and checks a checkpoint file (see `check_checkpoint`)."""
    fix = "pass the checkpoint.json that deno task train --out DIR (or microgpt.py train --out DIR) wrote"
    return decode_checkpoint(read_text(path, "checkpoint", fix), path)


def check_checkpoint(value: Any, source: str) -> dict[str, Any]:
    """
    Checks parsed checkpoint JSON field by field, as lib/checkpoint.ts `parseCheckpoint` does, and
    returns it with counts as `int` and parameters, moments and losses as `float`.
    """
    where = f"checkpoint {source}"

    def fail(what: str, fix: str = RECREATE) -> Any:
        raise UsageError(f"{where}: {what}; {fix}")

    if not isinstance(value, dict):
        fail("not a JSON object")
    if value.get("format") != CHECKPOINT_FORMAT:
        fail(
            f"not a microgpt checkpoint (format {json.dumps(value.get('format'))}, "
            f'expected "{CHECKPOINT_FORMAT}")',
            "pass the checkpoint.json that deno task train --out DIR wrote",
        )
    if value.get("version") != CHECKPOINT_VERSION or isinstance(value.get("version"), bool):
        fail(
            f"format version {json.dumps(value.get('version'))}, "
            f"but this program reads version {CHECKPOINT_VERSION}",
            "use the program version that wrote it, or retrain",
        )
    if "checksum" in value:  # before anything else is read from it (absent: an older file, unchecked)
        checksum = value["checksum"]
        if not isinstance(checksum, str) or not re.fullmatch(r"sha256:[0-9a-f]{64}", checksum):
            fail('checksum is not "sha256:" and 64 hex digits')
        try:
            matches = checkpoint_checksum(value) == checksum
        except UnicodeEncodeError:
            matches = False
        if not matches:
            fail(
                "its contents do not match its checksum (the file changed or was corrupted after it was "
                "written)"
            )
    run_id = value.get("runId")
    if run_id is not None and not isinstance(run_id, str):
        fail("runId is not a string")
    program = value.get("program")
    if not (
        isinstance(program, dict)
        and isinstance(program.get("name"), str)
        and isinstance(program.get("version"), str)
    ):
        fail("the program field is missing or malformed")

    experiment = parse_experiment_config(value.get("experiment"), where)
    model, train = experiment["model"], experiment["train"]

    data = value.get("data")
    if not isinstance(data, dict):
        fail("the data field is missing")
    if not isinstance(data.get("sha256"), str) or not re.fullmatch(r"[0-9a-f]{64}", data["sha256"]):
        fail("data.sha256 is not a SHA-256 hex digest")
    if not is_count(data.get("numDocs")) or data["numDocs"] < 1:
        fail("data.numDocs is not a positive integer")

    vocab = value.get("vocab")
    if not isinstance(vocab, list):
        fail("vocab is missing or not an array")
    if not vocab:
        fail("vocab is empty")
    for i, ch in enumerate(vocab):
        if not isinstance(ch, str) or len(ch) != 1:
            fail(f"vocab[{i}] is not a single character")
        if i > 0 and ord(vocab[i - 1]) >= ord(ch):
            fail(f"vocab is not strictly sorted by code point at index {i}")
    vocab_size = len(vocab) + 1

    step = value.get("step")
    if not is_count(step) or step > train["steps"]:
        fail(
            f"step must be an integer in 0..{train['steps']} (the schedule's length), got {json.dumps(step)}"
        )
    step = int(step)

    rng = value.get("rng")
    if not (
        isinstance(rng, dict)
        and isinstance(rng.get("mt"), list)
        and len(rng["mt"]) == MT_WORDS
        and all(is_int(w) and 0 <= w <= 0xFFFFFFFF for w in rng["mt"])
        and is_int(rng.get("index"))
        and 0 <= rng["index"] <= MT_WORDS
        and (rng.get("gaussNext") is None and "gaussNext" in rng or is_number(rng.get("gaussNext")))
    ):
        fail("the random generator state is invalid")
    gauss_next = rng["gaussNext"]
    rng = {
        "mt": [int(w) for w in rng["mt"]],
        "index": int(rng["index"]),
        "gaussNext": None if gauss_next is None else float(gauss_next),
    }

    params = value.get("params")
    if not isinstance(params, dict):
        fail("params is missing or not an object")
    shapes = matrix_shapes(model, vocab_size)
    expected_names = [name for name, _, _ in shapes]
    if list(params) != expected_names:
        missing = next((n for n in expected_names if n not in params), None)
        extra = next((n for n in params if n not in expected_names), None)
        if missing is not None:
            fail(
                f"params has no matrix '{missing}' (expected {len(expected_names)} matrices for n_layer "
                f"{model['nLayer']})"
            )
        if extra is not None:
            fail(f"params has an unexpected matrix '{extra}' (the model has {len(expected_names)})")
        fail("params' matrices are out of order")
    num_params = 0
    checked_params: dict[str, list[list[float]]] = {}
    for name, rows, cols in shapes:
        m = params[name]
        if not isinstance(m, list) or len(m) != rows:
            fail(
                f"matrix {name} should have {rows} rows (vocab size {vocab_size}, "
                f"model n_embd {model['nEmbd']}, "
                f"n_layer {model['nLayer']}, block_size {model['blockSize']})"
            )
        for r, row in enumerate(m):
            if not isinstance(row, list) or len(row) != cols:
                fail(f"matrix {name} row {r} should have {cols} numbers")
            for c, x in enumerate(row):
                if not is_number(x):
                    fail(f"matrix {name}[{r}][{c}] is not a finite number")
        checked_params[name] = [[float(x) for x in row] for row in m]
        num_params += rows * cols

    adam = value.get("adam")
    if not isinstance(adam, dict):
        fail("adam is missing or not an object")
    moments: dict[str, list[float]] = {}
    for key in ("m", "v"):
        xs = adam.get(key)
        if not isinstance(xs, list) or len(xs) != num_params:
            fail(f"adam.{key} should hold {num_params} numbers, one per parameter")
        for i, x in enumerate(xs):
            if not is_number(x) or (key == "v" and x < 0):
                fail(f"adam.{key}[{i}] is not a finite{' non-negative' if key == 'v' else ''} number")
        moments[key] = [float(x) for x in xs]

    history = value.get("history")
    if not isinstance(history, dict):
        fail("history is missing or not an object")
    losses = history.get("losses")
    if not isinstance(losses, list) or len(losses) != step:
        fail(f"history.losses should hold {step} losses, one per step done")
    if not all(is_number(x) for x in losses):
        fail("history.losses holds a non-number")
    validation_losses = history.get("validationLosses")
    if not isinstance(validation_losses, list) or not all(
        isinstance(v, dict)
        and is_count(v.get("step"))
        and v["step"] <= step
        and is_number(v.get("loss"))
        and is_count(v.get("numDocs"))
        for v in validation_losses
    ):
        fail("history.validationLosses is malformed")
    segments = history.get("segments")
    if not isinstance(segments, list) or not all(
        isinstance(s, dict)
        and is_count(s.get("startStep"))
        and is_count(s.get("endStep"))
        and s["endStep"] <= step
        and is_number(s.get("seconds"))
        and s.get("engine") in ENGINE_NAMES
        and isinstance(s.get("device", ""), str)
        and is_count(s.get("processes", 1))
        for s in segments
    ):
        fail("history.segments is malformed")
    segment_keys = ("startStep", "endStep", "seconds", "engine", "device", "processes")

    checked = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "program": {"name": program["name"], "version": program["version"]},
        "experiment": experiment,
        "data": {"sha256": data["sha256"], "numDocs": int(data["numDocs"])},
        "vocab": list(vocab),
        "step": step,
        "rng": rng,
        "params": checked_params,
        "adam": moments,
        "history": {
            "losses": [float(x) for x in losses],
            "validationLosses": [
                {"step": int(v["step"]), "loss": float(v["loss"]), "numDocs": int(v["numDocs"])}
                for v in validation_losses
            ],
            "segments": [{key: s[key] for key in segment_keys if key in s} for s in segments],
        },
    }
    if run_id is not None:
        checked["runId"] = run_id
    return checked


def python_rng_state(rng: dict[str, Any]) -> tuple[int, tuple[int, ...], float | None]:
    """A checkpoint's generator state as `random.Random.setstate` takes it (the same numbers)."""
    return (3, tuple(rng["mt"]) + (rng["index"],), rng["gaussNext"])


def checkpoint_rng_state(state: tuple[int, tuple[int, ...], float | None]) -> dict[str, Any]:
    """`random.Random.getstate()` as a checkpoint's `rng` field."""
    version, internal, gauss_next = state
    assert version == 3 and len(internal) == MT_WORDS + 1
    return {"mt": list(internal[:MT_WORDS]), "index": internal[MT_WORDS], "gaussNext": gauss_next}


# --- run records -----------------------------------------------------------------------


def save_run_record(path: str, record: dict[str, Any]) -> None:
    """Writes a run record (`run.json`) atomically, laid out as the TypeScript side writes it."""
    write_text_atomic(path, exact_json(record) + "\n")


def read_run_record(path: str) -> dict[str, Any]:
    """Reads a run record, checking its format and its config (as lib/run_record.ts does)."""
    text = read_text(path, "run record", "pass the run.json that --out DIR wrote")
    try:
        value = parse_json(text)
    except ValueError as err:
        raise UsageError(f"cannot read run record {path}: {str(err).splitlines()[0]}")
    if (
        not isinstance(value, dict)
        or value.get("format") != RUN_RECORD_FORMAT
        or value.get("version") != RUN_RECORD_VERSION
    ):
        raise UsageError(
            f"{path} is not a version 1 microgpt run record; pass a run.json written by --out DIR"
        )
    if not isinstance(value.get("losses"), list) or not isinstance(value.get("samples"), list):
        raise UsageError(f"run record {path} has no losses or samples; it is corrupt, re-run to re-create it")
    parse_experiment_config(value.get("config"), f"run record {path}")
    return value


# --- probe files -----------------------------------------------------------------------

PROBE_FORMAT = "microgpt-probe"
PROBE_VERSION = 1


def read_probe(path: str, checkpoint: dict[str, Any]) -> dict[str, Any]:
    """
    Reads a probe file (documents with the logits and loss another program computed for them; the
    format is in torch/README.md) and checks that it belongs to `checkpoint`: the same step and
    vocabulary, tokens that are the tokens of each text, one row of logits per position.
    Returns `{"source", "tokens", "logits", "losses"}`, one entry per document.
    """
    text = read_text(path, "probe file", "pass the probe.json made from the checkpoint")

    def fail(what: str) -> Any:
        raise UsageError(f"probe file {path}: {what}; make it again from this checkpoint")

    try:
        probe = parse_json(text)
    except ValueError as err:
        fail(f"not valid JSON ({str(err).splitlines()[0]})")
    if not isinstance(probe, dict) or probe.get("format") != PROBE_FORMAT:
        fail(f'not a microgpt probe (format should be "{PROBE_FORMAT}")')
    if probe.get("version") != PROBE_VERSION:
        fail(
            f"format version {json.dumps(probe.get('version'))}, "
            f"but this program reads version {PROBE_VERSION}"
        )
    if probe.get("step") != checkpoint["step"]:
        fail(
            f"it was made at step {json.dumps(probe.get('step'))}, "
            f"but the checkpoint is at step {checkpoint['step']}"
        )
    vocab = checkpoint["vocab"]
    if probe.get("vocab") != vocab:
        fail("its vocabulary differs from the checkpoint's")
    docs = probe.get("docs")
    if not isinstance(docs, list) or not docs:
        fail("docs is missing or empty")
    ids = {ch: i for i, ch in enumerate(vocab)}
    bos, vocab_size = len(vocab), len(vocab) + 1
    block_size = checkpoint["experiment"]["model"]["blockSize"]
    program = probe.get("program")
    name = program.get("name") if isinstance(program, dict) else None
    ref: dict[str, Any] = {"source": f"probe {path} (by {name})", "tokens": [], "logits": [], "losses": []}
    for i, doc in enumerate(docs):
        if (
            not isinstance(doc, dict)
            or not isinstance(doc.get("text"), str)
            or any(ch not in ids for ch in doc["text"])
        ):
            fail(f"docs[{i}].text is missing or has a character outside the vocabulary")
        tokens = [bos] + [ids[ch] for ch in doc["text"]] + [bos]
        if doc.get("tokens") != tokens:
            fail(f"docs[{i}].tokens are not the tokens of its text")
        n = min(block_size, len(tokens) - 1)
        logits = doc.get("logits")
        if not (
            isinstance(logits, list)
            and len(logits) == n
            and all(
                isinstance(row, list) and len(row) == vocab_size and all(is_number(x) for x in row)
                for row in logits
            )
        ):
            fail(f"docs[{i}].logits should be {n} rows of {vocab_size} finite numbers")
        if not is_number(doc.get("loss")):
            fail(f"docs[{i}].loss is not a finite number")
        ref["tokens"].append(tokens)
        ref["logits"].append([[float(x) for x in row] for row in logits])
        ref["losses"].append(float(doc["loss"]))
    return ref
