"""The Olympic events: what each one rewards (its score) and what a submission must respect (its constraints).

All scores are relative to the submission's own baseline measured on the same machine (hardware-independent,
MLPerf style; see tiny.bench.scoring): speedup = baseline latency / optimized latency, compression =
baseline model bytes / optimized model bytes, accuracy delta in percentage points (optimized - baseline).

| event            | score (higher wins)                                  | constraints                                        |
|------------------|------------------------------------------------------|----------------------------------------------------|
| latency_sprint   | speedup                                              | accuracy drop <= 5 pp                              |
| memory_challenge | compression ratio                                    | accuracy drop <= 5 pp                              |
| accuracy_contest | optimized accuracy (%)                               | speedup >= 0.8, compression >= 1                   |
| all_around       | efficiency = sqrt(speedup · compression) · acc ratio | accuracy drop <= 2 pp, speedup >= 1, compression >= 1 |
| extreme_push     | speedup · compression                                | accuracy drop <= 10 pp                             |

The accuracy contest's speedup >= 0.8 (no more than 1.25x the baseline's latency) leaves a margin for timing
noise: the same model measured twice on a shared 2-core machine differed by up to ~10 % with interleaved
samples. The closed division also rejects any accuracy drop above 1 pp, whatever the event (validate_submission).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable

__all__ = ["OlympicEvent", "EventRules"]


@dataclass(frozen=True)
class EventRules:
    title: str
    score_name: str
    score: Callable[[dict], float]            # normalized scores + {"accuracy": optimized accuracy} -> score
    max_accuracy_drop_pp: float | None = None
    min_speedup: float | None = None
    min_compression: float | None = None

    def violations(self, scores: dict) -> list[str]:
        """The constraints `scores` (calculate_normalized_scores' keys) break, as readable sentences."""
        problems = []
        drop = -scores["accuracy_delta"]
        if self.max_accuracy_drop_pp is not None and drop > self.max_accuracy_drop_pp:
            problems.append(f"{self.title}: accuracy dropped {drop:.2f} pp, the limit is {self.max_accuracy_drop_pp} pp")
        if self.min_speedup is not None and scores["speedup"] < self.min_speedup:
            problems.append(f"{self.title}: speedup {scores['speedup']:.3f}x is below the required {self.min_speedup}x")
        if self.min_compression is not None and scores["compression_ratio"] < self.min_compression:
            problems.append(f"{self.title}: compression {scores['compression_ratio']:.3f}x is below the required "
                            f"{self.min_compression}x")
        return problems


class OlympicEvent(Enum):
    LATENCY_SPRINT = "latency_sprint"
    MEMORY_CHALLENGE = "memory_challenge"
    ACCURACY_CONTEST = "accuracy_contest"
    ALL_AROUND = "all_around"
    EXTREME_PUSH = "extreme_push"

    @property
    def rules(self) -> EventRules:
        return _RULES[self]

    @classmethod
    def parse(cls, value: "str | OlympicEvent") -> "OlympicEvent":
        """An event from its value ("latency_sprint") or name ("LATENCY_SPRINT"); ValueError lists the choices."""
        if isinstance(value, cls):
            return value
        for event in cls:
            if value in (event.value, event.name):
                return event
        raise ValueError(f"unknown Olympic event {value!r}; choose one of {[e.value for e in cls]}")


_RULES = {
    OlympicEvent.LATENCY_SPRINT: EventRules("Latency Sprint", "speedup", lambda s: s["speedup"],
                                            max_accuracy_drop_pp=5.0),
    OlympicEvent.MEMORY_CHALLENGE: EventRules("Memory Challenge", "compression", lambda s: s["compression_ratio"],
                                              max_accuracy_drop_pp=5.0),
    OlympicEvent.ACCURACY_CONTEST: EventRules("Accuracy Contest", "accuracy %", lambda s: 100.0 * s["accuracy"],
                                              min_speedup=0.8, min_compression=1.0),
    OlympicEvent.ALL_AROUND: EventRules("All-Around", "efficiency", lambda s: s["efficiency"],
                                        max_accuracy_drop_pp=2.0, min_speedup=1.0, min_compression=1.0),
    OlympicEvent.EXTREME_PUSH: EventRules("Extreme Push", "speedup x compression",
                                          lambda s: s["speedup"] * s["compression_ratio"], max_accuracy_drop_pp=10.0),
}
