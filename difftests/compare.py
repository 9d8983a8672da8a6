"""Compare the implementation's outcome with torch's: errors, worst index, and a hint a student can act on."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from difftests.cases import Case
from difftests.execute import Outcome


@dataclass
class Mismatch:
    what: str                 # "output 0", "grad of input 1"
    reason: str               # "values", "shape", "dtype", "nan/inf positions"
    max_abs: float = 0.0
    max_rel: float = 0.0
    worst_index: tuple | None = None
    got: object = None
    want: object = None

    def text(self) -> str:
        if self.reason == "error":
            return f"{self.what} raised {self.got}; torch computes the gradients"
        if self.reason == "warning":
            return f"numerical warning: the implementation emitted {self.got} where torch computes finite values"
        if self.reason != "values":
            return f"{self.what}: {self.reason} differ — got {self.got}, torch {self.want}"
        return (f"{self.what}: max abs err {self.max_abs:.3g}, max rel err {self.max_rel:.3g} at index "
                f"{self.worst_index} (got {self.got!r}, torch {self.want!r})")


@dataclass
class CaseResult:
    status: str                                   # passed | failed | not_implemented
    forward_error: float = 0.0                    # worst |got - want| over outputs
    gradient_error: float = 0.0                   # worst over input gradients
    mismatches: list = field(default_factory=list)
    message: str = ""
    hint: str = ""
    crashed: bool = False                         # a crash/hang: further cases of the pair are skipped

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _finite_errors(got: np.ndarray, want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", over="ignore"):
        g, w = got.astype(np.float64), want.astype(np.float64)
        both_finite = np.isfinite(g) & np.isfinite(w)
        abs_err = np.where(both_finite, np.abs(g - w), 0.0)
        rel_err = np.where(both_finite, abs_err / np.maximum(np.abs(w), np.finfo(np.float64).tiny), 0.0)
    return abs_err, rel_err


def compare_arrays(what: str, got: np.ndarray, want: np.ndarray, rtol: float, atol: float,
                   check_dtype: bool = True) -> tuple[Mismatch | None, float]:
    """(a Mismatch or None, the max absolute error). nan/inf must sit at the same places as torch's."""
    if got.shape != want.shape:
        return Mismatch(what, "shape", got=tuple(got.shape), want=tuple(want.shape)), np.inf
    if check_dtype and got.dtype != want.dtype:
        return Mismatch(what, "dtype", got=str(got.dtype), want=str(want.dtype)), np.inf
    if got.size == 0:
        return None, 0.0
    if want.dtype.kind not in "fc":
        wrong = got != want
        if wrong.any():
            idx = tuple(int(i) for i in np.argwhere(wrong)[0])
            return Mismatch(what, "values", max_abs=float(np.max(np.abs(got.astype(np.float64) - want))),
                            max_rel=float("inf"), worst_index=idx, got=got[idx].item(),
                            want=want[idx].item()), float("inf")
        return None, 0.0
    g, w = got.astype(np.float64), want.astype(np.float64)
    special_mismatch = (np.isnan(g) != np.isnan(w)) | (np.isinf(w) & (g != w)) | (np.isinf(g) & (g != w))
    if special_mismatch.any():
        idx = tuple(int(i) for i in np.argwhere(special_mismatch)[0])
        return Mismatch(what, "values", max_abs=float("inf"), max_rel=float("inf"), worst_index=idx,
                        got=g[idx].item(), want=w[idx].item()), float("inf")
    abs_err, rel_err = _finite_errors(g, w)
    allowed = atol + rtol * np.abs(np.where(np.isfinite(w), w, 0.0))
    bad = abs_err > allowed
    max_abs = float(abs_err.max())
    if bad.any():
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(np.where(bad, abs_err - allowed, -1)),
                                                     abs_err.shape))
        return Mismatch(what, "values", max_abs=max_abs, max_rel=float(rel_err[bad].max()), worst_index=idx,
                        got=g[idx].item(), want=w[idx].item()), max_abs
    return None, max_abs


def compare_outcomes(case: Case, want: Outcome, got: Outcome, tol: Callable[[str], tuple]) -> CaseResult:
    """`tol(dtype_name) -> (rtol, atol)`, chosen by the dtype torch's array has."""
    if got.crashed:
        return CaseResult("failed", message=f"the implementation crashed or hung: {got.crashed}",
                          hint="crashed/hung on this input — run it alone to see what happens", crashed=True)
    if got.not_implemented:
        return CaseResult("not_implemented", message=got.not_implemented, hint="not implemented yet")
    if want.raised:
        if not got.raised:
            return CaseResult("failed", message=f"torch raises {want.error[1]}, the implementation returned "
                              "a result", hint=f"bad input must raise an error ({want.error[0].split('|')[0]}) "
                              "like torch, not return a silent result")
        expected = want.error[0].split("|")[0]
        if expected not in got.error[0].split("|"):
            return CaseResult("failed", message=f"raised {got.error[1]}; torch raises {want.error[1]}",
                              hint=f"raise {expected} here, as torch does")
        return CaseResult("passed")
    if got.raised:
        return CaseResult("failed", message=f"raised {got.error[1]}, torch returns a result",
                          hint="the implementation raised on valid input")
    result = CaseResult("passed")
    if len(got.outputs) != len(want.outputs):
        return CaseResult("failed", message=f"{len(got.outputs)} outputs, torch has {len(want.outputs)}",
                          hint="wrong number of outputs (e.g. max(dim) returns (values, indices))")
    for i, (g, w) in enumerate(zip(got.outputs, want.outputs)):
        mismatch, err = compare_arrays(f"output {i}", g, w, *tol(str(w.dtype)))
        result.forward_error = max(result.forward_error, err)
        if mismatch:
            result.mismatches.append(mismatch)
    if (want.grads or want.param_grads) and not result.mismatches:
        if got.backward_error:
            result.mismatches.append(Mismatch("backward", "error", got=got.backward_error[1]))
        else:
            _compare_gradients(case, want, got, tol, result)
    _numerical_warning(want, got, result)
    if result.mismatches:
        result.status = "failed"
        result.message = "; ".join(m.text() for m in result.mismatches)
        result.hint = hint_for(case, result.mismatches, got, want)
    return result


def _numerical_warning(want: Outcome, got: Outcome, result: CaseResult) -> None:
    """Failure kind "numerical warning": the implementation warned (overflow, invalid value) while torch
    computed finite outputs and gradients without warning — values may coincide after the overflow, the
    formula is still unstable (1 / (1 + exp(-x)) at x = -1000)."""
    finite = all(np.all(np.isfinite(a)) for a in [*want.outputs, *(g for g in want.grads if g is not None)]
                 if a.dtype.kind in "fc")
    if got.warnings and not want.warnings and finite:
        result.mismatches.append(Mismatch("numerical warning", "warning", got="; ".join(got.warnings)))


def _compare_gradients(case: Case, want: Outcome, got: Outcome, tol: Callable[[str], tuple],
                       result: CaseResult) -> None:
    got_grads = got.grads or [None] * len(want.grads)
    for i, (g, w) in enumerate(zip(got_grads, want.grads)):
        if w is None and g is None:
            continue
        arg = case.args[i]
        w = np.zeros_like(arg) if w is None else w
        if g is None:
            if np.any(w != 0):
                result.mismatches.append(Mismatch(f"grad of input {i}", "presence", got="None (no gradient)",
                                                  want=f"a gradient of shape {tuple(w.shape)}"))
            continue
        mismatch, err = compare_arrays(f"grad of input {i}", g, w, *tol(str(w.dtype)))
        result.gradient_error = max(result.gradient_error, err)
        if mismatch:
            result.mismatches.append(mismatch)
    for name, w in want.param_grads.items():
        g = got.param_grads.get(name)
        if w is None and g is None:
            continue
        if g is None or w is None:
            result.mismatches.append(Mismatch(f"grad of parameter {name}", "presence",
                                              got="None" if g is None else "a gradient",
                                              want="None" if w is None else "a gradient"))
            continue
        mismatch, err = compare_arrays(f"grad of parameter {name}", g, w, *tol(str(w.dtype)))
        result.gradient_error = max(result.gradient_error, err)
        if mismatch:
            result.mismatches.append(mismatch)


def hint_for(case: Case, mismatches: list, got: Outcome, want: Outcome) -> str:
    """One line that points at the likely bug."""
    first = mismatches[0]
    forward_ok = not any(m.what.startswith("output") for m in mismatches)
    if first.what == "backward":
        return "forward matches; backward raised — see the message"
    if first.reason == "warning":
        return ("numerical warning: rewrite the formula so it cannot overflow (e.g. exp(-|x|), log1p, the "
                "max-shift of logsumexp) instead of relying on inf/nan rounding back to the right value")
    if first.reason == "presence":
        return f"forward matches, but {first.what} is missing: is the input connected to the graph?"
    if first.reason == "dtype":
        return f"{first.what} has dtype {first.got}, torch gives {first.want}: check type promotion"
    if first.reason == "shape":
        if first.what.startswith("grad"):
            return (f"forward matches, gradient shape {first.got} != input shape {first.want}: "
                    "sum the gradient over broadcast dims (unbroadcast) in backward")
        return f"output shape {first.got}, torch {first.want}: check the dims / keepdim handling"
    got_arr, want_arr = _arrays_for(first, got, want)
    if got_arr is not None:
        special = _pattern_hint(got_arr, want_arr)
        if special:
            if first.what.startswith("output"):
                return f"forward: {special}"
            return f"forward matches, {first.what.replace('grad of', 'gradient w.r.t.')}: {special}"
        if first.what.startswith("grad of parameter"):
            return f"forward matches, {first.what} is wrong — check the backward formula"
        if first.what.startswith("grad"):
            idx = int(first.what.split()[-1])
            arg = case.args[idx]
            if isinstance(arg, np.ndarray) and _has_ties(arg):
                wrong = ~np.isclose(got_arr, want_arr, rtol=1e-4, atol=1e-6)
                if _wrong_only_at_ties(arg, wrong):
                    return (f"forward matches, gradient w.r.t. input {idx} matches except at ties: "
                            "check how equal values share the gradient")
            if any(isinstance(a, np.ndarray) and a.ndim and a.shape != arg.shape for a in case.args
                   if isinstance(a, np.ndarray)):
                return (f"forward matches, gradient wrong w.r.t. input {idx} — check broadcasting "
                        "in backward")
            return f"forward matches, gradient wrong w.r.t. input {idx} — check the backward formula"
    return "forward values differ from torch — check the forward formula" if not forward_ok else \
        "gradients differ from torch"


def _arrays_for(m: Mismatch, got: Outcome, want: Outcome):
    if m.what.startswith("grad of parameter"):
        name = m.what.split()[-1]
        return got.param_grads.get(name), want.param_grads.get(name)
    index = int(m.what.split()[-1])
    if m.what.startswith("output"):
        return got.outputs[index], want.outputs[index]
    g = got.grads[index] if got.grads and index < len(got.grads) else None
    w = want.grads[index] if want.grads and index < len(want.grads) else None
    return (g, w) if g is not None and w is not None else (None, None)


def _pattern_hint(got: np.ndarray, want: np.ndarray) -> str:
    if got.dtype.kind != "f" or got.size < 2 or got.shape != want.shape:
        return ""
    with np.errstate(all="ignore"):
        if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and np.allclose(np.swapaxes(got, -1, -2), want):
            return "matches torch's after swapping the last two dims — off by a transpose"
        if np.allclose(got, -want):
            return "sign flipped"
        nonzero = np.abs(want) > 1e-12
        if nonzero.sum() >= 2:
            ratio = got[nonzero] / want[nonzero]
            if np.allclose(ratio, ratio.flat[0], rtol=1e-4) and not np.isclose(ratio.flat[0], 1):
                return f"off by a constant factor {ratio.flat[0]:.4g}"
    return ""


def _has_ties(arr: np.ndarray) -> bool:
    return arr.size > 1 and len(np.unique(arr)) < arr.size


def _wrong_only_at_ties(arr: np.ndarray, wrong: np.ndarray) -> bool:
    if wrong.shape != arr.shape or not wrong.any():
        return False
    values, counts = np.unique(arr, return_counts=True)
    tied = np.isin(arr, values[counts > 1])
    return bool(np.all(tied[wrong]))
