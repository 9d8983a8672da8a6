"""The worked adapter example grades a foreign framework through the contract."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADAPTER = os.path.join(ROOT, "examples", "adapter", "otherlib_adapter.py")


def test_the_otherlib_adapter_is_graded_pair_by_pair(tmp_path):
    report_path = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "difftests", "--impl", ADAPTER, "-n", "0", "--json", str(report_path),
           "--pair", "add", "--pair", "nn.Linear", "--pair", "nn.functional.gelu"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1 and report_path.exists(), out
    report = json.loads(report_path.read_text())
    status = {(s["pair"], s["dtype"], s["kind"]): s["status"] for s in report["summaries"]}
    # Translation works: names, .grad as a bare ndarray and the (in, out) weight layout all pass on
    # ordinary inputs (the property tests of add; Linear's edge cases fail only where otherlib errs).
    assert status[("add", "float64", "property")] == status[("add", "float32", "property")] == "passed"
    pairs = {p["pair"]: p for p in report["pairs"]}
    # otherlib's genuine differences are reported, with hints:
    assert any("type promotion" in f["hint"] for f in pairs["add"]["failures"])
    assert any("raise RuntimeError" in f["hint"] for f in pairs["nn.Linear"]["failures"]
               if f["test"] == "edge cases")
    # ... what it lacks is declared, never faked — and does not hide what it computes wrong (float32 in,
    # float64 out): failed outranks not implemented.
    gelu = pairs["nn.functional.gelu"]
    assert gelu["status"] == "failed" and [f["group"] for f in gelu["failures"]] == ["dtype/promotion"]
    assert "approximate='none'" in gelu["missing_features"]
    assert "tanh approximation" in gelu["not_implemented_message"]
