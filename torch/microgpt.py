"""
microgpt in PyTorch, one to one: the same GPT as Karpathy's microgpt.py and our TypeScript library
(lib/model.ts), as an `nn.Module` in float64, reading and writing our checkpoints (`checkpoint.json`)
and run records (`run.json`), so a model moves both ways between `deno task train` and PyTorch.
What PyTorch adds is scale: minibatches, GPUs, and data-parallel training over processes and
machines with `torch.distributed`.

    python3 torch/microgpt.py train [--data FILE | --from CHECKPOINT] [--steps N] [--batch-size B]
                                    [--device auto|cpu|cuda] [--procs K] [--out DIR] [...]
    python3 torch/microgpt.py verify CHECKPOINT [--probe FILE | --data FILE --docs N]
    python3 torch/microgpt.py sample CHECKPOINT [--samples N] [--temperature T] [--seed S]

With batch size 1 on one process, `train` is microgpt: the same documents in the same order (Python's
own `random` shuffles them), the same initial weights (`gauss(0, 0.08)` drawn in microgpt's order),
the same Adam, and the same printed lines. See torch/README.md for every command and what is verified.

The file reads top to bottom: settings, data, the model, the loss and Adam, training (one process or
many), sampling, verifying, and the command line. Our file formats live in torch/checkpoint.py.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import math
import os
import platform
import random
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

from checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    UsageError,
    checkpoint_rng_state,
    is_count,
    is_number,
    parse_json,
    python_rng_state,
    read_checkpoint,
    read_text,
    save_checkpoint,
    save_run_record,
    validate_experiment,
)

PROGRAM_NAME = "microgpt-torch"
VERSION = "0.1.0"
INIT_STD = 0.08  # every weight starts as gauss(0, 0.08)
# Our TypeScript readers (lib/train.ts) know the engines "value" and "fast"; a run trained here says
# "fast" in the checkpoint (the engine `deno task train --resume` continues it with), and its
# history.segments carry `device` and `processes`, which only PyTorch segments have.
TS_ENGINE = "fast"
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
    batch_size: int = 1  # documents per step, over all processes


# --- data and tokenizer ----------------------------------------------------------------


def read_docs(path: str) -> tuple[list[str], str]:
    """
    The documents of a text file exactly as microgpt.py reads them (UTF-8, universal newlines, the
    whole text and each line stripped, empty lines dropped), and the SHA-256 of the file's bytes.
    """
    fix = "pass --data with a text file, one document per line"
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise UsageError(f"data file not found: {path}; {fix}")
    except IsADirectoryError:
        raise UsageError(f"data path is a directory: {path}; {fix}")
    except OSError as err:
        raise UsageError(f"cannot read data file {path}: {err.strerror}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise UsageError(f"data file {path} is not valid UTF-8 (line {line}); save it as UTF-8 text, one document per line")
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
    rows = torch.zeros(len(docs), block_size + 1, dtype=torch.long)
    positions = []
    for i, doc in enumerate(docs):
        tokens = tokenizer.encode(doc)[: block_size + 1]
        rows[i, : len(tokens)] = torch.tensor(tokens)
        positions.append(len(tokens) - 1)
    return rows, positions


def batch_loss(model: GPT, rows: torch.Tensor, positions: list[int]) -> torch.Tensor:
    """
    The loss of a batch: the mean over its documents of each document's mean next-token loss
    (`-log p(next token)` over its `n` positions). One document is microgpt's loss exactly;
    padding past a document's end is masked out, and causal attention never looks at it.
    """
    T = max(positions)
    inputs, targets = rows[:, :T], rows[:, 1 : T + 1]  # [B, T] each
    logits = model(inputs)  # [B, T, V]
    nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), reduction="none").view(targets.shape)
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


# --- microgpt's own arithmetic, for checking the module ----------------------------------


def reference_logits(params: dict[str, list[list[float]]], config: GPTConfig, tokens: list[int]) -> list[list[float]]:
    """
    The logits microgpt.py computes for `tokens[:n]`, one token at a time with a key/value cache, in
    plain Python floats and microgpt's order of operations (no PyTorch): what `verify --data`
    compares the module with.
    """

    def linear(x: list[float], w: list[list[float]]) -> list[float]:
        out = []
        for row in w:
            total = 0.0  # microgpt's sum() starts from 0 and adds left to right
            for wi, xi in zip(row, x):
                total += wi * xi
            out.append(total)
        return out

    def softmax(z: list[float]) -> list[float]:
        top = max(z)
        exps = [math.exp(zi - top) for zi in z]
        total = 0.0
        for e in exps:
            total += e
        return [e * total**-1 for e in exps]

    def rms(x: list[float]) -> list[float]:
        ms = 0.0
        for xi in x:
            ms += xi * xi
        scale = (ms * (1 / len(x)) + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    hd = config.head_dim
    keys: list[list[list[float]]] = [[] for _ in range(config.n_layer)]
    values: list[list[list[float]]] = [[] for _ in range(config.n_layer)]
    n = min(config.block_size, len(tokens) - 1)
    all_logits = []
    for pos in range(n):
        x = rms([t + p for t, p in zip(params["wte"][tokens[pos]], params["wpe"][pos])])
        for li in range(config.n_layer):
            w = {key: params[f"layer{li}.{key}"] for key in ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")}
            residual = x
            x = rms(x)
            q, k, v = linear(x, w["attn_wq"]), linear(x, w["attn_wk"]), linear(x, w["attn_wv"])
            keys[li].append(k)
            values[li].append(v)
            x_attn: list[float] = []
            for h in range(config.n_head):
                hs = h * hd
                logits = []
                for kt in keys[li]:
                    dot = 0.0
                    for j in range(hd):
                        dot += q[hs + j] * kt[hs + j]
                    logits.append(dot * (hd**0.5) ** -1)
                weights = softmax(logits)
                for j in range(hd):
                    total = 0.0
                    for t, vt in enumerate(values[li]):
                        total += weights[t] * vt[hs + j]
                    x_attn.append(total)
            x = [a + b for a, b in zip(linear(x_attn, w["attn_wo"]), residual)]
            residual = x
            x = [max(0.0, xi) for xi in linear(rms(x), w["mlp_fc1"])]
            x = [a + b for a, b in zip(linear(x, w["mlp_fc2"]), residual)]
        all_logits.append(linear(x, params["lm_head"]))
    return all_logits


def reference_loss(logits: list[list[float]], tokens: list[int]) -> float:
    """microgpt's document loss from its logits: `(1 / n) * sum(-log softmax(logits)[next])`."""
    total = 0.0
    for pos, z in enumerate(logits):
        top = max(z)
        exps = [math.exp(zi - top) for zi in z]
        denominator = 0.0
        for e in exps:
            denominator += e
        total += -math.log(exps[tokens[pos + 1]] * denominator**-1)
    return (1 / len(logits)) * total


# --- checkpoints <-> the module ------------------------------------------------------------


def model_config(experiment: dict[str, Any], vocab_size: int) -> GPTConfig:
    m = experiment["model"]
    return GPTConfig(vocab_size, m["nEmbd"], m["nHead"], m["nLayer"], m["blockSize"])


def train_config(experiment: dict[str, Any]) -> TrainConfig:
    t = experiment["train"]
    return TrainConfig(t["steps"], t["learningRate"], t["beta1"], t["beta2"], t["epsAdam"], t.get("batchSize", 1))


def model_from_checkpoint(checkpoint: dict[str, Any], device: str = "cpu", dtype: torch.dtype = torch.float64) -> GPT:
    """The checkpoint's model, on `device` in `dtype` (float64 holds every weight exactly)."""
    model = GPT(model_config(checkpoint["experiment"], len(checkpoint["vocab"]) + 1)).to(device=device, dtype=dtype)
    with torch.no_grad():
        for name, p in model.matrices():
            p.copy_(torch.tensor(checkpoint["params"][name], dtype=torch.float64))
    return model


def split_flat(flat: list[float], params: list[nn.Parameter]) -> list[torch.Tensor]:
    """A flat list (one number per parameter, microgpt's order) as one float64 tensor per matrix."""
    out, start = [], 0
    for p in params:
        out.append(torch.tensor(flat[start : start + p.numel()], dtype=torch.float64).view(p.shape))
        start += p.numel()
    return out


def flat_list(tensors: list[torch.Tensor]) -> list[float]:
    """Matrices -> one flat list of Python floats (exact: float64 and float32 both fit a double)."""
    return [x for t in tensors for x in t.detach().to("cpu", torch.float64).reshape(-1).tolist()]


# --- training --------------------------------------------------------------------------


@dataclass
class Run:
    """Everything a training process needs: made once, before any process starts training."""

    experiment: dict[str, Any]  # the checkpoint's `experiment` (TypeScript's field names)
    data_path: str
    data_sha256: str
    num_docs: int
    vocab: list[str]
    train_docs: list[str]
    val_docs: list[str]
    weights: dict[str, torch.Tensor]  # checkpoint name -> float64 matrix
    adam_m: list[float]
    adam_v: list[float]
    start_step: int
    rng_state: tuple[int, tuple[int, ...], float | None]  # the generator after init (or the checkpoint's)
    history: dict[str, Any]
    batch_size: int  # documents per step per process
    world_size: int
    device: str  # "cpu" or "cuda"
    dtype: torch.dtype
    out: str | None
    resumed_from: int | None
    started_at: str = field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    t0: float = field(default_factory=time.perf_counter)


def prepare_run(args: argparse.Namespace, world_size: int) -> Run:
    """
    Reads the data (and the checkpoint to continue), checks every setting and makes the initial
    state, so that a mistake stops the command before any training. A new run draws from one
    generator, `random.Random(seed)`, exactly as microgpt.py: shuffle the documents, then every weight.
    """
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError(f"batch size must be a positive integer, got {args.batch_size}; set --batch-size to 1 or more")
    checkpoint = None
    if args.from_checkpoint is not None:
        fixed = [flag for flag in ("seed", "n_embd", "n_head", "n_layer", "block_size", "val_fraction", "val_every", "val_docs") if getattr(args, flag) is not None]
        if fixed:
            flag = "--" + fixed[0].replace("_", "-")
            raise UsageError(f"{flag} cannot change when continuing a checkpoint: the model keeps its settings; drop {flag}")
        checkpoint = read_checkpoint(args.from_checkpoint)
        experiment = checkpoint["experiment"]
        step = checkpoint["step"]
        steps = args.steps if args.steps is not None else experiment["train"]["steps"]
        if steps <= step:
            raise UsageError(
                f"the checkpoint has done {step} steps of a {experiment['train']['steps']}-step schedule; "
                f"pass --steps N with N > {step} (the new schedule's length) to train on"
            )
        per_process = args.batch_size
        if per_process is None:
            total = experiment["train"].get("batchSize", 1)
            if total % world_size != 0:
                raise UsageError(
                    f"the checkpoint's batch size {total} does not split over {world_size} processes; pass --batch-size B (per process)"
                )
            per_process = total // world_size
        experiment = {
            **experiment,
            "dataPath": args.data if args.data is not None else experiment["dataPath"],
            "train": {
                **{k: v for k, v in experiment["train"].items() if k != "batchSize"},
                "steps": steps,
                "learningRate": args.lr if args.lr is not None else experiment["train"]["learningRate"],
            },
            "sample": {
                "temperature": args.temperature if args.temperature is not None else experiment["sample"]["temperature"],
                "numSamples": args.samples if args.samples is not None else experiment["sample"]["numSamples"],
            },
        }
    else:
        per_process = args.batch_size if args.batch_size is not None else 1
        validation = None
        if args.val_fraction is not None:
            validation = {
                "fraction": args.val_fraction,
                "every": args.val_every if args.val_every is not None else 100,
                "maxDocs": args.val_docs if args.val_docs is not None else 200,
            }
        elif args.val_every is not None or args.val_docs is not None:
            raise UsageError("--val-every and --val-docs need --val-fraction F to hold documents out; add it")
        experiment = {
            "seed": args.seed if args.seed is not None else 42,
            "dataPath": args.data if args.data is not None else DEFAULT_DATA,
            "model": {
                "nEmbd": args.n_embd if args.n_embd is not None else 16,
                "nHead": args.n_head if args.n_head is not None else 4,
                "nLayer": args.n_layer if args.n_layer is not None else 1,
                "blockSize": args.block_size if args.block_size is not None else 16,
            },
            "train": {
                "steps": args.steps if args.steps is not None else 1000,
                "learningRate": args.lr if args.lr is not None else 0.01,
                "beta1": 0.85,
                "beta2": 0.99,
                "epsAdam": 1e-8,
            },
            "sample": {
                "temperature": args.temperature if args.temperature is not None else 0.5,
                "numSamples": args.samples if args.samples is not None else 20,
            },
            "validation": validation,
            "engine": TS_ENGINE,
        }
    if per_process * world_size != 1:
        experiment["train"]["batchSize"] = per_process * world_size
    validate_experiment(experiment)
    device = pick_device(args.device, world_size)
    if args.out is not None:
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as err:
            raise UsageError(f"cannot create output directory {args.out}: {err.strerror}; pick another --out")

    # Data: the same bytes always give the same documents, shuffle and vocabulary.
    docs, sha256 = read_docs(experiment["dataPath"])
    rng = random.Random(experiment["seed"])
    rng.shuffle(docs)
    tokenizer = Tokenizer.from_docs(docs)
    val_docs: list[str] = []
    train_docs = docs
    if experiment["validation"] is not None:
        num_val = math.ceil(experiment["validation"]["fraction"] * len(docs))
        if num_val >= len(docs):
            raise UsageError(
                f"--val-fraction {experiment['validation']['fraction']} holds out all {len(docs)} documents, "
                "leaving none to train on; use a smaller --val-fraction or more data"
            )
        train_docs, val_docs = docs[: len(docs) - num_val], docs[len(docs) - num_val :]

    if checkpoint is not None:
        if sha256 != checkpoint["data"]["sha256"]:
            raise UsageError(
                f"data file {experiment['dataPath']} is not the file the checkpoint was trained on (its SHA-256 differs); "
                "continue with the original data (--data PATH) or start a new run"
            )
        if tokenizer.chars != checkpoint["vocab"]:  # the same bytes give the same vocabulary; a safety net
            raise UsageError("the data's vocabulary differs from the checkpoint's; continue with the original data")
        model = model_from_checkpoint(checkpoint)
        weights = {name: p.detach().clone() for name, p in model.matrices()}
        adam_m, adam_v = checkpoint["adam"]["m"], checkpoint["adam"]["v"]
        start_step = checkpoint["step"]
        rng_state = python_rng_state(checkpoint["rng"])
        history = checkpoint["history"]
    else:
        model = GPT(model_config(experiment, tokenizer.vocab_size)).double()
        model.init_weights(rng)
        weights = {name: p.detach().clone() for name, p in model.matrices()}
        num_params = sum(w.numel() for w in weights.values())
        adam_m, adam_v = [0.0] * num_params, [0.0] * num_params
        start_step = 0
        rng_state = rng.getstate()
        history = {"losses": [], "validationLosses": [], "segments": []}
    return Run(
        experiment=experiment,
        data_path=experiment["dataPath"],
        data_sha256=sha256,
        num_docs=len(docs),
        vocab=tokenizer.chars,
        train_docs=train_docs,
        val_docs=val_docs,
        weights=weights,
        adam_m=adam_m,
        adam_v=adam_v,
        start_step=start_step,
        rng_state=rng_state,
        history=history,
        batch_size=per_process,
        world_size=world_size,
        device=device,
        dtype=parse_dtype(args.dtype),
        out=args.out,
        resumed_from=start_step if checkpoint is not None else None,
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
                f"{world_size} processes need {world_size} GPUs (NCCL uses one GPU per process), but there are "
                f"{torch.cuda.device_count()}; use --procs {torch.cuda.device_count()} or --device cpu"
            )
    return name


def parse_dtype(name: str) -> torch.dtype:
    return {"float64": torch.float64, "float32": torch.float32}[name]


def train_process(rank: int, run: Run) -> None:
    """
    One training process. With several (`--procs K`, or `torchrun`), each takes its own slice of every
    step's documents, and the gradients are averaged over processes before every update, so all of
    them hold the same weights, step after step: the run equals one process with K times the batch.
    """
    world = run.world_size
    distributed = world > 1 or "WORLD_SIZE" in os.environ  # torchrun with one process still forms a group
    device = run.device
    if device == "cuda":
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', rank))}"
        torch.cuda.set_device(device)
    elif distributed:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))  # the cores are shared
    if distributed:
        # MASTER_ADDR and MASTER_PORT come from the environment (torchrun sets them; --procs too).
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo", rank=rank, world_size=world)
    try:
        train_loop(rank, run, device)
    except UsageError as err:
        if rank == 0:  # every process meets the same error at the same step; one line is enough
            print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    finally:
        if distributed:
            dist.destroy_process_group()


def train_loop(rank: int, run: Run, device: str) -> None:
    experiment, world = run.experiment, run.world_size
    tokenizer = Tokenizer(run.vocab)
    config = model_config(experiment, tokenizer.vocab_size)
    tc = train_config(experiment)
    model = GPT(config).to(device=device, dtype=run.dtype)
    with torch.no_grad():
        for name, p in model.matrices():
            p.copy_(run.weights[name])
    params = list(model.parameters())
    adam = Adam(params, tc)
    for state, flat in ((adam.m, run.adam_m), (adam.v, run.adam_v)):
        for s, t in zip(state, split_flat(flat, params)):
            s.copy_(t)
    rows, positions = encode_docs(run.train_docs, tokenizer, config.block_size)
    rows = rows.to(device)
    num_train = len(run.train_docs)
    history = run.history
    main = rank == 0

    if main:
        num_params = sum(p.numel() for p in params)
        if run.resumed_from is None:
            print(f"num docs: {run.num_docs}")
            if run.val_docs:
                print(f"train docs: {num_train}, val docs: {len(run.val_docs)}")
            print(f"vocab size: {tokenizer.vocab_size}")
            print(f"num params: {num_params}")
        else:
            print(f"continuing at step {run.start_step} / {tc.steps}", file=sys.stderr)
        print(
            f"torch {torch.__version__} on {device}, {str(run.dtype).replace('torch.', '')}, "
            f"{world} process{'es' if world > 1 else ''} x {run.batch_size} document{'s' if run.batch_size > 1 else ''} per step",
            file=sys.stderr,
        )

    per_step = run.batch_size * world  # documents per step, over all processes
    train_seconds = validation_seconds = 0.0
    for step in range(run.start_step, tc.steps):
        t = time.perf_counter()
        # Step s trains on documents s*G .. s*G+G-1 of the shuffled list (wrapping around); G = 1 is microgpt.
        first = step * per_step + rank * run.batch_size
        batch = [(first + b) % num_train for b in range(run.batch_size)]
        loss = batch_loss(model, rows[batch], [positions[i] for i in batch])
        loss.backward()
        if world > 1:
            loss = average_over_processes(params, loss.detach(), world)
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            raise UsageError(f"training diverged: loss is {loss_value} at step {step + 1}; lower the learning rate (--lr) or change the seed")
        adam.step(step, tc.steps)
        train_seconds += time.perf_counter() - t
        if main:
            history["losses"].append(loss_value)
            print(f"step {step + 1:4d} / {tc.steps:4d} | loss {loss_value:.4f}")
            done = step + 1
            validation = experiment["validation"]
            if validation is not None and (done % validation["every"] == 0 or done == tc.steps):
                t = time.perf_counter()
                num_docs = min(len(run.val_docs), validation["maxDocs"])
                val_loss = evaluate_loss(model, run.val_docs[:num_docs], tokenizer)
                validation_seconds += time.perf_counter() - t
                history["validationLosses"].append({"step": done, "loss": val_loss, "numDocs": num_docs})
                print(f"step {done:4d} / {tc.steps:4d} | val loss {val_loss:.4f}")
    if not main:
        return

    history["segments"].append(
        {
            "startStep": run.start_step,
            "endStep": tc.steps,
            "seconds": train_seconds,
            "engine": TS_ENGINE,
            "device": device,
            "processes": world,
        }
    )
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "program": {"name": PROGRAM_NAME, "version": VERSION},
        "experiment": experiment,
        "data": {"sha256": run.data_sha256, "numDocs": run.num_docs},
        "vocab": run.vocab,
        "step": tc.steps,
        "rng": checkpoint_rng_state(run.rng_state),  # training draws nothing: sampling continues from here
        "params": {name: p.detach().to("cpu", torch.float64).tolist() for name, p in model.matrices()},
        "adam": {"m": flat_list(adam.m), "v": flat_list(adam.v)},
        "history": history,
    }
    if run.out is not None:
        save_checkpoint(os.path.join(run.out, "checkpoint.json"), checkpoint)

    rng = random.Random()
    rng.setstate(run.rng_state)
    t = time.perf_counter()
    print("\n--- inference (new, hallucinated names) ---")
    samples = []
    for i in range(experiment["sample"]["numSamples"]):
        samples.append(sample_document(model, tokenizer, rng, experiment["sample"]["temperature"]))
        print(f"sample {i + 1:2d}: {samples[-1]}")
    sys.stdout.flush()
    sample_seconds = time.perf_counter() - t

    if run.out is not None:
        all_seconds = sum(s["seconds"] for s in history["segments"])
        all_steps = sum(s["endStep"] - s["startStep"] for s in history["segments"])
        record = {
            "format": "microgpt-run",
            "version": 1,
            "program": {"name": PROGRAM_NAME, "version": VERSION, "python": platform.python_version(), "torch": torch.__version__},
            "status": "finished",
            "config": experiment,
            "data": {
                "path": run.data_path,
                "sha256": run.data_sha256,
                "numDocs": run.num_docs,
                "numTrainDocs": num_train,
                "numValDocs": len(run.val_docs),
                "vocab": "".join(run.vocab),
            },
            "numParams": sum(p.numel() for p in params),
            "step": tc.steps,
            "losses": history["losses"],
            "validationLosses": history["validationLosses"],
            "samples": samples,
            "resumedFrom": run.resumed_from,
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
                "deviceName": torch.cuda.get_device_name(device) if device.startswith("cuda") else platform.processor() or "cpu",
                "dtype": str(run.dtype).replace("torch.", ""),
                "processes": world,
                "batchSizePerProcess": run.batch_size,
            },
        }
        save_run_record(os.path.join(run.out, "run.json"), record)


def average_over_processes(params: list[nn.Parameter], loss: torch.Tensor, world: int) -> torch.Tensor:
    """
    Data parallelism's one collective: the gradients (and the loss, for printing) summed over every
    process and divided by their number, in one flat buffer. Each process computed the mean over its
    own documents, so this is the mean over all of them. (`DistributedDataParallel` does the same in
    buckets, overlapped with the backward pass.)
    """
    flat = torch.cat([p.grad.reshape(-1) for p in params] + [loss.reshape(1)])
    dist.all_reduce(flat)
    flat /= world
    start = 0
    for p in params:
        p.grad.copy_(flat[start : start + p.numel()].view(p.shape))
        start += p.numel()
    return flat[-1]


@torch.no_grad()
def evaluate_loss(model: GPT, docs: list[str], tokenizer: Tokenizer, batch_size: int = 256) -> float:
    """The mean over documents of each one's loss (the training loss's definition), no update."""
    total = 0.0
    device = model.wte.device
    for start in range(0, len(docs), batch_size):
        rows, positions = encode_docs(docs[start : start + batch_size], tokenizer, model.config.block_size)
        total += batch_loss(model, rows.to(device), positions).item() * len(positions)
    return total / len(docs)


def free_port() -> int:
    """A TCP port nobody listens on now, for the processes to meet at (MASTER_PORT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cmd_train(args: argparse.Namespace) -> None:
    """`train`: one process, `--procs K` local processes, or one process of a `torchrun` launch."""
    if "WORLD_SIZE" in os.environ:  # launched by torchrun (or by hand with its variables)
        if args.procs is not None:
            raise UsageError("--procs starts processes itself; under torchrun (WORLD_SIZE is set) leave it out")
        missing = [name for name in ("RANK", "MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
        if missing:
            raise UsageError(f"WORLD_SIZE is set but {missing[0]} is not; launch with torchrun, or set RANK, MASTER_ADDR and MASTER_PORT too")
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        train_process(rank, prepare_run(args, world))
        return
    procs = args.procs if args.procs is not None else 1
    if procs < 1:
        raise UsageError(f"--procs must be a positive integer, got {procs}; use --procs 1 or more")
    run = prepare_run(args, procs)
    if procs == 1:
        train_process(0, run)
        return
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(free_port())
    try:
        mp.spawn(train_process, args=(run,), nprocs=procs, join=True)
    except mp.ProcessExitedException as err:
        sys.exit(err.exit_code if err.exit_code and err.exit_code > 0 else 1)


# --- sampling --------------------------------------------------------------------------


@torch.no_grad()
def sample_document(model: GPT, tokenizer: Tokenizer, rng: random.Random, temperature: float) -> str:
    """
    microgpt's inference: from BOS, draw each next token from softmax(logits / temperature) with
    `rng.choices` (as microgpt.py does), until BOS or the end of the context.
    """
    device = model.wte.device
    tokens = [tokenizer.bos]
    text = []
    for _ in range(model.config.block_size):
        logits = model(torch.tensor([tokens], device=device))[0, -1]  # [V]: the last position's
        probs = (logits / temperature).softmax(dim=-1).tolist()
        token = rng.choices(range(tokenizer.vocab_size), weights=probs)[0]
        if token == tokenizer.bos:
            break
        tokens.append(token)
        text.append(tokenizer.chars[token])
    return "".join(text)


def cmd_sample(args: argparse.Namespace) -> None:
    """`sample`: documents from a checkpoint; without --seed it continues the run's own generator."""
    checkpoint = read_checkpoint(args.checkpoint)
    num_samples = args.samples if args.samples is not None else checkpoint["experiment"]["sample"]["numSamples"]
    temperature = args.temperature if args.temperature is not None else checkpoint["experiment"]["sample"]["temperature"]
    if num_samples < 0:
        raise UsageError(f"number of samples must be a non-negative integer, got {num_samples}; set --samples to 0 or more")
    if not temperature > 0:
        raise UsageError(f"temperature must be a positive number, got {temperature}; set --temperature above 0")
    model = model_from_checkpoint(checkpoint, pick_device(args.device), parse_dtype(args.dtype))
    tokenizer = Tokenizer(checkpoint["vocab"])
    rng = random.Random(args.seed)
    if args.seed is None:
        rng.setstate(python_rng_state(checkpoint["rng"]))
    width = max(2, len(str(num_samples)))
    for i in range(num_samples):
        print(f"sample {i + 1:{width}d}: {sample_document(model, tokenizer, rng, temperature)}")


# --- verifying -------------------------------------------------------------------------

PROBE_FORMAT = "microgpt-probe"
PROBE_VERSION = 1


@dataclass
class Reference:
    """Documents with the logits and losses some other computation gave for them."""

    source: str
    tokens: list[list[int]]
    logits: list[list[list[float]]]  # [doc][position][vocab]
    losses: list[float]


def read_probe(path: str, checkpoint: dict[str, Any]) -> Reference:
    """Reads and checks a probe file (format in torch/README.md) made from `checkpoint`'s model."""
    text = read_text(path, "probe file", "pass the probe.json written next to the checkpoint")

    def fail(what: str) -> Any:
        raise UsageError(f"probe file {path}: {what}; make it again from the checkpoint")

    try:
        probe = parse_json(text)
    except ValueError as err:
        fail(f"not valid JSON ({str(err).splitlines()[0]})")
    if not isinstance(probe, dict) or probe.get("format") != PROBE_FORMAT:
        fail(f"not a microgpt probe (format should be \"{PROBE_FORMAT}\")")
    if probe.get("version") != PROBE_VERSION:
        fail(f"format version {probe.get('version')!r}, but this program reads version {PROBE_VERSION}")
    if probe.get("step") != checkpoint["step"]:
        fail(f"it was made at step {probe.get('step')!r}, but the checkpoint is at step {checkpoint['step']}")
    if probe.get("vocab") != checkpoint["vocab"]:
        fail("its vocabulary differs from the checkpoint's")
    docs = probe.get("docs")
    if not isinstance(docs, list) or not docs:
        fail("docs is missing or empty")
    tokenizer = Tokenizer(checkpoint["vocab"])
    block_size = checkpoint["experiment"]["model"]["blockSize"]
    ref = Reference(f"probe {path} ({probe.get('program', {}).get('name', '?')})", [], [], [])
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
            fail(f"docs[{i}] has no text")
        if any(ch not in tokenizer.ids for ch in doc["text"]):
            fail(f"docs[{i}] has a character outside the vocabulary")
        tokens = tokenizer.encode(doc["text"])
        if doc.get("tokens") != tokens:
            fail(f"docs[{i}].tokens are not the tokens of its text")
        n = min(block_size, len(tokens) - 1)
        logits = doc.get("logits")
        if not (
            isinstance(logits, list)
            and len(logits) == n
            and all(isinstance(row, list) and len(row) == tokenizer.vocab_size and all(is_number(x) for x in row) for row in logits)
        ):
            fail(f"docs[{i}].logits should be {n} rows of {tokenizer.vocab_size} numbers")
        if not is_number(doc.get("loss")):
            fail(f"docs[{i}].loss is not a finite number")
        ref.tokens.append(tokens)
        ref.logits.append([[float(x) for x in row] for row in logits])
        ref.losses.append(float(doc["loss"]))
    return ref


def reference_from_data(checkpoint: dict[str, Any], data_path: str, num_docs: int) -> Reference:
    """The first `num_docs` documents of the run's shuffled order, through microgpt's own arithmetic."""
    if num_docs < 1:
        raise UsageError(f"--docs must be a positive integer, got {num_docs}")
    docs, _ = read_docs(data_path)
    random.Random(checkpoint["experiment"]["seed"]).shuffle(docs)
    tokenizer = Tokenizer(checkpoint["vocab"])
    config = model_config(checkpoint["experiment"], tokenizer.vocab_size)
    ref = Reference("microgpt's arithmetic in plain Python", [], [], [])
    for doc in docs[:num_docs]:
        unknown = next((ch for ch in doc if ch not in tokenizer.ids), None)
        if unknown is not None:
            raise UsageError(f"document {doc!r} of {data_path} has the character {unknown!r}, which is not in the checkpoint's vocabulary; use the run's data")
        tokens = tokenizer.encode(doc)
        logits = reference_logits(checkpoint["params"], config, tokens)
        ref.tokens.append(tokens)
        ref.logits.append(logits)
        ref.losses.append(reference_loss(logits, tokens))
    return ref


@torch.no_grad()
def module_logits(model: GPT, tokens: list[list[int]]) -> tuple[list[list[list[float]]], list[float]]:
    """The module's logits ([doc][position][vocab]) and loss for each document, all in one batch."""
    block_size = model.config.block_size
    positions = [min(block_size, len(t) - 1) for t in tokens]
    rows = torch.zeros(len(tokens), block_size + 1, dtype=torch.long)
    for i, t in enumerate(tokens):
        rows[i, : len(t[: block_size + 1])] = torch.tensor(t[: block_size + 1])
    rows = rows.to(model.wte.device)
    logits = model(rows[:, : max(positions)]).to("cpu", torch.float64)
    losses = [batch_loss(model, rows[i : i + 1], positions[i : i + 1]).item() for i in range(len(tokens))]
    return [logits[i, : positions[i]].tolist() for i in range(len(tokens))], losses


def cmd_verify(args: argparse.Namespace) -> None:
    """`verify`: recompute a reference's logits and losses with the module; print the largest differences."""
    checkpoint = read_checkpoint(args.checkpoint)
    if (args.probe is None) == (args.data is None):
        raise UsageError("verify needs one reference: --probe FILE (our side's numbers) or --data FILE (microgpt's arithmetic)")
    dtype = parse_dtype(args.dtype)
    device = pick_device(args.device)
    if args.probe is not None:
        ref = read_probe(args.probe, checkpoint)
    else:
        ref = reference_from_data(checkpoint, args.data, args.docs)
    model = model_from_checkpoint(checkpoint, device, dtype)
    logits, losses = module_logits(model, ref.tokens)
    logit_diff = max(abs(a - b) for doc, ref_doc in zip(logits, ref.logits) for row, ref_row in zip(doc, ref_doc) for a, b in zip(row, ref_row))
    loss_diff = max(abs(a - b) for a, b in zip(losses, ref.losses))
    tolerance = args.tolerance if args.tolerance is not None else (1e-12 if dtype == torch.float64 else 1e-4)
    num_positions = sum(len(doc) for doc in ref.logits)
    print(f"checkpoint: {args.checkpoint} (step {checkpoint['step']}), {str(dtype).replace('torch.', '')} on {device}")
    print(f"reference: {ref.source}: {len(ref.tokens)} documents, {num_positions} positions")
    print(f"logits: largest |difference| {logit_diff:.3g}")
    print(f"losses: largest |difference| {loss_diff:.3g}")
    ok = logit_diff <= tolerance and loss_diff <= tolerance
    print(f"{'OK' if ok else 'NOT OK'} (tolerance {tolerance:g})")
    if not ok:
        sys.exit(1)


# --- the command line ------------------------------------------------------------------


class ArgumentParser(argparse.ArgumentParser):
    """argparse with mistakes as one line (`error: ...`) and exit code 2, like our Deno CLI."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message}; see {self.prog} --help", file=sys.stderr)
        sys.exit(2)


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="python3 torch/microgpt.py", description="microgpt in PyTorch, reading and writing our checkpoints.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,verify,sample}")

    train = commands.add_parser("train", help="train (one process, --procs K, or under torchrun)", description=(
        "Trains the GPT and prints what deno task train prints. With --batch-size 1 on one process it is microgpt exactly."
    ))
    source = train.add_mutually_exclusive_group()
    train.add_argument("--data", metavar="FILE", help=f"text file, one document per line (default {DEFAULT_DATA}; with --from: the checkpoint's)")
    source.add_argument("--from", dest="from_checkpoint", metavar="CHECKPOINT", help="continue this checkpoint.json (ours or PyTorch's)")
    train.add_argument("--seed", type=int, help="random seed: shuffle, init, sampling (default 42)")
    train.add_argument("--steps", type=int, help="the schedule's length in steps; lr decays linearly to 0 over it (default 1000; with --from: the checkpoint's)")
    train.add_argument("--batch-size", type=int, help="documents per step in each process (default 1: microgpt)")
    train.add_argument("--lr", type=float, help="Adam's learning rate (default 0.01)")
    train.add_argument("--n-embd", type=int, help="embedding width (default 16)")
    train.add_argument("--n-head", type=int, help="attention heads (default 4)")
    train.add_argument("--n-layer", type=int, help="transformer layers (default 1)")
    train.add_argument("--block-size", type=int, help="context length in tokens (default 16)")
    train.add_argument("--temperature", type=float, help="sampling temperature (default 0.5)")
    train.add_argument("--samples", type=int, help="documents to sample after training (default 20)")
    train.add_argument("--val-fraction", type=float, help="hold out this fraction of the shuffled documents (default off)")
    train.add_argument("--val-every", type=int, help="with --val-fraction: a val loss line every K steps (default 100)")
    train.add_argument("--val-docs", type=int, help="with --val-fraction: measure on the first N held-out documents (default 200)")
    train.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CUDA if there is a GPU (default)")
    train.add_argument("--dtype", default="float64", choices=["float64", "float32"], help="default float64 (ours); float32 is faster on GPUs")
    train.add_argument("--procs", type=int, help="start K local processes, data parallel (gloo on CPU, NCCL on GPUs)")
    train.add_argument("--out", metavar="DIR", help="write DIR/checkpoint.json and DIR/run.json")
    train.set_defaults(run=cmd_train)

    verify = commands.add_parser("verify", help="recompute logits and losses; print the largest difference", description=(
        "Recomputes a reference's logits and losses with the PyTorch module and prints the largest differences."
    ))
    verify.add_argument("checkpoint", metavar="CHECKPOINT")
    verify.add_argument("--probe", metavar="FILE", help="documents with our side's logits and losses (see torch/README.md)")
    verify.add_argument("--data", metavar="FILE", help="no probe: compare with microgpt's arithmetic in plain Python")
    verify.add_argument("--docs", type=int, default=50, help="with --data: the first N documents of the run's order (default 50)")
    verify.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    verify.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    verify.add_argument("--tolerance", type=float, help="largest difference that is OK (default 1e-12; float32 1e-4)")
    verify.set_defaults(run=cmd_verify)

    sample = commands.add_parser("sample", help="sample documents from a checkpoint", description=(
        "Samples documents from a checkpoint, as deno task sample does."
    ))
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


if __name__ == "__main__":
    main()
