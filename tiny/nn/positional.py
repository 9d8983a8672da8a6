"""Sinusoidal positional encodings ("Attention Is All You Need", 2017), fixed (not learned):

    PE[pos, 2i]   = sin(pos / 10000^(2i / d_model))
    PE[pos, 2i+1] = cos(pos / 10000^(2i / d_model))

Each pair of channels turns at its own frequency, from 1 radian per position (i = 0) down to ~1/10000, so
nearby positions get similar codes and PE[pos + k] is a rotation of PE[pos]. An odd d_model ends with a sin
channel. Computed in float64 and rounded once to the requested dtype. torch has no such layer: the twin in
reference/nn/positional.py computes the same formula with torch ops.
"""
from __future__ import annotations

import numbers

import numpy as np

from tiny import dtypes
from tiny.nn.module import Module
from tiny.tensor import Tensor

__all__ = ["SinusoidalPositionalEncoding"]
__functional__ = ["sinusoidal_positional_encoding"]

BASE = 10000.0


def _check_size(op: str, name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value}")
    return int(value)


def sinusoidal_positional_encoding(length: int, d_model: int, dtype=None) -> Tensor:
    """The (length, d_model) table of sinusoidal codes for positions 0..length-1 (float32 by default)."""
    length = _check_size("sinusoidal_positional_encoding", "length", length, 0)
    d_model = _check_size("sinusoidal_positional_encoding", "d_model", d_model, 1)
    np_dtype = dtypes.to_dtype(dtype if dtype is not None else dtypes.float32, "sinusoidal_positional_encoding").np
    positions = np.arange(length, dtype=np.float64)[:, None]          # (length, 1)
    even_channels = np.arange(0, d_model, 2, dtype=np.float64)         # 2i, (ceil(d/2),)
    angles = positions / np.power(BASE, even_channels / d_model)       # (length, ceil(d/2))
    table = np.empty((length, d_model), np.float64)
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles[:, :d_model // 2])                  # an odd d_model has one fewer cos
    return Tensor(table.astype(np_dtype))


class SinusoidalPositionalEncoding(Module):
    """Adds the sinusoidal codes of positions 0..T-1 to x (*, T, d_model); T may not exceed max_len.

    The table is a non-persistent buffer `pe` (max_len, d_model): it follows .to(dtype) but is not in the
    state dict (it is a function of the constructor arguments).
    """

    def __init__(self, d_model: int, max_len: int = 5000, dtype=None) -> None:
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model, dtype), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.ndim < 2 or x.shape[-1] != self.d_model:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"SinusoidalPositionalEncoding: expected input (*, T, d_model={self.d_model}), "
                             f"got {shape}")
        length = x.shape[-2]
        if length > self.max_len:
            raise ValueError(f"SinusoidalPositionalEncoding: sequence length {length} exceeds max_len "
                             f"{self.max_len}")
        return x + self.pe[:length]

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"
