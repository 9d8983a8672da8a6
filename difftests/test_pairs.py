"""The generic difftests: every registered pair, float64 and float32, named edge cases and properties.

A not-implemented case is counted and skipped: the edge-case loop goes on, and a property rejects the
example (hypothesis explores the supported subspace); only a property where every example is
unsupported is "not implemented". A crash or hang still stops the test at once.
"""
from __future__ import annotations

import zlib

import pytest
from hypothesis import given, reject, seed, settings
from hypothesis.errors import Unsatisfiable

from difftests.features import case_features
from difftests.harness import Summary, check_case
from difftests.registry import all_pairs

PAIRS = [pytest.param(p, id=p.name, marks=getattr(pytest.mark, f"area_{p.area}")) for p in all_pairs()]
DTYPES = ["float64", "float32"]
ALL_UNSUPPORTED = 10   # a property stops once this many examples in a row were all unsupported


class StopOnCrash(BaseException):
    """Not an Exception, so hypothesis does not try to shrink it: it ends the property at once
    (used when the op is missing, crashed or hung, or answers float64 in float32: every further
    example would be too)."""


def _fail_report(summary: Summary) -> str:
    lines = [f"{summary.pair} [{summary.dtype}, {summary.kind}]: {summary.failed} failing case(s), "
             f"{summary.not_implemented} not implemented, {summary.passed} passed"]
    for f in summary.failures:
        more = f" ({f['count'] - 1} more like this)" if f["count"] > 1 else ""
        lines.append(f"{f['group']}: {f['case']}{more}\n  {f['message']}\n  hint: {f['hint']}")
    return "\n".join(lines)


def _excluded(features: tuple, profile) -> bool:
    return profile is not None and profile.excludes(features)


def _verdict(summary: Summary) -> None:
    if summary.status == "failed":
        pytest.fail(_fail_report(summary), pytrace=False)
    if summary.status == "not_implemented":
        missing = ", ".join(sorted(summary.missing_features)) or "?"
        pytest.fail(f"NOT IMPLEMENTED: {summary.pair} [{summary.dtype}]: {summary.not_implemented} case(s) "
                    f"({summary.not_implemented_message}; features: {missing})", pytrace=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", PAIRS)
def test_edge_cases(pair, dtype, executor, record, course_profile):
    """Every named edge case of the pair: ±300, ties, 0-d, empty and size-1 dims, bad input."""
    summary = Summary(pair.name, pair.area, dtype, "edge cases")
    try:
        for case in pair.examples(dtype):
            features = case_features(case, dtype, pair)
            if _excluded(features, course_profile):
                summary.exclude()
                continue
            result = check_case(pair, case, executor, dtype)
            summary.add(case, result, features)
            if result.crashed or result.missing_name:  # every further case would crash/hang/miss too
                break
    finally:
        record(summary.as_dict())
    _verdict(summary)


def property_seed(pair_name: str, dtype: str, run_seed: int) -> int:
    """The hypothesis seed of one property test under run seed `run_seed` (independent of -n)."""
    return zlib.crc32(f"{run_seed}|{pair_name}|{dtype}".encode())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", PAIRS)
def test_property(pair, dtype, executor, record, course_profile, run_seed):
    """Hypothesis-drawn inputs; a failure is shrunk to a minimal reproducing case."""
    summary = Summary(pair.name, pair.area, dtype, "property")

    def prop(case):
        features = case_features(case, dtype, pair)
        if _excluded(features, course_profile):
            summary.exclude()
            reject()
        result = check_case(pair, case, executor, dtype)
        summary.add(case, result, features)
        if result.missing_name:
            raise StopOnCrash(f"NOT IMPLEMENTED: {pair.name}: {result.message}")
        if result.status == "not_implemented":
            if not summary.cases and summary.not_implemented >= ALL_UNSUPPORTED:
                raise StopOnCrash(result.message)  # a stub: nothing of it runs
            reject()  # unsupported here: explore the rest
        if result.crashed or result.downcast:  # stop at once: shrinking would repeat it per attempt
            raise StopOnCrash(result.message)
        assert result.passed, f"{case.describe(max_chars=300)}\n  {result.message}\n  hint: {result.hint}"

    test = settings(max_examples=pair.max_examples, derandomize=run_seed is None)(prop)
    if run_seed is not None:
        test = seed(property_seed(pair.name, dtype, run_seed))(test)
    try:
        try:
            given(case=pair.strategy(dtype))(test)()
        except* AssertionError:
            pass  # the summary holds every failure hypothesis met, shrunk ones included
    except (StopOnCrash, Unsatisfiable):
        pass
    finally:
        record(summary.as_dict())
    _verdict(summary)
