"""Pointwise update arithmetic on NumPy arrays, rounded where torch's CPU kernels round.

Why this file exists: optimizers apply hundreds of tiny updates, and in float32 the rounding of each
one compounds. torch's vectorized CPU kernels compute `add(x, y, alpha=a)`, `addcmul` and `lerp` with a
fused multiply-add (one rounding for `a*b + c`), while NumPy rounds the product and the sum separately.
With momentum that 1-ulp difference per step grows to thousands of ulps of the small parameters after
25 steps. For float32 we emulate the fused operation exactly: the product of two float32 numbers is
exact in float64, so `float32(float64(a) * float64(b) + float64(c))` rounds (almost always) once.
Float64 arrays use plain NumPy arithmetic (two roundings: ~1e-16 relative per step, far below any
tolerance).

Every scalar is first rounded to the array's dtype, as torch casts its Python-number arguments.
All functions return new arrays; the callers copy results into parameters and state in place.
"""
from __future__ import annotations

import numpy as np


def _scalar(value: float, dtype: np.dtype):
    """A Python number rounded to the array dtype (torch casts scalar arguments the same way)."""
    return dtype.type(value)


def fused_multiply_add(a: np.ndarray, b, c: np.ndarray) -> np.ndarray:
    """a * b + c with a single rounding when the result is float32 (b: an array, or a scalar already
    rounded to the arrays' dtype)."""
    if np.result_type(a, c) == np.float32:
        wide = np.asarray(a, np.float64) * np.asarray(b, np.float64) + np.asarray(c, np.float64)
        return wide.astype(np.float32)
    return a * b + c


def add_scaled(x: np.ndarray, other: np.ndarray, alpha: float) -> np.ndarray:
    """torch's x.add(other, alpha=alpha): x + alpha * other (fused)."""
    return fused_multiply_add(other, _scalar(alpha, x.dtype), x)


def scale(x: np.ndarray, factor: float) -> np.ndarray:
    """torch's x.mul(factor) with a Python number."""
    return x * _scalar(factor, x.dtype)


def add_scalar(x: np.ndarray, value: float) -> np.ndarray:
    """torch's x.add(value) with a Python number (e.g. + eps)."""
    return x + _scalar(value, x.dtype)


def div_scalar(x: np.ndarray, value: float) -> np.ndarray:
    """torch's x / value with a Python number."""
    return x / _scalar(value, x.dtype)


def addcmul(x: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: float) -> np.ndarray:
    """torch's x.addcmul(t1, t2, value=value): x + (value * t1) * t2, the last step fused."""
    return fused_multiply_add(_scalar(value, x.dtype) * t1, t2, x)


def addcdiv(x: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: float) -> np.ndarray:
    """torch's x.addcdiv(t1, t2, value=value): x + (value * t1) / t2, every step rounded."""
    return x + (_scalar(value, x.dtype) * t1) / t2


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """torch's start.lerp(end, weight): start + weight * (end - start), fused.

    As torch does for accuracy, a weight of 0.5 or more interpolates from the `end` side instead:
    end + (weight - 1) * (end - start).
    """
    w = _scalar(weight, start.dtype)
    difference = end - start
    if abs(w) < 0.5:
        return fused_multiply_add(difference, w, start)
    return fused_multiply_add(difference, w - start.dtype.type(1), end)
