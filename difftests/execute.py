"""Run one case on one library (the implementation under test, or torch) and return NumPy results.

Torch-free: the implementation side of every case runs through `run_case` with `impl_backend(lib)`,
so it can later run in a worker process that never imports torch. The torch side uses the same
function with `reference_side.torch_backend()`.
"""
from __future__ import annotations

import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from difftests.cases import Case


class NotImplementedCase(Exception):
    """The implementation lacks an op the pair needs (missing name or NotImplementedError)."""


@dataclass
class Backend:
    """How one library turns arrays into tensors and back, and runs backward."""
    name: str
    call: Callable              # call(*tensors_and_values, **kwargs) -> result
    to_tensor: Callable         # to_tensor(array, requires_grad) -> tensor
    to_numpy: Callable          # to_numpy(tensor) -> np.ndarray (a copy)
    is_tensor: Callable         # is_tensor(obj) -> bool
    backward: Callable          # backward(output_tensor, upstream_array) -> None
    grad_of: Callable           # grad_of(tensor) -> np.ndarray | None


@dataclass
class Outcome:
    outputs: list = field(default_factory=list)    # np.ndarray per output
    grads: list = field(default_factory=list)      # per case arg: np.ndarray | None
    param_grads: dict = field(default_factory=dict)  # per named parameter: np.ndarray | None
    error: tuple | None = None                     # (exception type name, message) from forward
    backward_error: tuple | None = None
    not_implemented: str | None = None
    crashed: str | None = None                     # the worker died or hung on this case
    warnings: list = field(default_factory=list)   # NumPy overflow/invalid/divide RuntimeWarnings, as text

    @property
    def raised(self) -> bool:
        return self.error is not None


# Library exceptions that legitimately are several builtin classes at once (documented equivalents):
# NumPy's AxisError is both ValueError and IndexError (torch raises IndexError for a dim out of range).
EQUIVALENT_CLASSES = {"numpy.exceptions.AxisError": ("ValueError", "IndexError"),
                      "numpy.AxisError": ("ValueError", "IndexError"),
                      "numpy.core._exceptions.AxisError": ("ValueError", "IndexError")}


def error_classes(exc_type: type) -> list[str]:
    """The builtin classes an exception counts as for error parity.

    A builtin class is itself (and its builtin bases: ZeroDivisionError is an ArithmeticError); a user
    class counts as the builtin line it derives from — one chain only. A class mixing unrelated builtin
    bases (a "chimera" inheriting RuntimeError, ValueError, TypeError and IndexError to match any torch
    error) counts as none of them, except for the documented library equivalents above."""
    qualified = f"{exc_type.__module__}.{exc_type.__qualname__}"
    if qualified in EQUIVALENT_CLASSES:
        return list(EQUIVALENT_CLASSES[qualified])
    builtin = [c for c in exc_type.__mro__ if c.__module__ == "builtins"
               and c not in (Exception, BaseException, object)]
    if not builtin:
        return []
    most_specific = builtin[0]
    if not all(issubclass(most_specific, c) for c in builtin):
        return ["chimera(" + "+".join(c.__name__ for c in builtin) + ")"]
    return [c.__name__ for c in builtin]


def _trusted_paths() -> tuple[str, ...]:
    import os
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    paths = {here + os.sep, os.path.join(os.path.dirname(here), "reference") + os.sep}
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        paths.add(os.path.join(prefix, "lib") + os.sep)
    return tuple(paths)


def student_frame(tb) -> str:
    """" at FILE:LINE: `source`" of the innermost frame outside the runner, the reference, the standard
    library and site-packages (the student's code, even under NumPy); "" when every frame is trusted code
    (an error the runner raised itself already says where the student's code failed)."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    trusted = _trusted_paths()
    own = [f for f in frames if not f.filename.startswith(trusted) and not f.filename.startswith("<")]
    if not own:
        return ""
    frame = own[-1]
    line = (frame.line or "").strip()
    return f" (at {frame.filename}:{frame.lineno}" + (f": {line[:120]}" if line else "") + ")"


def _describe_error(exc: BaseException) -> tuple[str, str]:
    """("IndexError|LookupError", message): the builtin classes error parity accepts for this exception
    (see error_classes), and the message with the innermost student frame (file:line and the line)."""
    classes = error_classes(type(exc))
    return ("|".join(classes) or type(exc).__name__,
            f"{type(exc).__name__}: {exc}{student_frame(exc.__traceback__)}")


def _flatten(result: Any) -> list:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _split_params(result: Any) -> tuple[Any, dict]:
    """A call may return {"out": outputs, "params": {name: tensor}}: module pairs compare the
    gradients of the module's own parameters as well as those of the inputs."""
    if isinstance(result, dict):
        if set(result) != {"out", "params"}:
            raise TypeError(f"a pair call returned a dict with keys {sorted(result)}; "
                            "expected exactly 'out' and 'params'")
        return result["out"], dict(result["params"])
    return result, {}


NUMERICAL_WARNINGS = ("overflow", "invalid value", "divide by zero")


@contextmanager
def _numerical_warnings(outcome: Outcome):
    """Record the RuntimeWarnings NumPy emits for overflow, invalid values and division by zero (each once)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            yield
        finally:
            for w in caught:
                text = f"{w.category.__name__}: {w.message}"
                if issubclass(w.category, RuntimeWarning) and any(k in str(w.message) for k in NUMERICAL_WARNINGS) \
                        and text not in outcome.warnings:
                    outcome.warnings.append(text)


def run_case(backend: Backend, case: Case, upstream: list | None) -> Outcome:
    """Forward; then, if `upstream` holds a gradient per output (None = not differentiable), backward.
    Numerical RuntimeWarnings raised on the way are recorded in `outcome.warnings`."""
    outcome = Outcome()
    with _numerical_warnings(outcome):
        _run_case(backend, case, upstream, outcome)
    return outcome


def _run_case(backend: Backend, case: Case, upstream: list | None, outcome: Outcome) -> Outcome:
    wants_grad = case.requires_grad()
    try:
        tensors = [backend.to_tensor(np.asarray(a), rg) if isinstance(a, (np.ndarray, np.generic)) else a
                   for a, rg in zip(case.args, wants_grad)]
        result, params = _split_params(backend.call(*tensors, **case.kwargs))
        outputs = _flatten(result)
        for i, out in enumerate(outputs):
            if not backend.is_tensor(out):
                raise TypeError(f"{backend.name}: output {i} is a {type(out).__name__}, not a Tensor")
        outcome.outputs = [backend.to_numpy(o) for o in outputs]
    except NotImplementedError as exc:
        outcome.not_implemented = f"NotImplementedError: {exc}"
        return outcome
    except Exception as exc:  # noqa: BLE001 — any error is a result to compare with torch's
        outcome.error = _describe_error(exc)
        return outcome
    if upstream is None or len(upstream) != len(outputs):
        return outcome
    try:
        differentiable = [(o, g) for o, g in zip(outputs, upstream) if g is not None]
        if len(differentiable) == 1:
            backend.backward(*differentiable[0])
        elif differentiable:
            raise RuntimeError("cases with several differentiable outputs are not supported")
        outcome.grads = [backend.grad_of(t) if rg and backend.is_tensor(t) else None
                         for t, rg in zip(tensors, wants_grad)]
        outcome.param_grads = {name: backend.grad_of(p) for name, p in params.items()}
    except NotImplementedError as exc:
        outcome.not_implemented = f"NotImplementedError in backward: {exc}"
    except Exception as exc:  # noqa: BLE001
        outcome.backward_error = _describe_error(exc)
    return outcome


def missing_names(lib: Any, requires: tuple) -> list[str]:
    """Contract names ("cat", "Tensor.sum", "nn.functional.gelu") the implementation does not define."""
    missing = []
    for name in requires:
        target = lib
        for part in name.split("."):
            target = getattr(target, part, None)
            if target is None or (part.startswith("__") and target is getattr(object, part, None)):
                missing.append(name)  # an operator only `object` provides (== by identity) is missing
                break
    return missing


def _plain_array(data: Any, what: str) -> np.ndarray:
    """A copy of a genuine ndarray (no subclass that could lie about its values) of a numeric dtype."""
    if type(data) is not np.ndarray:
        raise TypeError(f"{what} is a {type(data).__name__}; the contract says a plain np.ndarray")
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{what} has dtype {data.dtype}; expected bool, integer or float")
    return np.array(data, copy=True)


def impl_backend(lib: Any, call: Callable) -> Backend:
    """The implementation under test, reached only through the contract API."""
    def to_numpy(t: Any) -> np.ndarray:
        return _plain_array(t.data, "Tensor.data")

    def backward(out: Any, upstream: np.ndarray) -> None:
        out.backward(gradient=lib.tensor(upstream))

    def grad_of(t: Any) -> np.ndarray | None:
        g = t.grad
        if g is None:
            return None
        return _plain_array(g.data if hasattr(g, "data") else g, ".grad")

    return Backend(
        name="implementation",
        call=lambda *a, **k: call(lib, *a, **k),
        to_tensor=lambda a, rg: lib.tensor(a, requires_grad=rg),
        to_numpy=to_numpy,
        is_tensor=lambda o: isinstance(o, lib.Tensor),
        backward=backward,
        grad_of=grad_of,
    )
