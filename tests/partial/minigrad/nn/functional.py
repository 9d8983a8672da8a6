"""Functional forms: relu and mse_loss (mean / sum / none; no weights)."""
from __future__ import annotations

import numpy as np

from minigrad.tensor import Tensor, _broadcast_check, _result

REDUCTIONS = ("mean", "sum", "none")


def relu(x: Tensor) -> Tensor:
    return x.relu()


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean", weight=None, **legacy) -> Tensor:
    if legacy:
        raise NotImplementedError(f"mse_loss: legacy arguments {sorted(legacy)}")
    if weight is not None:
        raise NotImplementedError("mse_loss: weight")
    if reduction not in REDUCTIONS:
        if reduction == "elementwise_mean":
            raise NotImplementedError("mse_loss: reduction='elementwise_mean'")
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _broadcast_check("mse_loss", input.data, target.data)
    x, y = np.broadcast_arrays(input.data, target.data)
    diff = (x - y).astype(np.float32)
    n = np.float32(diff.size)
    if reduction == "none":
        return _result(diff * diff, (input, target), lambda g: (2 * g * diff, -2 * g * diff))
    total = (diff * diff).sum()
    if reduction == "sum":
        total = total / n  # planted bug 2: 'sum' must not divide by the number of elements
        return _result(np.asarray(total), (input, target), lambda g: (2 * g * diff, -2 * g * diff))
    with np.errstate(invalid="ignore", divide="ignore"):
        return _result(np.asarray(total / n), (input, target), lambda g: (2 * g * diff / n, -2 * g * diff / n))
