"""Whether operations record a graph for backward (torch.no_grad / torch.is_grad_enabled)."""
from __future__ import annotations

import functools
from typing import Any, Callable

_enabled = True


def grad_enabled() -> bool:
    """True when new operations record the graph (the default)."""
    return _enabled


is_grad_enabled = grad_enabled


def _set(mode: bool) -> None:
    global _enabled
    _enabled = mode


class _GradMode:
    """Sets grad mode on __enter__ and restores the previous mode on __exit__ — also when the block raises
    (__exit__ runs either way); as a decorator, the same around each call."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = _enabled

    def __enter__(self) -> None:
        self.prev = _enabled
        _set(self.mode)

    def __exit__(self, *exc: object) -> None:
        _set(self.prev)

    def __call__(self, fn: Callable) -> Callable:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(mode):
                return fn(*args, **kwargs)
        return wrapper


class set_grad_enabled(_GradMode):
    """set_grad_enabled(mode) takes effect at once, as in torch: as a plain call it switches grad mode; as a
    context manager (or decorator) the previous mode comes back on exit, also when the block raises."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        _set(self.mode)

    def __enter__(self) -> None:
        pass  # already set by __init__; self.prev is the mode before it

    def __call__(self, fn: Callable) -> Callable:
        _set(self.prev)  # used as a decorator: only the decorated calls change the mode
        return super().__call__(fn)


class no_grad(_GradMode):
    """Operations inside record no graph: results have requires_grad=False."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_GradMode):
    def __init__(self) -> None:
        super().__init__(True)
