"""Elementwise maximum and minimum of two tensors (torch.maximum / torch.minimum, and max(a, b) / min(a, b))."""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function
from tiny.ops._util import check_broadcast
from tiny.promotion import result_type


class Extremum(Function):
    """a, b broadcastable arrays of one dtype -> the larger (largest=True) or smaller of each pair.
    The gradient goes to the chosen side; at a tie it is split in half between both, as torch does."""

    @staticmethod
    def forward(ctx, a, b, largest):
        """forward: compute the outputs from the input arrays. a, b broadcastable arrays of one dtype -> the
        larger (largest=True) or smaller of each pair. The gradient goes to the chosen side; at a tie it is
        split in half between both, as torch does. Task `Extremum.forward`."""
        # BEGIN SOLUTION
        result = np.maximum(a, b) if largest else np.minimum(a, b)
        ctx.save_for_backward(a, b)
        ctx.largest = largest
        return result
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """backward: one gradient per forward input (None where there is none), each shaped like its input. a,
        b broadcastable arrays of one dtype -> the larger (largest=True) or smaller of each pair. The
        gradient goes to the chosen side; at a tie it is split in half between both, as torch does.
        Task `Extremum.backward`."""
        # BEGIN SOLUTION
        a, b = ctx.saved_tensors
        a_wins = (a > b) if ctx.largest else (a < b)
        share = np.where(a == b, 0.5, a_wins.astype(grad.dtype)).astype(grad.dtype)  # a's share of grad
        return grad * share, grad * (1 - share), None
        # END SOLUTION


def _extremum(op: str, largest: bool, input, other):
    from tiny.ops._util import as_operands
    from tiny.tensor import Tensor
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"{op}: expected two Tensors, got {type(input).__name__} and {type(other).__name__}")
    a, b = as_operands(op, input, other, dtype_rule=result_type)
    check_broadcast(op, a, b)
    return Extremum.apply(a, b, largest)


def maximum(input, other):
    """Elementwise max of two broadcastable tensors; NaN propagates."""
    return _extremum("maximum", True, input, other)


def minimum(input, other):
    """Elementwise min of two broadcastable tensors; NaN propagates."""
    return _extremum("minimum", False, input, other)
