"""Benchmark: latency, memory and accuracy of models, all measured for real on this machine.

    bench = Benchmark({"baseline": base, "distilled": small}, (test_x, test_y), warmup=3, repeats=20)
    results = bench.run()            # {"baseline": ModelMeasurement, ...}

latency   seconds per forward of one batch of `batch_size` rows (no_grad, eval mode), `repeats` samples after
          `warmup` untimed calls; run() interleaves the models' samples round by round -> a BenchmarkResult
memory    model bytes: every array of the state dict (parameters and buffers, int8 storage counted as int8;
          a tied tensor once), plus the peak bytes traced during one batch's forward (tracemalloc)
accuracy  argmax of the model's outputs against the labels, over the whole dataset (never estimated)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tiny.bench.result import BenchmarkResult

__all__ = ["Benchmark", "ModelMeasurement", "model_bytes"]


@dataclass
class ModelMeasurement:
    name: str
    latency: BenchmarkResult
    memory_bytes: int
    peak_forward_bytes: int
    accuracy: float
    parameters: int
    batch_size: int

    def metrics(self) -> dict:
        """What calculate_normalized_scores takes: median latency, model bytes, accuracy."""
        return {"latency_s": self.latency.median, "memory_bytes": self.memory_bytes, "accuracy": self.accuracy}

    def as_dict(self) -> dict:
        return {"name": self.name, "latency": self.latency.as_dict(), "memory_bytes": self.memory_bytes,
                "peak_forward_bytes": self.peak_forward_bytes, "accuracy": self.accuracy,
                "parameters": self.parameters, "batch_size": self.batch_size}


def model_bytes(model: Any) -> int:
    """Bytes of every distinct array in the model's state dict."""
    seen, total = set(), 0
    for value in model.state_dict().values():
        data = getattr(value, "data", value)
        if isinstance(data, np.ndarray) and id(data) not in seen:
            seen.add(id(data))
            total += data.nbytes
    return total


class Benchmark:
    """models: {name: model} (or a list, named model0, model1, ...); dataset: (inputs array, labels array)."""

    def __init__(self, models: Any, dataset: tuple, warmup: int = 3, repeats: int = 20, batch_size: int = 64) -> None:
        self.models = dict(models) if isinstance(models, dict) else {f"model{i}": m for i, m in enumerate(models)}
        if not self.models:
            raise ValueError("Benchmark: no models given")
        inputs, labels = (np.asarray(a) for a in dataset)
        if len(inputs) != len(labels) or len(labels) == 0:
            raise ValueError(f"Benchmark: dataset needs as many labels as inputs (> 0), got {len(inputs)} inputs "
                             f"and {len(labels)} labels")
        if warmup < 0 or repeats < 1 or batch_size < 1:
            raise ValueError(f"Benchmark: expected warmup >= 0, repeats >= 1, batch_size >= 1; got {warmup}, "
                             f"{repeats}, {batch_size}")
        self.inputs, self.labels = inputs, labels
        self.warmup, self.repeats, self.batch_size = warmup, repeats, batch_size

    def _forward(self, model: Any, batch: np.ndarray) -> np.ndarray:
        import tiny
        with tiny.no_grad():
            out = model(tiny.tensor(batch))
        return out.data

    def latency(self, model: Any, name: str = "model") -> BenchmarkResult:
        from tiny.profiler import measure_latency
        batch = self.inputs[:self.batch_size]
        result = measure_latency(self._forward, model, batch, warmup=self.warmup, repeats=self.repeats)
        return BenchmarkResult(f"{name} latency (batch {len(batch)})", result.samples, "s")

    def accuracy(self, model: Any) -> float:
        correct = 0
        for start in range(0, len(self.labels), 256):
            logits = self._forward(model, self.inputs[start:start + 256])
            correct += int(np.sum(np.argmax(logits, axis=-1) == self.labels[start:start + 256]))
        return correct / len(self.labels)

    def measure(self, name: str) -> ModelMeasurement:
        from tiny.profiler import count_parameters, measure_memory
        model = self.models[name]
        if hasattr(model, "eval"):
            model.eval()
        peak = measure_memory(self._forward, model, self.inputs[:self.batch_size]).peak_bytes
        return ModelMeasurement(name, self.latency(model, name), model_bytes(model), peak, self.accuracy(model),
                                count_parameters(model), min(self.batch_size, len(self.labels)))

    def _interleaved_latencies(self) -> dict[str, BenchmarkResult]:
        """Latency samples taken in rounds, one per model per round, the order alternating each round, so a
        change of machine load during the run affects every model alike."""
        from tiny.profiler import measure_latency
        batch = self.inputs[:self.batch_size]
        names = list(self.models)
        for name in names:
            measure_latency(self._forward, self.models[name], batch, warmup=self.warmup, repeats=1)
        samples: dict[str, list[float]] = {name: [] for name in names}
        for round_index in range(self.repeats):
            for name in (names if round_index % 2 == 0 else names[::-1]):
                samples[name] += measure_latency(self._forward, self.models[name], batch, warmup=0,
                                                 repeats=1).samples
        return {name: BenchmarkResult(f"{name} latency (batch {len(batch)})", s, "s") for name, s in samples.items()}

    def run(self) -> dict[str, ModelMeasurement]:
        """Every model measured; latencies interleaved across models (see _interleaved_latencies)."""
        from tiny.profiler import count_parameters, measure_memory
        latencies = self._interleaved_latencies()
        results = {}
        for name, model in self.models.items():
            if hasattr(model, "eval"):
                model.eval()
            peak = measure_memory(self._forward, model, self.inputs[:self.batch_size]).peak_bytes
            results[name] = ModelMeasurement(name, latencies[name], model_bytes(model), peak, self.accuracy(model),
                                             count_parameters(model), min(self.batch_size, len(self.labels)))
        return results
