"""The runner reports "numerical warning" when the implementation overflows where torch computes finite
values, even though the values agree after the overflow (tests/broken/naive_sigmoid.py); tiny itself passes
the extreme-value pairs without a warning."""
from __future__ import annotations

import os

from tests.student_kit import student_package
from tests.test_runner import BROKEN, by_status, run_difftests

EXTREMES = ["nn.functional.sigmoid.extremes", "nn.functional.silu.extremes", "nn.functional.gelu.extremes",
            "nn.functional.log_softmax.extremes", "binary_cross_entropy_with_logits.extremes"]


def _pairs(*names: str) -> list[str]:
    return [arg for name in names for arg in ("--pair", name)]


def test_overflow_warning_is_a_failure_even_when_values_agree(tmp_path):
    # isolated (the default for a student's package, which vendors its own tiny): the warnings travel back
    # from the sandboxed worker
    student = student_package(tmp_path, os.path.join(BROKEN, "naive_sigmoid.py"))
    code, report, out = run_difftests("--impl", student,
                                      *_pairs("nn.functional.sigmoid.extremes", "nn.functional.sigmoid"),
                                      tmp_path=tmp_path)
    assert code == 1, out
    status = by_status(report)
    # the plain pair's ±300 in float32 overflows too
    assert status["failed"] == {"nn.functional.sigmoid.extremes", "nn.functional.sigmoid"}, out
    for pair in status["failed"]:
        failures = {p["pair"]: p for p in report["pairs"]}[pair]["failures"]
        messages = " ".join(f["message"] + f["hint"] for f in failures)
        assert "numerical warning" in messages and "overflow" in messages, messages
        assert "max abs err" not in messages, f"{pair}: the values agree; only the warning should fail it"


def test_tiny_passes_the_extreme_value_pairs_without_warnings(tmp_path):
    code, report, out = run_difftests(*_pairs(*EXTREMES), tmp_path=tmp_path)
    assert code == 0, out
    assert by_status(report)["passed"] >= set(EXTREMES), out
