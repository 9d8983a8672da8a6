"""tiny.profiler's measuring tools (no torch counterpart to pair with): measure_latency's statistics,
measure_memory's peak and training-step breakdown (checked against the arrays themselves and against torch's
own Adam state), and the observer hook's cleanup. Speed is never asserted, only structure and arithmetic."""
from __future__ import annotations

import statistics

import numpy as np
import pytest

import tiny
from tiny.autograd import function as autograd_function
from tiny.profiler import count_flops, measure_latency, measure_memory


def test_latency_reports_median_iqr_and_every_sample():
    calls = []
    result = measure_latency(lambda n: calls.append(n), 7, warmup=2, repeats=9)
    assert calls == [7] * 11 and len(result.samples) == 9
    assert result.median == statistics.median(result.samples)
    assert result.iqr == pytest.approx(np.percentile(result.samples, 75) - np.percentile(result.samples, 25))
    assert result.min <= result.q1 <= result.median <= result.q3 <= result.max
    assert set(result.as_dict()) >= {"median_s", "iqr_s", "samples_s"}


@pytest.mark.parametrize("warmup, repeats", [(-1, 3), (0, 0)])
def test_latency_rejects_bad_counts(warmup, repeats):
    with pytest.raises(ValueError, match="measure_latency"):
        measure_latency(lambda: None, warmup=warmup, repeats=repeats)


def test_memory_peak_sees_numpy_allocations():
    def allocate():
        a = np.ones(1_000_000)          # 8 MB, freed on return
        return float(a.sum())
    report = measure_memory(allocate)
    assert 8_000_000 <= report.peak_bytes < 9_000_000
    assert report.retained_bytes < 100_000 and report.parameter_bytes is None


def test_training_step_breakdown():
    tiny.manual_seed(0)
    model = tiny.nn.Sequential(tiny.nn.Linear(64, 32), tiny.nn.ReLU(), tiny.nn.Linear(32, 10))
    optimizer = tiny.optim.Adam(model.parameters(), lr=1e-3)
    x = tiny.randn(16, 64)
    target = tiny.tensor(np.arange(16) % 10)

    def step():
        optimizer.zero_grad()
        loss = tiny.nn.functional.cross_entropy(model(x), target)
        loss.backward()
        optimizer.step()

    report = measure_memory(step, model=model, optimizer=optimizer)
    param_bytes = sum(p.data.nbytes for p in model.parameters())
    assert report.parameter_bytes == param_bytes == (64 * 32 + 32 + 32 * 10 + 10) * 4
    assert report.gradient_bytes == param_bytes
    # Adam keeps exp_avg and exp_avg_sq per parameter (plus a scalar step each)
    assert 2 * param_bytes <= report.optimizer_state_bytes <= 2 * param_bytes + 8 * 4 * 2
    # at least the input of the first Linear and the (16, 32) hidden activation are saved for backward
    assert report.activation_bytes >= 16 * 64 * 4 + 16 * 32 * 4
    assert report.peak_bytes >= report.gradient_bytes
    assert autograd_function.OBSERVERS == []


def test_count_flops_removes_its_hook_when_the_model_raises():
    model = tiny.nn.Linear(4, 3)
    with pytest.raises(RuntimeError, match="linear"):
        count_flops(model, tiny.ones(2, 5))
    assert autograd_function.OBSERVERS == []
    assert count_flops(model, tiny.ones(2, 4)) == 2 * 2 * 4 * 3
