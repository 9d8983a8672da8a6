"""Reductions over dims: sum, mean, var, max/min (with and without dim), argmax/argmin."""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from tiny.autograd import Function
from tiny.ops._util import normalize_dim, normalize_dims

# torch.max(x, dim) returns a named pair; so does tiny.
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _expand_back(grad: np.ndarray, shape: tuple, dims: tuple, keepdim: bool) -> np.ndarray:
    """Broadcast a reduced gradient back over the reduced dims of `shape`."""
    if not keepdim and dims:
        grad = np.expand_dims(grad, dims)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        """Sum of x over `dims` (tuple of non-negative ints, already normalized; () means all dims), keeping
        them as size 1 if `keepdim`. Integer and bool inputs sum to int64 (torch). Task `Sum.forward`."""
        # BEGIN SOLUTION
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        result = np.sum(x, axis=dims, keepdims=keepdim)
        # torch sums integers and bools to int64.
        return result if x.dtype.kind == "f" else result.astype(np.int64)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output (reduced shape). Return (grad broadcast back to
        x's shape, None, None): re-insert the reduced dims when not keepdim (see _expand_back). Task
        `Sum.backward`."""
        # BEGIN SOLUTION
        return _expand_back(grad, ctx.shape, ctx.dims, ctx.keepdim), None, None
        # END SOLUTION


class Mean(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        """Mean of float x over `dims` (normalized tuple), keepdim as in Sum. An empty reduction gives nan
        (0/0), silently. Task `Mean.forward`."""
        # BEGIN SOLUTION
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.count = int(np.prod([x.shape[d] for d in dims]))
        with np.errstate(invalid="ignore", divide="ignore"):  # empty -> 0/0 = nan, as torch
            return np.sum(x, axis=dims, keepdims=keepdim) / np.asarray(ctx.count, x.dtype)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output (reduced shape). Return (grad / count broadcast
        back to x's shape, None, None), count = number of reduced elements. Task `Mean.backward`."""
        # BEGIN SOLUTION
        with np.errstate(invalid="ignore", divide="ignore"):
            scaled = grad / np.asarray(ctx.count, grad.dtype)
        return _expand_back(scaled, ctx.shape, ctx.dims, ctx.keepdim), None, None
        # END SOLUTION


class Var(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, full_reduction):
        """Variance over `dims` (normalized tuple) with `correction` (1 = unbiased): sum((x - mean)**2) /
        max(count - correction, 0); keepdim as in Sum. Too few elements gives inf or nan, as torch.
        `full_reduction` tells whether dim was None. Task `Var.forward`."""
        # BEGIN SOLUTION
        count = int(np.prod([x.shape[d] for d in dims]))
        if count:  # shift by one element of each group first: a constant group is then exactly 0, as torch's
            x = x - x[tuple(slice(0, 1) if d in dims else slice(None) for d in range(x.ndim))]
        with np.errstate(invalid="ignore", divide="ignore"):
            centered = x - np.sum(x, axis=dims, keepdims=True) / np.asarray(count, x.dtype)
        ctx.save_for_backward(centered)
        ctx.dims, ctx.keepdim, ctx.full_reduction = dims, keepdim, full_reduction
        ctx.dof = count - correction  # degrees of freedom; may be <= 0
        with np.errstate(invalid="ignore", divide="ignore"):
            # forward divides by max(dof, 0): inf (or nan for 0/0) when there are too few elements
            return np.sum(centered * centered, axis=dims, keepdims=keepdim) / np.asarray(
                builtins.max(ctx.dof, 0), x.dtype)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad * 2 * (x - mean) / (count -
        correction), None, None, None, None). torch's rules: dof = count - correction is not clamped here;
        for a full reduction with dof <= 0 the slope is inf (nan where x equals the mean). Task
        `Var.backward`."""
        # BEGIN SOLUTION
        (centered,) = ctx.saved_tensors
        grad = _expand_back(grad, centered.shape, ctx.dims, ctx.keepdim)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if ctx.full_reduction and ctx.dof <= 0:
                # torch's rule: the slope 2/dof is infinite; 0 * inf is nan where x equals the mean
                return grad * np.where(centered == 0, np.nan, np.inf).astype(grad.dtype), None, None, None, None
            # torch does not clamp dof here (a negative dof gives a negative slope)
            scale = np.asarray(2.0, grad.dtype) / np.asarray(ctx.dof, grad.dtype)
            return scale * grad * centered, None, None, None, None
        # END SOLUTION


class Std(Function):
    """sqrt(Var). Backward as torch's: grad / (2 std), with 0 where std == 0 (not 0/0), then var's backward.

    float32 input is reduced in float64 and rounded once: the variance of float32 values below ~1e-19 (e.g.
    [0, 1.2e-38]) underflows to 0 in float32, which would give std 0 and a zero gradient where the true
    gradient is (x - mean) / (N std), of order 1."""

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, full_reduction):
        """forward: compute the outputs from the input arrays. sqrt(Var). Backward as torch's: grad / (2 std),
        with 0 where std == 0 (not 0/0), then var's backward. Task `Std.forward`."""
        # BEGIN SOLUTION
        wide = x.astype(np.float64) if x.dtype == np.float32 else x
        variance = Var.forward(ctx, wide, dims, correction, keepdim, full_reduction)
        with np.errstate(invalid="ignore"):
            ctx.std = np.sqrt(variance)
        ctx.input_dtype = x.dtype
        return np.asarray(ctx.std).astype(x.dtype, copy=False)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """backward: one gradient per forward input (None where there is none), each shaped like its input.
        sqrt(Var). Backward as torch's: grad / (2 std), with 0 where std == 0 (not 0/0), then var's
        backward. Task `Std.backward`."""
        # BEGIN SOLUTION
        grad = grad.astype(np.asarray(ctx.std).dtype, copy=False)
        with np.errstate(invalid="ignore", divide="ignore"):
            grad_variance = np.where(ctx.std == 0, 0, grad / (2 * ctx.std)).astype(grad.dtype, copy=False)
        grad_input = Var.backward(ctx, grad_variance)[0]
        return grad_input.astype(ctx.input_dtype, copy=False), None, None, None, None
        # END SOLUTION


class Extreme(Function):
    """max or min over all elements; the gradient is shared equally among tied extremes (torch)."""

    @staticmethod
    def forward(ctx, x, largest):
        """max (largest=True) or min of all elements of x, as a 0-d array. NaN propagates. Task
        `Extreme.forward`."""
        # BEGIN SOLUTION
        result = np.max(x) if largest else np.min(x)
        ctx.save_for_backward(x, result)
        return np.asarray(result)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output (0-d). Return (grad shared equally among the
        tied extreme elements — torch divides it by the tie count —, None). Task `Extreme.backward`."""
        # BEGIN SOLUTION
        x, result = ctx.saved_tensors
        ties = (x == result) | (np.isnan(x) & np.isnan(result))
        return grad * ties / ties.sum(), None
        # END SOLUTION


class ExtremeDim(Function):
    """max or min along one dim: (values, indices); the gradient goes to the returned index only."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, largest):
        """max/min along `dim` (normalized int): returns (values, indices int64), keepdim as in torch. The
        index is the first extreme (a NaN counts as the extreme). Mark the indices output
        non-differentiable (ctx.mark_non_differentiable(1)). Task `ExtremeDim.forward`."""
        # BEGIN SOLUTION
        indices = np.expand_dims(_arg_extreme(x, dim, largest), dim)
        values = np.take_along_axis(x, indices, axis=dim)
        ctx.save_for_backward(indices)
        ctx.shape, ctx.dim = x.shape, dim
        ctx.mark_non_differentiable(1)
        if not keepdim:
            values, indices = np.squeeze(values, dim), np.squeeze(indices, dim)
        return values, indices.astype(np.int64)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        """grad_values: upstream gradient of the values; grad_indices: ignored. Return (a zero array of x's
        shape with grad_values put at the returned indices, None, None, None). Task `ExtremeDim.backward`."""
        # BEGIN SOLUTION
        (indices,) = ctx.saved_tensors
        grad_values = grad_values.reshape(indices.shape)
        grad = np.zeros(ctx.shape, grad_values.dtype)
        np.put_along_axis(grad, indices, grad_values, axis=ctx.dim)
        return grad, None, None, None
        # END SOLUTION


def _arg_extreme(x: np.ndarray, dim: int, largest: bool) -> np.ndarray:
    """First index of the max (min) along dim; a NaN counts as the extreme, as in torch."""
    nan = np.isnan(x) if x.dtype.kind == "f" else None
    if nan is not None and nan.any():
        found = np.argmax(nan, axis=dim)
        regular = np.argmax(x, axis=dim) if largest else np.argmin(x, axis=dim)
        return np.where(nan.any(axis=dim), found, regular)
    return np.argmax(x, axis=dim) if largest else np.argmin(x, axis=dim)


def _check_not_empty(op: str, x, dims: tuple, error: type = IndexError) -> None:
    """max/min/argmax have no identity: an empty reduction is an error (of torch's type)."""
    if x.data.size == 0 and (not dims or any(x.data.shape[d] == 0 for d in dims)):
        detail = f"dim {dims[0]} has size 0" if dims else "specify a dim"
        raise error(f"{op}: cannot reduce an empty tensor of shape {tuple(x.data.shape)} ({detail}); "
                    "there is no identity for this reduction")


def _cast_first(op: str, input, dtype):
    """torch's dtype= argument of sum/mean: the input is cast to dtype before the reduction."""
    if dtype is None:
        return input
    from tiny import dtypes
    from tiny.ops.arithmetic import to_dtype
    return to_dtype(input, dtypes.to_dtype(dtype, op).np)


def sum(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Sum over `dim` (int, tuple, or None for all). Integer and bool inputs give int64; dtype= casts first."""
    input = _cast_first("sum", input, dtype)
    dims = normalize_dims("sum", dim, input.data.ndim)
    return Sum.apply(input, dims, keepdim)


def mean(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Mean over `dim` (int, tuple, or None for all) of a floating-point input; dtype= casts first."""
    input = _cast_first("mean", input, dtype)
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"mean: could not infer output dtype; input dtype must be floating point, "
                           f"got {input.data.dtype}")
    dims = normalize_dims("mean", dim, input.data.ndim)
    return Mean.apply(input, dims, keepdim)


def _variance(op: str, function: type, input, dim, unbiased, keepdim, correction):
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: input dtype must be floating point, got {input.data.dtype}")
    if isinstance(dim, bool):  # torch's legacy overload var(unbiased: bool), std(unbiased: bool)
        if unbiased is not None:
            raise TypeError(f"{op}: got unbiased twice (positionally as {dim!r} and as unbiased={unbiased!r})")
        dim, unbiased = None, dim
    if unbiased is not None and not isinstance(unbiased, (bool, np.bool_)):
        raise TypeError(f"{op}: unbiased must be a bool, got {type(unbiased).__name__}")
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: cannot specify both unbiased ({unbiased!r}) and correction ({correction!r})")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = normalize_dims(op, dim, input.data.ndim)
    full_reduction = dim is None or input.data.ndim == 0  # torch's backward treats these apart
    return function.apply(input, dims, correction, keepdim, full_reduction)


def var(input, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None):
    """Variance over dim (int, tuple or None for all) with Bessel's correction by default (correction=1);
    unbiased=False means correction 0. var(x, True) / var(x, False) is torch's legacy var(unbiased)."""
    return _variance("var", Var, input, dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None):
    """sqrt(var(...)) with var's arguments (Bessel's correction by default)."""
    return _variance("std", Std, input, dim, unbiased, keepdim, correction)


def _extreme(op: str, largest: bool, input, dim, keepdim):
    if dim is None:
        _check_not_empty(op, input, (), RuntimeError)
        return Extreme.apply(input, largest)
    d = normalize_dim(op, dim, input.data.ndim)
    if input.data.ndim == 0:  # a 0-d tensor reduces over its single element
        input, keepdim = input.reshape(1), False
    _check_not_empty(op, input, (d,))
    values, indices = ExtremeDim.apply(input, d, keepdim, largest)
    return ValuesIndices(values, indices)


def max(input, dim=None, keepdim: bool = False):
    """max(x) -> 0-d Tensor; max(x, dim) -> (values, indices) with the first index among ties;
    max(x, other Tensor) -> the elementwise maximum (torch.maximum)."""
    from tiny.ops.extremum import maximum
    from tiny.tensor import Tensor
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    return _extreme("max", True, input, dim, keepdim)


def min(input, dim=None, keepdim: bool = False):
    """min(x), min(x, dim) -> (values, indices), min(x, other Tensor) -> the elementwise minimum."""
    from tiny.ops.extremum import minimum
    from tiny.tensor import Tensor
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    return _extreme("min", False, input, dim, keepdim)


def _argextreme(op: str, largest: bool, input, dim, keepdim):
    from tiny.tensor import Tensor

    data = input.data
    if dim is None:
        _check_not_empty(op, input, ())
        index = _arg_extreme(data.reshape(-1), 0, largest)
        return Tensor._wrap(np.asarray(index, np.int64).reshape((1,) * data.ndim if keepdim else ()))
    d = normalize_dim(op, dim, data.ndim)
    if data.ndim == 0:
        return Tensor._wrap(np.zeros((), np.int64))
    _check_not_empty(op, input, (d,))
    index = np.asarray(_arg_extreme(data, d, largest))
    if keepdim:
        index = np.expand_dims(index, d)
    return Tensor._wrap(index.astype(np.int64))


def argmax(input, dim=None, keepdim: bool = False):
    """Index of the first maximum (flattened when dim is None). Not differentiable."""
    return _argextreme("argmax", True, input, dim, keepdim)


def argmin(input, dim=None, keepdim: bool = False):
    return _argextreme("argmin", False, input, dim, keepdim)
