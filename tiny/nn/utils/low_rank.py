"""Low-rank factorization of a Linear by truncated SVD: W (out, in) ~= U_r S_r V_r^T, the best rank-r
approximation in the Frobenius norm (Eckart-Young). The layer becomes Linear(in, r, bias=False) with weight
sqrt(S_r) V_r^T followed by Linear(r, out) with weight U_r sqrt(S_r) and the original bias: r * (in + out)
weights instead of in * out. The relative error ||W - W_r||_F / ||W||_F = sqrt(sum of the dropped S^2) / ||W||_F.
"""
from __future__ import annotations

import numpy as np

from tiny.nn.container import Sequential
from tiny.nn.linear import Linear
from tiny.tensor import Tensor

__all__ = ["factorize_linear"]


def factorize_linear(layer: Linear, rank: int) -> tuple[Sequential, float]:
    """(Sequential(Linear(in, rank, bias=False), Linear(rank, out)), relative Frobenius error of the weight). Task `factorize_linear`."""
    if not isinstance(layer, Linear):
        raise TypeError(f"factorize_linear: expected a tiny.nn.Linear, got {type(layer).__name__}")
    out_features, in_features = layer.weight.shape
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 1 <= rank <= min(out_features,
                                                                                                  in_features):
        raise ValueError(f"factorize_linear: rank must be an int in [1, {min(out_features, in_features)}] for a "
                         f"weight of shape {(out_features, in_features)}, got {rank!r}")
    weight = layer.weight.data
    # BEGIN SOLUTION
    u, s, vt = np.linalg.svd(weight, full_matrices=False)            # (out, k), (k,), (k, in)
    root = np.sqrt(s[:rank])
    first_weight = (root[:, None] * vt[:rank]).astype(weight.dtype)   # (rank, in)
    second_weight = (u[:, :rank] * root[None, :]).astype(weight.dtype)  # (out, rank)
    total = float(np.sqrt(np.sum(s.astype(np.float64) ** 2)))
    error = float(np.sqrt(np.sum(s[rank:].astype(np.float64) ** 2)) / total) if total > 0 else 0.0
    # END SOLUTION
    first = Linear(in_features, rank, bias=False, dtype=weight.dtype)
    second = Linear(rank, out_features, bias=layer.bias is not None, dtype=weight.dtype)
    first.weight.data = first_weight
    second.weight.data = second_weight
    if layer.bias is not None:
        second.bias.data = layer.bias.data.copy()
    return Sequential(first, second), error
