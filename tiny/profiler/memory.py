"""measure_memory: peak bytes allocated during a call (tracemalloc sees NumPy's array buffers), and where a
training step's memory goes: parameters, activations saved for backward, gradients, optimizer state."""
from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from tiny.autograd import function as _function

__all__ = ["MemoryReport", "measure_memory"]


@dataclass
class MemoryReport:
    """Bytes. peak: the most traced memory alive at once during the call, above what was alive before it;
    retained: what the call left allocated. The breakdown (None without a model) is measured on the
    objects themselves: parameters' arrays, arrays Functions saved for backward that are not parameters
    (activations, counted once each, at the end of the forward), `.grad` arrays after the call, and the
    arrays in optimizer.state."""
    peak_bytes: int
    retained_bytes: int
    parameter_bytes: int | None = None
    activation_bytes: int | None = None
    gradient_bytes: int | None = None
    optimizer_state_bytes: int | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _SavedActivations:
    """Observer: the arrays each Function saved for backward (deduplicated by identity)."""

    def __init__(self, exclude: set[int]) -> None:
        self.exclude, self.arrays = exclude, {}

    def on_forward(self, function, ctx, args, kwargs, result, start, seconds) -> None:
        for saved in ctx._saved or ():
            if isinstance(saved, np.ndarray) and id(saved) not in self.exclude:
                base = saved if saved.base is None else saved.base
                if id(base) not in self.exclude:
                    self.arrays[id(base)] = base

    def on_backward(self, *args: Any) -> None:
        pass

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays.values())


def _state_bytes(optimizer: Any) -> int:
    total = 0
    for values in getattr(optimizer, "state", {}).values():
        for value in values.values():
            data = getattr(value, "data", value)
            if isinstance(data, np.ndarray):
                total += data.nbytes
    return total


def measure_memory(fn: Callable, *args: Any, model: Any = None, optimizer: Any = None, **kwargs: Any) -> MemoryReport:
    """Run fn(*args, **kwargs) once under tracemalloc. With `model` (and `optimizer`), fn is meant to be a
    training step (forward, backward, optimizer.step()) and the report adds the breakdown."""
    params = list(model.parameters()) if model is not None else []
    exclude = {id(p.data) for p in params}
    saved = _SavedActivations(exclude)
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    _function.OBSERVERS.append(saved)
    try:
        fn(*args, **kwargs)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        if saved in _function.OBSERVERS:
            _function.OBSERVERS.remove(saved)
        if not was_tracing:
            tracemalloc.stop()
    report = MemoryReport(peak_bytes=max(0, peak - before), retained_bytes=max(0, current - before))
    if model is not None:
        report.parameter_bytes = sum(p.data.nbytes for p in params)
        report.activation_bytes = saved.nbytes
        report.gradient_bytes = sum(p.grad.data.nbytes for p in params if p.grad is not None)
        report.optimizer_state_bytes = _state_bytes(optimizer) if optimizer is not None else 0
    return report
