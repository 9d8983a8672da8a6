"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998), the paper's layer layout adapted to 28x28 MNIST:

    input (N, 1, 28, 28)
    c1  Conv2d(1, 6, 5, padding=2)  -> (N, 6, 28, 28)   the paper fed 32x32 images; padding 2 makes 28x28 so
    s2  pool 2x2, stride 2          -> (N, 6, 14, 14)
    c3  Conv2d(6, 16, 5)            -> (N, 16, 10, 10)  FULL connections (the paper's sparse table of
    s4  pool 2x2, stride 2          -> (N, 16, 5, 5)      C3-to-S2 maps was a 1998 compute saving)
    c5  Conv2d(16, 120, 5)          -> (N, 120, 1, 1)   a convolution, as in the paper (5x5 on 5x5)
    f6  Linear(120, 84)
    output Linear(84, num_classes)  logits (the paper's Euclidean RBF output is replaced by a linear layer
                                    trained with cross-entropy)

Which variant: by default the modern one, activation='relu' and pooling='max' (it trains to >= 99 % MNIST
test accuracy in a few epochs); activation='tanh', pooling='avg' gives the 1998 flavour (tanh squashing,
average "subsampling", without the paper's trainable subsampling coefficients). The activation follows
c1, c3, c5 and f6. State-dict keys (c1.weight, c1.bias, c3.*, c5.*, f6.*, output.*) are those of the torch
twin reference/models/lenet.py.
"""
from __future__ import annotations

from tiny.nn.activation import ReLU, Tanh
from tiny.nn.conv import Conv2d
from tiny.nn.linear import Linear
from tiny.nn.module import Module
from tiny.nn.pooling import AvgPool2d, MaxPool2d
from tiny.tensor import Tensor

__all__ = ["LeNet5"]

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh}
POOLINGS = {"max": MaxPool2d, "avg": AvgPool2d}


class LeNet5(Module):
    """x (N, 1, 28, 28) -> logits (N, num_classes)."""

    def __init__(self, num_classes: int = 10, activation: str = "relu", pooling: str = "max") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"LeNet5: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if pooling not in POOLINGS:
            raise ValueError(f"LeNet5: pooling must be one of {sorted(POOLINGS)}, got {pooling!r}")
        self.activation, self.pooling = activation, pooling
        self.c1 = Conv2d(1, 6, 5, padding=2)
        self.s2 = POOLINGS[pooling](2, 2)
        self.c3 = Conv2d(6, 16, 5)
        self.s4 = POOLINGS[pooling](2, 2)
        self.c5 = Conv2d(16, 120, 5)
        self.f6 = Linear(120, 84)
        self.output = Linear(84, num_classes)
        self.act = ACTIVATIONS[activation]()

    def forward(self, x: Tensor) -> Tensor:
        x = self.s2(self.act(self.c1(x)))            # (N, 6, 14, 14)
        x = self.s4(self.act(self.c3(x)))            # (N, 16, 5, 5)
        x = self.act(self.c5(x)).flatten(1)          # (N, 120)
        return self.output(self.act(self.f6(x)))     # (N, num_classes)
