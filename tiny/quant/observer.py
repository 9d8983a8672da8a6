"""Observers: record running min/max of the tensors they see and turn them into (scale, zero_point), with
torch.ao.quantization's formulas (`_calculate_qparams` / `determine_qparams`), reproduced in float32:

    quant range  [qmin, qmax] of the dtype; reduce_range halves it: qint8 [-64, 63], quint8 [0, 127];
                 custom quant_min/quant_max must contain 0; with reduce_range they are floor-halved
    min_neg = min(min_val, 0), max_pos = max(max_val, 0)
    symmetric:   scale = max(max(-min_neg, max_pos) / ((qmax - qmin) / 2), eps)
                 zero_point = 0 (qint8, qint32), 128 (quint8), (qmin + qmax) // 2 (quint8, custom range)
    affine:      scale = max((max_pos - min_neg) / (qmax - qmin), eps)
                 zero_point = clamp(qmin - round_half_even(min_neg / scale), qmin, qmax)
every operation in float32 (the buffers' dtype). torch's result dtypes are kept: scale float32 of shape (1,)
per tensor, (C,) per channel; zero_point int32 for affine, int64 for symmetric and for an observer that has
seen nothing (which returns scale [1.0], zero_point [0]). An all-constant or all-zero input gives scale = eps.

Deliberate differences (torch returns a NaN or infinite scale without a word): a NaN or ±inf input raises
ValueError. Where torch raises AssertionError for a bad quantization range or dtype, tiny raises
ObserverConfigError, an AssertionError with a message that names the observer and the bad value (error parity
wants torch's exact class; a class that is also a ValueError would match neither). Where torch raises NotImplementedError (a per-channel qscheme
given to MinMaxObserver, reduce_range with symmetric quint8), tiny raises ValueError: in this project
NotImplementedError means "not written yet".
"""
from __future__ import annotations

import numpy as np

from tiny.nn.module import Module
from tiny.quant.qtypes import (QDType, per_channel_affine, per_tensor_affine, qint8, qint32, quint8,
                               to_qdtype, to_qscheme)
from tiny.tensor import Tensor

__all__ = ["MinMaxObserver", "MovingAverageMinMaxObserver", "PerChannelMinMaxObserver", "calculate_qparams",
           "calculate_qmin_qmax", "ObserverConfigError"]

FLOAT32_EPS = float(np.finfo(np.float32).eps)


class ObserverConfigError(AssertionError):
    """A bad quantization range or dtype (torch raises AssertionError for these)."""


def calculate_qmin_qmax(quant_min: int | None, quant_max: int | None, dtype: QDType,
                        reduce_range: bool) -> tuple[int, int]:
    """The quantization range actually used, as torch's calculate_qmin_qmax (custom ranges validated). Task `calculate_qmin_qmax`."""
    # BEGIN SOLUTION
    if quant_min is not None and quant_max is not None:
        if not quant_min <= 0 <= quant_max:
            raise ObserverConfigError(f"observer: quant_min={quant_min}, quant_max={quant_max}: the "
                                      "user-specified quantization range must include 0")
        if quant_min >= quant_max:
            raise ObserverConfigError(f"observer: quant_min={quant_min} must be strictly less than "
                                      f"quant_max={quant_max}")
        bits = {qint8.name: 256, qint32.name: 2 ** 32}.get(dtype.name)
        if bits is not None and not 0 < quant_max - quant_min + 1 <= bits:
            raise ObserverConfigError(f"observer: range [{quant_min}, {quant_max}] exceeds the {bits} codes "
                                      f"of {dtype}")
        return (quant_min // 2, quant_max // 2) if reduce_range else (quant_min, quant_max)
    if dtype is qint32:
        return dtype.qmin, dtype.qmax
    if reduce_range:
        return (-64, 63) if dtype is qint8 else (0, 127)
    return dtype.qmin, dtype.qmax
    # END SOLUTION


def calculate_qparams(min_val: np.ndarray, max_val: np.ndarray, quant_min: int, quant_max: int, dtype: QDType,
                      symmetric: bool, eps: float = FLOAT32_EPS,
                      has_customized_qrange: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """min_val, max_val float32 () or (C,) -> (scale float32 (1,) or (C,), zero_point int32/int64 same shape). Task `calculate_qparams`."""
    if min_val.size == 0 or (min_val.ndim == 0 and min_val == np.inf and max_val == -np.inf):
        return np.ones(1, np.float32), np.zeros(1, np.int64)     # nothing observed yet: torch's defaults
    if np.any(min_val > max_val):
        raise ObserverConfigError(f"calculate_qparams: min {min_val} should be less than max {max_val}")
    # BEGIN SOLUTION
    min_neg = np.minimum(min_val, np.float32(0))
    max_pos = np.maximum(max_val, np.float32(0))
    eps32 = np.float32(eps)
    if symmetric:
        scale = np.maximum(np.maximum(-min_neg, max_pos) / np.float32((quant_max - quant_min) / 2), eps32)
        middle = (quant_min + quant_max) // 2 if has_customized_qrange else 128
        zero_point = np.full(scale.shape, middle if dtype is quint8 else 0, np.int64)
    else:
        scale = np.maximum((max_pos - min_neg) / np.float32(quant_max - quant_min), eps32)
        zero_point = np.int64(quant_min) - np.rint(min_neg / scale).astype(np.int64)
        zero_point = np.clip(zero_point, quant_min, quant_max).astype(np.int32)
    # END SOLUTION
    return np.atleast_1d(scale).astype(np.float32), np.atleast_1d(zero_point)


def _check_finite(op: str, x: np.ndarray) -> None:
    if not np.isfinite(x).all():
        bad = "NaN" if np.isnan(x).any() else "±inf"
        raise ValueError(f"{op}: the observed tensor of shape {x.shape} contains {bad}; its min/max would give a "
                         "meaningless scale (torch returns scale nan/inf)")


class _ObserverBase(Module):
    """dtype, qscheme, reduce_range, quant_min/quant_max, eps; buffers min_val, max_val, eps (float32)."""

    def __init__(self, dtype, qscheme, reduce_range: bool, quant_min, quant_max, eps: float) -> None:
        super().__init__()
        name = type(self).__name__
        try:
            self.dtype = to_qdtype(dtype, name)
        except TypeError as exc:
            raise ObserverConfigError(str(exc)) from None
        self.qscheme = to_qscheme(qscheme, name)
        self.reduce_range = bool(reduce_range)
        self.has_customized_qrange = quant_min is not None and quant_max is not None
        self.quant_min, self.quant_max = calculate_qmin_qmax(quant_min, quant_max, self.dtype, self.reduce_range)
        if self.qscheme.symmetric and self.reduce_range and self.dtype is quint8:
            raise ValueError(f"{name}: cannot reduce the range of symmetric quantization for quint8 "
                             "(torch raises NotImplementedError)")
        self.register_buffer("eps", Tensor(np.array([eps], np.float32)))

    def calculate_qparams(self) -> tuple[Tensor, Tensor]:
        """(scale float32 (1,) | (C,), zero_point int32 | int64 of the same shape)."""
        scale, zero_point = calculate_qparams(self.min_val.data, self.max_val.data, self.quant_min, self.quant_max,
                                              self.dtype, self.qscheme.symmetric, float(self.eps.data[0]),
                                              self.has_customized_qrange)
        return Tensor(scale), Tensor(zero_point)

    def _observed(self, x: Tensor) -> np.ndarray | None:
        """The input as float32 (any numeric dtype is accepted, as torch's .to(float32)); None if empty."""
        if not isinstance(x, Tensor):
            raise TypeError(f"{type(self).__name__}: expected a Tensor, got {type(x).__name__}")
        if x.data.size == 0:
            return None
        data = x.data.astype(np.float32)
        _check_finite(type(self).__name__, data)
        return data

    def extra_repr(self) -> str:
        return f"min_val={self.min_val.data}, max_val={self.max_val.data}"


class MinMaxObserver(_ObserverBase):
    """Running min and max over every tensor seen; per-tensor affine or symmetric qparams.

    Defaults as torch's: dtype=quint8, qscheme=per_tensor_affine, reduce_range=False, eps=float32 eps."""

    def __init__(self, dtype=quint8, qscheme=per_tensor_affine, reduce_range: bool = False, quant_min=None,
                 quant_max=None, eps: float = FLOAT32_EPS) -> None:
        if to_qscheme(qscheme, type(self).__name__).per_channel:
            raise ValueError(f"{type(self).__name__}: qscheme must be per_tensor_affine or per_tensor_symmetric, "
                             f"got {qscheme} (torch raises NotImplementedError)")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, eps)
        self.register_buffer("min_val", Tensor(np.array(np.inf, np.float32)))
        self.register_buffer("max_val", Tensor(np.array(-np.inf, np.float32)))

    def forward(self, x: Tensor) -> Tensor:
        data = self._observed(x)
        if data is not None:
            self.min_val.data = np.asarray(np.minimum(data.min(), self.min_val.data), np.float32)
            self.max_val.data = np.asarray(np.maximum(data.max(), self.max_val.data), np.float32)
        return x

    def reset_min_max_vals(self) -> None:
        self.min_val.data = np.array(np.inf, np.float32)
        self.max_val.data = np.array(-np.inf, np.float32)


class MovingAverageMinMaxObserver(MinMaxObserver):
    """min_val <- min_val + c * (min(x) - min_val) (same for max), c = averaging_constant; the first tensor
    seen sets them directly."""

    def __init__(self, averaging_constant: float = 0.01, dtype=quint8, qscheme=per_tensor_affine,
                 reduce_range: bool = False, quant_min=None, quant_max=None, eps: float = FLOAT32_EPS) -> None:
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, eps)
        self.averaging_constant = averaging_constant

    def forward(self, x: Tensor) -> Tensor:
        """forward: compute the outputs from the input arrays. min_val <- min_val + c * (min(x) - min_val)
        (same for max), c = averaging_constant; the first tensor seen sets them directly.
        Task `MovingAverageMinMaxObserver.forward`."""
        data = self._observed(x)
        if data is None:
            return x
        low, high = data.min(), data.max()
        if self.min_val.data == np.inf and self.max_val.data == -np.inf:
            self.min_val.data, self.max_val.data = np.asarray(low, np.float32), np.asarray(high, np.float32)
            return x
        # BEGIN SOLUTION
        c = np.float32(self.averaging_constant)
        self.min_val.data = np.asarray(self.min_val.data + c * (low - self.min_val.data), np.float32)
        self.max_val.data = np.asarray(self.max_val.data + c * (high - self.max_val.data), np.float32)
        # END SOLUTION
        return x


class PerChannelMinMaxObserver(_ObserverBase):
    """Running min/max per slice along ch_axis; per_channel_affine (default) or per_channel_symmetric."""

    def __init__(self, ch_axis: int = 0, dtype=quint8, qscheme=per_channel_affine, reduce_range: bool = False,
                 quant_min=None, quant_max=None, eps: float = FLOAT32_EPS) -> None:
        if not to_qscheme(qscheme, type(self).__name__).per_channel:
            raise ValueError(f"{type(self).__name__}: qscheme must be per_channel_affine or per_channel_symmetric, "
                             f"got {qscheme} (torch raises NotImplementedError)")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, eps)
        self.ch_axis = ch_axis
        self.register_buffer("min_val", Tensor(np.zeros(0, np.float32)))
        self.register_buffer("max_val", Tensor(np.zeros(0, np.float32)))

    def forward(self, x: Tensor) -> Tensor:
        data = self._observed(x)
        if data is None:
            return x
        if data.ndim < 2:  # torch flattens the non-channel dims with flatten(start_dim=1)
            raise IndexError(f"{type(self).__name__}: input of shape {data.shape} must have at least 2 dims "
                             "(channels and the rest), as in torch")
        if not -data.ndim <= self.ch_axis < data.ndim:
            raise IndexError(f"{type(self).__name__}: ch_axis {self.ch_axis} out of range for a tensor of shape "
                             f"{data.shape}")
        rows = np.moveaxis(data, self.ch_axis, 0).reshape(data.shape[self.ch_axis], -1)   # (C, rest)
        low, high = rows.min(axis=1), rows.max(axis=1)
        if self.min_val.data.size:
            if self.min_val.data.shape != low.shape:
                raise RuntimeError(f"{type(self).__name__}: {low.shape[0]} channels, the observer has seen "
                                   f"{self.min_val.data.shape[0]}")
            low, high = np.minimum(low, self.min_val.data), np.maximum(high, self.max_val.data)
        self.min_val.data, self.max_val.data = low, high
        return x
