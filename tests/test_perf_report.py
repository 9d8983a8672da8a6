"""The combined report (`python -m perf SECTIONS --quick --out DIR`) and the accel / profiler sections: structure,
internal consistency and the equal FLOP counts — never speed. Runs in a fresh process (perf pins threads first)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    done = subprocess.run([sys.executable, "-m", "perf", "accel", "profiler", "--quick", "--repeats", "1", "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    return out, json.loads((out / "report.json").read_text()), (out / "report.md").read_text()


def test_report_files_and_header(report):
    out, data, text = report
    assert (out / "accel.png").read_bytes()[:4] == b"\x89PNG" and (out / "profiler.png").read_bytes()[:4] == b"\x89PNG"
    assert "## Machine and settings" in text and "threads in force" in text and "numpy_blas" in text
    assert "![accel](accel.png)" in text and "![profiler](profiler.png)" in text
    assert set(data["sections"]) == {"accel", "profiler"}
    assert data["environment"]["torch_threads"] == 1


def test_accel_levels_are_consistent(report):
    _, data, _ = report
    accel = data["sections"]["accel"]
    assert [r["op"] for r in accel["levels"]] == ["matmul", "conv2d", "gelu", "layer_norm", "softmax", "attention"]
    for row in accel["levels"]:
        med = {k: v["median"] for k, v in row["seconds"].items()}
        assert row["naive_to_vectorized"] == pytest.approx(med["naive"] / med["vectorized"])
        assert row["fused_over_torch"] == pytest.approx(med["fused/tiled"] / med["torch"])
        assert all(v["min"] <= v["median"] <= v["max"] for v in row["seconds"].values())
    for row in accel["training"]:
        med = {k: v["median"] for k, v in row["seconds"].items()}
        assert row["fused_speedup"] == pytest.approx(med["vectorized"] / med["fused/tiled"])


def test_profiler_section_counts_equal_flops(report):
    _, data, text = report
    prof = data["sections"]["profiler"]
    assert prof["flops"]["equal"] and prof["flops"]["tiny"] == prof["flops"]["torch"] > 0
    assert prof["parameters"]["tiny"] == prof["parameters"]["torch"]
    assert prof["gflops"]["tiny"] == pytest.approx(prof["flops"]["tiny"] / prof["step_seconds"]["tiny"]["median"] / 1e9)
    assert {op["name"] for op in prof["tiny_ops"]} >= {"LinearFunction", "ScaledDotProductAttentionFunction"}
    memory = prof["memory"]
    assert memory["gradient_bytes"] == memory["parameter_bytes"] > 0 and memory["optimizer_state_bytes"] > 0
    assert "EQUAL" in text
