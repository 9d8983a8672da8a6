"""torch twins of tiny/quant/qtensor.py: torch.quantize_per_tensor / quantize_per_channel, int_repr, dequantize.

torch 2.13 warns that its quantized tensors are deprecated; the warning is silenced here. Twin checks that torch
lacks (each raises ValueError, as tiny does): NaN/±inf input, scale <= 0 or non-finite, 1/scale overflowing float32.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

QDTYPES = {"qint8": torch.qint8, "quint8": torch.quint8, "qint32": torch.qint32}


def _check(op: str, input: torch.Tensor, scales: np.ndarray) -> None:
    if input.dtype == torch.float32 and not torch.isfinite(input).all():
        raise ValueError(f"{op}: input contains NaN or ±inf")
    with np.errstate(divide="ignore", over="ignore"):
        inverse = np.float32(1.0) / scales.astype(np.float32)
    if scales.size and not (np.isfinite(scales).all() and (scales > 0).all() and np.isfinite(inverse).all()):
        raise ValueError(f"{op}: scale must be finite and > 0 with a finite float32 reciprocal, got {scales}")


def quantize_per_tensor(input, scale, zero_point, dtype):
    _check("quantize_per_tensor", input, np.array([float(scale)]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.quantize_per_tensor(input, float(scale), int(zero_point), QDTYPES.get(dtype, dtype))


def quantize_per_channel(input, scales, zero_points, axis, dtype):
    _check("quantize_per_channel", input, scales.detach().double().numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.quantize_per_channel(input, scales, zero_points, axis, QDTYPES.get(dtype, dtype))


# ----- pair-facing forms: the codes and the dequantized values as plain tensors ---------------------------
def per_tensor_outputs(input, scale, zero_point, dtype):
    """(int_repr, dequantize(), q_scale as float64 (1,), q_zero_point as int64 (1,))."""
    q = quantize_per_tensor(input, scale, zero_point, dtype)
    return (q.int_repr(), q.dequantize(), torch.tensor([q.q_scale()], dtype=torch.float64),
            torch.tensor([q.q_zero_point()], dtype=torch.int64))


def per_channel_outputs(input, scales, zero_points, axis, dtype):
    """(int_repr, dequantize(), q_per_channel_scales, q_per_channel_zero_points)."""
    q = quantize_per_channel(input, scales, zero_points, axis, dtype)
    return q.int_repr(), q.dequantize(), q.q_per_channel_scales(), q.q_per_channel_zero_points()
