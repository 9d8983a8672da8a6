"""Helpers the functional ops share: operand conversion, broadcasting checks, dim normalization."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def as_tensor_operand(op: str, x, dtype: np.dtype):
    """A Tensor of `dtype`: Python numbers become constants, Tensors are cast differentiably."""
    from tiny.ops.arithmetic import to_dtype
    from tiny.tensor import Tensor

    if isinstance(x, Tensor):
        return to_dtype(x, dtype)
    if isinstance(x, (bool, int, float, np.number, np.bool_)):
        return Tensor._wrap(np.asarray(x, dtype=dtype))
    raise TypeError(f"{op}: expected a Tensor or a Python number, got {type(x).__name__}")


def as_operands(op: str, *xs, dtype_rule: Callable) -> list:
    """Convert operands to Tensors of the dtype torch would compute them in."""
    from tiny.tensor import Tensor

    if not any(isinstance(x, Tensor) for x in xs):
        raise TypeError(f"{op}: expected at least one Tensor operand, got "
                        f"{', '.join(type(x).__name__ for x in xs)}")
    for x in xs:
        if not isinstance(x, (Tensor, bool, int, float, np.number, np.bool_)):
            raise TypeError(f"{op}: expected a Tensor or a Python number, got {type(x).__name__}")
    dtype = dtype_rule(*xs)
    return [as_tensor_operand(op, x, dtype) for x in xs]


def broadcast_shape(op: str, *shapes: Sequence[int]) -> tuple[int, ...]:
    """The broadcast of `shapes`, or a RuntimeError naming the op, the shapes and the clashing dim."""
    ndim = max((len(s) for s in shapes), default=0)
    result = []
    for axis in range(-ndim, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            listed = " and ".join(str(tuple(s)) for s in shapes)
            raise RuntimeError(f"{op}: shapes {listed} are not broadcastable: sizes "
                               f"{sorted(sizes)} at dim {axis} (sizes must match or be 1)")
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def check_broadcast(op: str, *tensors) -> tuple[int, ...]:
    return broadcast_shape(op, *(t.data.shape for t in tensors))


def normalize_dim(op: str, dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) as a non-negative index; 0-d tensors accept dim 0 and -1, as torch."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dims "
                         f"(expected to be in range of [{-bound}, {bound - 1}])")
    return int(dim) % bound


def normalize_dims(op: str, dim, ndim: int) -> tuple[int, ...]:
    """dim=None means every dim; an int or a sequence of ints, negative allowed, no repeats."""
    if dim is None:
        return tuple(range(ndim))
    if not isinstance(dim, (int, np.integer, tuple, list)):
        raise TypeError(f"{op}: dim must be an int, a tuple of ints or None, got {type(dim).__name__} {dim!r}")
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    normalized = tuple(normalize_dim(op, d, ndim) for d in dims)
    if len(set(normalized)) != len(normalized):
        raise RuntimeError(f"{op}: dim {dim} appears multiple times in the list of dims")
    if ndim == 0:
        return ()
    return normalized
