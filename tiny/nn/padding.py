"""F.pad, constant mode: pad (or, with negative amounts, crop) the last dims of a tensor.

`pad` lists (before, after) pairs starting from the LAST dim, as torch: (left, right, top, bottom) pads
W then H of an image. The gradient is the incoming gradient cropped back to the input's region.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from tiny.autograd import Function
from tiny.tensor import Tensor

__all__: list[str] = []
__functional__ = ["pad"]


def _regions(shape: tuple, amounts: list[tuple[int, int]]) -> tuple[tuple, tuple, tuple]:
    """(output shape, where the kept input sits in the output, which part of the input is kept)."""
    out_shape, dst, src = list(shape), [slice(None)] * len(shape), [slice(None)] * len(shape)
    for dim, (before, after) in zip(range(len(shape) - 1, -1, -1), amounts):
        size = shape[dim]
        out_shape[dim] = size + before + after
        src[dim] = slice(max(-before, 0), size - max(-after, 0))
        dst[dim] = slice(max(before, 0), max(before, 0) + max(size - max(-before, 0) - max(-after, 0), 0))
    return tuple(out_shape), tuple(dst), tuple(src)


class ConstantPadFunction(Function):
    """x (*) -> (*) grown by `amounts` [(before, after) for the last dim, the one before, ...] filled with value."""

    @staticmethod
    def forward(ctx, x, amounts, value):
        """forward: compute the outputs from the input arrays. x (*) -> (*) grown by `amounts` [(before,
        after) for the last dim, the one before, ...] filled with value.
        Task `ConstantPadFunction.forward`."""
        # BEGIN SOLUTION
        out_shape, dst, src = _regions(x.shape, amounts)
        out = np.full(out_shape, value, dtype=x.dtype)
        out[dst] = x[src]
        ctx.geometry = (x.shape, dst, src)
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """backward: one gradient per forward input (None where there is none), each shaped like its input. x
        (*) -> (*) grown by `amounts` [(before, after) for the last dim, the one before, ...] filled with
        value. Task `ConstantPadFunction.backward`."""
        # BEGIN SOLUTION
        shape, dst, src = ctx.geometry
        grad_x = np.zeros(shape, dtype=grad.dtype)
        grad_x[src] = grad[dst]
        return grad_x, None, None
        # END SOLUTION


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Constant padding of the last len(pad)//2 dims; negative amounts crop. mode must be 'constant'."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    if mode != "constant":
        raise NotImplementedError(f"pad: mode={mode!r} is not implemented in tiny (only 'constant')")
    amounts = [int(p) for p in pad]
    if len(amounts) % 2:
        raise RuntimeError(f"pad: Padding length must be divisible by 2, got {len(amounts)}")
    if len(amounts) // 2 > input.ndim:
        raise RuntimeError(f"pad: Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(amounts)} and input of dimension {input.ndim}")
    pairs = list(zip(amounts[::2], amounts[1::2]))
    for dim, (before, after) in zip(range(input.ndim - 1, -1, -1), pairs):
        if input.shape[dim] + min(before, 0) + min(after, 0) < 0:  # torch crops first, then pads
            raise RuntimeError(f"pad: negative padding ({before}, {after}) on dim {dim} of size "
                               f"{input.shape[dim]} crops more than the dim holds (narrow(): length must be "
                               "non-negative)")
    return ConstantPadFunction.apply(input, pairs, 0.0 if value is None else value)
