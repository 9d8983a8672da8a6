"""A multi-layer perceptron (Rumelhart, Hinton & Williams 1986): Linear layers with an activation between
consecutive layers (none after the last, so the output is logits).

MLP([784, 256, 128, 10]) = Linear(784, 256), ReLU, Linear(256, 128), ReLU, Linear(128, 10), held in
`layers` (a Sequential), so the state-dict keys are layers.0.weight, layers.0.bias, layers.2.weight, ...
exactly those of the torch twin reference/models/mlp.py.
"""
from __future__ import annotations

from typing import Sequence

from tiny.nn.activation import GELU, ReLU, Sigmoid, Tanh
from tiny.nn.container import Sequential
from tiny.nn.linear import Linear
from tiny.nn.module import Module
from tiny.tensor import Tensor

__all__ = ["MLP"]

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "gelu": GELU}


class MLP(Module):
    """x (N, sizes[0]) -> (N, sizes[-1]); activation one of 'relu', 'tanh', 'sigmoid', 'gelu'."""

    def __init__(self, sizes: Sequence[int], activation: str = "relu") -> None:
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.sizes, self.activation = sizes, activation
        layers: list[Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out))
            if i < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
        self.layers = Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)
