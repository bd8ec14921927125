"""
microgpt's forward pass in plain Python floats, without PyTorch: the logits and the loss exactly as
microgpt.py computes them, one token at a time with a key/value cache, with its order of additions
(`sum` from 0, left to right) and its divisions (`a / b` is `a * b**-1`). `microgpt.py verify --data`
holds the PyTorch module to it; it needs no other program, so it runs wherever Python does.

Sums are written as loops rather than with `sum()`: Python 3.12's `sum` of floats compensates
rounding errors, which microgpt.py's `sum` of `Value`s (3.11) never did.
"""

from __future__ import annotations

import math

Matrix = list[list[float]]  # nout rows of nin numbers


def linear(x: list[float], w: Matrix) -> list[float]:
    """For each row of `w`: `sum(w[i] * x[i])`, weight on the left, added from 0 left to right."""
    out = []
    for row in w:
        total = 0.0
        for wi, xi in zip(row, x):
            total += wi * xi
        out.append(total)
    return out


def softmax(z: list[float]) -> list[float]:
    """`exp(z_i - max) / total`, each a product with `total ** -1`, as microgpt divides."""
    top = max(z)
    exps = [math.exp(zi - top) for zi in z]
    total = 0.0
    for e in exps:
        total += e
    return [e * total**-1 for e in exps]


def rmsnorm(x: list[float]) -> list[float]:
    """`x * (mean(x^2) + 1e-5) ** -0.5`, the mean as `sum * (1 / n)`."""
    ms = 0.0
    for xi in x:
        ms += xi * xi
    scale = (ms * len(x) ** -1 + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def logits(
    params: dict[str, Matrix], n_head: int, n_layer: int, block_size: int, tokens: list[int]
) -> list[list[float]]:
    """
    The next-token logits at each of the first `n = min(block_size, len(tokens) - 1)` positions
    ([n][vocab_size]), given the checkpoint's matrices by name (`wte`, `layer0.attn_wq`, ...).
    """
    n_embd = len(params["wte"][0])
    hd = n_embd // n_head
    keys: list[list[list[float]]] = [[] for _ in range(n_layer)]  # [layer][t][n_embd]
    values: list[list[list[float]]] = [[] for _ in range(n_layer)]
    out = []
    for pos in range(min(block_size, len(tokens) - 1)):
        x = rmsnorm([t + p for t, p in zip(params["wte"][tokens[pos]], params["wpe"][pos])])
        for li in range(n_layer):
            w = {
                name: params[f"layer{li}.{name}"]
                for name in ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")
            }
            residual = x
            x = rmsnorm(x)
            q = linear(x, w["attn_wq"])
            keys[li].append(linear(x, w["attn_wk"]))
            values[li].append(linear(x, w["attn_wv"]))
            x_attn: list[float] = []
            for h in range(n_head):
                hs = h * hd
                attn_logits = []
                for k in keys[li]:
                    dot = 0.0
                    for j in range(hd):
                        dot += q[hs + j] * k[hs + j]
                    attn_logits.append(dot * (hd**0.5) ** -1)
                weights = softmax(attn_logits)
                for j in range(hd):
                    total = 0.0
                    for t, v in enumerate(values[li]):
                        total += weights[t] * v[hs + j]
                    x_attn.append(total)
            x = [a + b for a, b in zip(linear(x_attn, w["attn_wo"]), residual)]
            residual = x
            x = [max(0.0, xi) for xi in linear(rmsnorm(x), w["mlp_fc1"])]
            x = [a + b for a, b in zip(linear(x, w["mlp_fc2"]), residual)]
        out.append(linear(x, params["lm_head"]))
    return out


def loss(doc_logits: list[list[float]], tokens: list[int]) -> float:
    """A document's loss from its logits: `(1 / n) * sum(-log softmax(logits[pos])[tokens[pos + 1]])`."""
    total = 0.0
    for pos, z in enumerate(doc_logits):
        total += -math.log(softmax(z)[tokens[pos + 1]])
    return (1 / len(doc_logits)) * total
