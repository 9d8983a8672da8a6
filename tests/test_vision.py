"""The conv area as a grader sees it: a planted convolution bug is reported at conv2d and nowhere else, and a
student skeleton with the conv area stripped shows the conv ops "not implemented" (never "failed")."""
from __future__ import annotations

import os

from difftests.skeleton import make_skeleton
from tests.test_runner import BROKEN, by_status, run_difftests

CONV_OPS = {"nn.functional.conv2d", "nn.functional.conv1d", "nn.Conv2d", "nn.Conv1d", "nn.functional.max_pool2d",
            "nn.functional.avg_pool2d", "nn.functional.adaptive_avg_pool2d", "nn.functional.pad", "nn.MaxPool2d",
            "nn.AvgPool2d", "nn.AdaptiveAvgPool2d", "models.LeNet5"}


def test_a_conv_input_gradient_without_the_kernel_flip_is_reported_at_conv2d_only(tmp_path):
    code, report, out = run_difftests("--impl", os.path.join(BROKEN, "conv_bug.py"), "--no-isolate",
                                      "--area", "conv", tmp_path=tmp_path)
    assert code == 1, out
    status = by_status(report)
    assert status["failed"] == {"nn.functional.conv2d"}, out
    assert not status["not_implemented"] and len(status["passed"]) >= 13, out
    failures = {p["pair"]: p for p in report["pairs"]}["nn.functional.conv2d"]["failures"]
    assert failures and all("grad of input 0" in f["message"] and "forward matches" in f["hint"]
                            for f in failures), failures
    assert "FAILED conv/nn.functional.conv2d" in out


def test_a_skeleton_without_the_conv_area_is_not_implemented_there(tmp_path):
    stripped = make_skeleton(str(tmp_path / "student"), ["conv"])
    assert stripped == {"tiny/nn/conv.py": 2, "tiny/nn/pooling.py": 6, "tiny/nn/padding.py": 2}
    code, report, out = run_difftests("--impl", str(tmp_path / "student" / "tiny"), "--no-isolate",
                                      "--area", "conv", tmp_path=tmp_path)
    assert code == 1, out
    status = by_status(report)
    assert CONV_OPS <= status["not_implemented"], out
    assert status["failed"] == set(), out
    # the skeleton stubs every region (Linear included), so the models built on Linear are not implemented
    # either — never failed
    assert {"models.MLP", "models.Perceptron"} <= status["not_implemented"] | status["passed"], out


def test_perf_conv_quick_report_has_every_case_and_ratio():
    from perf import conv
    result = conv.run(quick=True, repeats=1, progress=lambda text: None)
    assert [c["case"] for c in result["cases"]] == list(conv.CASES)
    for case in result["cases"]:
        for kind in ("forward", "forward+backward"):
            assert case[kind]["tiny_over_torch"] > 0 and len(case[kind]["tiny"]["samples"]) == 1
    text = conv.tables(result)
    assert "tiny/torch" in text and "LeNet c3" in text
