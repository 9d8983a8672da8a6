"""`Profiler`: per-Function forward and backward time and calls, as torch.profiler's key_averages() table,
exportable as JSON and as a Chrome trace (chrome://tracing, https://ui.perfetto.dev).

    with Profiler() as prof:
        loss = model(x).sum(); loss.backward()
    print(prof.key_averages().table(sort_by="total", row_limit=10))
    prof.export_chrome_trace("trace.json")

Each event is one Function call: its forward (`cat` "forward") or its backward (`cat` "backward"), timed
inside Function.apply / the engine (time.perf_counter). Time outside Functions (Module calls, Tensor
wrapping, the engine's bookkeeping) is not attributed to any op; `self.wall_s` is the whole block.
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tiny.autograd import function as _function
from tiny.profiler.flops import FLOP_FORMULAS

__all__ = ["Profiler", "ProfilerEvent", "OpAverage", "KeyAverages"]


@dataclass
class ProfilerEvent:
    name: str            # the Function's class name
    phase: str           # "forward" | "backward"
    start_s: float       # time.perf_counter() at the call
    duration_s: float
    shapes: list = field(default_factory=list)  # the array inputs' shapes (forward) or grad outputs' (backward)
    flops: int = 0


@dataclass
class OpAverage:
    """One row of the table: a Function's calls and times, forward and backward."""
    name: str
    forward_calls: int = 0
    forward_s: float = 0.0
    backward_calls: int = 0
    backward_s: float = 0.0
    flops: int = 0

    @property
    def total_s(self) -> float:
        return self.forward_s + self.backward_s

    @property
    def calls(self) -> int:
        return self.forward_calls + self.backward_calls


class KeyAverages(list):
    """The per-Function rows (a list of OpAverage) with torch's `.table()`."""

    SORT_KEYS = {"total": "total_s", "forward": "forward_s", "backward": "backward_s", "calls": "calls",
                 "name": "name", "flops": "flops"}

    def table(self, sort_by: str = "total", row_limit: int = 100) -> str:
        if sort_by not in self.SORT_KEYS:
            raise ValueError(f"KeyAverages.table: sort_by must be one of {sorted(self.SORT_KEYS)}, got {sort_by!r}")
        key = self.SORT_KEYS[sort_by]
        rows = sorted(self, key=lambda r: getattr(r, key), reverse=sort_by != "name")[:max(row_limit, 0)]
        total = sum(r.total_s for r in self) or 1.0
        header = ["Name", "Total %", "Total", "Fwd total", "Fwd avg", "# Fwd", "Bwd total", "Bwd avg", "# Bwd",
                  "FLOPs"]
        body = [[r.name, f"{100 * r.total_s / total:.2f}%", _us(r.total_s), _us(r.forward_s),
                 _us(r.forward_s / r.forward_calls if r.forward_calls else 0.0), str(r.forward_calls),
                 _us(r.backward_s), _us(r.backward_s / r.backward_calls if r.backward_calls else 0.0),
                 str(r.backward_calls), _flops(r.flops)] for r in rows]
        widths = [max(len(row[i]) for row in [header] + body) for i in range(len(header))]
        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        lines = [rule, "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))),
                 rule]
        lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
                  for row in body]
        lines += [rule, f"Self time in Functions: {_us(sum(r.total_s for r in self))}"]
        return "\n".join(lines)


def _us(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.3f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f}ms"
    return f"{seconds * 1e6:.3f}us"


def _flops(n: int) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.3f}{unit}"
    return str(n)


class Profiler:
    """Records every Function's forward and backward inside the `with` block (see the module docstring).
    The hook is removed on exit, also when the block raises."""

    def __init__(self, record_shapes: bool = True) -> None:
        self.record_shapes = record_shapes
        self.events: list[ProfilerEvent] = []
        self.wall_s = 0.0
        self._origin = 0.0
        self._pending_flops: dict[int, tuple[Any, int]] = {}

    def __enter__(self) -> "Profiler":
        self.events, self._pending_flops = [], {}
        self._origin = time.perf_counter()
        _function.OBSERVERS.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall_s = time.perf_counter() - self._origin
        if self in _function.OBSERVERS:
            _function.OBSERVERS.remove(self)
        self._pending_flops = {}

    def _shapes(self, arrays: Any) -> list:
        if not self.record_shapes:
            return []
        return [list(a.shape) for a in arrays if isinstance(a, np.ndarray)]

    def on_forward(self, function, ctx, args, kwargs, result, start, seconds) -> None:
        formula = FLOP_FORMULAS.get(function.__name__)
        forward, backward = formula(args, kwargs, result, ctx.needs_input_grad) if formula else (0, 0)
        if backward:
            self._pending_flops[id(ctx)] = (ctx, backward)
        self.events.append(ProfilerEvent(function.__name__, "forward", start, seconds, self._shapes(args), forward))

    def on_backward(self, function, ctx, grad_outputs, grads, start, seconds) -> None:
        entry = self._pending_flops.get(id(ctx))
        flops = entry[1] if entry is not None and entry[0] is ctx else 0
        self.events.append(ProfilerEvent(function.__name__, "backward", start, seconds,
                                         self._shapes(grad_outputs), flops))

    # ----- views ----------------------------------------------------------------------------------------
    def key_averages(self) -> KeyAverages:
        rows: dict[str, OpAverage] = {}
        for event in self.events:
            row = rows.setdefault(event.name, OpAverage(event.name))
            if event.phase == "forward":
                row.forward_calls += 1
                row.forward_s += event.duration_s
            else:
                row.backward_calls += 1
                row.backward_s += event.duration_s
            row.flops += event.flops
        return KeyAverages(rows.values())

    def as_dict(self) -> dict:
        return {"wall_s": self.wall_s,
                "ops": [{"name": r.name, "forward_calls": r.forward_calls, "forward_s": r.forward_s,
                         "backward_calls": r.backward_calls, "backward_s": r.backward_s, "flops": r.flops}
                        for r in self.key_averages()],
                "events": [{"name": e.name, "phase": e.phase, "start_s": e.start_s - self._origin,
                            "duration_s": e.duration_s, "shapes": e.shapes, "flops": e.flops} for e in self.events]}

    def export_json(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump(self.as_dict(), f, indent=1)

    def chrome_trace(self) -> dict:
        """The Trace Event Format: complete events (ph "X") with ts and dur in microseconds from the start."""
        pid, tid = os.getpid(), threading.get_ident() % 2 ** 31
        events = [{"name": e.name, "cat": e.phase, "ph": "X", "ts": round((e.start_s - self._origin) * 1e6, 3),
                   "dur": round(e.duration_s * 1e6, 3), "pid": pid, "tid": tid,
                   "args": {"shapes": e.shapes, "flops": e.flops}} for e in self.events]
        return {"traceEvents": events, "displayTimeUnit": "ms"}

    def export_chrome_trace(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump(self.chrome_trace(), f)
