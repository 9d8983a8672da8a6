"""Scores and Gradescope's format from a report: units with spellings folded, points from a profile,
integrity (incomplete, tampering, cannot import) never giving full marks, JUnit failures."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from difftests.grading import (area_scores, gradescope_results, junit_add_problems, load_error_of,
                               load_failure_report, load_weights, unit_name, validate_gradescope)

SOURCES = {"sub": "tiny.ops.arithmetic:Sub", "fn_sub": "tiny.ops.arithmetic:Sub",
           "method_sub": "tiny.ops.arithmetic:Sub", "add": "tiny.ops.arithmetic:Add",
           "fn_exp": "tiny.ops.unary:Exp", "exp": "tiny.ops.unary:Exp", "fn_odd": "x:Odd", "odd": "x:Other"}


def report_with(statuses: dict[str, str], area: str = "tensor", **extra) -> dict:
    return {"impl": "x", "pairs": [{"pair": n, "area": area, "status": s, "cases": 4,
                                    "failures": [] if s == "passed" else
                                    [{"message": f"{n} is wrong", "case": "c", "hint": "h", "dtype": "float64"}]}
                                   for n, s in statuses.items()],
            "tests": [], "errors": [], "complete": True, **extra}


def test_spelling_variants_fold_into_one_unit_only_when_they_test_the_same_code():
    assert unit_name("fn_sub", SOURCES) == unit_name("method_sub", SOURCES) == "sub"
    assert unit_name("fn_odd", SOURCES) == "fn_odd"  # same suffix, different code: its own unit
    report = report_with({"sub": "passed", "fn_sub": "failed", "method_sub": "not_implemented", "add": "passed"})
    (tensor,) = area_scores(report, None, SOURCES)
    units = {u["name"]: u for u in tensor["units_detail"]}
    assert set(units) == {"sub", "add"} and units["sub"]["status"] == "failed"  # failed outranks not impl.
    assert units["sub"]["members"] == ["sub", "fn_sub", "method_sub"] and len(units["sub"]["reasons"]) == 2


def test_partial_credit_and_all_or_nothing():
    report = report_with({"a": "passed", "b": "failed", "c": "passed", "d": "not_implemented"})
    partial = area_scores(report, {"areas": {"tensor": 8}, "partial_credit": True}, SOURCES)
    strict = area_scores(report, {"areas": {"tensor": 8}, "partial_credit": False}, SOURCES)
    assert partial[0]["score"] == 4.0 and strict[0]["score"] == 0.0


def test_profile_points_and_per_test_visibility_from_a_duck_typed_profile():
    profile = SimpleNamespace(name="hw1", areas=["tensor"], pairs=None, dtypes=None, exclude_features=(),
                              area_points={"tensor": 10}, pair_points={"exp": 3}, partial_credit=True,
                              visibility={"default": "visible", "exp": "after_due_date"}, leaderboard=True)
    report = report_with({"add": "passed", "exp": "failed", "fn_exp": "passed", "sub": "passed"})
    results = gradescope_results(report, profile, execution_time=12.6, sources=SOURCES)
    validate_gradescope(results)
    tests = {t["name"].split(" (")[0]: t for t in results["tests"]}
    assert tests["tensor: exp"]["max_score"] == 6 and tests["tensor: exp"]["visibility"] == "after_due_date"
    assert tests["tensor: add"]["max_score"] == 2 and tests["tensor: add"]["visibility"] == "visible"
    assert results["score"] == 4 and results["execution_time"] == 13 and results["leaderboard"][0]["value"] == 4
    assert tests["tensor: exp"]["status"] == "failed" and "exp is wrong" in tests["tensor: exp"]["output"]
    assert all(t["output_format"] == "md" for t in results["tests"])


@pytest.mark.parametrize("problem", ["incomplete", "interrupted", "tampering"])
def test_an_incomplete_or_tampered_run_never_gets_full_marks(problem):
    everything_passed = {"add": "passed", "sub": "passed", "exp": "passed"}
    extra = {"incomplete": {"complete": False},
             "interrupted": {"errors": ["collection failed: KeyboardInterrupt"]},
             "tampering": {"errors": ["TAMPERING: trusted files changed during the run: ['conftest.py']"]}}[problem]
    results = gradescope_results(report_with(everything_passed, **extra), {"areas": {"tensor": 30}}, sources=SOURCES)
    validate_gradescope(results)
    assert results["score"] == (0.0 if problem == "tampering" else 20.0)
    assert results["tests"][0]["status"] == "failed" and results["extra_data"]["status"] != "ok"
    honest = gradescope_results(report_with(everything_passed), {"areas": {"tensor": 30}}, sources=SOURCES)
    assert honest["score"] == 30.0 and all(t["status"] == "passed" for t in honest["tests"])


def test_the_sandboxed_runners_report_form_is_understood():
    """The runner of the sandbox branch says "cannot load the implementation: ..." in `errors`, marks
    abnormal ends `complete: false` with "INCOMPLETE: ..." errors, and profiles mark pairs "excluded"."""
    load = {"impl": "x", "pairs": [], "tests": [], "complete": True, "passed": False,
            "errors": ["cannot load the implementation: --impl x: importing it failed: NameError: y at /x/a.py:1: y"]}
    results = gradescope_results(load, {"areas": {"tensor": 30}}, sources=SOURCES)
    assert results["score"] == 0 and results["extra_data"]["status"] == "load_error"
    assert "/x/a.py:1" in results["tests"][0]["output"]
    interrupted = report_with({"add": "passed", "sub": "passed"}, complete=False,
                              errors=["INCOMPLETE: the runner received SIGINT"],
                              incomplete_reasons=["the runner received SIGINT"])
    results = gradescope_results(interrupted, {"areas": {"tensor": 30}}, sources=SOURCES)
    assert results["score"] == 15 and "SIGINT" in results["tests"][0]["output"]
    scoped = report_with({"add": "passed", "exp": "excluded"})
    assert [u["name"] for u in area_scores(scoped, None, SOURCES)[0]["units_detail"]] == ["add"]


def test_a_submission_that_cannot_be_imported_scores_zero_with_its_frame():
    message = ("--impl /s/tiny: importing it failed: SyntaxError: invalid syntax (ops.py, line 3) "
               "at /s/tiny/ops.py:3: def broken(:")
    results = gradescope_results(load_failure_report("/s/tiny", message), {"areas": {"tensor": 30}}, 4.0)
    validate_gradescope(results)
    assert results["score"] == 0.0 and results["tests"][0]["status"] == "failed"
    assert "/s/tiny/ops.py:3: def broken(:" in results["tests"][0]["output"]


def test_validator_follows_the_published_spec():
    """Fields of https://gradescope-autograders.readthedocs.io/en/latest/specs/ (output format)."""
    validate_gradescope({"score": 44.0, "execution_time": 136, "output": "o", "output_format": "simple_format",
                         "test_output_format": "text", "test_name_format": "text", "visibility": "after_due_date",
                         "stdout_visibility": "visible", "extra_data": {},
                         "tests": [{"score": 2.0, "max_score": 2.0, "status": "passed", "name": "n",
                                    "name_format": "text", "number": "1.1", "output": "x", "output_format": "ansi",
                                    "tags": ["a"], "visibility": "visible", "extra_data": {}}],
                         "leaderboard": [{"name": "Accuracy", "value": .926}, {"name": "Time", "value": 15.1,
                                                                               "order": "asc"}]})
    for broken in ({"score": "10"}, {"tests": [{"status": "ok", "score": 1}]}, {"tests": [{"visibility": "public"}]},
                   {"score": 1, "tests": [{"output_format": "markdown"}]}, {"score": 1, "grade": 3},
                   {"tests": [{"name": "no score"}]}, {"score": float("nan")},
                   {"score": 1, "leaderboard": [{"name": "x", "value": 1, "order": "up"}]}):
        with pytest.raises(ValueError):
            validate_gradescope(broken)


def test_bad_weights_files_are_rejected(tmp_path):
    bad = tmp_path / "w.json"
    bad.write_text(json.dumps({"areas": {"tensr": 10}}))
    with pytest.raises(ValueError, match="tensr"):
        load_weights(str(bad))


def test_junit_carries_incomplete_and_tampered_runs_as_failures(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text('<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="2" failures="0">'
                    '<testcase name="a"/><testcase name="b"/></testsuite></testsuites>')
    junit_add_problems(str(path), report_with({"add": "passed"}, errors=["TAMPERING: trusted files changed"]))
    junit_add_problems(str(path), report_with({"add": "passed"}, complete=False))
    suite = ET.parse(path).getroot().find("testsuite")
    failures = [case.get("name") for case in suite if case.find("failure") is not None]
    assert failures == ["tampering", "incomplete"] and suite.get("failures") == "2" and suite.get("tests") == "4"
    clean = tmp_path / "clean.xml"
    junit_add_problems(str(clean), report_with({"add": "passed"}))
    assert not clean.exists()  # nothing to add to a clean run


def test_the_runner_writes_every_output_for_a_submission_that_cannot_be_imported(tmp_path):
    """results.json is always written: a syntax error scores 0 with the error and the student's line."""
    import subprocess
    import sys

    from grading_fixtures import ROOT

    package = tmp_path / "tiny"
    package.mkdir()
    (package / "__init__.py").write_text("from tiny.ops import add\n")
    (package / "ops.py").write_text("def add(a, b):\n    return a +\n")
    outputs = {name: tmp_path / name for name in ("results.json", "report.json", "junit.xml")}
    proc = subprocess.run([sys.executable, "-m", "difftests", "--impl", str(package), "--pair", "add", "-n", "0",
                           "--gradescope", str(outputs["results.json"]), "--json", str(outputs["report.json"]),
                           "--junit", str(outputs["junit.xml"])], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    results = json.loads(outputs["results.json"].read_text())
    validate_gradescope(results)
    assert results["score"] == 0 and results["tests"][0]["status"] == "failed"
    assert f"{package / 'ops.py'}:2" in results["tests"][0]["output"] and "return a +" in results["tests"][0]["output"]
    assert isinstance(results["execution_time"], int)
    assert "ops.py:2" in load_error_of(json.loads(outputs["report.json"].read_text()))
    assert ET.parse(outputs["junit.xml"]).getroot().find("testsuite/testcase/failure") is not None
