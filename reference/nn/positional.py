"""torch twins of tiny/nn/positional.py: the 2017 sinusoidal formula written with torch ops."""
import torch


def sinusoidal_positional_encoding(length, d_model, dtype=None):
    if isinstance(length, bool) or not isinstance(length, int) or isinstance(d_model, bool) or \
            not isinstance(d_model, int):
        raise TypeError("sinusoidal_positional_encoding: length and d_model must be ints")
    if length < 0 or d_model < 1:
        raise ValueError(f"sinusoidal_positional_encoding: need length >= 0 and d_model >= 1, got {length}, "
                         f"{d_model}")
    positions = torch.arange(length, dtype=torch.float64).unsqueeze(1)
    even_channels = torch.arange(0, d_model, 2, dtype=torch.float64)
    angles = positions / torch.pow(torch.tensor(10000.0, dtype=torch.float64), even_channels / d_model)
    table = torch.empty(length, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles[:, :d_model // 2])
    return table.to(getattr(torch, dtype) if isinstance(dtype, str) else (dtype or torch.float32))


class SinusoidalPositionalEncoding(torch.nn.Module):
    def __init__(self, d_model, max_len=5000, dtype=None):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model, dtype), persistent=False)

    def forward(self, x):
        if x.ndim < 2 or x.shape[-1] != self.d_model:
            raise ValueError(f"SinusoidalPositionalEncoding: expected input (*, T, d_model={self.d_model}), "
                             f"got {tuple(x.shape)}")
        if x.shape[-2] > self.max_len:
            raise ValueError(f"SinusoidalPositionalEncoding: sequence length {x.shape[-2]} exceeds max_len "
                             f"{self.max_len}")
        return x + self.pe[:x.shape[-2]]


def sinusoidal_module(x, *, d_model, max_len):
    return SinusoidalPositionalEncoding(d_model, max_len, dtype=x.dtype)(x)
