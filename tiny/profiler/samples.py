"""SampleStatistics: the statistics every repeated measurement reports (LatencyResult, BenchmarkResult)."""
from __future__ import annotations

import statistics

__all__ = ["SampleStatistics"]


class SampleStatistics:
    """Mean, median, min and max of `self.samples` (a non-empty list of numbers, set by the subclass)."""
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)
