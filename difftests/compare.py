"""Compare the implementation's outcome with torch's: errors, worst index, and a hint a student can act on.

float32 cases are judged against the truth: torch on the same inputs in float64 (`truth`), with a
tolerance calibrated per case by torch's own float32 error on it (see `compare_arrays`). float64 cases
are compared with torch's float64 result and the pair's (tight) tolerance.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from difftests.cases import Case
from difftests.execute import Outcome

# A float32 element may differ from the float64 truth by its base tolerance plus CALIBRATION times what
# torch's own float32 result is off there and the largest such torch error in the same array (an
# implementation's rounding lands on other elements than torch's — a cancelling sum exactly 0 in one and
# noise in the other — and a different summation order is a few times less accurate than torch's blocked
# sums: a correct float32 GPT measured 9.2e-5 off the truth where torch was within 2.5e-5).
CALIBRATION = 4.0

# The kinds of failure, most informative first: the report lists a pair's failures in this order.
KIND_ORDER = ["crash", "forward values", "raised on valid input", "gradient", "parameter gradients",
              "backward error", "dtype/promotion", "numerical warning", "error parity"]


@dataclass
class Mismatch:
    what: str                 # "output 0", "grad of input 1", "grad of parameter weight", "error"
    reason: str               # "values", "shape", "dtype", "presence", "error", "raised", "parity"
    max_abs: float = 0.0
    max_rel: float | None = None      # None where torch's value is 0 (no relative error there)
    worst_index: tuple | None = None
    got: object = None
    want: object = None
    first_step: int | None = None     # optimizer trajectories: the first step that differs (1-based)
    hint: str = ""

    @property
    def kind(self) -> str:
        if self.reason == "crash":
            return "crash"
        if self.reason == "warning":
            return "numerical warning"
        if self.reason in ("raised", "parity"):
            return "error parity" if self.reason == "parity" else "raised on valid input"
        if self.what == "backward":
            return "backward error"
        if self.reason == "dtype":
            return "dtype/promotion"
        if self.what.startswith("grad of parameter"):
            return "parameter gradients"
        if self.what.startswith("grad of input"):
            return "gradient"
        return "forward values"

    @property
    def group(self) -> str:
        """The report's grouping label: the kind, and which input for gradients."""
        if self.kind == "gradient":
            return f"gradient w.r.t. input {self.what.split()[-1]}"
        return self.kind

    def text(self) -> str:
        if self.reason in ("error", "raised", "parity"):
            return str(self.got)
        if self.reason == "warning":
            return f"numerical warning: the implementation emitted {self.got} where torch computes finite values"
        if self.reason == "crash":
            return f"the implementation crashed or hung: {self.got}"
        if self.reason != "values":
            return f"{self.what}: {self.reason} differ — got {self.got}, torch {self.want}"
        rel = "" if self.max_rel is None else f", max rel err {self.max_rel:.3g}"
        step = f" (first differs at step {self.first_step})" if self.first_step else ""
        return (f"{self.what}: max abs err {self.max_abs:.3g}{rel} at index {self.worst_index}{step} "
                f"(got {_short(self.got)}, torch {_short(self.want)})")


def _short(x: object) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class CaseResult:
    status: str                                   # passed | failed | not_implemented
    forward_error: float = 0.0                    # worst |got - want| over outputs
    gradient_error: float = 0.0                   # worst over input gradients
    mismatches: list = field(default_factory=list)
    message: str = ""
    hint: str = ""
    crashed: bool = False                         # a crash/hang: further cases of the pair are skipped
    downcast: bool = False                        # a float64 case answered in float32 (float32-only code?)
    missing_name: bool = False                    # not implemented because a required name is missing
    native_float64: bool = False                  # the implementation answered with a float64 output
    also_warned: str = ""                         # warnings the implementation emitted on a failing case

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _finite_errors(got: np.ndarray, want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        g, w = got.astype(np.float64), want.astype(np.float64)
        both_finite = np.isfinite(g) & np.isfinite(w)
        abs_err = np.where(both_finite, np.abs(g - w), 0.0)
        rel_err = np.where(both_finite & (w != 0), abs_err / np.where(w != 0, np.abs(w), 1.0), np.nan)
    return abs_err, rel_err


def compare_arrays(what: str, got: np.ndarray, want: np.ndarray, rtol: float, atol: float,
                   check_dtype: bool = True, truth: np.ndarray | None = None) -> tuple[Mismatch | None, float]:
    """(a Mismatch or None, the max absolute error). nan/inf must sit at the same places as torch's.

    `truth` (float32 cases): torch's float64 result on the same inputs. Finite elements are then
    compared with it, allowed atol + rtol·|truth| + CALIBRATION·(|want − truth| + max |want − truth|).
    """
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
                            worst_index=idx, got=got[idx].item(), want=want[idx].item()), float("inf")
        return None, 0.0
    g, w = got.astype(np.float64), want.astype(np.float64)
    special_mismatch = (np.isnan(g) != np.isnan(w)) | (np.isinf(w) & (g != w)) | (np.isinf(g) & (g != w))
    if special_mismatch.any():
        idx = tuple(int(i) for i in np.argwhere(special_mismatch)[0])
        return Mismatch(what, "values", max_abs=float("inf"), worst_index=idx,
                        got=g[idx].item(), want=w[idx].item()), float("inf")
    reference, calibration = w, 0.0
    if truth is not None and truth.shape == w.shape:
        t = truth.astype(np.float64)
        usable = np.isfinite(w) & np.isfinite(t)
        reference = np.where(usable, t, w)
        torch_error = np.abs(w - reference)
        calibration = CALIBRATION * (torch_error + torch_error.max())
    abs_err, rel_err = _finite_errors(g, reference)
    allowed = atol + rtol * np.abs(np.where(np.isfinite(reference), reference, 0.0)) + calibration
    bad = abs_err > allowed
    max_abs = float(abs_err.max())
    if bad.any():
        idx = tuple(int(i) for i in np.unravel_index(np.argmax(np.where(bad, abs_err - allowed, -1)),
                                                     abs_err.shape))
        rel = rel_err[bad]
        rel = rel[~np.isnan(rel)]
        return Mismatch(what, "values", max_abs=max_abs, max_rel=float(rel.max()) if rel.size else None,
                        worst_index=idx, got=g[idx].item(), want=float(reference[idx])), max_abs
    return None, max_abs


def compare_outcomes(case: Case, want: Outcome, got: Outcome, tol: Callable[[str], tuple],
                     truth: Outcome | None = None, trajectory: bool = False) -> CaseResult:
    """`tol(dtype_name) -> (rtol, atol)`, chosen by the dtype torch's array has. `truth`: torch's
    float64 outcome of a float32 case. Gradients are compared even when the forward differs."""
    if got.crashed:
        return CaseResult("failed", message=f"the implementation crashed or hung: {got.crashed}",
                          hint="crashed/hung on this input — run it alone to see what happens", crashed=True,
                          mismatches=[Mismatch("crash", "crash", got=got.crashed)])
    if got.not_implemented:
        return CaseResult("not_implemented", message=got.not_implemented, hint="not implemented yet",
                          missing_name=got.not_implemented.startswith("missing "))
    if want.raised:
        return _error_parity(want, got)
    if got.raised:
        m = Mismatch("error", "raised", got=f"raised {got.error[1]}, torch returns a result",
                     hint="the implementation raised on valid input")
        return _finish(CaseResult("failed", mismatches=[m]))
    result = CaseResult("passed")
    if len(got.outputs) != len(want.outputs):
        m = Mismatch("outputs", "count", got=len(got.outputs), want=len(want.outputs),
                     hint="wrong number of outputs (e.g. max(dim) returns (values, indices))")
        return _finish(CaseResult("failed", mismatches=[m]))
    truth_outputs = truth.outputs if truth is not None and len(truth.outputs) == len(want.outputs) else None
    for i, (g, w) in enumerate(zip(got.outputs, want.outputs)):
        t = truth_outputs[i] if truth_outputs is not None else None
        mismatch, err = compare_arrays(f"output {i}", g, w, *tol(str(w.dtype)), truth=t)
        result.forward_error = max(result.forward_error, err)
        if mismatch:
            result.mismatches.append(mismatch)
            if trajectory and mismatch.reason == "values":
                mismatch.first_step = _first_differing_step(g, w, t, *tol(str(w.dtype)))
    result.native_float64 = any(g.dtype == np.float64 for g in got.outputs)
    if want.grads or want.param_grads:
        if got.backward_error:
            result.mismatches.append(Mismatch("backward", "error", got=f"backward raised {got.backward_error[1]}; "
                                              "torch computes the gradients"))
        else:
            _compare_gradients(case, want, got, tol, result, truth)
    _numerical_warning(want, got, result)
    # float64 in, float32 out (values, gradients) and nothing else wrong: float32-only code?
    result.downcast = bool(result.mismatches) and all(
        m.reason == "dtype" and m.got == "float32" and m.want == "float64" for m in result.mismatches)
    return _finish(result, case, got, want)


def _numerical_warning(want: Outcome, got: Outcome, result: CaseResult) -> None:
    """Failure kind "numerical warning": the implementation warned (overflow, invalid value) while torch
    computed finite outputs and gradients without warning — values may coincide after the overflow, the
    formula is still unstable (1 / (1 + exp(-x)) at x = -1000). On a case that already fails, the warning
    is part of that failure's message, not a failure kind of its own."""
    finite = all(np.all(np.isfinite(a)) for a in [*want.outputs, *(g for g in want.grads if g is not None)]
                 if a.dtype.kind in "fc")
    if not (got.warnings and not want.warnings and finite):
        return
    if result.mismatches:   # a symptom of the mismatch already found, not a second failure: say it there
        result.also_warned = "; ".join(got.warnings)
    else:
        result.mismatches.append(Mismatch("numerical warning", "warning", got="; ".join(got.warnings)))


def _error_parity(want: Outcome, got: Outcome) -> CaseResult:
    expected = want.error[0].split("|")[0]
    if not got.raised:
        m = Mismatch("error", "parity", got=f"torch raises {want.error[1]}, the implementation returned a result",
                     hint=f"bad input must raise an error ({expected}) like torch, not return a silent result")
        return _finish(CaseResult("failed", mismatches=[m]))
    if expected not in got.error[0].split("|"):
        m = Mismatch("error", "parity", got=f"raised {got.error[1]}; torch raises {want.error[1]}",
                     hint=f"raise {expected} here, as torch does")
        return _finish(CaseResult("failed", mismatches=[m]))
    return CaseResult("passed")


def _finish(result: CaseResult, case: Case | None = None, got: Outcome | None = None,
            want: Outcome | None = None) -> CaseResult:
    if result.mismatches:
        result.status = "failed"
        forward_ok = not any(m.kind == "forward values" for m in result.mismatches)
        for m in result.mismatches:
            if not m.hint and case is not None:
                m.hint = hint_for(case, m, got, want, forward_ok)
        result.message = "; ".join(m.text() for m in result.mismatches)
        if result.also_warned:
            result.message += f" (the implementation also warned: {result.also_warned})"
        result.hint = result.mismatches[0].hint
    return result


def _first_differing_step(got: np.ndarray, want: np.ndarray, truth, rtol: float, atol: float) -> int | None:
    """Outputs of optimizer trajectories stack one row per step: the first (1-based) step that differs."""
    if got.ndim == 0 or got.shape != want.shape:
        return None
    for step in range(got.shape[0]):
        t = None if truth is None else truth[step]
        if compare_arrays("", got[step], want[step], rtol, atol, truth=t)[0] is not None:
            return step + 1
    return None


def _compare_gradients(case: Case, want: Outcome, got: Outcome, tol: Callable[[str], tuple],
                       result: CaseResult, truth: Outcome | None) -> None:
    got_grads = got.grads or [None] * len(want.grads)
    truth_grads = truth.grads if truth is not None and len(truth.grads) == len(want.grads) else None
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
        t = truth_grads[i] if truth_grads is not None else None
        mismatch, err = compare_arrays(f"grad of input {i}", g, w, *tol(str(w.dtype)), truth=t)
        result.gradient_error = max(result.gradient_error, err)
        if mismatch:
            result.mismatches.append(mismatch)
    truth_params = truth.param_grads if truth is not None else {}
    for name, w in want.param_grads.items():
        g = got.param_grads.get(name)
        if w is None and g is None:
            continue
        if g is None or w is None:
            result.mismatches.append(Mismatch(f"grad of parameter {name}", "presence",
                                              got="None" if g is None else "a gradient",
                                              want="None" if w is None else "a gradient"))
            continue
        mismatch, err = compare_arrays(f"grad of parameter {name}", g, w, *tol(str(w.dtype)),
                                       truth=truth_params.get(name))
        result.gradient_error = max(result.gradient_error, err)
        if mismatch:
            result.mismatches.append(mismatch)


# ----- hints ------------------------------------------------------------------------------------
def hint_for(case: Case, m: Mismatch, got: Outcome, want: Outcome, forward_ok: bool = True) -> str:
    """One line that points at the likely bug behind mismatch `m`."""
    prefix = "forward matches, " if forward_ok else "forward differs too; "
    if m.what == "backward":
        return prefix + "backward raised — see the message"
    if m.reason == "warning":
        return ("numerical warning: rewrite the formula so it cannot overflow (e.g. exp(-|x|), log1p, the "
                "max-shift of logsumexp) instead of relying on inf/nan rounding back to the right value")
    if m.reason == "presence":
        return prefix + f"but {m.what} is missing: is the input connected to the graph?"
    if m.reason == "dtype":
        return f"{m.what} has dtype {m.got}, torch gives {m.want}: check type promotion"
    if m.what.startswith("output") and m.first_step is not None:
        if m.first_step == 1:
            return "the trajectory differs from step 1: check the update formula of the first step"
        return (f"step 1 matches, the trajectory first diverges at step {m.first_step}: check the state "
                "update (momentum / running averages / step count / bias correction)")
    got_arr, want_arr = _arrays_for(m, got, want)
    if m.reason == "shape":
        if m.what.startswith("grad of input"):
            return prefix + _gradient_shape_hint(case, m, got_arr, want_arr)
        if m.what.startswith("grad"):
            return prefix + f"{m.what} has shape {m.got}, the parameter {m.want}"
        if got_arr is not None and want_arr is not None and got_arr.ndim >= 2 and \
                _agrees(np.swapaxes(got_arr, -1, -2), want_arr):
            return "matches torch's after swapping the last two dims — off by a transpose"
        return f"output shape {m.got}, torch {m.want}: check the dims / keepdim handling"
    if got_arr is None:
        return "forward values differ from torch — check the forward formula"
    special = _pattern_hint(got_arr, want_arr)
    what = m.what.replace("grad of", "gradient w.r.t.")
    if m.what.startswith("output"):
        return f"forward: {special}" if special else "forward values differ from torch — check the forward formula"
    if special:
        return prefix + f"{what}: {special}"
    if m.what.startswith("grad of parameter"):
        return prefix + f"{what} is wrong — check the backward formula"
    idx = int(m.what.split()[-1])
    arg = case.args[idx] if idx < len(case.args) else None
    if isinstance(arg, np.ndarray) and _has_ties(arg):
        wrong = ~np.isclose(got_arr, want_arr, rtol=1e-4, atol=1e-6)
        if _wrong_only_at_ties(arg, wrong):
            return prefix + f"{what} matches except at ties: check how equal values share the gradient"
    factor = _broadcast_factor(case, idx)
    if factor > 1 and _agrees(got_arr * factor, want_arr):
        return prefix + f"{what} is 1/{factor} of torch's: sum (not average) over the broadcast dims"
    if factor > 1 and _agrees(got_arr, want_arr * factor):
        return prefix + f"{what} is {factor}x torch's: the gradient is reduced too much over broadcast dims"
    return prefix + f"{what} is wrong — check the backward formula"


def _gradient_shape_hint(case: Case, m: Mismatch, got_arr, want_arr) -> str:
    """A wrong gradient shape: a missing reduction over broadcast dims only when summing says so."""
    if got_arr is not None and want_arr is not None:
        reduced = _unbroadcast(got_arr, want_arr.shape)
        if reduced is not None and _agrees(reduced, want_arr):
            return (f"gradient shape {m.got} != input shape {m.want}, and summing it over the broadcast "
                    "dims gives torch's: unbroadcast (sum over broadcast dims) in backward")
    return f"gradient shape {m.got} != input shape {m.want}: the gradient must have the input's shape"


def _unbroadcast(x: np.ndarray, shape: tuple) -> np.ndarray | None:
    if x.ndim < len(shape):
        return None
    lead = x.ndim - len(shape)
    for d, n in enumerate(shape):
        if n != 1 and x.shape[lead + d] != n:
            return None
    x = x.sum(axis=tuple(range(lead))) if lead else x
    axes = tuple(d for d, n in enumerate(shape) if n == 1 and x.shape[d] != 1)
    return x.sum(axis=axes, keepdims=True) if axes else x


def _broadcast_factor(case: Case, idx: int) -> int:
    """How many output elements each element of input `idx` is broadcast to (1: no broadcasting)."""
    arrays = [a for a in case.args if isinstance(a, np.ndarray)]
    arg = case.args[idx]
    try:
        out_shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        return 1
    if arg.size == 0:
        return 1
    return int(np.prod(out_shape)) // max(int(arg.size), 1)


def _agrees(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.size > 0 and bool(np.allclose(a, b, rtol=1e-4, atol=1e-6))


def _arrays_for(m: Mismatch, got: Outcome | None, want: Outcome | None):
    if got is None or want is None or m.what in ("backward", "error", "outputs", "crash"):
        return None, None
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
        if got.ndim >= 2 and got.shape[-1] == got.shape[-2] and not np.allclose(got, want) and \
                np.allclose(np.swapaxes(got, -1, -2), want):
            return "matches torch's after swapping the last two dims — off by a transpose"
        if np.any(want != 0) and np.allclose(got, -want):
            return "sign flipped"
        nonzero = (np.abs(want) > 1e-12) & np.isfinite(want) & np.isfinite(got)
        distinct = np.unique(want[nonzero])
        if distinct.size >= 3:  # a factor needs at least 3 distinct nonzero values agreeing on it
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
    return bool(np.all(tied[wrong])) and bool((~tied).any())  # untied elements exist, and they are right
