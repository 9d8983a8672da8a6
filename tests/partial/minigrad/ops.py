"""Ops beyond arithmetic: matmul, sum/mean, exp/tanh/relu, reshape (forward and backward side by side)."""
from __future__ import annotations

import numpy as np

from minigrad.tensor import Tensor, _operand, _result


def matmul(a: Tensor, b) -> Tensor:
    b = _operand(b)
    if a.ndim < 2 or b.ndim < 2:
        raise NotImplementedError("minigrad's matmul needs 2-d (or batched) operands")
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(f"matmul: batch dims of {a.shape} and {b.shape} do not broadcast") from None
    x, y = a.data, b.data
    return _result(x @ y, (a, b), lambda g: (g @ np.swapaxes(y, -1, -2), np.swapaxes(x, -1, -2) @ g))


def _dims(dim, ndim: int) -> tuple:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    for d in dims:
        if not lo <= d <= hi:
            raise IndexError(f"dim {d} out of range for a {ndim}-d tensor")
    normal = tuple(d % max(ndim, 1) for d in dims)
    if len(set(normal)) != len(normal):
        raise RuntimeError(f"dim {dim} repeats a dimension")
    return tuple(d for d in normal if d < ndim)


def _expand_back(g: np.ndarray, shape: tuple, dims: tuple, keepdim: bool) -> np.ndarray:
    if not keepdim:
        g = np.expand_dims(g, dims) if dims else g
    return np.broadcast_to(g, shape)


def sum_(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    dims = _dims(dim, x.ndim)
    out = x.data.sum(axis=dims, keepdims=keepdim)
    return _result(np.asarray(out), (x,), lambda g: (_expand_back(g, x.shape, dims, keepdim),))


def mean(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if x.data.dtype.kind != "f":
        raise RuntimeError("mean(): only float tensors")
    dims = _dims(dim, x.ndim)
    n = int(np.prod([x.shape[d] for d in dims])) if dims else 1
    with np.errstate(invalid="ignore", divide="ignore"):
        out = x.data.sum(axis=dims, keepdims=keepdim) / np.float32(n)
    return _result(np.asarray(out), (x,), lambda g: (_expand_back(g / np.float32(n), x.shape, dims, keepdim),))


def exp(x: Tensor) -> Tensor:
    with np.errstate(over="ignore"):
        y = np.exp(x.data.astype(np.float32))
    return _result(y, (x,), lambda g: (g * y,))


def tanh(x: Tensor) -> Tensor:
    y = np.tanh(x.data.astype(np.float32))
    return _result(y, (x,), lambda g: (g * (1 - y),))  # planted bug 1: d tanh = 1 - y**2


def relu(x: Tensor) -> Tensor:
    mask = x.data > 0
    return _result(np.where(mask, x.data, 0).astype(x.data.dtype), (x,), lambda g: (g * mask,))


def reshape(x: Tensor, *shape) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        out = x.data.reshape(shape)
    except ValueError as exc:
        raise RuntimeError(f"reshape: {exc}") from None
    return _result(out, (x,), lambda g: (g.reshape(x.shape),))
