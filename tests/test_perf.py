"""Smoke test of the perf harness: `python -m perf --quick --repeats 1` on the tiny config, in a fresh process
(perf pins the thread pools before NumPy/torch load, which an already-running pytest process cannot do).
Checks the report's structure and internal consistency — never its speed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("tiny cached", "tiny uncached", "torch cached", "torch uncached")


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("perf")
    json_path, plot_path = out / "perf.json", out / "perf.png"
    completed = subprocess.run([sys.executable, "-m", "perf", "generation", "--quick", "--repeats", "1", "--json", str(json_path),
                                "--plot", str(plot_path)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout, json.loads(json_path.read_text())["generation"], plot_path


def test_prints_the_three_tables(quick_report):
    stdout, _, _ = quick_report
    for heading in ("tiny cached tok/s", "tiny/torch cached", "cache speedup tiny", "KV cache bytes",
                    "peak RSS MB", "stage (all layers)", "Threads:"):
        assert heading in stdout, f"missing {heading!r} in:\n{stdout}"


def test_throughput_rows_are_consistent(quick_report):
    _, report, _ = quick_report
    assert report["settings"]["repeats"] == 1 and report["quick"]
    assert [(r["config"], r["new_tokens"]) for r in report["throughput"]] == [("tiny", 24)]
    row = report["throughput"][0]
    for variant in VARIANTS:
        cell = row["tokens_per_s"][variant]
        assert len(cell["samples"]) == 1 and cell["min"] <= cell["median"] <= cell["max"] and cell["median"] > 0
    median = {v: row["tokens_per_s"][v]["median"] for v in VARIANTS}
    assert row["tiny_over_torch_cached"] == pytest.approx(median["tiny cached"] / median["torch cached"])
    assert row["cache_speedup_tiny"] == pytest.approx(median["tiny cached"] / median["tiny uncached"])
    assert row["cache_speedup_torch"] == pytest.approx(median["torch cached"] / median["torch uncached"])
    assert isinstance(row["greedy_tokens_agree"], bool)


def test_threads_are_pinned_equally(quick_report):
    _, report, _ = quick_report
    assert report["threads"] and set(report["threads"].values()) == {1}, report["threads"]


def test_memory_probes_and_kv_cache_formula(quick_report):
    _, report, _ = quick_report
    assert [m["variant"] for m in report["memory"]] == list(VARIANTS)
    config = report["configs"]["tiny"]
    positions = report["settings"]["prompt"] + 24
    formula = 2 * config["n_layer"] * 1 * config["n_head"] * positions * (config["d_model"] // config["n_head"]) * 4
    for m in report["memory"]:
        assert m["peak_rss_mb"] >= m["rss_before_mb"] > 0
        assert (m["traced_numpy_peak_mb"] is not None) == m["variant"].startswith("tiny")
        if m["variant"].endswith(" cached"):
            assert m["kv_cache_buffers_bytes"] == m["kv_cache_nbytes"] == m["kv_cache_formula_bytes"] == formula


def test_profile_has_every_stage_on_both_sides(quick_report):
    _, report, _ = quick_report
    (profile,) = report["profile"]
    for side in ("tiny", "torch"):
        stages = profile[side]["stages_us"]
        assert list(stages) == ["embedding", "ln1+qkv", "attention", "out_proj+residual", "ln2+fc", "act",
                                "proj+residual", "ln_f+head"]
        assert all(us > 0 for us in stages.values()) and profile[side]["step_us_median"] > 0


def test_writes_a_png_plot(quick_report):
    _, _, plot_path = quick_report
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
