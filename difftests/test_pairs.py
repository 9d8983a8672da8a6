"""The generic difftests: every registered pair, float64 and float32, named edge cases and properties."""
from __future__ import annotations

import pytest
from hypothesis import given, settings

from difftests.harness import Summary, check_case
from difftests.registry import all_pairs

PAIRS = [pytest.param(p, id=p.name, marks=getattr(pytest.mark, f"area_{p.area}")) for p in all_pairs()]
DTYPES = ["float64", "float32"]


class StopOnCrash(BaseException):
    """Not an Exception, so hypothesis does not try to shrink it: it ends the property at once
    (used when the op is not implemented, crashed or hung: every further example would be too)."""


def _fail_report(summary: Summary) -> str:
    f = summary.failure
    return f"{summary.pair} [{summary.dtype}] {f.get('case')}\n  {f.get('message')}\n  hint: {f.get('hint')}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", PAIRS)
def test_edge_cases(pair, dtype, executor, record):
    """Every named edge case of the pair: ±300, ties, 0-d, empty and size-1 dims, bad input."""
    summary = Summary(pair.name, pair.area, dtype, "edge cases")
    failures = []
    try:
        for case in pair.examples(dtype):
            summary.add(case, result := check_case(pair, case, executor, dtype))
            if result.status == "not_implemented":
                break
            if not result.passed:
                failures.append(f"{case.describe()}\n  {result.message}\n  hint: {result.hint}")
            if result.crashed:  # every further case would crash or hang too: stop here
                break
    finally:
        record(summary.as_dict())
    if summary.not_implemented:
        pytest.fail(f"NOT IMPLEMENTED: {_fail_report(summary)}", pytrace=False)
    assert not failures, f"{pair.name} [{dtype}]: {len(failures)} failing case(s)\n" + "\n".join(failures)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", PAIRS)
def test_property(pair, dtype, executor, record):
    """Hypothesis-drawn inputs; a failure is shrunk to a minimal reproducing case."""
    summary = Summary(pair.name, pair.area, dtype, "property")

    def prop(case):
        result = check_case(pair, case, executor, dtype)
        summary.add(case, result)
        if result.status == "not_implemented":
            raise StopOnCrash(f"NOT IMPLEMENTED: {pair.name}: {result.message}")
        if result.crashed:  # stop at once: shrinking would cost one crash (or timeout) per attempt
            raise StopOnCrash(f"{case.describe()}\n  {result.message}\n  hint: {result.hint}")
        assert result.passed, f"{case.describe()}\n  {result.message}\n  hint: {result.hint}"

    try:
        given(case=pair.strategy(dtype))(settings(max_examples=pair.max_examples)(prop))()
    except StopOnCrash as stop:
        pytest.fail(str(stop), pytrace=False)
    finally:
        record(summary.as_dict())
