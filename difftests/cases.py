"""A difftest case: NumPy inputs + keyword arguments, identical for the implementation and torch.

Torch-free on purpose: a case must be buildable (and shippable to an isolated worker) without torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Case:
    """`args`: np.ndarrays become tensors on each side; anything else passes through unchanged.

    `grad[i]` says whether array arg i requires grad (default: every floating-point array).
    """
    args: tuple
    kwargs: dict = field(default_factory=dict)
    grad: tuple | None = None
    label: str = ""

    def requires_grad(self) -> list[bool]:
        if self.grad is not None:
            return list(self.grad)
        return [isinstance(a, (np.ndarray, np.generic)) and a.dtype.kind == "f" for a in self.args]

    def describe(self, max_values: int = 8, max_chars: int | None = None) -> str:
        """Shapes and dtypes of the inputs, plus the values when they are small enough to read;
        with `max_chars`, each keyword value and the whole text are cut to a readable size."""
        parts = []
        for a in self.args:
            if isinstance(a, np.ndarray):
                text = f"{a.dtype}{list(a.shape)}"
                if a.size <= max_values:
                    text += f"={np.array2string(a, precision=6, separator=',')}".replace("\n", "")
                parts.append(text)
            else:
                parts.append(_cut(repr(a), max_chars and 80))
        kw = ", ".join(f"{k}={_cut(repr(v), max_chars and 80)}" for k, v in self.kwargs.items())
        label = f"[{self.label}] " if self.label else ""
        return _cut(f"{label}({', '.join(parts)}{', ' + kw if kw else ''})", max_chars)


def _cut(text: str, limit: int | None) -> str:
    return text if not limit or len(text) <= limit else text[:limit - 5] + " ...)"


class TensorSlot:
    """Placeholder in an index template for the i-th tensor argument after the indexed tensor."""

    def __init__(self, position: int) -> None:
        self.position = position

    def __repr__(self) -> str:
        return f"<tensor arg {self.position}>"


@dataclass
class IndexSpec:
    """An index expression x[...] whose array parts are passed as tensors (built per library)."""
    template: tuple

    def build(self, tensors: tuple) -> Any:
        parts = tuple(tensors[p.position] if isinstance(p, TensorSlot) else p for p in self.template)
        return parts[0] if len(parts) == 1 else parts

    def __repr__(self) -> str:
        def show(p: Any) -> str:
            if isinstance(p, slice):
                return ":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step)).rstrip(":") or ":"
            return "..." if p is Ellipsis else repr(p)
        return "[" + ", ".join(show(p) for p in self.template) + "]"
