"""Grading: scores and Gradescope's format from a report, and a folder of 20 generated submissions."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest

from difftests.grading import area_scores, gradescope_results, load_weights, validate_gradescope
from student_kit import student_package

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HEADER = "import numpy as np\nimport tiny\nfrom tiny import *  # noqa\n"
BODIES = {
    "correct": "",
    "sqrt_bug": (
        "class _T(tiny.Tensor):\n"
        "    def sqrt(self):\n"
        "        return tiny.sqrt(self) * 1.0001\n"
        "def tensor(data, dtype=None, requires_grad=False):\n"
        "    return _T(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)\n"),
    "no_stack": "del stack\n",
    "var_todo": (
        "class _T(tiny.Tensor):\n"
        "    def var(self, *args, **kwargs):\n"
        "        raise NotImplementedError('TODO')\n"
        "def tensor(data, dtype=None, requires_grad=False):\n"
        "    return _T(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)\n"),
}
KINDS = ["correct"] * 8 + ["sqrt_bug"] * 5 + ["no_stack"] * 4 + ["var_todo"] * 3
EXPECTED_STATUS = {"correct": {}, "sqrt_bug": {"sqrt": "failed"}, "no_stack": {"stack": "not_implemented"},
                   "var_todo": {"var": "not_implemented"}}
PAIRS = ["sqrt", "stack", "var"]


def submission(folder, name: str, kind: str) -> None:
    """A self-contained package submission (the sandbox refuses the checkout's tiny): its own tiny copy."""
    source = folder.parent / f"{name}.src.py"
    source.write_text(HEADER + BODIES[kind])
    student_package(folder, str(source), name=name)


def report_with(statuses: dict[str, str], area: str = "tensor") -> dict:
    return {"impl": "x", "pairs": [{"pair": n, "area": area, "status": s, "failures": [] if s == "passed" else
                                    [{"message": "m", "case": "c", "hint": "h"}]} for n, s in statuses.items()],
            "tests": [], "errors": []}


def test_partial_credit_and_all_or_nothing():
    report = report_with({"a": "passed", "b": "failed", "c": "passed", "d": "not_implemented"})
    partial = area_scores(report, {"areas": {"tensor": 8}, "partial_credit": True, "visibility": "visible"})
    strict = area_scores(report, {"areas": {"tensor": 8}, "partial_credit": False, "visibility": "visible"})
    assert partial[0]["score"] == 4.0 and strict[0]["score"] == 0.0


def test_gradescope_results_follow_the_documented_format(tmp_path):
    weights_file = tmp_path / "weights.json"
    weights_file.write_text(json.dumps({"areas": {"tensor": 30, "nn": 20}, "partial_credit": True}))
    results = gradescope_results(report_with({"a": "passed", "b": "failed"}), load_weights(str(weights_file)))
    validate_gradescope(results)
    assert results["score"] == 15.0
    tensor = results["tests"][0]
    assert tensor["max_score"] == 30 and tensor["status"] == "failed" and "FAILED b" in tensor["output"]
    for broken in ({"score": "10"}, {"tests": [{"status": "ok"}]}, {"tests": [{"visibility": "public"}]}):
        with pytest.raises(ValueError):
            validate_gradescope(broken)


def test_bad_weights_files_are_rejected(tmp_path):
    bad = tmp_path / "w.json"
    bad.write_text(json.dumps({"areas": {"tensr": 10}}))
    with pytest.raises(ValueError, match="tensr"):
        load_weights(str(bad))


def test_grading_a_folder_of_20_submissions(tmp_path):
    folder, out = tmp_path / "submissions", tmp_path / "results"
    folder.mkdir()
    for i, kind in enumerate(KINDS):
        submission(folder, f"student{i:02d}_{kind}", kind)
    cmd = [sys.executable, "-m", "difftests", "grade", str(folder), "--out", str(out), "--jobs", "2", "--",
           *[arg for name in PAIRS for arg in ("--pair", name)]]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "summary.csv") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert len(rows) == 20
    for i, kind in enumerate(KINDS):
        name = f"student{i:02d}_{kind}"
        report = json.loads((out / f"{name}.json").read_text())
        statuses = {p["pair"]: p["status"] for p in report["pairs"]}
        assert statuses == {p: EXPECTED_STATUS[kind].get(p, "passed") for p in PAIRS}, (name, statuses)
        assert rows[name]["tensor"] == ("3/3" if kind == "correct" else "2/3"), rows[name]
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.stdout.count("already graded") == 20  # resumable: nothing is re-run


def test_cluster_style_fan_out_with_xargs_then_summarize(tmp_path):
    """The documented cluster path, run locally: one `--only NAME` job per submission started by an
    existing job runner (xargs -P here; sbatch/GNU parallel on a cluster), then `--summarize`."""
    folder, out = tmp_path / "submissions", tmp_path / "results"
    folder.mkdir()
    kinds = {"alice": "correct", "bob": "sqrt_bug", "carol": "no_stack"}
    for name, kind in kinds.items():
        submission(folder, name, kind)
    job = (f"{sys.executable} -m difftests grade {folder} --out {out} --only {{}} -- "
           + " ".join(f"--pair {p}" for p in PAIRS))
    fan_out = subprocess.run(f"printf 'alice\\nbob\\ncarol\\n' | xargs -P 2 -I{{}} {job}", shell=True, cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
    assert fan_out.returncode == 0, fan_out.stdout + fan_out.stderr
    summary = subprocess.run([sys.executable, "-m", "difftests", "grade", str(folder), "--out", str(out),
                              "--summarize"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert summary.returncode == 0, summary.stdout + summary.stderr
    with open(out / "summary.csv") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert {n: rows[n]["tensor"] for n in kinds} == {"alice": "3/3", "bob": "2/3", "carol": "2/3"}
