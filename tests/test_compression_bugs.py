"""The quant and prune difftests name exactly the planted compression bugs (tests/broken/compression_bugs.py)."""
from __future__ import annotations

import os
import re

from tests.test_runner import BROKEN, by_status, run_difftests


def test_planted_compression_bugs_are_reported_at_the_right_pairs(tmp_path):
    code, report, out = run_difftests("--impl", os.path.join(BROKEN, "compression_bugs.py"), "--no-isolate",
                                      "--area", "quant", "--area", "prune", tmp_path=tmp_path)
    assert code == 1, out
    status = by_status(report)
    failed_pairs = {p["pair"] for p in report["pairs"] if p["status"] == "failed"}
    assert failed_pairs == {"quant.quantize_per_tensor", "quant.quantize_per_channel",
                            "prune.global_unstructured"}, out
    assert {"quant.observer", "quant.DynamicQuantizedLinear", "prune.linear"} <= status["passed"], out
    pairs = {p["pair"]: p for p in report["pairs"]}
    # round half away from zero is off by exactly one code, only at ties (the shrunk example is x / scale = 0.5)
    failures = pairs["quant.quantize_per_tensor"]["failures"]
    assert failures and all(re.match(r"output 0: max abs err 1[ ,]", f["message"]) for f in failures), failures
    zero_point = [f["case"] for f in pairs["quant.quantize_per_channel"]["failures"]]
    assert all("zero point 300" in case for case in zero_point), zero_point
