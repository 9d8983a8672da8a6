"""Quantized Linear layers with int8 weights: `DynamicQuantizedLinear` (activations quantized per call) and
`QuantizedLinear` (activations quantized with calibrated, fixed qparams). Both output float32.

Arithmetic (torch's fbgemm dynamic Linear, reproduced; measured bit-identical on random layers):
  1. activation codes xq in quint8 [0, 127] (reduce_range, as torch.ao's dynamic Linear passes on x86/fbgemm
     — the range is halved so the u8*s8 pair products of the vpmaddubsw instruction cannot saturate int16)
     with (scale_x, zp_x) = choose_qparams(min(x), max(x)) for dynamic, the observer's for static;
     xq = nearbyint(fma(x, float32(1/scale_x), zp_x)): fbgemm's input packing rounds x*inv_scale + zp ONCE
     (a fused multiply-add), unlike torch.quantize_per_tensor, which rounds the product first (measured: the
     unfused formula differs from torch's output in 3 of 300 random layers, the fused one in none);
  2. acc[i, j] = sum_k (xq[i, k] - zp_x) * (wq[j, k] - zp_w[j])       exact integers (int32 in fbgemm);
  3. y[i, j] = fma(float32(acc), float32(scale_x * scale_w[j]), bias[j])  per-channel scales folded here.

How tiny gets step 2 exactly from NumPy, which has no int8 GEMM: the centered codes (|.| <= 255) and the weight
codes (|.| <= 128 symmetric, 255 otherwise) are converted to float32 per call and multiplied with float32 BLAS.
Every partial sum is an integer bounded by B = max_i sum_k |xq[i, k] - zp_x| * max|wq - zp_w|; float32 holds
every integer below 2^24 exactly, so while B < 2^24 (checked per call; e.g. K = 784 gives at most 784*127*128
= 12.7e6) the float32 product IS the integer accumulator. Otherwise the product runs in float64 (exact below
2^53). Why not a float32 copy of the weights: it would make the layer 4x bigger than its int8 storage; the
per-call int8 -> float32 conversion is the price of storing only int8 (perf/quant.py measures it).
"""
from __future__ import annotations

import numpy as np

from tiny.nn.module import Module
from tiny.quant.choose_qparams import choose_qparams
from tiny.quant.observer import MinMaxObserver, PerChannelMinMaxObserver
from tiny.quant.qtensor import QuantizedTensor, quantize_per_channel, quantize_per_tensor
from tiny.quant.qtypes import per_channel_symmetric, per_tensor_symmetric, qint8, quint8, to_qdtype
from tiny.tensor import Tensor

__all__ = ["DynamicQuantizedLinear", "QuantizedLinear"]

EXACT_FLOAT32 = 2 ** 24


def quantize_activations(x: np.ndarray, scale: float, zero_point: int, qmin: int, qmax: int) -> np.ndarray:
    """x (R, K) float32 -> centered codes xq - zp (R, K) as float32 (exact small integers), where
    xq = clamp(nearbyint(float32(x * inv_scale + zp)), qmin, qmax) with one rounding of the fused multiply-add.
    The product of two float32 is exact in float64, so float64 then float32 emulates the fused multiply-add
    (up to a double rounding when the float64 sum itself is inexact, which needs |zp| >> |x * inv_scale|). Task `quantize_activations`."""
    # BEGIN SOLUTION
    inv_scale = float(np.float32(1.0) / np.float32(scale))
    shifted = x.astype(np.float64)
    shifted *= inv_scale
    shifted += zero_point
    codes = shifted.astype(np.float32)
    np.rint(codes, out=codes)
    np.clip(codes, qmin, qmax, out=codes)
    codes -= np.float32(zero_point)
    return codes
    # END SOLUTION


def int_linear(centered: np.ndarray, weight_codes: np.ndarray, weight_zero_points: np.ndarray | None,
               bound: float) -> np.ndarray:
    """centered (R, K) integer-valued float32, weight codes (N, K) int8, zero points (N,) float32 or None (all
    zero) -> the exact accumulator (R, N) as float32 (float32(acc), as torch's requantization converts it).
    `bound` is an upper bound of every |partial sum| known in advance (K * max|xq - zp| * max|wq - zp_w|). Task `int_linear`."""
    # BEGIN SOLUTION
    weight = weight_codes.astype(np.float32)                          # (N, K), exact
    if weight_zero_points is not None:
        weight -= weight_zero_points[:, None]
    if bound >= EXACT_FLOAT32:   # the a-priori bound is too loose: bound this input's rows instead
        bound = float(np.abs(centered).sum(axis=1).max(initial=0.0)) * float(np.abs(weight).max(initial=0.0))
    if bound < EXACT_FLOAT32:
        return centered @ weight.T                                     # every partial sum exact
    return (centered.astype(np.float64) @ weight.T.astype(np.float64)).astype(np.float32)
    # END SOLUTION


def requantize_float(acc: np.ndarray, input_scale: float, weight_scales: np.ndarray,
                     bias: np.ndarray | None) -> np.ndarray:
    """acc (R, N) float32, weight_scales (N,) float32 -> (R, N) float32: fma(acc, float32(s_x * s_w[j]), bias[j]),
    rounded once (a float32 product is exact in float64). Task `requantize_float`."""
    # BEGIN SOLUTION
    multiplier = np.float32(input_scale) * weight_scales                                  # (N,) float32
    if bias is None:
        return acc * multiplier
    out = acc.astype(np.float64)
    out *= multiplier
    out += bias
    return out.astype(np.float32)
    # END SOLUTION


class _Int8Linear(Module):
    """Shared storage: buffers `qweight` (out, in) int8, `weight_scale` and `weight_zero_point` ((1,) per tensor,
    (out,) per channel), `bias` (out,) float32 or None. `weight()` returns the QuantizedTensor, as in torch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=qint8) -> None:
        super().__init__()
        if to_qdtype(dtype, type(self).__name__) is not qint8:
            raise ValueError(f"{type(self).__name__}: weights are quantized to qint8 only, got {dtype}")
        self.in_features, self.out_features = in_features, out_features
        self.weight_axis = None
        self.register_buffer("qweight", Tensor(np.zeros((out_features, in_features), np.int8)))
        self.register_buffer("weight_scale", Tensor(np.ones(1, np.float64)))
        self.register_buffer("weight_zero_point", Tensor(np.zeros(1, np.int64)))
        self.register_buffer("bias", Tensor(np.zeros(out_features, np.float32)) if bias else None)

    def set_weight_bias(self, qweight: QuantizedTensor, bias: Tensor | None) -> None:
        if qweight.dtype is not qint8 or qweight.shape != (self.out_features, self.in_features):
            raise ValueError(f"{type(self).__name__}: weight must be qint8 of shape "
                             f"{(self.out_features, self.in_features)}, got {qweight.dtype} {qweight.shape}")
        if qweight.axis not in (None, 0):
            raise ValueError(f"{type(self).__name__}: per-channel weights must be quantized along axis 0 (rows)")
        self.weight_axis = qweight.axis
        self.qweight.data = qweight.codes.copy()
        self.weight_scale.data = qweight.scales.copy()
        self.weight_zero_point.data = qweight.zero_points.copy()
        if bias is not None:
            self.bias = Tensor(np.asarray(bias.data, np.float32).copy())

    def weight(self) -> QuantizedTensor:
        return QuantizedTensor(self.qweight.data, qint8, self.weight_scale.data, self.weight_zero_point.data,
                               axis=self.weight_axis)

    def _weight_qparams(self) -> tuple[np.ndarray, np.ndarray | None, float]:
        """(scale per output row as float32 (N,), zero points as float32 (N,) or None when all are 0, the largest
        |weight code - zero point|). Derived from the buffers and recomputed when a buffer array is replaced
        (load_state_dict and set_weight_bias assign new arrays); the key holds the arrays themselves, so an id
        cannot be reused by another array while it is cached."""
        key = (self.qweight.data, self.weight_scale.data, self.weight_zero_point.data)
        cached = self.__dict__.get("_qparams_key")
        if cached is None or any(a is not b for a, b in zip(cached, key)):
            n = self.out_features
            scales = np.broadcast_to(self.weight_scale.data, (n,)).astype(np.float32)
            zero_points = np.broadcast_to(self.weight_zero_point.data, (n,)).astype(np.float32)
            largest = 128.0 if not zero_points.any() else 255.0
            self.__dict__["_qparams"] = (scales, zero_points if zero_points.any() else None, largest)
            self.__dict__["_qparams_key"] = key
        return self.__dict__["_qparams"]

    def _input_qparams(self, rows: np.ndarray) -> tuple[float, int, int, int]:
        raise NotImplementedError

    def linear_kernel(self, x: np.ndarray) -> np.ndarray:
        """The whole layer on arrays, no Tensor and no autograd: x (*, in) float32 -> (*, out) float32.
        The integrator's fast decode path can call this in place of `x @ W.T + b`."""
        rows = x.reshape(-1, self.in_features)                                      # (R, K)
        if rows.shape[0] == 0:
            return np.zeros(x.shape[:-1] + (self.out_features,), np.float32)
        scale, zero_point, qmin, qmax = self._input_qparams(rows)
        centered = quantize_activations(rows, scale, zero_point, qmin, qmax)       # (R, K), |.| <= 255
        weight_scales, weight_zero_points, largest_weight = self._weight_qparams()
        bound = self.in_features * max(qmax - zero_point, zero_point - qmin) * largest_weight
        acc = int_linear(centered, self.qweight.data, weight_zero_points, bound)    # (R, N)
        bias = None if self.bias is None else self.bias.data
        return requantize_float(acc, scale, weight_scales, bias).reshape(x.shape[:-1] + (self.out_features,))

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor, got {type(input).__name__}")
        if input.data.dtype != np.float32:
            raise RuntimeError(f"{name}: expected a float32 input, got {input.data.dtype}")
        if input.ndim < 2:
            raise RuntimeError(f"{name}: input of shape {tuple(input.shape)} must have at least 2 dims "
                               "(batch, in_features), as torch's quantized Linear")
        if input.shape[-1] != self.in_features:
            raise RuntimeError(f"{name}: input of shape {tuple(input.shape)} has {input.shape[-1]} features, the "
                               f"layer expects in_features={self.in_features}")
        return Tensor(self.linear_kernel(input.data))

    @staticmethod
    def _quantize_weight(mod: Module, per_channel: bool) -> QuantizedTensor:
        """torch.ao's default weight observers: qint8 symmetric, per tensor or per output channel."""
        weight = Tensor(np.asarray(mod.weight.data, np.float32))
        if per_channel:
            observer = PerChannelMinMaxObserver(ch_axis=0, dtype=qint8, qscheme=per_channel_symmetric)
            observer(weight)
            scales, zero_points = observer.calculate_qparams()
            return quantize_per_channel(weight, Tensor(scales.data.astype(np.float64)),
                                        Tensor(zero_points.data.astype(np.int64)), 0, qint8)
        observer = MinMaxObserver(dtype=qint8, qscheme=per_tensor_symmetric)
        observer(weight)
        scale, zero_point = observer.calculate_qparams()
        return quantize_per_tensor(weight, float(scale.data[0]), int(zero_point.data[0]), qint8)

    def extra_repr(self) -> str:
        scheme = "per_channel" if self.weight_axis is not None else "per_tensor"
        return (f"in_features={self.in_features}, out_features={self.out_features}, dtype=qint8, "
                f"qscheme={scheme}_symmetric, bias={self.bias is not None}")


class DynamicQuantizedLinear(_Int8Linear):
    """int8 weights; each call quantizes its input to quint8 with qparams from that input's own min/max."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=qint8,
                 reduce_range: bool = True) -> None:
        super().__init__(in_features, out_features, bias, dtype)
        self.reduce_range = reduce_range

    def _input_qparams(self, rows):
        low, high = float(rows.min()), float(rows.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            raise RuntimeError(f"{type(self).__name__}: the input contains NaN or ±inf (min {low}, max {high}); "
                               "it has no quantization parameters (torch returns arbitrary values)")
        scale, zero_point = choose_qparams(low, high, 0, 255, self.reduce_range)
        qmax = 127 if self.reduce_range else 255
        return scale, zero_point, 0, qmax

    @classmethod
    def from_float(cls, mod: Module, per_channel: bool = False, reduce_range: bool = True) -> "DynamicQuantizedLinear":
        """From a tiny.nn.Linear: weights by torch's default observers (per_channel: one scale per output row)."""
        _check_linear(cls, mod)
        layer = cls(mod.in_features, mod.out_features, bias=mod.bias is not None, reduce_range=reduce_range)
        layer.set_weight_bias(cls._quantize_weight(mod, per_channel), mod.bias)
        return layer


class QuantizedLinear(_Int8Linear):
    """int8 weights and statically quantized activations: (input_scale, input_zero_point) were calibrated by an
    observer on explicit data (see tiny.quant.quantize_static); inputs outside the calibrated range clamp."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=qint8) -> None:
        super().__init__(in_features, out_features, bias, dtype)
        self.register_buffer("input_scale", Tensor(np.ones(1, np.float32)))
        self.register_buffer("input_zero_point", Tensor(np.zeros(1, np.int64)))
        self.input_quant_range = (0, 127)

    def _input_qparams(self, rows):
        qmin, qmax = self.input_quant_range
        return float(self.input_scale.data[0]), int(self.input_zero_point.data[0]), qmin, qmax

    @classmethod
    def from_observed(cls, mod: Module, observer: MinMaxObserver, per_channel: bool = False) -> "QuantizedLinear":
        """From a tiny.nn.Linear and the observer that watched its inputs during calibration."""
        _check_linear(cls, mod)
        if observer.dtype is not quint8:
            raise ValueError(f"{cls.__name__}: the input observer must be quint8, got {observer.dtype}")
        layer = cls(mod.in_features, mod.out_features, bias=mod.bias is not None)
        layer.set_weight_bias(cls._quantize_weight(mod, per_channel), mod.bias)
        scale, zero_point = observer.calculate_qparams()
        layer.input_scale.data = scale.data.astype(np.float32)
        layer.input_zero_point.data = zero_point.data.astype(np.int64)
        layer.input_quant_range = (observer.quant_min, observer.quant_max)
        return layer


def _check_linear(cls, mod) -> None:
    from tiny.nn.linear import Linear
    if not isinstance(mod, Linear):
        raise TypeError(f"{cls.__name__}: expected a tiny.nn.Linear, got {type(mod).__name__}")
