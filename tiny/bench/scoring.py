"""calculate_normalized_scores: MLPerf-style relative metrics, so submissions measured on different machines
compare: each is the optimized model against its own baseline, both measured on the same machine."""
from __future__ import annotations

import math
from typing import Any

__all__ = ["calculate_normalized_scores"]

METRICS = ("latency_s", "memory_bytes", "accuracy")


def _metrics(what: str, value: Any) -> dict:
    """{latency_s, memory_bytes, accuracy} from a dict or an object with those attributes."""
    get = (lambda k: value.get(k)) if isinstance(value, dict) else (lambda k: getattr(value, k, None))
    out = {key: get(key) for key in METRICS}
    problems = [f"{key} is missing" for key, v in out.items() if v is None]
    problems += [f"{key} must be a number, got {v!r}" for key, v in out.items()
                 if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v))]
    if not problems:
        problems += [f"{key} must be > 0, got {out[key]}" for key in ("latency_s", "memory_bytes") if out[key] <= 0]
        if not 0.0 <= out["accuracy"] <= 1.0:
            problems.append(f"accuracy must be a fraction in [0, 1], got {out['accuracy']}")
    if problems:
        raise ValueError(f"calculate_normalized_scores: {what}: " + "; ".join(problems))
    return out


def calculate_normalized_scores(baseline: Any, optimized: Any) -> dict:
    """baseline / optimized: {latency_s (median seconds), memory_bytes (model bytes), accuracy (0..1)} ->

        speedup            baseline latency / optimized latency
        compression_ratio  baseline bytes / optimized bytes
        accuracy_delta     (optimized - baseline) accuracy, in percentage points
        efficiency         sqrt(speedup · compression_ratio) · optimized accuracy / baseline accuracy
        accuracy           the optimized accuracy (0..1)
    """
    base, opt = _metrics("baseline", baseline), _metrics("optimized", optimized)
    speedup = base["latency_s"] / opt["latency_s"]
    compression = base["memory_bytes"] / opt["memory_bytes"]
    accuracy_ratio = opt["accuracy"] / base["accuracy"] if base["accuracy"] > 0 else 0.0
    return {"speedup": speedup, "compression_ratio": compression,
            "accuracy_delta": 100.0 * (opt["accuracy"] - base["accuracy"]),
            "efficiency": math.sqrt(speedup * compression) * accuracy_ratio, "accuracy": opt["accuracy"]}
