"""Unit tests of the runner's accounting: precedence, grouping, hints, float32 calibration, profiles,
error parity (fast: no subprocess, no torch run)."""
from __future__ import annotations

import numpy as np
import pytest

from difftests.cases import Case
from difftests.compare import CaseResult, Mismatch, compare_arrays, compare_outcomes
from difftests.execute import Outcome, error_classes
from difftests.harness import Summary
from difftests.profile import Profile, ProfileError, load_profile, profile_from_weights
from difftests.report import pair_status, render

TOL = lambda dtype: {"float64": (1e-7, 1e-7), "float32": (1.3e-6, 1e-5)}.get(dtype, (0.0, 0.0))  # noqa: E731


def outcome(*outputs, grads=()):
    return Outcome(outputs=[np.asarray(o) for o in outputs], grads=[None if g is None else np.asarray(g) for g in grads])


def test_precedence_failed_over_not_implemented_over_passed():
    s = Summary("p", "tensor", "float32", "edge cases")
    case = Case((np.ones(3, np.float32),))
    s.add(case, CaseResult("passed"))
    s.add(case, CaseResult("not_implemented", message="NotImplementedError: x"))
    assert s.status == "not_implemented" and s.cases == 1 and s.not_implemented == 1
    s.add(case, CaseResult("failed", mismatches=[Mismatch("output 0", "values", max_abs=1.0)]))
    assert s.status == "failed"
    prop = Summary("p", "tensor", "float32", "property")
    prop.add(case, CaseResult("not_implemented", message="x"))
    prop.add(case, CaseResult("passed"))
    assert prop.status == "passed"  # some examples supported and right: rejected ones are not a verdict
    only = Summary("p", "tensor", "float32", "property")
    only.add(case, CaseResult("not_implemented", message="x"))
    assert only.status == "not_implemented"


def test_gradients_are_compared_even_when_the_forward_differs():
    case = Case((np.array([1.0, 2.0, 3.0]),))
    want = outcome([1.0, 2.0, 3.0], grads=[[1.0, 1.0, 1.0]])
    got = outcome([9.0, 2.0, 3.0], grads=[[2.0, 2.0, 2.0]])
    result = compare_outcomes(case, want, got, TOL)
    assert [m.group for m in result.mismatches] == ["forward values", "gradient w.r.t. input 0"]


def test_every_failure_kind_is_kept_with_the_smallest_input():
    s = Summary("p", "tensor", "float64", "edge cases")
    big, small = Case((np.ones(6),)), Case((np.ones(2),))
    for case in (big, small, big):
        s.add(case, CaseResult("failed", mismatches=[Mismatch("grad of input 0", "values", max_abs=1.0, hint="h")]))
    s.add(big, CaseResult("failed", mismatches=[Mismatch("error", "parity", got="raised X", hint="h2")]))
    groups = [(f["group"], f["count"], f["size"]) for f in s.failures]
    assert groups == [("gradient w.r.t. input 0", 3, 2), ("error parity", 1, 6)]


def test_constant_factor_needs_three_distinct_values_and_no_relative_error_where_torch_is_zero():
    case = Case((np.array([1.0, 4.0]),))
    two = compare_outcomes(case, outcome([1.0, 4.0], grads=[[0.5, 0.25]]), outcome([1.0, 4.0], grads=[[1.0, 0.5]]), TOL)
    assert "factor" not in two.hint
    case3 = Case((np.array([1.0, 4.0, 9.0]),))
    three = compare_outcomes(case3, outcome([1.0, 2.0, 3.0], grads=[[0.5, 0.25, 0.2]]),
                             outcome([1.0, 2.0, 3.0], grads=[[1.0, 0.5, 0.4]]), TOL)
    assert "constant factor 2" in three.hint
    mismatch, _ = compare_arrays("output 0", np.array([0.5]), np.array([0.0]), 1e-7, 1e-7)
    assert mismatch.max_rel is None and "rel err" not in mismatch.text()


def test_broadcasting_hint_only_when_a_reduction_explains_it():
    case = Case((np.ones((2, 3)), np.ones(3)))
    want = outcome(np.ones((2, 3)), grads=[np.ones((2, 3)), [2.0, 2.0, 2.0]])
    unreduced = compare_outcomes(case, want, outcome(np.ones((2, 3)), grads=[np.ones((2, 3)), np.ones((2, 3))]), TOL)
    assert "sum over broadcast dims" in unreduced.mismatches[0].hint
    other = compare_outcomes(case, want, outcome(np.ones((2, 3)), grads=[np.ones((2, 3)), np.ones((3, 2))]), TOL)
    assert "broadcast" not in other.mismatches[0].hint


def test_optimizer_trajectories_say_where_they_diverge():
    case = Case((np.zeros(2),))
    want = np.arange(10.0).reshape(5, 2)
    got = want.copy()
    got[3:] += 1.0
    result = compare_outcomes(case, outcome(want), outcome(got), TOL, trajectory=True)
    assert "step 1 matches" in result.hint and "step 4" in result.hint


def test_float32_is_judged_against_the_float64_truth_with_torchs_own_error():
    truth = np.array([0.0, 1.0])
    torch32 = np.array([1.2e-4, 1.0], np.float32)  # torch's float32 noise on a cancelling sum
    for got in (np.array([0.0, 1.0], np.float32), np.array([1.0e-4, 1.0], np.float32)):
        assert compare_arrays("g", got, torch32, 1.3e-6, 1e-5, truth=truth)[0] is None
    wrong = np.array([0.0, 1.5], np.float32)
    assert compare_arrays("g", wrong, torch32, 1.3e-6, 1e-5, truth=truth)[0] is not None


def test_a_chimera_error_class_matches_no_torch_error():
    class Chimera(RuntimeError, ValueError, TypeError, IndexError):
        pass

    class ShapeError(ValueError):
        pass
    assert error_classes(Chimera)[0].startswith("chimera(") and len(error_classes(Chimera)) == 1
    assert error_classes(ShapeError) == ["ValueError"]
    assert set(error_classes(np.exceptions.AxisError)) == {"IndexError", "ValueError"}


def test_profiles_load_and_name_unknown_entries_with_close_matches(tmp_path):
    good = tmp_path / "course.toml"
    good.write_text('name = "hw1"\nareas = ["tensor"]\ndtypes = ["float32"]\nexclude_features = ["amsgrad"]\n'
                    '[points]\ntensor = 30\n[pair_points]\nmatmul = 3\n')
    p = load_profile(str(good))
    assert p == Profile(name="hw1", areas=("tensor",), dtypes=("float32",), exclude_features=("amsgrad",),
                        area_points={"tensor": 30.0}, pair_points={"matmul": 3.0})
    assert p.excludes(("float64",)) and not p.excludes(("float32",))
    for text, words in [('areas = ["tensr"]', ["tensr", "tensor"]), ('pairs = ["matmull"]', ["matmull", "matmul"]),
                        ('dtype = ["float32"]', ["dtype", "dtypes"]),
                        ('exclude_features = ["amsgrd"]', ["amsgrd", "amsgrad"])]:
        bad = tmp_path / "bad.toml"
        bad.write_text(text + "\n")
        with pytest.raises(ProfileError) as err:
            load_profile(str(bad))
        assert str(bad) in str(err.value) and all(w in str(err.value) for w in words), str(err.value)
    weights = tmp_path / "w.json"
    weights.write_text('{"areas": {"tensor": 30, "nn": 20}, "partial_credit": false}')
    folded = profile_from_weights(str(weights))
    assert folded.area_points == {"tensor": 30.0, "nn": 20.0} and not folded.partial_credit


def test_the_report_folds_spellings_and_ends_with_capabilities_and_a_next_step():
    def summary(pair, status_failed):
        s = Summary(pair, "tensor", "float32", "edge cases")
        m = Mismatch("output 0", "values", max_abs=1.0, hint="forward values differ")
        s.add(Case((np.ones(2, np.float32),)), CaseResult("failed", mismatches=[m]) if status_failed
              else CaseResult("passed"))
        return s.as_dict()
    summaries = [summary("sub", True), summary("fn_sub", True), summary("method_sub", True), summary("add", False)]
    text = render(summaries, [], [])
    assert "FAILED tensor/sub (also fn_sub, method_sub)" in text and text.count("FAILED") == 1
    assert "implemented, every case passed: 1 pair(s)" in text and "tensor/add" not in text.split("CAPABILITIES")[1]
    assert text.rstrip().endswith("next step: fix tensor/sub")
    assert pair_status(summaries)["sub"]["capability"] == "wrong: forward values"
