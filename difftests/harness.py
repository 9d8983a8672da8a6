"""Check one case end to end (torch side, implementation side, comparison) and summarize many.

Accounting rules (every level: case → test → pair → area → exit code): failed > not implemented >
passed. A not-implemented case is counted and skipped, never the end of a test; every distinct failure
is kept, grouped by kind, with its smallest input.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from difftests.cases import Case
from difftests.compare import KIND_ORDER, CaseResult, compare_outcomes
from difftests.features import case_features
from difftests.reference_side import run_reference, run_truth
from difftests.registry import Pair

DOWNCAST = "float64 answered in float32"
DESCRIBE_CHARS = 300   # a printed input never runs longer than this (a GPT case carries every parameter)


def case_seed(pair: Pair, case: Case) -> int:
    """Deterministic per case, so the same inputs always get the same upstream gradient."""
    return zlib.crc32(f"{pair.name}|{case.describe(max_values=1_000_000)}".encode())


def check_case(pair: Pair, case: Case, executor: Any, dtype: str) -> CaseResult:
    """torch's outcome here, the implementation's through `executor`, compared here. A float32 case is
    judged against torch in float64, with a tolerance calibrated by torch's own float32 error."""
    want, upstream = run_reference(pair, case, case_seed(pair, case))
    got = executor.run_pair(pair, case, upstream)
    result = compare_outcomes(case, want, got, pair.tol, trajectory=pair.trajectory)
    # Within the tolerance of torch's own float32 result is within the truth's calibrated one too:
    # torch in float64 only runs for a float32 case that differs from torch's float32 answer.
    if dtype == "float32" and result.status == "failed" and not want.raised and not got.crashed and not got.raised:
        truth = run_truth(pair, case, upstream)
        if truth is not None:
            result = compare_outcomes(case, want, got, pair.tol, truth=truth, trajectory=pair.trajectory)
    return result


def _size(case: Case) -> int:
    return sum(int(a.size) for a in case.args if isinstance(a, np.ndarray))


def _kind_rank(group: str) -> int:
    kind = "gradient" if group.startswith("gradient w.r.t.") else group
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


PATTERN_HINTS = ("constant factor", "transpose", "sign flipped")
GENERIC_HINTS = ("check the backward formula", "check the forward formula")


def _hint_rank(hint: str) -> int:
    if any(p in hint for p in PATTERN_HINTS):
        return 0
    return 2 if hint.endswith(GENERIC_HINTS) else 1


def representative_key(f: dict) -> tuple:
    """Which failure of a group is shown: one whose hint names a pattern (a constant factor, a
    transpose) before a more specific one (ties, broadcasting) before a generic one, then the
    smallest input."""
    return (_hint_rank(f.get("hint", "")), f.get("size", 0), f.get("case", ""))


def failure_sort_key(f: dict) -> tuple:
    """Most informative first: by kind (a wrong value before an error-class mismatch), then input."""
    return (_kind_rank(f["group"]), f["group"], f.get("size", 0), f.get("case", ""))


@dataclass
class Summary:
    """What one test (a pair × dtype × kind) contributes to the report."""
    pair: str
    area: str
    dtype: str
    kind: str                      # "edge cases" | "property"
    cases: int = 0                 # cases run to a verdict (passed or failed)
    passed: int = 0
    failed: int = 0
    not_implemented: int = 0       # cases skipped as not implemented (counted, never hidden)
    excluded: int = 0              # cases the course profile leaves out
    downcast: int = 0              # float64 cases answered in float32
    native_float64: int = 0        # cases answered with a float64 output
    forward_error: float = 0.0
    gradient_error: float = 0.0
    groups: dict = field(default_factory=dict)         # group label -> the minimal failure and a count
    implemented_features: set = field(default_factory=set)
    missing_features: dict = field(default_factory=dict)  # feature -> NI cases carrying it
    not_implemented_message: str = ""

    def exclude(self) -> None:
        self.excluded += 1

    def add(self, case: Case, result: CaseResult, features: tuple | None = None) -> None:
        features = case_features(case, self.dtype) if features is None else features
        if result.status == "not_implemented":
            self.not_implemented += 1
            for feature in features:
                self.missing_features[feature] = self.missing_features.get(feature, 0) + 1
            if not self.not_implemented_message or len(result.message) < len(self.not_implemented_message):
                self.not_implemented_message = result.message
            return
        self.cases += 1
        self.native_float64 += result.native_float64
        if result.downcast:  # float32-only code? the report decides, over the whole run
            self.failed += 1
            self.downcast += 1
            self._record_failure(case, result, group=DOWNCAST)
            return
        self.implemented_features.update(features)
        if result.status == "failed":
            self.failed += 1
            self._record_failure(case, result)
            return
        self.passed += 1
        self.forward_error = max(self.forward_error, _finite(result.forward_error))
        self.gradient_error = max(self.gradient_error, _finite(result.gradient_error))

    def _record_failure(self, case: Case, result: CaseResult, group: str | None = None) -> None:
        text = case.describe(max_chars=DESCRIBE_CHARS)
        for m in result.mismatches[:1] if group else result.mismatches:
            label = group or m.group
            entry = {"group": label, "kind": m.kind, "dtype": self.dtype, "test": self.kind, "case": text,
                     "size": _size(case), "message": m.text(), "hint": m.hint,
                     "worst_index": list(m.worst_index) if m.worst_index is not None else None,
                     "got": _plain(m.got), "want": _plain(m.want), "first_step": m.first_step,
                     "downcast": result.downcast, "count": 1}
            if group:
                entry["kind"], entry["hint"] = "dtype/promotion", "float32 only? every output is float32 here"
            old = self.groups.get(label)
            if old is None:
                self.groups[label] = entry
                continue
            entry["count"] = old["count"] + 1
            if representative_key(entry) >= representative_key(old):
                entry = {**old, "count": entry["count"]}
            self.groups[label] = entry

    @property
    def status(self) -> str:
        if self.failed:
            return "failed"
        if self.not_implemented and (self.kind != "property" or not self.cases):
            return "not_implemented"
        return "passed" if self.cases else ("excluded" if self.excluded else "passed")

    @property
    def failures(self) -> list[dict]:
        return sorted(self.groups.values(), key=failure_sort_key)

    def as_dict(self) -> dict:
        return {"pair": self.pair, "area": self.area, "dtype": self.dtype, "kind": self.kind,
                "status": self.status, "cases": self.cases, "passed": self.passed, "failed": self.failed,
                "not_implemented": self.not_implemented, "excluded": self.excluded, "downcast": self.downcast,
                "native_float64": self.native_float64,
                "forward_error": self.forward_error, "gradient_error": self.gradient_error,
                "failures": self.failures, "implemented_features": sorted(self.implemented_features),
                "missing_features": dict(sorted(self.missing_features.items())),
                "not_implemented_message": self.not_implemented_message}


def _plain(x: object) -> object:
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x if not isinstance(x, float) or np.isfinite(x) else repr(x)
    if isinstance(x, (tuple, list)):
        return [_plain(v) for v in x]
    return str(x)[:80]


def _finite(x: float) -> float:
    return x if x == x and x != float("inf") else 0.0
