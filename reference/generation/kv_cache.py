"""torch twin of tiny/generation/kv_cache.py: per-layer key/value buffers (B, H, T_max, head_dim) of torch
tensors, allocated once; prefill and append are slice writes (no torch.cat, no reallocation)."""
import torch


class KVCache:
    def __init__(self, n_layer, batch, n_head, max_len, head_dim, dtype=torch.float32):
        for name, value in (("n_layer", n_layer), ("batch", batch), ("n_head", n_head), ("max_len", max_len),
                            ("head_dim", head_dim)):
            minimum = 0 if name == "n_layer" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"KVCache: {name} must be an int >= {minimum}, got {value!r}")
        if not dtype.is_floating_point:
            raise TypeError(f"KVCache: dtype must be floating point, got {dtype}")
        self.dtype = dtype
        self.n_layer, self.batch, self.n_head, self.max_len, self.head_dim = n_layer, batch, n_head, max_len, head_dim
        shape = (batch, n_head, max_len, head_dim)
        self.key_cache = [torch.zeros(shape, dtype=dtype) for _ in range(n_layer)]
        self.value_cache = [torch.zeros(shape, dtype=dtype) for _ in range(n_layer)]
        self.length = 0

    @property
    def nbytes(self):
        return 2 * self.n_layer * self.batch * self.n_head * self.max_len * self.head_dim * self.dtype.itemsize

    def append(self, layer, keys, values):
        """keys, values (B, H, T_new, D) -> views (B, H, length + T_new, D) of the filled part."""
        end = self.length + keys.shape[2]
        if end > self.max_len:
            raise ValueError(f"KVCache.append: {keys.shape[2]} new positions after {self.length} exceed "
                             f"max_len={self.max_len}")
        self.key_cache[layer][:, :, self.length:end] = keys
        self.value_cache[layer][:, :, self.length:end] = values
        return self.key_cache[layer][:, :, :end], self.value_cache[layer][:, :, :end]

    def advance(self, steps):
        if self.length + steps > self.max_len:
            raise ValueError(f"KVCache.advance: {self.length} + {steps} exceeds max_len={self.max_len}")
        self.length += steps

    def reset(self):
        self.length = 0
