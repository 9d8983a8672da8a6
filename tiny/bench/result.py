"""BenchmarkResult: repeated measurements of one quantity, with their statistics and a 95 % confidence interval."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from tiny.profiler.samples import SampleStatistics

__all__ = ["BenchmarkResult"]


@dataclass
class BenchmarkResult(SampleStatistics):
    """`samples` of one measurement (e.g. seconds per batch). The 95 % CI is Student's t interval of the
    mean, mean ± t(0.975, n-1)·std/sqrt(n); with one sample it is undefined (nan, nan)."""
    name: str
    samples: list[float] = field(default_factory=list)
    unit: str = "s"

    def __post_init__(self) -> None:
        if not self.samples:
            raise ValueError(f"BenchmarkResult {self.name!r}: needs at least one sample")
        bad = [s for s in self.samples if not isinstance(s, (int, float)) or not math.isfinite(s)]
        if bad:
            raise ValueError(f"BenchmarkResult {self.name!r}: samples must be finite numbers, got {bad[:3]}")

    @property
    def std(self) -> float:
        """Sample standard deviation (n - 1); 0 for one sample."""
        return statistics.stdev(self.samples) if len(self.samples) > 1 else 0.0

    @property
    def ci95(self) -> tuple[float, float]:
        n = len(self.samples)
        if n < 2:
            return (math.nan, math.nan)
        from scipy.stats import t  # NumPy has no Student's t quantile
        half = float(t.ppf(0.975, n - 1)) * self.std / math.sqrt(n)
        return (self.mean - half, self.mean + half)

    def as_dict(self) -> dict:
        low, high = self.ci95
        return {"name": self.name, "unit": self.unit, "n": len(self.samples), "mean": self.mean,
                "median": self.median, "std": self.std, "min": self.min, "max": self.max,
                "ci95": [low, high], "samples": list(self.samples)}

    def __repr__(self) -> str:
        low, high = self.ci95
        return (f"BenchmarkResult({self.name}: median {self.median:.6g} {self.unit}, mean {self.mean:.6g} "
                f"[95% CI {low:.6g}, {high:.6g}], n={len(self.samples)})")
