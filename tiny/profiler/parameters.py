"""count_parameters: how many numbers a model learns (torch idiom: sum(p.numel() for p in model.parameters()))."""
from __future__ import annotations

from typing import Any

__all__ = ["count_parameters"]


def count_parameters(model: Any, trainable_only: bool = False) -> int:
    """The number of elements of model.parameters() — each shared (tied) Parameter once, as parameters()
    lists it once; with trainable_only, only those with requires_grad. Task `count_parameters`."""
    # BEGIN SOLUTION
    return sum(int(p.data.size) for p in model.parameters() if p.requires_grad or not trainable_only)
    # END SOLUTION
