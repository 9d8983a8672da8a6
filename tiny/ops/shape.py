"""Views and reshapes: reshape/view, transpose, permute, unsqueeze, squeeze, flatten, expand."""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function
from tiny.ops._util import normalize_dim


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        """x with the new `shape` (tuple of ints, -1 already resolved or allowed by NumPy); same elements in
        row-major order. Task `Reshape.forward`."""
        # BEGIN SOLUTION
        ctx.shape = x.shape
        return x.reshape(shape)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad reshaped to x's shape, None).
        Task `Reshape.backward`."""
        # BEGIN SOLUTION
        return grad.reshape(ctx.shape), None
        # END SOLUTION


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        """x with its dims reordered: output dim i is input dim dims[i] (`dims`: a permutation, normalized).
        Task `Permute.forward`."""
        # BEGIN SOLUTION
        ctx.inverse = tuple(np.argsort(dims))
        return np.transpose(x, dims)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad permuted by the inverse
        permutation, None). Task `Permute.backward`."""
        # BEGIN SOLUTION
        return np.transpose(grad, ctx.inverse), None
        # END SOLUTION


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape):
        """x broadcast to `shape` (a view in torch; any array is fine here). Task `Expand.forward`."""
        # BEGIN SOLUTION
        return np.broadcast_to(x, shape)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output (the expanded shape). Return (grad, None): the
        engine sums it back to x's shape. Task `Expand.backward`."""
        # BEGIN SOLUTION
        return grad, None  # the engine sums the gradient back to the input's shape
        # END SOLUTION


def _shape_arg(op: str, shape: tuple) -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) like torch."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{op}: sizes must be ints, got {type(s).__name__} {s!r} in {shape!r}")
    return tuple(int(s) for s in shape)


def reshape(input, *shape):
    """A tensor with the same elements in `shape`; one size may be -1 (inferred)."""
    shape = _shape_arg("reshape", shape)
    size = input.data.size
    if shape.count(-1) > 1:
        raise RuntimeError(f"reshape: only one dimension can be inferred, got shape {list(shape)}")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"reshape: invalid shape dimension in {list(shape)}")
    known = int(np.prod([s for s in shape if s != -1]))
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"reshape: shape {list(shape)} is invalid for input of size {size} "
                               f"(shape {tuple(input.data.shape)})")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise RuntimeError(f"reshape: shape {list(shape)} is invalid for input of size {size} "
                           f"(shape {tuple(input.data.shape)})")
    return Reshape.apply(input, shape)


def view(input, *shape):
    """Same as reshape: tiny has no strides, so every tensor is contiguous (torch's view may refuse)."""
    return reshape(input, *shape)


def permute(input, *dims):
    dims = _shape_arg("permute", dims)
    ndim = input.data.ndim
    if len(dims) != ndim:
        raise RuntimeError(f"permute: number of dims {len(dims)} does not match the input's {ndim} "
                           f"dims (shape {tuple(input.data.shape)})")
    normalized = tuple(normalize_dim("permute", d, ndim) for d in dims)
    if sorted(normalized) != list(range(ndim)):
        problem = "repeated dim" if len(set(normalized)) < len(normalized) else "number of dims don't match"
        raise RuntimeError(f"permute: dims {list(dims)} are not a permutation of {list(range(ndim))} ({problem})")
    return Permute.apply(input, normalized)


def transpose(input, dim0: int, dim1: int):
    ndim = input.data.ndim
    d0, d1 = normalize_dim("transpose", dim0, ndim), normalize_dim("transpose", dim1, ndim)
    order = list(range(ndim))
    if ndim:
        order[d0], order[d1] = order[d1], order[d0]
    return Permute.apply(input, tuple(order))


def unsqueeze(input, dim: int):
    ndim = input.data.ndim
    d = normalize_dim("unsqueeze", dim, ndim + 1)
    shape = input.data.shape
    return Reshape.apply(input, shape[:d] + (1,) + shape[d:])


def squeeze(input, dim=None):
    """Drop size-1 dims (all, or those in `dim`); a listed dim whose size is not 1 is left alone."""
    shape = input.data.shape
    if dim is None:
        dims = {i for i, s in enumerate(shape) if s == 1}
    else:
        listed = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        dims = {d for d in (normalize_dim("squeeze", d, len(shape)) for d in listed)
                if len(shape) and shape[d] == 1}
    return Reshape.apply(input, tuple(s for i, s in enumerate(shape) if i not in dims))


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    shape = input.data.shape
    if not shape:  # a 0-d tensor accepts dims 0 and -1, as torch
        normalize_dim("flatten", start_dim, 0)
        normalize_dim("flatten", end_dim, 0)
        return Reshape.apply(input, (1,))
    start = normalize_dim("flatten", start_dim, len(shape))
    end = normalize_dim("flatten", end_dim, len(shape))
    if start > end:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                           f"for shape {tuple(shape)}")
    merged = int(np.prod(shape[start:end + 1]))
    return Reshape.apply(input, shape[:start] + (merged,) + shape[end + 1:])


def expand(input, *sizes):
    """Broadcast to `sizes` without copying; -1 keeps a size; new dims may be added in front."""
    if not sizes:
        raise TypeError("expand: missing the target sizes, e.g. x.expand(2, 3)")
    sizes = _shape_arg("expand", sizes)
    shape = input.data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand: the number of sizes ({len(sizes)}) must be at least the number "
                           f"of dims of the tensor (shape {tuple(shape)})")
    offset = len(sizes) - len(shape)
    target = []
    for i, size in enumerate(sizes):
        current = shape[i - offset] if i >= offset else None
        if size == -1:
            if current is None:
                raise RuntimeError(f"expand: -1 is not allowed for a new leading dim ({list(sizes)})")
            size = current
        elif current is not None and current != size and current != 1:
            raise RuntimeError(f"expand: the expanded size {size} must match the existing size "
                               f"{current} at non-singleton dim {i}; target {list(sizes)}, "
                               f"tensor shape {tuple(shape)}")
        target.append(size)
    return Expand.apply(input, tuple(target))
