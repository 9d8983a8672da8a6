"""Indexing and selection: __getitem__ (basic, integer-array and boolean), where, masked_fill."""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function
from tiny.ops._util import as_tensor_operand, broadcast_shape
from tiny.promotion import result_type


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, index):
        """x[index] with NumPy semantics (slices, None, Ellipsis, ints, integer arrays; bool masks arrive as
        integer arrays). `index` is a tuple already validated by `getitem`. Task `GetItem.forward`."""
        # BEGIN SOLUTION
        ctx.shape, ctx.index = x.shape, index
        return x[index]
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (a zero array of x's shape with grad
        scattered to the indexed positions, None); repeated indices must accumulate (np.add.at, not +=).
        Task `GetItem.backward`."""
        # BEGIN SOLUTION
        full = np.zeros(ctx.shape, grad.dtype)
        np.add.at(full, ctx.index, grad)  # add.at, not +=: repeated indices accumulate
        return full, None
        # END SOLUTION


class Where(Function):
    @staticmethod
    def forward(ctx, condition, x, y):
        """np.where(condition, x, y): condition is a bool array; the three broadcast. Task `Where.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(condition)
        return np.where(condition, x, y)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (None, grad where condition else 0, 0
        where condition else grad). Task `Where.backward`."""
        # BEGIN SOLUTION
        (condition,) = ctx.saved_tensors
        zero = np.zeros((), grad.dtype)
        return None, np.where(condition, grad, zero), np.where(condition, zero, grad)
        # END SOLUTION


def _index_component(part, dim_hint: str):
    """One element of an index tuple as NumPy understands it; tensors must be integer or bool."""
    from tiny.tensor import Tensor

    if isinstance(part, Tensor):
        part = part.data
    elif isinstance(part, (list, tuple)):
        part = np.asarray(part)
        if part.size == 0:
            part = part.astype(np.int64)
    if isinstance(part, np.ndarray):
        if part.dtype.kind not in "iub":
            raise IndexError(f"getitem: tensors used as indices must be long, int, byte or bool "
                             f"tensors, got dtype {part.dtype} at {dim_hint}")
        return part
    if part is None or part is Ellipsis or isinstance(part, slice):
        if isinstance(part, slice) and part.step is not None and part.step <= 0:
            raise ValueError("getitem: step must be greater than zero")
        return part
    if isinstance(part, (bool, np.bool_)):
        return part
    if isinstance(part, (int, np.integer)):
        return int(part)
    raise IndexError(f"getitem: unsupported index {part!r} of type {type(part).__name__} at {dim_hint}")


def getitem(input, index):
    """x[index] with NumPy semantics (which torch follows): slices, None, ..., ints, int/bool arrays."""
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(_index_component(p, f"position {i}") for i, p in enumerate(parts))
    shape = input.data.shape
    try:
        np.empty(shape, dtype=np.bool_)[parts]  # validate (and get NumPy's bounds message) cheaply
    except IndexError as e:
        raise IndexError(f"getitem: index {index!r} is invalid for a tensor of shape {tuple(shape)}: "
                         f"{e}") from None
    # Boolean masks become integer arrays so the backward's np.add.at sees plain advanced indexing.
    if any(isinstance(p, np.ndarray) and p.dtype == np.bool_ and p.ndim > 0 for p in parts):
        parts = _expand_bool_masks(parts, shape)
    return GetItem.apply(input, parts)


def _expand_bool_masks(parts: tuple, shape: tuple) -> tuple:
    """Replace each k-dim bool mask by its k nonzero() index arrays (NumPy defines them as equal)."""
    expanded: list = []
    for p in parts:
        if isinstance(p, np.ndarray) and p.dtype == np.bool_ and p.ndim > 0:
            expanded.extend(np.nonzero(p))
        else:
            expanded.append(p)
    return tuple(expanded)


def where(condition, input=None, other=None):
    """Elementwise `input if condition else other`; condition must be a bool tensor. where(condition) alone is
    torch's nonzero(condition, as_tuple=True): one int64 index tensor per dim."""
    from tiny.tensor import Tensor

    if not isinstance(condition, Tensor) or condition.data.dtype != np.bool_:
        got = condition.data.dtype if isinstance(condition, Tensor) else type(condition).__name__
        raise RuntimeError(f"where: expected condition to be a bool tensor, got {got}")
    if input is None and other is None:
        return tuple(Tensor._wrap(index.astype(np.int64)) for index in np.nonzero(np.atleast_1d(condition.data)))
    if input is None or other is None:
        raise TypeError("where: pass both input and other (where(condition, input, other)), or neither "
                        "(where(condition) gives the indices of the True elements)")
    dtype = result_type(input, other)
    x = as_tensor_operand("where", input, dtype)
    y = as_tensor_operand("where", other, dtype)
    broadcast_shape("where", condition.data.shape, x.data.shape, y.data.shape)
    return Where.apply(condition, x, y)


def masked_fill(input, mask, value):
    """Copy of input with `value` where mask is True. mask is bool; input and mask broadcast together and the
    result has the broadcast shape (torch's out-of-place masked_fill; only masked_fill_ may not enlarge)."""
    from tiny.tensor import Tensor

    if not isinstance(mask, Tensor) or mask.data.dtype != np.bool_:
        got = mask.data.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"masked_fill: only supports boolean masks, but got mask with dtype {got}")
    broadcast_shape("masked_fill", mask.data.shape, input.data.shape)
    if isinstance(value, Tensor) and value.data.ndim != 0:
        raise RuntimeError(f"masked_fill: only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.data.ndim} dimension(s)")
    fill = as_tensor_operand("masked_fill", value, input.data.dtype)
    return Where.apply(mask, fill, input)
