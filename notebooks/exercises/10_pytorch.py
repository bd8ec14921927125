"""
The checks of notebook 10's exercises ("Try it"). Each takes the learner's function, tries it on
cases it makes itself, and returns one line: `✓ ...` when it is right, `✗ ...` saying what is off.
Worked solutions: notebooks/solutions/10_pytorch.py (notebooks/solutions/10_pytorch_test.py runs each
through its check). `microgpt` is torch/microgpt.py: the notebook puts torch/ on sys.path.
"""

from __future__ import annotations

import random
from typing import Callable

import microgpt
import torch

NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "charlotte", "amelia", "harper", "evelyn"]


def _small_batch(seed: int = 3) -> tuple[microgpt.GPT, torch.Tensor, list[int]]:
    """A fresh small model and a padded batch of names (one longer than the context of 8)."""
    docs = list(NAMES)
    rng = random.Random(seed)
    rng.shuffle(docs)
    tokenizer = microgpt.Tokenizer.from_docs(docs)
    model = microgpt.GPT(microgpt.GPTConfig(tokenizer.vocab_size, 8, 2, 1, 8)).double()
    model.init_weights(rng)
    rows, positions = microgpt.encode_docs(docs, tokenizer, 8)
    return model, rows, positions


def check_causal_mask(causal_mask: Callable[[int], torch.Tensor]) -> str:
    """Exercise 1: `causal_mask(T)[i, j]` is True exactly when position i may look at position j."""
    for T in range(1, 7):
        mask = causal_mask(T)
        if not isinstance(mask, torch.Tensor) or tuple(mask.shape) != (T, T) or mask.dtype != torch.bool:
            return f"✗ causal_mask({T}) should be a {T}x{T} tensor of booleans"
        for i in range(T):
            for j in range(T):
                if bool(mask[i, j]) != (j <= i):
                    may = "may" if j <= i else "may not"
                    return f"✗ causal_mask({T})[{i}, {j}] is {bool(mask[i, j])}, but position {i} {may} look at {j}"
    return "✓ position i attends to positions 0..i: the causal mask"


def check_process_documents(process_documents: Callable[[int, int, int, int, int], list[int]]) -> str:
    """Exercise 2: the documents process `rank` of `world` trains on at `step`, `batch_size` each."""
    for num_docs in (7, 100):
        for world in (1, 2, 3):
            for batch_size in (1, 2, 5):
                for step in (0, 1, 4, 23):
                    for rank in range(world):
                        got = list(process_documents(step, batch_size, rank, world, num_docs))
                        first = (step * world + rank) * batch_size
                        want = [(first + b) % num_docs for b in range(batch_size)]
                        if got != want:
                            return (
                                f"✗ step {step}, batch {batch_size}, process {rank} of {world}, {num_docs} documents: "
                                f"got {got}, expected {want}"
                            )
    return "✓ the processes split each step's documents; together they are one process's batch"


def check_document_losses(
    document_losses: Callable[[torch.Tensor, torch.Tensor, list[int]], torch.Tensor],
) -> str:
    """Exercise 3: each document's mean next-token loss over its own positions, padding left out."""
    model, rows, positions = _small_batch()
    T = max(positions)
    with torch.no_grad():
        logits = model(rows[:, :T])
        got = document_losses(logits, rows[:, 1 : T + 1], positions)
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != (len(positions),):
            return f"✗ expected one loss per document, a tensor of shape ({len(positions)},)"
        for i, n in enumerate(positions):
            want = microgpt.batch_loss(model, rows[i : i + 1], [n]).item()
            if abs(got[i].item() - want) > 1e-12:
                return (
                    f"✗ document {i} ({n} positions of {T}): got {got[i].item():.6f}, expected {want:.6f}"
                    + (" (is the padding counted?)" if n < T else "")
                )
    return "✓ every document's loss, its padding masked out: batch_loss is their mean"


def check_two_process_gradient(
    two_process_gradient: Callable[[microgpt.GPT, torch.Tensor, list[int]], list[torch.Tensor]],
) -> str:
    """Exercise 4: the mean of two processes' gradients (each on half the batch) is the whole batch's."""
    model, rows, positions = _small_batch(seed=5)
    rows, positions = rows[:8], positions[:8]
    grads = two_process_gradient(model, rows, positions)
    model.zero_grad()
    microgpt.batch_loss(model, rows, positions).backward()
    whole = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    if len(grads) != len(whole):
        return f"✗ expected one gradient per parameter matrix ({len(whole)}), got {len(grads)}"
    diff = max((g - w).abs().max().item() for g, w in zip(grads, whole))
    if diff > 1e-14:
        return f"✗ differs from the whole batch's gradient by up to {diff:.3g}"
    return f"✓ two processes of 4 documents = one process of 8 (largest difference {diff:.1g})"
