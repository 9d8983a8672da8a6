"""torch twin of tiny/nn/utils/low_rank.py: truncated SVD with torch.linalg.svd."""
from __future__ import annotations

import torch


def factorize_linear(weight, bias, rank):
    """(first weight (rank, in), second weight (out, rank), relative Frobenius error)."""
    out_features, in_features = weight.shape
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= min(out_features, in_features):
        raise ValueError(f"factorize_linear: rank must be an int in [1, {min(out_features, in_features)}]")
    u, s, vh = torch.linalg.svd(weight, full_matrices=False)
    root = s[:rank].sqrt()
    total = torch.linalg.vector_norm(s.double())
    error = torch.linalg.vector_norm(s[rank:].double()) / total if total > 0 else torch.zeros((), dtype=torch.float64)
    return root[:, None] * vh[:rank], u[:, :rank] * root[None, :], error


def factorize_outputs(weight, bias, x, rank):
    """(the rank-r weight second @ first, the factorized layers' output, the relative error as float64 (1,))."""
    first, second, error = factorize_linear(weight, bias, rank)
    return second @ first, (x @ first.T) @ second.T + bias, error.reshape(1)
