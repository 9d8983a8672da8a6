"""measure_latency: the wall-clock time of a call, as a distribution (median and spread), never one number."""
from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from tiny.profiler.samples import SampleStatistics

__all__ = ["LatencyResult", "measure_latency"]


@dataclass
class LatencyResult(SampleStatistics):
    """Seconds per call: all `samples`, their median, inter-quartile range (q3 - q1), mean, min and max."""
    samples: list[float] = field(default_factory=list)

    @property
    def q1(self) -> float:
        return _quantile(self.samples, 0.25)

    @property
    def q3(self) -> float:
        return _quantile(self.samples, 0.75)

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    def as_dict(self) -> dict:
        return {"median_s": self.median, "iqr_s": self.iqr, "q1_s": self.q1, "q3_s": self.q3, "mean_s": self.mean,
                "min_s": self.min, "max_s": self.max, "samples_s": list(self.samples)}

    def __repr__(self) -> str:
        return (f"LatencyResult(median={self.median * 1e3:.3f} ms, iqr={self.iqr * 1e3:.3f} ms, "
                f"n={len(self.samples)})")


def _quantile(samples: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy.percentile's default)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure_latency(fn: Callable, *args: Any, warmup: int = 3, repeats: int = 20, **kwargs: Any) -> LatencyResult:
    """Call fn(*args, **kwargs) `warmup` times untimed, then `repeats` times timed (time.perf_counter; the
    garbage collector collected before and paused during each call)."""
    if not callable(fn):
        raise TypeError(f"measure_latency: fn must be callable, got {type(fn).__name__}")
    if warmup < 0 or repeats < 1:
        raise ValueError(f"measure_latency: expected warmup >= 0 and repeats >= 1, got warmup={warmup}, "
                         f"repeats={repeats}")
    for _ in range(warmup):
        fn(*args, **kwargs)
    samples = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            fn(*args, **kwargs)
            samples.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return LatencyResult(samples)
