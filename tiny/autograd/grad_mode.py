"""Whether operations record a graph for backward (torch.no_grad / torch.is_grad_enabled)."""
from __future__ import annotations

import functools
from typing import Any, Callable

_enabled = True


def grad_enabled() -> bool:
    """True when new operations record the graph (the default)."""
    return _enabled


is_grad_enabled = grad_enabled


class set_grad_enabled:
    """Context manager (and decorator) that sets grad mode; restores the previous mode on exit."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = _enabled

    def __enter__(self) -> None:
        global _enabled
        self.prev, _enabled = _enabled, self.mode

    def __exit__(self, *exc: object) -> None:
        global _enabled
        _enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(self.mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(set_grad_enabled):
    """Operations inside record no graph: results have requires_grad=False."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    def __init__(self) -> None:
        super().__init__(True)
