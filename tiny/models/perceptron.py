"""Rosenblatt's perceptron (1957): one linear threshold unit, y = step(w . x + b).

The module holds the linear part (`linear`, an nn.Linear(in_features, 1), so the state-dict keys are
`linear.weight` (1, in_features) and `linear.bias` (1,), as in the torch twin reference/models/perceptron.py);
`forward` returns the score w . x + b, shape (N,), which is differentiable; `predict` applies the threshold.
Rosenblatt's learning rule (w += lr * (y - predict(x)) * x) needs no gradient: see `rosenblatt_step`
(used by milestones/perceptron_1957.py).
"""
from __future__ import annotations

import numpy as np

from tiny import no_grad
from tiny.nn.linear import Linear
from tiny.nn.module import Module
from tiny.tensor import Tensor

__all__ = ["Perceptron"]


class Perceptron(Module):
    """x (N, in_features) -> scores (N,); predict(x) -> int64 labels in {0, 1} (score >= 0 is class 1)."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.in_features = in_features
        self.linear = Linear(in_features, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).squeeze(-1)  # (N,)

    def predict(self, x: Tensor) -> Tensor:
        with no_grad():
            scores = self.forward(x)
        return Tensor._wrap((scores.data >= 0).astype(np.int64))

    def rosenblatt_step(self, x: np.ndarray, y: np.ndarray, lr: float = 1.0) -> int:
        """One pass of Rosenblatt's rule over the rows of x (N, in) with labels y (N,) in {0, 1}, one sample
        at a time: on a mistake, w += lr * (y - y_hat) * x and b += lr * (y - y_hat). Returns the mistakes."""
        weight, bias = self.linear.weight.data, self.linear.bias.data  # updated in place
        mistakes = 0
        for row, label in zip(np.asarray(x, dtype=weight.dtype), np.asarray(y)):
            predicted = int(row @ weight[0] + bias[0] >= 0)
            if predicted != label:
                weight[0] += lr * (label - predicted) * row
                bias[0] += lr * (label - predicted)
                mistakes += 1
        return mistakes
