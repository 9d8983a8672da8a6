"""Check one case end to end (torch side, implementation side, comparison) and summarize many."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from difftests.cases import Case
from difftests.compare import CaseResult, compare_outcomes
from difftests.reference_side import run_reference
from difftests.registry import Pair


def case_seed(pair: Pair, case: Case) -> int:
    """Deterministic per case, so the same inputs always get the same upstream gradient."""
    return zlib.crc32(f"{pair.name}|{case.describe(max_values=1_000_000)}".encode())


def check_case(pair: Pair, case: Case, executor: Any, dtype: str) -> CaseResult:
    """torch's outcome here, the implementation's through `executor`, compared here."""
    want, upstream = run_reference(pair, case, case_seed(pair, case))
    got = executor.run_pair(pair, case, upstream)
    return compare_outcomes(case, want, got, pair.tol)


@dataclass
class Summary:
    """What one test (a pair × dtype × kind) contributes to the report."""
    pair: str
    area: str
    dtype: str
    kind: str                      # "edge cases" | "property"
    cases: int = 0
    failed: int = 0
    not_implemented: bool = False
    forward_error: float = 0.0
    gradient_error: float = 0.0
    failure: dict = field(default_factory=dict)   # case, message, hint of the (last, i.e. minimal) failure

    def add(self, case: Case, result: CaseResult) -> None:
        self.cases += 1
        if result.status == "not_implemented":
            self.not_implemented = True
            self.failure = {"case": case.describe(), "message": result.message, "hint": result.hint}
            return
        if result.status == "failed":
            self.failed += 1
            self.failure = {"case": case.describe(), "message": result.message, "hint": result.hint}
            return
        self.forward_error = max(self.forward_error, _finite(result.forward_error))
        self.gradient_error = max(self.gradient_error, _finite(result.gradient_error))

    @property
    def status(self) -> str:
        if self.not_implemented:
            return "not_implemented"
        return "failed" if self.failed else "passed"

    def as_dict(self) -> dict:
        return {"pair": self.pair, "area": self.area, "dtype": self.dtype, "kind": self.kind,
                "status": self.status, "cases": self.cases, "failed": self.failed,
                "forward_error": self.forward_error, "gradient_error": self.gradient_error,
                "failure": self.failure}


def _finite(x: float) -> float:
    return x if x == x and x != float("inf") else 0.0
