"""What convolution and pooling share: argument normalization, padding, and the two halves of im2col.

`windows` (im2col) is a strided *view* of a padded (N, C, H, W) array as (N, C, Ho, Wo, kh, kw): every
output pixel's receptive field, without copying (numpy.lib.stride_tricks.sliding_window_view, then
slicing by stride and dilation). `scatter_windows` (col2im) is its adjoint: it adds per-window values
back onto the (N, C, H, W) grid. It loops over the kh*kw kernel offsets — each iteration is one
vectorized add of an (N, C, Ho, Wo) slab, so the Python loop is 25 iterations for a 5x5 kernel,
never one per pixel, channel or sample.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Pads = tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))


def as_pair(value, name: str, op: str, allow_zero: bool = False) -> tuple[int, int]:
    """An int or a sequence of 2 ints -> (height, width)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{op}: {name} must be an int or a tuple of 2 ints, got {value!r}")
    if min(pair) < (0 if allow_zero else 1):
        raise RuntimeError(f"{op}: {name} must be {'non-negative' if allow_zero else 'positive'}, got {pair}")
    return pair


def effective(kernel: int, dilation: int) -> int:
    """The span of a dilated kernel: dilation * (kernel - 1) + 1."""
    return dilation * (kernel - 1) + 1


def pad_spatial(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """(A, B, H, W) -> (A, B, H + top + bottom, W + left + right), the border filled with `value`."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def windows(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
            out_hw: tuple[int, int]) -> np.ndarray:
    """Padded (A, B, Hp, Wp) -> read-only view (A, B, Ho, Wo, kh, kw) of each output's receptive field
    (A, B are (N, C) for pooling and (C, N) for convolution's im2col)."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    view = sliding_window_view(xp, (effective(kh, dh), effective(kw, dw)), axis=(2, 3))
    return view[:, :, :sh * (ho - 1) + 1:sh, :sw * (wo - 1) + 1:sw, ::dh, ::dw]


def offset_slices(i: int, j: int, stride: tuple[int, int], dilation: tuple[int, int],
                  out_hw: tuple[int, int]) -> tuple[slice, slice]:
    """The (rows, cols) of the padded grid that kernel offset (i, j) touches across all windows."""
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    return (slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


def scatter_windows(per_window: np.ndarray, padded_shape: tuple[int, ...], stride: tuple[int, int],
                    dilation: tuple[int, int]) -> np.ndarray:
    """col2im: per_window (A, kh, kw, B, Ho, Wo) summed onto a zero (A, B, Hp, Wp) grid (adjoint of windows)."""
    kh, kw, _, ho, wo = per_window.shape[1:]
    grid = np.zeros(padded_shape, dtype=per_window.dtype)  # (A, B, Hp, Wp)
    for i in range(kh):          # loop over kernel offsets only: kh * kw vectorized adds
        for j in range(kw):
            rows, cols = offset_slices(i, j, stride, dilation, (ho, wo))
            grid[:, :, rows, cols] += per_window[:, i, j]
    return grid


def crop(grid: np.ndarray, pads: Pads) -> np.ndarray:
    """Undo pad_spatial: drop the padded border of an (N, C, Hp, Wp) array."""
    (top, bottom), (left, right) = pads
    return grid[:, :, top:grid.shape[2] - bottom, left:grid.shape[3] - right]
