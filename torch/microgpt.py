"""
microgpt in PyTorch, one to one: the GPT of Karpathy's microgpt.py and of our TypeScript library
(lib/model.ts) as an `nn.Module` in float64, reading and writing our checkpoints (`checkpoint.json`)
and run records (`run.json`), so a model moves both ways between `deno task train` and PyTorch.
What PyTorch adds is scale: minibatches, GPUs, and data-parallel training over processes and
machines with `torch.distributed`.

    python3 torch/microgpt.py train [--data FILE | --from CHECKPOINT] [--steps N] [--batch-size B]
                                    [--device auto|cpu|cuda] [--procs K] [--out DIR [--force]] [...]
    python3 torch/microgpt.py verify CHECKPOINT (--probe FILE | --data FILE [--docs N])
    python3 torch/microgpt.py sample CHECKPOINT [--samples N] [--temperature T] [--seed S]

With batch size 1 on one process, `train` is microgpt: the same documents in the same order (Python's
own `random` shuffles them), the same initial weights (`gauss(0, 0.08)` drawn in microgpt's order),
the same Adam, and the same printed lines. torch/README.md has every command and what is verified.

`--out DIR` is owned as `deno task train` owns it (run_dir.py), and Ctrl-C saves the run and exits 130,
so the two programs can take turns on one run's directory. A run trained here names the engine `torch`.

The file reads top to bottom: settings, data, the model, the loss and Adam, checkpoints, stopping on a
signal, training (one process or many), sampling, verifying, the command line. Our file formats are in
formats.py; microgpt's own arithmetic in plain Python, which `verify --data` compares with, is in
reference.py.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import math
import os
import platform
import random
import signal
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import reference
from formats import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    RUN_RECORD_FORMAT,
    RUN_RECORD_VERSION,
    TORCH_ENGINE,
    UsageError,
    checkpoint_rng_state,
    python_rng_state,
    read_bytes,
    read_checkpoint,
    read_probe,
    save_checkpoint,
    save_run_record,
    validate_experiment,
)
from run_dir import OutDir

try:
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print(
        f"error: PyTorch is not installed for {sys.executable}; install it (apt-get install python3-torch, "
        "or pip install torch)",
        file=sys.stderr,
    )
    sys.exit(2)

PROGRAM_NAME = "microgpt-torch"
VERSION = "0.1.0"
INIT_STD = 0.08  # every weight starts as gauss(0, 0.08)
DEFAULT_DATA = "data/names.txt"


# --- settings --------------------------------------------------------------------------


@dataclass
class GPTConfig:
    """The shape of the GPT (microgpt's defaults)."""

    vocab_size: int = 27
    n_embd: int = 16  # embedding width
    n_head: int = 4  # attention heads, each n_embd // n_head wide
    n_layer: int = 1  # transformer blocks
    block_size: int = 16  # longest context

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


@dataclass
class TrainConfig:
    """How to train: microgpt's Adam and its linear learning-rate decay over `steps`."""

    steps: int = 1000
    learning_rate: float = 0.01
    beta1: float = 0.85
    beta2: float = 0.99
    eps_adam: float = 1e-8


# --- data and tokenizer ----------------------------------------------------------------


def read_docs(path: str) -> tuple[list[str], str]:
    """
    The documents of a text file exactly as microgpt.py reads them (UTF-8, universal newlines, the
    whole text and each line stripped, empty lines dropped), and the SHA-256 of the file's bytes.
    """
    data = read_bytes(path, "data file", "pass --data with a text file, one document per line")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UsageError(
            f"data file {path} is not valid UTF-8 (line {line}); save it as UTF-8 text, one document per line"
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # what open()'s universal newlines do
    docs = [line.strip() for line in text.strip().split("\n") if line.strip()]
    if not docs:
        raise UsageError(f"data file {path} has no documents; put one document per line")
    return docs, hashlib.sha256(data).hexdigest()


class Tokenizer:
    """Characters <-> token ids: the sorted characters of the data, then BOS (begin/end of a document)."""

    def __init__(self, chars: list[str]):
        self.chars = chars
        self.bos = len(chars)
        self.vocab_size = len(chars) + 1
        self.ids = {ch: i for i, ch in enumerate(chars)}

    @classmethod
    def from_docs(cls, docs: list[str]) -> Tokenizer:
        return cls(sorted(set("".join(docs))))

    def encode(self, doc: str) -> list[int]:
        """`[BOS, ids of the characters..., BOS]`."""
        return [self.bos] + [self.ids[ch] for ch in doc] + [self.bos]


# --- the model -------------------------------------------------------------------------


def rmsnorm(x: torch.Tensor) -> torch.Tensor:
    """Scales each vector so the mean of its squares is 1 (no learned gain, as in microgpt)."""
    ms = (x * x).sum(dim=-1, keepdim=True) * (1 / x.size(-1))  # microgpt: sum(...) / n is sum * (1/n)
    return x * (ms + 1e-5) ** -0.5


class Block(nn.Module):
    """One transformer layer: multi-head causal self-attention, then an MLP, each with a residual."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        C = config.n_embd
        self.n_head = config.n_head
        # Each matrix is [nout, nin], as microgpt's and nn.Linear's: linear(x, W) is x @ W.T.
        self.attn_wq = nn.Parameter(torch.empty(C, C))
        self.attn_wk = nn.Parameter(torch.empty(C, C))
        self.attn_wv = nn.Parameter(torch.empty(C, C))
        self.attn_wo = nn.Parameter(torch.empty(C, C))
        self.mlp_fc1 = nn.Parameter(torch.empty(4 * C, C))
        self.mlp_fc2 = nn.Parameter(torch.empty(C, 4 * C))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        nh, hd = self.n_head, C // self.n_head
        # 1) Multi-head attention: position t looks at positions 0..t (microgpt's KV cache, all at once).
        residual = x
        x = rmsnorm(x)
        q = F.linear(x, self.attn_wq).view(B, T, nh, hd).transpose(1, 2)  # [B, nh, T, hd]
        k = F.linear(x, self.attn_wk).view(B, T, nh, hd).transpose(1, 2)  # [B, nh, T, hd]
        v = F.linear(x, self.attn_wv).view(B, T, nh, hd).transpose(1, 2)  # [B, nh, T, hd]
        att = (q @ k.transpose(-2, -1)) * (1 / math.sqrt(hd))  # [B, nh, T, T]
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~causal, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)  # [B, T, C]: the heads side by side
        x = F.linear(y, self.attn_wo) + residual
        # 2) MLP
        residual = x
        x = F.linear(rmsnorm(x), self.mlp_fc1).relu()  # [B, T, 4C]
        x = F.linear(x, self.mlp_fc2) + residual  # [B, T, C]
        return x


def checkpoint_name(module_name: str) -> str:
    """`layers.0.attn_wq` (the module's name) -> `layer0.attn_wq` (the checkpoint's)."""
    if module_name.startswith("layers."):
        index, _, rest = module_name[len("layers.") :].partition(".")
        return f"layer{index}.{rest}"
    return module_name


class GPT(nn.Module):
    """
    microgpt's GPT: token and position embeddings, `n_layer` blocks, and `lm_head`, which turns each
    position's vector into one logit per token of the vocabulary.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        V, C = config.vocab_size, config.n_embd
        self.wte = nn.Parameter(torch.empty(V, C))  # token embeddings
        self.wpe = nn.Parameter(torch.empty(config.block_size, C))  # position embeddings
        self.lm_head = nn.Parameter(torch.empty(V, C))
        self.layers = nn.ModuleList([Block(config) for _ in range(config.n_layer)])

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Token ids [B, T] -> logits [B, T, vocab_size]: at each position, scores for the next token."""
        B, T = idx.shape
        x = self.wte[idx] + self.wpe[:T]  # [B, T, C]
        x = rmsnorm(x)
        for block in self.layers:
            x = block(x)
        return F.linear(x, self.lm_head)  # [B, T, V]

    def matrices(self) -> list[tuple[str, nn.Parameter]]:
        """Every matrix with its checkpoint name (`wte`, ..., `layer0.attn_wq`), in microgpt's order."""
        return [(checkpoint_name(name), p) for name, p in self.named_parameters()]

    @torch.no_grad()
    def init_weights(self, rng: random.Random) -> None:
        """microgpt's init: `rng.gauss(0, 0.08)` for every weight, matrix by matrix, row by row."""
        for _, p in self.matrices():
            values = [rng.gauss(0, INIT_STD) for _ in range(p.numel())]
            p.copy_(torch.tensor(values, dtype=torch.float64).view(p.shape))


# --- the loss and the optimizer --------------------------------------------------------


def encode_docs(docs: list[str], tokenizer: Tokenizer, block_size: int) -> tuple[torch.Tensor, list[int]]:
    """
    Every document as one row of token ids, padded with 0 to `block_size + 1` ([N, block_size + 1]),
    and each document's number of positions, `n = min(block_size, len(tokens) - 1)`.
    """
    rows, positions = [], []
    for doc in docs:
        tokens = tokenizer.encode(doc)[: block_size + 1]
        rows.append(tokens + [0] * (block_size + 1 - len(tokens)))
        positions.append(len(tokens) - 1)
    return torch.tensor(rows, dtype=torch.long), positions


def batch_loss(model: GPT, rows: torch.Tensor, positions: list[int]) -> torch.Tensor:
    """
    The loss of a batch: the mean over its documents of each document's mean next-token loss
    (`-log p(next token)` over its `n` positions). One document is microgpt's loss exactly;
    padding past a document's end is masked out, and causal attention never looks at it.
    """
    B, T = len(positions), max(positions)
    inputs, targets = rows[:, :T], rows[:, 1 : T + 1]  # [B, T] each
    logits = model(inputs)  # [B, T, V]
    nll = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T), reduction="none").view(B, T)
    n = torch.tensor(positions, device=rows.device)  # [B]
    mask = torch.arange(T, device=rows.device) < n[:, None]  # [B, T]: real positions
    per_doc = (nll * mask).sum(dim=1) * (1 / n.to(nll.dtype))  # microgpt: (1 / n) * sum(losses)
    return per_doc.mean()


class Adam:
    """
    microgpt's Adam, written out (its operations in its order): running means of the gradient (`m`)
    and of its square (`v`), bias-corrected, and a learning rate that decays linearly to 0.
    """

    def __init__(self, params: list[nn.Parameter], config: TrainConfig):
        self.params = params
        self.config = config
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self, step: int, num_steps: int) -> None:
        """The update of 0-based `step` of a `num_steps` schedule; clears the gradients."""
        c = self.config
        lr_t = c.learning_rate * (1 - step / num_steps)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.mul_(c.beta1).add_((1 - c.beta1) * g)
            v.mul_(c.beta2).add_((1 - c.beta2) * (g * g))
            m_hat = m / (1 - c.beta1 ** (step + 1))
            v_hat = v / (1 - c.beta2 ** (step + 1))
            p.sub_(lr_t * m_hat / (v_hat.sqrt() + c.eps_adam))
            p.grad = None


# --- checkpoints <-> the module ------------------------------------------------------


def model_config(experiment: dict[str, Any], vocab_size: int) -> GPTConfig:
    m = experiment["model"]
    return GPTConfig(vocab_size, m["nEmbd"], m["nHead"], m["nLayer"], m["blockSize"])


def train_config(experiment: dict[str, Any]) -> TrainConfig:
    t = experiment["train"]
    return TrainConfig(t["steps"], t["learningRate"], t["beta1"], t["beta2"], t["epsAdam"])


def model_from_checkpoint(
    checkpoint: dict[str, Any], device: str = "cpu", dtype: torch.dtype = torch.float64
) -> GPT:
    """The checkpoint's model on `device` in `dtype` (float64 holds every weight exactly)."""
    config = model_config(checkpoint["experiment"], len(checkpoint["vocab"]) + 1)
    model = GPT(config).to(device=device, dtype=dtype)
    with torch.no_grad():
        for name, p in model.matrices():
            p.copy_(torch.tensor(checkpoint["params"][name], dtype=torch.float64))
    return model


def adam_from_checkpoint(checkpoint: dict[str, Any], model: GPT) -> Adam:
    """Adam with the checkpoint's settings and moments (one flat list each, in parameter order)."""
    adam = Adam(list(model.parameters()), train_config(checkpoint["experiment"]))
    for moments, flat in ((adam.m, checkpoint["adam"]["m"]), (adam.v, checkpoint["adam"]["v"])):
        start = 0
        for t in moments:
            t.copy_(torch.tensor(flat[start : start + t.numel()], dtype=torch.float64).view(t.shape))
            start += t.numel()
    return adam


def make_checkpoint(
    experiment: dict[str, Any],
    data: dict[str, Any],
    vocab: list[str],
    step: int,
    rng: random.Random,
    model: GPT,
    adam: Adam,
    history: dict[str, Any],
    run_id: str | None = None,
) -> dict[str, Any]:
    """
    A run's state as our checkpoint (see lib/experiment/checkpoint.ts): weights and moments as exact
    doubles; `run_id` names the run (its checkpoint and record in a directory name the same run).
    Saving it adds its checksum (formats.encode_checkpoint).
    """

    def flat(tensors: list[torch.Tensor]) -> list[float]:
        return [x for t in tensors for x in t.detach().to("cpu", torch.float64).reshape(-1).tolist()]

    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "program": {"name": PROGRAM_NAME, "version": VERSION},
        "experiment": experiment,
        "data": data,
        "vocab": vocab,
        "step": step,
        "rng": checkpoint_rng_state(rng.getstate()),
        "params": {name: p.detach().to("cpu", torch.float64).tolist() for name, p in model.matrices()},
        "adam": {"m": flat(adam.m), "v": flat(adam.v)},
        "history": history,
    }
    if run_id is not None:
        checkpoint["runId"] = run_id
    return checkpoint


# --- stopping on a signal --------------------------------------------------------------

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopper:
    """
    Ctrl-C (SIGINT) or SIGTERM while a run trains, as `deno task train` takes them: the first stops it
    after the current step, so it is saved (with --out) as a checkpoint that either program continues,
    and the program exits with 128 + the signal's number (130, 143); a second, or any after training is
    saved, exits at once (every file is written atomically, so the last complete save stays).

    With several processes they must stop after the same step: each step's one `all_reduce` also
    carries whether any process was asked to (`average_over_processes`). Under `--procs` the launcher
    takes the signals and tells its processes through `shared`, a number they all see; under
    `torchrun` each process takes its own.
    """

    def __init__(self, shared: Any = None) -> None:
        self.shared = shared  # a multiprocessing Value("i") (--procs), or None
        self.own = 0
        self.saved_path: str | None = None
        self.trained = False  # training is over and saved: a signal now exits at once
        self.installed = False
        self.cleanups: list[Callable[[], None]] = []  # run before exiting at once (the lock, the processes)

    @property
    def signum(self) -> int:
        """The number of the first signal received, or 0."""
        return self.shared.value if self.shared is not None else self.own

    def requested(self) -> bool:
        return self.signum != 0

    def install(self) -> None:
        """Takes the signals (only the main thread may; called from another, it leaves them be)."""
        self.installed = threading.current_thread() is threading.main_thread()
        if self.installed:
            for signum in STOP_SIGNALS:
                signal.signal(signum, self._on_signal)

    def uninstall(self) -> None:
        if self.installed:
            for signum in STOP_SIGNALS:
                signal.signal(
                    signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.default_int_handler
                )

    def done(self, saved_path: str | None) -> None:
        """Training is over (and saved in `saved_path`, if anywhere): a signal now exits at once."""
        self.trained, self.saved_path = True, saved_path

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if not self.trained and not self.requested():
            if self.shared is not None:
                self.shared.value = signum
            else:
                self.own = signum
            return
        name = signal.Signals(signum).name
        if self.trained:
            where = f"; the run is saved in {self.saved_path}" if self.saved_path else ""
            print(f"error: interrupted by {name} after training{where}", file=sys.stderr, flush=True)
        else:
            print(f"error: interrupted by {name} again while stopping", file=sys.stderr, flush=True)
        for cleanup in self.cleanups:
            cleanup()
        os._exit(128 + signum)


# --- training ------------------------------------------------------------------------


@dataclass
class Run:
    """What every training process needs; made once, before any process trains."""

    start: dict[str, Any]  # the checkpoint to start from (step 0 of a new run), with this run's settings
    train_docs: list[str]  # in the order training takes them
    val_docs: list[str]
    batch_size: int  # documents per step in each process
    world_size: int  # processes
    stop_step: int  # train steps start["step"] .. stop_step - 1
    device: str  # "cpu" or "cuda"
    dtype: torch.dtype
    out: str | None
    data_path: str
    num_docs: int
    started_at: str
    t0: float


def new_experiment(args: argparse.Namespace) -> dict[str, Any]:
    """A new run's settings (lib/run_record.ts `ExperimentConfig`): the flags, microgpt's defaults."""

    def flag(value: Any, default: Any) -> Any:
        return default if value is None else value

    if args.val_fraction is None and (args.val_every is not None or args.val_docs is not None):
        raise UsageError("--val-every and --val-docs need --val-fraction F to hold documents out; add it")
    validation = None
    if args.val_fraction is not None:
        validation = {
            "fraction": args.val_fraction,
            "every": flag(args.val_every, 100),
            "maxDocs": flag(args.val_docs, 200),
        }
    return {
        "seed": flag(args.seed, 42),
        "dataPath": flag(args.data, DEFAULT_DATA),
        "model": {
            "nEmbd": flag(args.n_embd, 16),
            "nHead": flag(args.n_head, 4),
            "nLayer": flag(args.n_layer, 1),
            "blockSize": flag(args.block_size, 16),
        },
        "train": {
            "steps": flag(args.steps, 1000),
            "learningRate": flag(args.lr, 0.01),
            "beta1": 0.85,
            "beta2": 0.99,
            "epsAdam": 1e-8,
        },
        "sample": {"temperature": flag(args.temperature, 0.5), "numSamples": flag(args.samples, 20)},
        "validation": validation,
        "engine": TORCH_ENGINE,
    }


def continued_experiment(args: argparse.Namespace, checkpoint: dict[str, Any]) -> dict[str, Any]:
    """
    The settings of a run that continues `checkpoint`: its model, seed and split, with what may change
    without changing the model: the schedule's length (`--steps`), the learning rate, the batch size,
    the data's path (the same bytes), and sampling.
    """
    fixed = ("seed", "n_embd", "n_head", "n_layer", "block_size", "val_fraction", "val_every", "val_docs")
    for name in fixed:
        if getattr(args, name) is not None:
            flag = "--" + name.replace("_", "-")
            raise UsageError(
                f"{flag} cannot change when continuing a checkpoint: the run keeps its model and data "
                f"split; drop {flag}"
            )
    was = checkpoint["experiment"]
    step, steps = checkpoint["step"], args.steps if args.steps is not None else was["train"]["steps"]
    if steps <= step:
        raise UsageError(
            f"the checkpoint has done {step} of its {was['train']['steps']} steps; "
            f"pass --steps N with N > {step} (the new schedule's length) to train on"
        )
    train = {key: value for key, value in was["train"].items() if key != "batchSize"}
    return {
        **was,
        "engine": TORCH_ENGINE,  # the engine that trains it now
        "dataPath": args.data if args.data is not None else was["dataPath"],
        "train": {
            **train,
            "steps": steps,
            "learningRate": args.lr if args.lr is not None else train["learningRate"],
        },
        "sample": {
            "temperature": args.temperature if args.temperature is not None else was["sample"]["temperature"],
            "numSamples": args.samples if args.samples is not None else was["sample"]["numSamples"],
        },
    }


def prepare_run(args: argparse.Namespace, world_size: int) -> Run:
    """
    Checks every setting, reads the data (and the checkpoint to continue) and makes the starting
    state, so that a mistake stops the command before any training. A new run draws from one
    generator, `random.Random(seed)`, as microgpt.py does: the shuffle of the documents, then every weight.
    """
    started_at = (
        datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    t0 = time.perf_counter()
    checkpoint = read_checkpoint(args.from_checkpoint) if args.from_checkpoint is not None else None
    experiment = new_experiment(args) if checkpoint is None else continued_experiment(args, checkpoint)
    # --batch-size counts each process's documents; the checkpoint records documents per step.
    batch_size = args.batch_size
    if batch_size is None and checkpoint is None:
        batch_size = 1
    if batch_size is None:
        total = checkpoint["experiment"]["train"].get("batchSize", 1)
        if total % world_size != 0:
            raise UsageError(
                f"the checkpoint's {total} documents per step do not split over {world_size} processes; "
                "pass --batch-size B (per process)"
            )
        batch_size = total // world_size
    experiment["train"]["batchSize"] = batch_size * world_size
    validate_experiment(experiment)
    if experiment["train"]["batchSize"] == 1:  # microgpt's: the file stays as our TypeScript side writes it
        del experiment["train"]["batchSize"]

    start_step = 0 if checkpoint is None else checkpoint["step"]
    steps = experiment["train"]["steps"]
    stop_step = args.stop_at if args.stop_at is not None else steps
    if args.stop_at is not None and args.out is None:
        raise UsageError("--stop-at needs --out DIR to save the checkpoint in; add --out DIR")
    if not start_step < stop_step <= steps:
        raise UsageError(
            f"--stop-at must be an integer in {start_step + 1}..{steps} (after step {start_step}, "
            f"within the {steps}-step schedule), got {stop_step}"
        )
    device = pick_device(args.device, world_size)
    if args.force and args.out is None:
        raise UsageError("--force needs --out DIR to write the run in; add --out DIR")

    # The data: the same bytes always give the same documents, order and vocabulary.
    docs, sha256 = read_docs(experiment["dataPath"])
    rng = random.Random(experiment["seed"])
    rng.shuffle(docs)
    tokenizer = Tokenizer.from_docs(docs)
    train_docs, val_docs = docs, []
    if experiment["validation"] is not None:
        num_val = math.ceil(experiment["validation"]["fraction"] * len(docs))
        if num_val >= len(docs):
            raise UsageError(
                f"--val-fraction {experiment['validation']['fraction']} holds out all {len(docs)} documents, "
                "leaving none to train on; use a smaller --val-fraction or more data"
            )
        train_docs, val_docs = docs[: len(docs) - num_val], docs[len(docs) - num_val :]

    if checkpoint is None:
        model = GPT(model_config(experiment, tokenizer.vocab_size)).double()
        model.init_weights(rng)
        data = {"sha256": sha256, "numDocs": len(docs)}
        history = {"losses": [], "validationLosses": [], "segments": []}
        adam = Adam(list(model.parameters()), train_config(experiment))  # moments 0
        run_id = str(uuid.uuid4())
        start = make_checkpoint(experiment, data, tokenizer.chars, 0, rng, model, adam, history, run_id)
    else:
        if sha256 != checkpoint["data"]["sha256"]:
            raise UsageError(
                f"data file {experiment['dataPath']} is not the file the checkpoint was trained on "
                "(its SHA-256 differs); continue with the original data (--data PATH) or start a new run"
            )
        # The run keeps its identity (an older checkpoint without one gets one now).
        start = {
            **checkpoint,
            "experiment": experiment,
            "runId": checkpoint.get("runId") or str(uuid.uuid4()),
        }
    return Run(
        start=start,
        train_docs=train_docs,
        val_docs=val_docs,
        batch_size=batch_size,
        world_size=world_size,
        stop_step=stop_step,
        device=device,
        dtype=parse_dtype(args.dtype),
        out=args.out,
        data_path=experiment["dataPath"],
        num_docs=len(docs),
        started_at=started_at,
        t0=t0,
    )


def pick_device(name: str, world_size: int = 1) -> str:
    """`auto` is CUDA when PyTorch sees a GPU, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("--device cuda, but PyTorch sees no CUDA GPU here; use --device cpu (or auto)")
        if world_size > torch.cuda.device_count() and "LOCAL_RANK" not in os.environ:
            raise UsageError(
                f"{world_size} processes need {world_size} GPUs (NCCL gives each process its own), but "
                f"there are {torch.cuda.device_count()}; use --procs {torch.cuda.device_count()} "
                "or --device cpu"
            )
    return name


def parse_dtype(name: str) -> torch.dtype:
    return {"float64": torch.float64, "float32": torch.float32}[name]


def train_process(rank: int, run: Run, shared_stop: Any = None, stopper: Stopper | None = None) -> None:
    """
    One training process. With several (`--procs K`, or `torchrun`), each takes its own slice of every
    step's documents and the gradients are averaged over processes before every update, so all of them
    hold the same weights, step after step: the run equals one process with K times the batch.
    A process of `--procs` gets `shared_stop`, the number its launcher sets when it is signalled; the
    others get the `stopper` that takes their signals (see `Stopper`).
    """
    world = run.world_size
    distributed = world > 1 or "WORLD_SIZE" in os.environ  # torchrun with one process still forms a group
    if stopper is None:  # a --procs process: the launcher takes Ctrl-C and tells us
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        stopper = Stopper(shared_stop)
    device = run.device
    if device == "cuda":
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', rank))}"
        torch.cuda.set_device(device)
    elif distributed:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))  # the processes share the cores
    if distributed:
        # MASTER_ADDR and MASTER_PORT come from the environment (set by torchrun, or by --procs).
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo", rank=rank, world_size=world)
    try:
        signum = train(rank, run, device, stopper)
    except UsageError as err:
        if rank == 0:  # every process meets the same error at the same step; one line is enough
            print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    finally:
        if distributed:
            dist.destroy_process_group()
    if signum and shared_stop is None:  # (a --procs process ends normally; its launcher exits so)
        sys.exit(128 + signum)


def train(rank: int, run: Run, device: str, stopper: Stopper) -> int:
    """
    The training loop of one process; process 0 prints, validates, samples and writes the files.
    Returns 0, or the number of the signal that stopped the run early.
    """
    start, world, main = run.start, run.world_size, rank == 0
    experiment = start["experiment"]
    tokenizer = Tokenizer(start["vocab"])
    model = model_from_checkpoint(start, device, run.dtype)
    adam = adam_from_checkpoint(start, model)
    params = adam.params
    num_steps = experiment["train"]["steps"]
    rows, positions = encode_docs(run.train_docs, tokenizer, model.config.block_size)
    rows = rows.to(device)
    history = {key: list(value) for key, value in start["history"].items()}
    if main:
        print_start(run, tokenizer, sum(p.numel() for p in params), device)

    per_step = run.batch_size * world  # documents per step, over all processes
    train_seconds = validation_seconds = 0.0
    done, stopped = start["step"], False
    while done < run.stop_step and not stopped:
        step = done
        t = time.perf_counter()
        # Step s trains on documents s*G .. s*G+G-1 of the shuffled list (wrapping around); G = 1 is microgpt.
        first = step * per_step + rank * run.batch_size
        batch = [(first + b) % len(run.train_docs) for b in range(run.batch_size)]
        loss = batch_loss(model, rows[batch], [positions[i] for i in batch])
        loss.backward()
        if dist.is_initialized():  # (with one process too: a torchrun launch of one still checks its backend)
            loss, stopped = average_over_processes(params, loss.detach(), stopper.requested(), world)
        else:
            stopped = stopper.requested()
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            raise UsageError(
                f"training diverged: loss is {loss_value} at step {step + 1}; "
                "lower the learning rate (--lr) or change the seed"
            )
        adam.step(step, num_steps)
        done = step + 1
        train_seconds += time.perf_counter() - t
        if not main:
            continue
        history["losses"].append(loss_value)
        print(f"step {done:4d} / {num_steps:4d} | loss {loss_value:.4f}")
        validation = experiment["validation"]
        if validation is not None and (done % validation["every"] == 0 or done == num_steps):
            t = time.perf_counter()
            num_docs = min(len(run.val_docs), validation["maxDocs"])
            val_loss = evaluate_loss(model, run.val_docs[:num_docs], tokenizer)
            validation_seconds += time.perf_counter() - t
            history["validationLosses"].append({"step": done, "loss": val_loss, "numDocs": num_docs})
            print(f"step {done:4d} / {num_steps:4d} | val loss {val_loss:.4f}")
    signum = (stopper.signum or signal.SIGINT) if stopped else 0
    if not main:
        return signum

    history["segments"].append(
        {
            "startStep": start["step"],
            "endStep": done,
            "seconds": train_seconds,
            "engine": TORCH_ENGINE,
            "device": device,
            "processes": world,
        }
    )
    rng = random.Random()
    rng.setstate(python_rng_state(start["rng"]))  # training draws nothing: sampling continues from here
    checkpoint = make_checkpoint(
        experiment, start["data"], start["vocab"], done, rng, model, adam, history, start.get("runId")
    )
    path = os.path.join(run.out or ".", "checkpoint.json")

    def save_record(samples: list[str], sample_seconds: float, finished: bool) -> None:
        if run.out is not None:
            record = run_record(
                run, checkpoint, samples, validation_seconds, sample_seconds, device, finished
            )
            save_run_record(os.path.join(run.out, "run.json"), record)

    # Saved before sampling, with its record: whatever happens next, the training is on disk.
    if run.out is not None:
        save_checkpoint(path, checkpoint)
        save_record([], 0.0, finished=False)
    continue_with = f"python3 torch/microgpt.py train --from {path} --out {run.out} (or deno task train --resume {run.out})"
    if signum:
        sys.stdout.flush()
        saved = f"saved {path}; continue with: {continue_with}" if run.out else "nothing saved (no --out DIR)"
        print(
            f"error: interrupted by {signal.Signals(signum).name} at step {done} / {num_steps}; {saved}",
            file=sys.stderr,
        )
        return signum
    stopper.done(path if run.out else None)
    if done < num_steps:
        print(
            f"stopped after step {done} / {num_steps}; saved {path}; continue with: {continue_with}",
            file=sys.stderr,
        )
        return 0
    samples: list[str] = []
    t = time.perf_counter()
    print("\n--- inference (new, hallucinated names) ---")
    for i in range(experiment["sample"]["numSamples"]):
        samples.append(sample_document(model, tokenizer, rng, experiment["sample"]["temperature"]))
        print(f"sample {i + 1:2d}: {samples[-1]}")
    sys.stdout.flush()
    save_record(samples, time.perf_counter() - t, finished=True)
    return 0


def print_start(run: Run, tokenizer: Tokenizer, num_params: int, device: str) -> None:
    """
    microgpt's opening lines on stdout (a continued run prints none, as `deno task train --resume`
    does) and, on stderr, where the run trains.
    """
    if run.start["step"] == 0:
        print(f"num docs: {run.num_docs}")
        if run.val_docs:
            print(f"train docs: {len(run.train_docs)}, val docs: {len(run.val_docs)}")
        print(f"vocab size: {tokenizer.vocab_size}")
        print(f"num params: {num_params}")
    else:
        print(
            f"continuing at step {run.start['step']} / {run.start['experiment']['train']['steps']}",
            file=sys.stderr,
        )
    per_process = f"{run.batch_size} document{'s' if run.batch_size > 1 else ''} per step"
    processes = f"{run.world_size} processes x " if run.world_size > 1 else ""
    print(
        f"torch {torch.__version__}, {device}, {str(run.dtype).replace('torch.', '')}, "
        f"{processes}{per_process}",
        file=sys.stderr,
    )


def run_record(
    run: Run,
    checkpoint: dict[str, Any],
    samples: list[str],
    validation_seconds: float,
    sample_seconds: float,
    device: str,
    finished: bool,
) -> dict[str, Any]:
    """
    The run's record (lib/experiment/run_record.ts `RunRecord`), plus a `torch` section saying where it
    ran. `finished`: the whole schedule trained and sampled (else "stopped", as a run saved before its
    samples is).
    """
    history = checkpoint["history"]
    all_seconds = sum(s["seconds"] for s in history["segments"])
    all_steps = sum(s["endStep"] - s["startStep"] for s in history["segments"])
    return {
        "format": RUN_RECORD_FORMAT,
        "version": RUN_RECORD_VERSION,
        "program": {
            "name": PROGRAM_NAME,
            "version": VERSION,
            "python": platform.python_version(),
            "torch": torch.__version__,
        },
        "status": "finished" if finished else "stopped",
        "config": checkpoint["experiment"],
        "data": {
            "path": run.data_path,
            "sha256": checkpoint["data"]["sha256"],
            "numDocs": run.num_docs,
            "numTrainDocs": len(run.train_docs),
            "numValDocs": len(run.val_docs),
            "vocab": "".join(checkpoint["vocab"]),
        },
        "numParams": sum(len(row) for m in checkpoint["params"].values() for row in m),
        "step": checkpoint["step"],
        "losses": history["losses"],
        "validationLosses": history["validationLosses"],
        "samples": samples,
        "resumedFrom": run.start["step"] if run.start["step"] > 0 else None,
        "runId": checkpoint["runId"],
        "timings": {
            "startedAt": run.started_at,
            "trainSeconds": all_seconds,
            "validationSeconds": validation_seconds,
            "sampleSeconds": sample_seconds,
            "totalSeconds": time.perf_counter() - run.t0,
            "stepsPerSecond": all_steps / all_seconds if all_seconds > 0 else 0,
            "segments": history["segments"],
        },
        "torch": {
            "device": device,
            "deviceName": torch.cuda.get_device_name(device)
            if device.startswith("cuda")
            else platform.machine(),
            "dtype": str(run.dtype).replace("torch.", ""),
            "processes": run.world_size,
            "batchSizePerProcess": run.batch_size,
        },
    }


def average_over_processes(
    params: list[nn.Parameter], loss: torch.Tensor, stop: bool, world: int
) -> tuple[torch.Tensor, bool]:
    """
    Data parallelism's one collective: every gradient (and the loss, for printing) summed over the
    processes and divided by their number, in one flat buffer. Each process computed the mean over its
    own documents, so this is the mean over all of them. (`DistributedDataParallel` does the same in
    buckets, overlapped with the backward pass.) The buffer also carries whether any process was asked
    to stop, so that all of them stop after this step. Returns the loss, and whether to stop.
    """
    flag = torch.ones(1, dtype=loss.dtype, device=loss.device) * float(stop)
    flat = torch.cat([p.grad.reshape(-1) for p in params] + [loss.reshape(1), flag])
    dist.all_reduce(flat)
    stopped = flat[-1].item() > 0
    flat = flat[:-1] / world
    start = 0
    for p in params:
        p.grad.copy_(flat[start : start + p.numel()].view(p.shape))
        start += p.numel()
    return flat[-1], stopped


@torch.no_grad()
def evaluate_loss(model: GPT, docs: list[str], tokenizer: Tokenizer, batch_size: int = 256) -> float:
    """The mean over documents of each one's loss (the training loss's definition); nothing is updated."""
    total = 0.0
    for start in range(0, len(docs), batch_size):
        rows, positions = encode_docs(docs[start : start + batch_size], tokenizer, model.config.block_size)
        total += batch_loss(model, rows.to(model.wte.device), positions).item() * len(positions)
    return total / len(docs)


def free_port() -> int:
    """A TCP port nobody listens on now, for the processes to meet at (MASTER_PORT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cmd_train(args: argparse.Namespace) -> None:
    """`train`: one process, `--procs K` local processes, or one process of a `torchrun` launch."""
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError(
            f"batch size must be a positive integer, got {args.batch_size}; set --batch-size to 1 or more"
        )
    if "WORLD_SIZE" in os.environ:  # launched by torchrun (or by hand with its variables)
        if args.procs is not None:
            raise UsageError(
                "--procs starts processes itself; under torchrun (WORLD_SIZE is set) leave it out"
            )
        missing = [name for name in ("RANK", "MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
        if missing:
            raise UsageError(
                f"WORLD_SIZE is set but {missing[0]} is not; launch with torchrun, or set RANK, "
                "MASTER_ADDR and MASTER_PORT too"
            )
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        run = prepare_run(args, world)
        with claimed(run, args, claim=rank == 0) as stopper:  # process 0 writes the files
            train_process(rank, run, stopper=stopper)
        return
    procs = args.procs if args.procs is not None else 1
    if procs < 1:
        raise UsageError(f"--procs must be a positive integer, got {procs}; use --procs 1 or more")
    run = prepare_run(args, procs)
    if procs == 1:
        with claimed(run, args) as stopper:
            train_process(0, run, stopper=stopper)
        return
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(free_port())
    with claimed(run, args, shared=mp.get_context("spawn").Value("i", 0)) as stopper:
        processes = mp.start_processes(
            train_process, args=(run, stopper.shared), nprocs=procs, join=False, start_method="spawn"
        )
        stopper.cleanups.insert(0, lambda: [p.terminate() for p in processes.processes])
        try:
            while not processes.join():
                pass
        except mp.ProcessExitedException as err:  # a process stopped with an error it has printed
            sys.exit(err.exit_code if err.exit_code and err.exit_code > 0 else 1)
        if stopper.requested():  # the processes stopped early and saved; they printed how to continue
            sys.exit(128 + stopper.signum)


@contextlib.contextmanager
def claimed(run: Run, args: argparse.Namespace, claim: bool = True, shared: Any = None) -> Iterator[Stopper]:
    """
    While a run trains: its --out directory claimed as `deno task train` claims it (run_dir.py: a lock,
    another run's files refused unless --force), and Ctrl-C / SIGTERM taken by a `Stopper`.
    """
    out = None
    if claim and run.out is not None:
        continuing = args.from_checkpoint is not None and same_dir(
            os.path.dirname(args.from_checkpoint), run.out
        )
        checkpoint = os.path.join(run.out, "checkpoint.json")
        out = OutDir.claim(
            run.out,
            run.start["runId"],
            force=args.force,
            resuming=continuing,
            resume_hint=f"python3 torch/microgpt.py train --from {checkpoint} --out {run.out}",
        )
    stopper = Stopper(shared)
    if out is not None:
        stopper.cleanups.append(out.release)
    stopper.install()
    try:
        yield stopper
    finally:
        stopper.uninstall()
        if out is not None:
            out.release()


def same_dir(a: str, b: str) -> bool:
    """True when two paths name the same directory."""
    return os.path.realpath(a or ".") == os.path.realpath(b)


# --- sampling ------------------------------------------------------------------------


@torch.no_grad()
def sample_document(model: GPT, tokenizer: Tokenizer, rng: random.Random, temperature: float) -> str:
    """
    microgpt's inference: from BOS, draw each next token from softmax(logits / temperature) with
    `rng.choices`, as microgpt.py does, until BOS or the end of the context.
    """
    tokens = [tokenizer.bos]
    for _ in range(model.config.block_size):
        logits = model(torch.tensor([tokens], device=model.wte.device))[0, -1]  # [V]: the last position's
        probs = (logits / temperature).softmax(dim=-1).tolist()
        token = rng.choices(range(tokenizer.vocab_size), weights=probs)[0]
        if token == tokenizer.bos:
            break
        tokens.append(token)
    return "".join(tokenizer.chars[t] for t in tokens[1:])


def cmd_sample(args: argparse.Namespace) -> None:
    """`sample`: documents from a checkpoint; without --seed it continues the run's own generator."""
    checkpoint = read_checkpoint(args.checkpoint)
    settings = checkpoint["experiment"]["sample"]
    num_samples = args.samples if args.samples is not None else settings["numSamples"]
    temperature = args.temperature if args.temperature is not None else settings["temperature"]
    if num_samples < 0:
        raise UsageError(
            f"number of samples must be a non-negative integer, got {num_samples}; set --samples to 0 or more"
        )
    if not temperature > 0:
        raise UsageError(
            f"temperature must be a positive number, got {temperature}; set --temperature above 0"
        )
    model = model_from_checkpoint(checkpoint, pick_device(args.device), parse_dtype(args.dtype))
    tokenizer = Tokenizer(checkpoint["vocab"])
    rng = random.Random(args.seed)
    if args.seed is None:
        rng.setstate(python_rng_state(checkpoint["rng"]))
    width = max(2, len(str(num_samples)))
    for i in range(num_samples):
        print(f"sample {i + 1:{width}d}: {sample_document(model, tokenizer, rng, temperature)}")


# --- verifying -----------------------------------------------------------------------


def reference_from_data(checkpoint: dict[str, Any], data_path: str, num_docs: int) -> dict[str, Any]:
    """The first `num_docs` documents of the run's order, through microgpt's arithmetic (reference.py)."""
    if num_docs < 1:
        raise UsageError(f"--docs must be a positive integer, got {num_docs}")
    docs, _ = read_docs(data_path)
    random.Random(checkpoint["experiment"]["seed"]).shuffle(docs)
    tokenizer = Tokenizer(checkpoint["vocab"])
    m = checkpoint["experiment"]["model"]
    ref: dict[str, Any] = {
        "source": "microgpt's arithmetic in plain Python (reference.py)",
        "tokens": [],
        "logits": [],
        "losses": [],
    }
    for doc in docs[:num_docs]:
        unknown = next((ch for ch in doc if ch not in tokenizer.ids), None)
        if unknown is not None:
            raise UsageError(
                f"document {doc!r} of {data_path} has {unknown!r}, "
                "which is not in the checkpoint's vocabulary; use the run's data"
            )
        tokens = tokenizer.encode(doc)
        logits = reference.logits(checkpoint["params"], m["nHead"], m["nLayer"], m["blockSize"], tokens)
        ref["tokens"].append(tokens)
        ref["logits"].append(logits)
        ref["losses"].append(reference.loss(logits, tokens))
    return ref


@torch.no_grad()
def module_logits(model: GPT, tokens: list[list[int]]) -> tuple[list[list[list[float]]], list[float]]:
    """The module's logits ([doc][position][vocab]) and loss for each document."""
    size = model.config.block_size + 1
    rows = torch.tensor([t[:size] + [0] * (size - len(t[:size])) for t in tokens], device=model.wte.device)
    positions = [min(size, len(t)) - 1 for t in tokens]
    logits = model(rows[:, : max(positions)]).to("cpu", torch.float64)  # one batch: [docs, T, V]
    losses = [batch_loss(model, rows[i : i + 1], positions[i : i + 1]).item() for i in range(len(tokens))]
    return [logits[i, : positions[i]].tolist() for i in range(len(tokens))], losses


def cmd_verify(args: argparse.Namespace) -> None:
    """`verify`: the module's logits and losses for a reference's documents; the largest differences."""
    if (args.probe is None) == (args.data is None):
        raise UsageError(
            "verify needs one reference: --probe FILE (our side's numbers) or --data FILE (microgpt's "
            "arithmetic)"
        )
    checkpoint = read_checkpoint(args.checkpoint)
    dtype, device = parse_dtype(args.dtype), pick_device(args.device)
    ref = (
        read_probe(args.probe, checkpoint)
        if args.probe is not None
        else reference_from_data(checkpoint, args.data, args.docs)
    )
    logits, losses = module_logits(model_from_checkpoint(checkpoint, device, dtype), ref["tokens"])
    logit_diff = max(
        abs(a - b)
        for doc, ref_doc in zip(logits, ref["logits"])
        for row, ref_row in zip(doc, ref_doc)
        for a, b in zip(row, ref_row)
    )
    loss_diff = max(abs(a - b) for a, b in zip(losses, ref["losses"]))
    tolerance = args.tolerance if args.tolerance is not None else (1e-12 if dtype == torch.float64 else 1e-4)
    print(
        f"checkpoint: {args.checkpoint} (step {checkpoint['step']}), "
        f"{str(dtype).replace('torch.', '')} on {device}"
    )
    print(
        f"reference: {ref['source']}: {len(ref['tokens'])} documents, "
        f"{sum(len(d) for d in ref['logits'])} positions"
    )
    print(f"logits: largest |difference| {logit_diff:.3g}")
    print(f"losses: largest |difference| {loss_diff:.3g}")
    ok = logit_diff <= tolerance and loss_diff <= tolerance
    print(f"{'OK' if ok else 'NOT OK'} (tolerance {tolerance:g})")
    if not ok:
        sys.exit(1)


# --- the command line ----------------------------------------------------------------


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a mistake as one line (`error: ...`) and exit code 2, like our Deno CLI."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message}; see {self.prog} --help", file=sys.stderr)
        sys.exit(2)


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="python3 torch/microgpt.py",
        description="microgpt in PyTorch, reading and writing our checkpoints.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,verify,sample}")

    train = commands.add_parser(
        "train",
        help="train on one process, --procs K, or under torchrun",
        description=(
            "Trains the GPT and prints what deno task train prints. With --batch-size 1 on one process it "
            "is microgpt exactly."
        ),
    )
    train.add_argument(
        "--data",
        metavar="FILE",
        help=f"text file, one document per line (default {DEFAULT_DATA}; with --from: the checkpoint's)",
    )
    train.add_argument(
        "--from",
        dest="from_checkpoint",
        metavar="CHECKPOINT",
        help="continue this checkpoint.json (ours or PyTorch's)",
    )
    train.add_argument("--seed", type=int, help="random seed: shuffle, init, sampling (default 42)")
    train.add_argument(
        "--steps",
        type=int,
        help=(
            "the schedule's length; the learning rate decays linearly to 0 over it (default 1000; "
            "with --from: the checkpoint's)"
        ),
    )
    train.add_argument(
        "--stop-at",
        type=int,
        metavar="N",
        help="train only to step N of the schedule, save to --out DIR and exit",
    )
    train.add_argument(
        "--batch-size", type=int, metavar="B", help="documents per step in each process (default 1: microgpt)"
    )
    train.add_argument("--lr", type=float, help="Adam's learning rate (default 0.01)")
    train.add_argument("--n-embd", type=int, help="embedding width (default 16)")
    train.add_argument("--n-head", type=int, help="attention heads (default 4)")
    train.add_argument("--n-layer", type=int, help="transformer layers (default 1)")
    train.add_argument("--block-size", type=int, help="context length in tokens (default 16)")
    train.add_argument("--temperature", type=float, help="sampling temperature (default 0.5)")
    train.add_argument("--samples", type=int, help="documents to sample after training (default 20)")
    train.add_argument(
        "--val-fraction", type=float, help="hold out this fraction of the shuffled documents (default off)"
    )
    train.add_argument(
        "--val-every", type=int, help="with --val-fraction: a val loss line every K steps (default 100)"
    )
    train.add_argument(
        "--val-docs",
        type=int,
        help="with --val-fraction: measure on the first N held-out documents (default 200)",
    )
    train.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="auto (default): CUDA if PyTorch sees a GPU",
    )
    train.add_argument(
        "--dtype",
        default="float64",
        choices=["float64", "float32"],
        help="float64 (default) computes our numbers; float32 is faster on GPUs",
    )
    train.add_argument(
        "--procs",
        type=int,
        metavar="K",
        help="start K local processes, data parallel (gloo on CPU, NCCL on GPUs)",
    )
    train.add_argument(
        "--out",
        metavar="DIR",
        help="write DIR/checkpoint.json and DIR/run.json (a DIR holding another run is refused)",
    )
    train.add_argument("--force", action="store_true", help="with --out: replace the run already in DIR")
    train.set_defaults(run=cmd_train)

    verify = commands.add_parser(
        "verify",
        help="recompute logits and losses; print the largest differences",
        description=(
            "Recomputes a reference's logits and losses with the PyTorch module and prints the largest "
            "differences."
        ),
    )
    verify.add_argument("checkpoint", metavar="CHECKPOINT")
    verify.add_argument(
        "--probe",
        metavar="FILE",
        help="documents with our side's logits and losses (format: torch/README.md)",
    )
    verify.add_argument(
        "--data",
        metavar="FILE",
        help="instead: the run's data, compared with microgpt's arithmetic in plain Python",
    )
    verify.add_argument(
        "--docs",
        type=int,
        default=50,
        help="with --data: the first N documents of the run's order (default 50)",
    )
    verify.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    verify.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    verify.add_argument(
        "--tolerance", type=float, help="the largest difference that is OK (default 1e-12; 1e-4 in float32)"
    )
    verify.set_defaults(run=cmd_verify)

    sample = commands.add_parser(
        "sample",
        help="sample documents from a checkpoint",
        description="Samples documents from a checkpoint, as deno task sample does.",
    )
    sample.add_argument("checkpoint", metavar="CHECKPOINT")
    sample.add_argument("--samples", type=int, help="documents to sample (default: the run's setting)")
    sample.add_argument("--temperature", type=float, help="sampling temperature (default: the run's setting)")
    sample.add_argument("--seed", type=int, help="seed a fresh generator (default: continue the run's)")
    sample.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    sample.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    sample.set_defaults(run=cmd_sample)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:  # Ctrl-C outside training (which stops, saves and exits 130 itself)
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
