"""
Worked solutions of notebook 10's exercises ("Try it"); torch/exercises_10.py checks them
(torch/test_microgpt.py runs each through its check). Try the exercises first.
"""

from __future__ import annotations

import microgpt
import torch
import torch.nn.functional as F


def causal_mask(T: int) -> torch.Tensor:
    """Exercise 1: True on and below the diagonal: position i looks at positions 0..i."""
    return torch.ones(T, T, dtype=torch.bool).tril()


def process_documents(step: int, batch_size: int, rank: int, world: int, num_docs: int) -> list[int]:
    """Exercise 2: a step takes world * batch_size documents; process `rank` takes its slice of them."""
    first = step * world * batch_size + rank * batch_size
    return [(first + b) % num_docs for b in range(batch_size)]


def document_losses(logits: torch.Tensor, targets: torch.Tensor, positions: list[int]) -> torch.Tensor:
    """Exercise 3: -log p(target) at every position, summed over each document's own n positions, / n."""
    B, T, V = logits.shape
    nll = F.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T), reduction="none").view(B, T)
    n = torch.tensor(positions)
    mask = torch.arange(T) < n[:, None]  # [B, T]: True on real positions
    return (nll * mask).sum(dim=1) / n


def two_process_gradient(model: microgpt.GPT, rows: torch.Tensor, positions: list[int]) -> list[torch.Tensor]:
    """Exercise 4: each half's mean-loss gradient, then their mean (what all_reduce and / 2 compute)."""
    half = len(positions) // 2
    grads = []
    for part in (slice(0, half), slice(half, len(positions))):
        model.zero_grad()
        microgpt.batch_loss(model, rows[part], positions[part]).backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    model.zero_grad()
    return [(a + b) / 2 for a, b in zip(*grads)]
