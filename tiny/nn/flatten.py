"""Flatten: merge dims start_dim..end_dim into one (default: everything but the batch dim)."""
from __future__ import annotations

from tiny.nn.module import Module
from tiny.ops._util import normalize_dim
from tiny.tensor import Tensor

__all__ = ["Flatten"]
__functional__: list[str] = []  # the functional form is Tensor.flatten / tiny.flatten


class Flatten(Module):
    """(N, C, H, W) -> (N, C*H*W) with the defaults; dims may be negative."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        # Validate both dims against the input first: start_dim=1 on a 0-d or 1-d input is an
        # IndexError in torch (Tensor.flatten would quietly accept it for 0-d tensors).
        for dim in (self.start_dim, self.end_dim):
            normalize_dim("Flatten", dim, input.ndim)
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
