"""Dropout: zero each element with probability p in training, scale the kept ones by 1/(1-p).

"Inverted" dropout, as torch: the expected value of every element is unchanged, so eval mode is the
identity. The mask comes from tiny.random.default_generator() (torch's stream differs, so dropout is
tested by its semantics, not by value: difftests/test_dropout.py).
"""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function
from tiny.nn.module import Module
from tiny.random import default_generator
from tiny.tensor import Tensor

__all__ = ["Dropout"]
__functional__ = ["dropout"]


class DropoutFunction(Function):
    """x: any shape. The gradient flows through the kept elements only, with the same scale."""

    @staticmethod
    def forward(ctx, x, p):
        """Keep each element with probability 1 - p (draw from tiny.random.default_generator()), scale kept
        ones by 1 / (1 - p), zero the rest. Shapes: any. Save the scaled mask. Task
        `DropoutFunction.forward`."""
        # BEGIN SOLUTION
        keep = default_generator().random(x.shape) >= p  # each element kept with probability 1 - p
        scaled_mask = keep.astype(x.dtype) * np.asarray(1.0 / (1.0 - p), x.dtype)
        ctx.save_for_backward(scaled_mask)
        return x * scaled_mask
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad * the same scaled mask, None).
        Task `DropoutFunction.backward`."""
        # BEGIN SOLUTION
        (scaled_mask,) = ctx.saved_tensors
        return grad * scaled_mask, None
        # END SOLUTION


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero elements with probability p and scale the rest by 1/(1-p); identity when not training
    or p == 0 (the input itself is returned, as torch); all zeros when p == 1."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"dropout: expected a floating-point tensor, got dtype {input.data.dtype}")
    if inplace and input.requires_grad:
        raise RuntimeError("dropout(inplace=True): the input requires grad and tiny's autograd does not "
                           "record in-place ops; use inplace=False")
    result = input * 0.0 if p == 1.0 else DropoutFunction.apply(input, p)
    if inplace:
        input.data[...] = result.data
        return input
    return result


class Dropout(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        _check_p(p)
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
