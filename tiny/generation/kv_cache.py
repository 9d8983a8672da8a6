"""KVCache: the keys and values of every attention layer, kept so each new token attends to the past
without recomputing it.

Every buffer is allocated once, at its full size (B, H, T_max, head_dim): the prompt's keys and values
are written in one pass (prefill), and each generated token writes one position (append) — a slice
assignment into the buffer, never a concatenation or a reallocation, so appending costs the same at
position 5 as at position 500. Attention reads views of the filled part.
"""
from __future__ import annotations

import numbers

import numpy as np

from tiny import dtypes

__all__ = ["KVCache"]


def _count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"KVCache: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


class KVCache:
    """Per-layer key and value buffers, `key_cache[layer]` and `value_cache[layer]`: (B, H, T_max, head_dim).

    `length` positions are filled. Per layer, `append(layer, keys, values)` writes (B, H, T_new, head_dim)
    at positions [length, length + T_new) and returns views of positions [0, length + T_new); once every
    layer has been written, `advance(T_new)` moves `length` on.
    """

    def __init__(self, n_layer: int, batch: int, n_head: int, max_len: int, head_dim: int,
                 dtype=dtypes.float32) -> None:
        self.n_layer, self.batch = _count("n_layer", n_layer, 0), _count("batch", batch)
        self.n_head, self.max_len = _count("n_head", n_head), _count("max_len", max_len)
        self.head_dim = _count("head_dim", head_dim)
        self.dtype = dtypes.to_dtype(dtype, "KVCache")
        np_dtype = self.dtype.np
        if np_dtype.kind != "f":
            raise TypeError(f"KVCache: dtype must be floating point, got {np_dtype}")
        shape = (self.batch, self.n_head, self.max_len, self.head_dim)
        self.key_cache = [np.zeros(shape, np_dtype) for _ in range(self.n_layer)]
        self.value_cache = [np.zeros(shape, np_dtype) for _ in range(self.n_layer)]
        self.length = 0

    @property
    def nbytes(self) -> int:
        """2 * n_layer * B * H * T_max * head_dim * itemsize: all of it is allocated up front."""
        return 2 * self.n_layer * self.batch * self.n_head * self.max_len * self.head_dim * self.dtype.itemsize

    def append(self, layer: int, keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """keys, values (B, H, T_new, head_dim) -> views (B, H, length + T_new, head_dim) of the filled part."""
        end = self.length + keys.shape[2]
        if end > self.max_len:
            raise ValueError(f"KVCache.append: {keys.shape[2]} new positions after {self.length} exceed "
                             f"max_len={self.max_len}")
        key_buffer, value_buffer = self.key_cache[layer], self.value_cache[layer]
        if keys.shape != values.shape or keys.shape[:2] + keys.shape[3:] != (self.batch, self.n_head,
                                                                              self.head_dim):
            raise ValueError(f"KVCache.append: expected keys and values of shape (B={self.batch}, "
                             f"H={self.n_head}, T_new, head_dim={self.head_dim}), got {keys.shape} and "
                             f"{values.shape}")
        key_buffer[:, :, self.length:end] = keys
        value_buffer[:, :, self.length:end] = values
        return key_buffer[:, :, :end], value_buffer[:, :, :end]

    def advance(self, steps: int) -> None:
        """Mark `steps` more positions as filled (after every layer appended them)."""
        if self.length + steps > self.max_len:
            raise ValueError(f"KVCache.advance: {self.length} + {steps} exceeds max_len={self.max_len}")
        self.length += steps

    def reset(self) -> None:
        """Forget every position; the buffers stay allocated (old values are overwritten on reuse)."""
        self.length = 0

    def __repr__(self) -> str:
        return (f"KVCache(n_layer={self.n_layer}, batch={self.batch}, n_head={self.n_head}, "
                f"max_len={self.max_len}, head_dim={self.head_dim}, dtype={self.dtype}, length={self.length})")
