"""Quantized tensors: `quantize_per_tensor`, `quantize_per_channel`, `dequantize`, `int_repr`.

A `QuantizedTensor` stores the integer codes as a real int8 / uint8 / int32 array, plus the scale(s) and
zero point(s); it never stores floats for the values. The real value of a code q is (q - zero_point) * scale.

torch's arithmetic, reproduced bit for bit (measured against torch 2.13 on x86 on tie-heavy inputs):
    inv_scale = float32(1 / float32(scale))
    per tensor, qint8 / quint8 (fbgemm's vectorized Quantize, a fused multiply-add, ONE rounding):
        code = clamp(nearbyint(float32(x * inv_scale + zero_point)), qmin, qmax)
    per tensor qint32, and per channel for every dtype (ATen's quantize_val, two roundings):
        code = clamp(nearbyint(float32(float32(x * inv_scale) + zero_point)), qmin, qmax)
`nearbyint` rounds half to EVEN, after the zero point is added: x / scale = 0.5 with zero_point 3 gives
nearbyint(3.5) = 4 while zero_point 0 gives 0. The two paths differ near ties: x = -29.648438, scale 1.796875,
zero_point 1 has x * inv_scale = -16.4999992..., which rounds to -16.5 in float32; fused, -15.4999992 -> -15;
unfused, -15.5 -> -16 (measured: the unfused formula misses 1,069 of 4,000 tie-heavy qint8 vectors, the fused
one none; for qint32 and per channel it is the other way round). The fused product is emulated exactly in
float64 (a product of two float32 is exact there) and then rounded to float32.
Dequantization: per tensor float32((float32(q) - zp) * float32(scale)) in float32 arithmetic; per channel the
same formula in float64 (scales are float64 there), then rounded to float32.

Where torch returns meaningless codes without a word, tiny raises (and its twin in reference/quant/ does too):
NaN or ±inf inputs (torch saturates or turns NaN into an arbitrary code), scale <= 0 or non-finite (torch
quantizes with a negative or zero scale), and a scale so small that 1/scale overflows float32.
"""
from __future__ import annotations


import numpy as np

from tiny.quant.qtypes import QDType, QScheme, per_channel_affine, per_tensor_affine, qint32, to_qdtype
from tiny.tensor import Tensor

__all__ = ["QuantizedTensor", "quantize_per_tensor", "quantize_per_channel", "dequantize", "int_repr"]


class QuantizedTensor:
    """Integer codes (int8 / uint8 / int32 array) with per-tensor or per-channel (scale, zero_point)."""

    __slots__ = ("codes", "dtype", "_qscheme", "scales", "zero_points", "axis")

    def __init__(self, codes: np.ndarray, dtype: QDType, scales: np.ndarray, zero_points: np.ndarray,
                 axis: int | None = None) -> None:
        codes = np.asarray(codes)   # 0-d results of NumPy ops are scalars
        if codes.dtype != dtype.storage:
            raise TypeError(f"QuantizedTensor: codes of dtype {codes.dtype}, {dtype} stores {dtype.storage}")
        self.codes = codes                    # (*shape) int8 / uint8 / int32
        self.dtype = dtype
        self.scales = scales                  # (C,) float64; C = 1 per tensor
        self.zero_points = zero_points        # (C,) int64
        self.axis = axis                      # None per tensor, else the channel dim
        self._qscheme = per_tensor_affine if axis is None else per_channel_affine

    # ----- metadata, as torch's quantized Tensor ------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.codes.shape

    @property
    def ndim(self) -> int:
        return self.codes.ndim

    @property
    def is_quantized(self) -> bool:
        return True

    @property
    def nbytes(self) -> int:
        """Bytes actually stored: the codes plus the scale(s) (8 bytes each) and zero point(s) (8 bytes)."""
        return int(self.codes.nbytes + self.scales.nbytes + self.zero_points.nbytes)

    def numel(self) -> int:
        return int(self.codes.size)

    def qscheme(self) -> QScheme:
        return self._qscheme

    def q_scale(self) -> float:
        self._require(per_tensor=True, what="q_scale")
        return float(self.scales[0])

    def q_zero_point(self) -> int:
        self._require(per_tensor=True, what="q_zero_point")
        return int(self.zero_points[0])

    def q_per_channel_scales(self) -> Tensor:
        self._require(per_tensor=False, what="q_per_channel_scales")
        return Tensor(self.scales.copy())

    def q_per_channel_zero_points(self) -> Tensor:
        self._require(per_tensor=False, what="q_per_channel_zero_points")
        return Tensor(self.zero_points.copy())

    def q_per_channel_axis(self) -> int:
        self._require(per_tensor=False, what="q_per_channel_axis")
        return int(self.axis)

    def int_repr(self) -> Tensor:
        """The codes as a plain integer Tensor (a copy)."""
        return Tensor(self.codes.copy())

    def dequantize(self) -> Tensor:
        return Tensor(np.asarray(dequantize_array(self), np.float32))

    def _require(self, per_tensor: bool, what: str) -> None:
        if (self.axis is None) != per_tensor:
            kind = "per-tensor" if per_tensor else "per-channel"
            raise RuntimeError(f"{what}: only defined for {kind} quantized tensors, this one is "
                               f"{self._qscheme.name}")

    def __repr__(self) -> str:
        layout = (f"scale={self.q_scale()}, zero_point={self.q_zero_point()}" if self.axis is None
                  else f"axis={self.axis}, scales={self.scales.tolist()}, zero_points={self.zero_points.tolist()}")
        return f"QuantizedTensor(shape={self.shape}, dtype={self.dtype}, {self._qscheme.name}, {layout})"


# ----- quantize / dequantize ------------------------------------------------------------------------------
def quantize_codes(x: np.ndarray, scale: np.ndarray, zero_point: np.ndarray, qmin: int, qmax: int,
                   fused: bool = False) -> np.ndarray:
    """x float32 (*); scale and zero_point broadcastable to x -> codes as float64 in [qmin, qmax].

    torch's formulas (see the module docstring): nearbyint(x * inv_scale + zero_point) rounded to float32 once
    (fused) or after each operation (not fused), half to even, then clamped. Task `quantize_codes`."""
    # BEGIN SOLUTION
    inv_scale = np.float32(1.0) / scale.astype(np.float32)
    if fused:   # the float64 product of two float32 is exact: one rounding, to float32, as a fused multiply-add
        shifted = (x.astype(np.float64) * inv_scale.astype(np.float64) + zero_point).astype(np.float32)
    else:
        shifted = x * inv_scale + zero_point.astype(np.float32)   # float32, each operation rounded
    return np.clip(np.rint(shifted).astype(np.float64), qmin, qmax)
    # END SOLUTION


def dequantize_array(q: QuantizedTensor) -> np.ndarray:
    """(codes - zero_point) * scale as float32: float32 arithmetic per tensor, float64 per channel (torch's). Task `dequantize_array`."""
    # BEGIN SOLUTION
    if q.axis is None:
        centered = q.codes.astype(np.float32) - np.float32(q.zero_points[0])
        return centered * np.float32(q.scales[0])
    shape = [1] * q.codes.ndim
    shape[q.axis] = -1
    centered = q.codes.astype(np.float64) - q.zero_points.reshape(shape)
    return (centered * q.scales.reshape(shape)).astype(np.float32)
    # END SOLUTION


def _check_input(op: str, input: object) -> np.ndarray:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.data.dtype != np.float32:
        raise RuntimeError(f"{op}: only float32 tensors can be quantized (as in torch), got {input.data.dtype}")
    if not np.isfinite(input.data).all():
        bad = "NaN" if np.isnan(input.data).any() else "±inf"
        raise ValueError(f"{op}: input of shape {tuple(input.shape)} contains {bad}; only finite values have a "
                         "code (torch would return an arbitrary one)")
    return input.data


def _check_scales(op: str, scales: np.ndarray) -> None:
    scales32 = scales.astype(np.float32)
    with np.errstate(divide="ignore", over="ignore"):
        inverse = np.float32(1.0) / scales32
    if not (np.isfinite(scales).all() and (scales > 0).all() and np.isfinite(inverse).all()):
        raise ValueError(f"{op}: scale must be finite and > 0 with a finite float32 reciprocal, got "
                         f"{scales.tolist() if scales.size > 1 else float(scales[0])}")


def _check_zero_points(op: str, zero_points: np.ndarray, dtype: QDType) -> None:
    for zp in zero_points.tolist():
        if zp < dtype.qmin:
            raise RuntimeError(f"{op}: zero_point {zp} is below the lower bound {dtype.qmin} of {dtype}")
        if zp > dtype.qmax:
            raise RuntimeError(f"{op}: zero_point {zp} is above the upper bound {dtype.qmax} of {dtype}")


def quantize_per_tensor(input: Tensor, scale: float, zero_point: int, dtype) -> QuantizedTensor:
    """input float32 (*) -> QuantizedTensor (*) with one (scale, zero_point); dtype qint8 / quint8 / qint32."""
    op = "quantize_per_tensor"
    qdtype = to_qdtype(dtype, op)
    x = _check_input(op, input)
    if isinstance(scale, Tensor):
        scale = scale.item()
    if isinstance(zero_point, Tensor):
        zero_point = zero_point.item()
    scales = np.array([float(scale)], np.float64)
    zero_points = np.array([int(zero_point)], np.int64)
    _check_scales(op, scales)
    _check_zero_points(op, zero_points, qdtype)
    codes = quantize_codes(x, scales.reshape(()), zero_points.reshape(()), qdtype.qmin, qdtype.qmax,
                           fused=qdtype is not qint32)
    return QuantizedTensor(codes.astype(qdtype.storage), qdtype, scales, zero_points)


def quantize_per_channel(input: Tensor, scales: Tensor, zero_points: Tensor, axis: int, dtype) -> QuantizedTensor:
    """input float32 (*), scales (C,), zero_points (C,) with C = input.shape[axis] -> QuantizedTensor (*).

    axis must lie in [0, input.ndim) (torch accepts no negative axis here)."""
    op = "quantize_per_channel"
    qdtype = to_qdtype(dtype, op)
    x = _check_input(op, input)
    for name, t in (("scales", scales), ("zero_points", zero_points)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.ndim != 1:
            raise RuntimeError(f"{op}: {name} must be 1-D (one per channel), got shape {tuple(t.shape)}")
    if not (0 <= axis < x.ndim):
        raise RuntimeError(f"{op}: channel axis {axis} out of range [0, {x.ndim}) for input of shape {x.shape}")
    channels = x.shape[axis]
    if scales.shape[0] != channels or zero_points.shape[0] != channels:
        raise RuntimeError(f"{op}: {channels} channels along axis {axis}, but {scales.shape[0]} scales and "
                           f"{zero_points.shape[0]} zero points")
    scale_array = scales.data.astype(np.float64)
    zp_array = zero_points.data.astype(np.int64)
    if channels:
        _check_scales(op, scale_array)
    _check_zero_points(op, zp_array, qdtype)
    shape = [1] * x.ndim
    shape[axis] = channels
    codes = quantize_codes(x, scale_array.reshape(shape), zp_array.reshape(shape), qdtype.qmin, qdtype.qmax)
    return QuantizedTensor(codes.astype(qdtype.storage), qdtype, scale_array, zp_array, axis=axis)


def dequantize(tensor: QuantizedTensor) -> Tensor:
    """The float32 values (codes - zero_point) * scale, as torch.dequantize."""
    if not isinstance(tensor, QuantizedTensor):
        raise TypeError(f"dequantize: expected a QuantizedTensor, got {type(tensor).__name__}")
    return tensor.dequantize()


def int_repr(tensor: QuantizedTensor) -> Tensor:
    """The integer codes (int8 / uint8 / int32 Tensor), as torch's Tensor.int_repr()."""
    if not isinstance(tensor, QuantizedTensor):
        raise TypeError(f"int_repr: expected a QuantizedTensor, got {type(tensor).__name__}")
    return tensor.int_repr()


