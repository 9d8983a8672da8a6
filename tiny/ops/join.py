"""Joining tensors: cat along an existing dim, stack along a new one."""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function
from tiny.ops._util import as_tensor_operand, normalize_dim
from tiny.promotion import result_type


class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, dim):
        """Concatenate `arrays` along `dim` (keyword, normalized); shapes agree except in dim. Task
        `Cat.forward`."""
        # BEGIN SOLUTION
        ctx.dim = dim
        ctx.boundaries = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return one gradient per input: grad split
        along dim at the inputs' boundaries (a tuple). Task `Cat.backward`."""
        # BEGIN SOLUTION
        return tuple(np.split(grad, ctx.boundaries, axis=ctx.dim))
        # END SOLUTION


def _check_sequence(op: str, tensors) -> list:
    from tiny.tensor import Tensor

    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of Tensors, got {type(tensors).__name__}")
    if not tensors:
        error = ValueError if op == "cat" else RuntimeError  # torch's classes: cat ValueError, stack RuntimeError
        raise error(f"{op}: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: element {i} is a {type(t).__name__}, expected a Tensor")
    dtype = result_type(*tensors)
    return [as_tensor_operand(op, t, dtype) for t in tensors]


def cat(tensors, dim: int = 0):
    """Concatenate along `dim`; shapes must agree except in `dim`. 1-D empty tensors are skipped (torch)."""
    tensors = _check_sequence("cat", tensors)
    kept = [t for t in tensors if t.data.shape != (0,)] or tensors[:1]
    ref = kept[0].data.shape
    if not ref:
        raise RuntimeError("cat: zero-dimensional tensor cannot be concatenated")
    d = normalize_dim("cat", dim, len(ref))
    for i, t in enumerate(kept):
        shape = t.data.shape
        if len(shape) != len(ref) or any(a != b for j, (a, b) in enumerate(zip(shape, ref)) if j != d):
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {dim}; got "
                               f"shapes {[tuple(x.data.shape) for x in kept]}")
    return Cat.apply(*kept, dim=d)


def stack(tensors, dim: int = 0):
    """Join equal-shaped tensors along a new dim."""
    tensors = _check_sequence("stack", tensors)
    ref = tensors[0].data.shape
    for t in tensors:
        if t.data.shape != ref:
            raise RuntimeError(f"stack: expects each tensor to be equal size, got shapes "
                               f"{[tuple(x.data.shape) for x in tensors]}")
    d = normalize_dim("stack", dim, len(ref) + 1)
    return cat([t.unsqueeze(d) for t in tensors], dim=d)
