"""The activation qparams of dynamic quantization: ATen/fbgemm's ChooseQuantizationParams for quint8 [0, 255]
([0, 127] with reduce_range), as torch._choose_qparams_per_tensor and torch.ao's dynamic Linear compute them:

    min, max  = min(x.min(), 0), max(x.max(), 0)                (float32)
    scale     = (max - min) / (qmax - qmin)                     (float64; the quantizer uses float32(scale))
                0.1 if float32(scale) == 0 or 1/float32(scale) overflows;
                below 6.1e-5 it is raised to 6.1e-5 and min/max are stretched by the same factor
    zero point from the end with the smaller rounding error:
                qmin - min/scale  if |qmin| - |min/scale| < |qmax| - |max/scale|  else  qmax - max/scale
                then clamped to [qmin, qmax] and rounded half to even.
"""
from __future__ import annotations

import numpy as np

from tiny.tensor import Tensor

__all__ = ["choose_qparams_per_tensor", "choose_qparams"]

SMALL_SCALE = np.float32(6.1e-5)


def choose_qparams(x_min: float, x_max: float, qmin: int = 0, qmax: int = 255,
                   reduce_range: bool = False) -> tuple[float, int]:
    """(scale, zero point) covering [x_min, x_max] and 0 with the codes [qmin, qmax]. The scale is returned in
    float64 as torch returns it; quantization uses float32(scale), but the zero point is computed from the float64
    scale as ATen does (a tie such as 63.5 must round to 64; float32(scale) would make it 63.4999). Task `choose_qparams`."""
    if not x_min <= x_max:
        raise RuntimeError(f"choose_qparams: min {x_min} must be <= max {x_max} (NaN in the input?)")
    # BEGIN SOLUTION
    if reduce_range:
        qmin, qmax = qmin // 2, qmax // 2
    low, high = float(np.float32(min(x_min, 0.0))), float(np.float32(max(x_max, 0.0)))   # float32 values
    scale = (high - low) / (qmax - qmin)                                                # float64
    scale32 = np.float32(scale)
    with np.errstate(over="ignore"):
        if scale32 == 0 or np.isinf(np.float32(1) / scale32):
            scale = 0.1
    if scale < SMALL_SCALE:
        factor = np.float32(SMALL_SCALE / np.float32(scale))
        scale = float(SMALL_SCALE)
        if low == 0:
            high = float(np.float32(scale * (qmax - qmin)))
        elif high == 0:
            low = float(np.float32(-scale * (qmax - qmin)))
        else:
            low, high = float(np.float32(low * factor)), float(np.float32(high * factor))
    from_min, from_max = qmin - low / scale, qmax - high / scale
    error_min, error_max = abs(qmin) - abs(low / scale), abs(qmax) - abs(high / scale)
    initial = from_min if error_min < error_max else from_max
    zero_point = qmin if initial < qmin else qmax if initial > qmax else int(round(initial))
    return float(scale), zero_point
    # END SOLUTION


def choose_qparams_per_tensor(input: Tensor, reduce_range: bool = False) -> tuple[float, int]:
    """(scale, zero_point) of quint8 for the whole of `input` (any float dtype; its min/max are rounded to float32),
    as torch._choose_qparams_per_tensor."""
    if not isinstance(input, Tensor):
        raise TypeError(f"choose_qparams_per_tensor: expected a Tensor, got {type(input).__name__}")
    data = input.data
    if data.size == 0:
        raise RuntimeError("choose_qparams_per_tensor: the input is empty; there is no min or max (as torch)")
    if data.dtype.kind != "f":
        raise RuntimeError(f"choose_qparams_per_tensor: expected a floating-point tensor, got {data.dtype}")
    scale, zero_point = choose_qparams(float(data.min()), float(data.max()), reduce_range=reduce_range)
    return float(scale), int(zero_point)
