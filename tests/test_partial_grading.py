"""Grading real partial code: minigrad (tests/partial/minigrad, a float32-only framework of its own with
three planted bugs and many features missing) is reported with exactly its 3 bugs as FAILED, of the
right kind, every missing feature in the capability matrix, and nothing else failing — with the
default dtypes (float64 "not supported", one line) and with a course profile that leaves float64 out.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MINIGRAD = os.path.join(ROOT, "tests", "partial", "minigrad")
BUGS = {"tanh": "gradient w.r.t. input 0", "mse_loss": "forward values", "nn.Linear": "parameter gradients"}
IMPLEMENTED = ["add", "mul", "neg", "sum", "mean", "exp", "relu", "reshape", "matmul", "nn.ReLU",
               "nn.functional.relu", "optim.SGD"]
MISSING = ["var", "cat", "nn.functional.linear", "MSELoss", "optim.Adam"]
TESTS = ["test_numpy_and_item_errors_match_torch", "test_bad_input_raises_like_torch"]


def profile(tmp_path, name: str, extra: str = "") -> str:
    path = tmp_path / f"{name}.toml"
    units = ", ".join(f'"{u}"' for u in [*BUGS, *IMPLEMENTED, *MISSING, *TESTS])
    path.write_text(f'name = "{name}"\nareas = ["tensor", "nn", "losses", "optim"]\npairs = [{units}]\n{extra}')
    return str(path)


def grade(profile_path: str, tmp_path) -> tuple[int, dict, str]:
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "difftests", "--impl", MINIGRAD, "--profile", profile_path,
                           "--json", str(report)], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    return proc.returncode, json.loads(report.read_text()), proc.stdout


def check_bugs(report: dict, out: str) -> dict:
    pairs = {p["pair"]: p for p in report["pairs"]}
    failed = {name for name, p in pairs.items() if p["status"] == "failed"}
    failed_tests = {t["test"] for t in report["tests"] if t["status"] == "failed"}
    assert failed == set(BUGS) and not failed_tests, out
    for name, group in BUGS.items():
        assert [f["group"] for f in pairs[name]["failures"]] == [group], (name, pairs[name]["failures"])
        assert f"FAILED {pairs[name]['area']}/{name}" in out
    for name in MISSING:
        assert pairs[name]["status"] == "not_implemented" and f"{pairs[name]['area']}/{name}: not implemented" in out
    assert "CAPABILITIES" in out and out.index("CAPABILITIES") > out.index("FAILED")
    assert "next step: fix tensor/tanh" in out
    return pairs


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("default")
    return grade(profile(tmp_path, "all dtypes"), tmp_path)


def test_exactly_the_three_planted_bugs_fail_with_the_right_kind(default_run):
    code, report, out = default_run
    assert code == 1
    pairs = check_bugs(report, out)
    assert report["float32_only"] and out.count("float64: not supported") == 1, out
    # Options minigrad lacks are named, not failed:
    assert set(pairs["optim.SGD"]["missing_features"]) >= {"maximize", "groups"}
    assert "reduction='elementwise_mean'" in pairs["mse_loss"]["missing_features"]
    assert "bool input" in pairs["sum"]["missing_features"]
    assert "losses/mse_loss: wrong: forward values; not implemented:" in out


def test_a_profile_without_float64_grades_the_float32_work(tmp_path):
    code, report, out = grade(profile(tmp_path, "float32 course", 'dtypes = ["float32"]\n'
                                      'exclude_features = ["maximize", "groups", "bool input"]\n'), tmp_path)
    assert code == 1
    pairs = check_bugs(report, out)
    assert not report["float32_only"] and "float64" not in out.split("CAPABILITIES")[1]
    for name in ("add", "mul", "neg", "sum", "exp", "relu", "reshape", "nn.ReLU", "optim.SGD"):
        assert pairs[name]["status"] == "passed", (name, pairs[name]["capability"])
