"""The scaffolding the sandbox attacks share: what the attacker knows, two shrugging helpers, and a
`tensor()` whose Tensor.exp runs the attack.

An attack is loaded as a submission (tests/student_kit.py copies it to STUDENT/__init__.py and this
module beside it as STUDENT/_attack.py), so it imports this one relatively: `from ._attack import ...`.
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable

import tiny


def targets() -> dict:
    """What the attacker knows (the test writes targets.json beside the submission): the worst case, full
    knowledge of the trusted checkout ("root"), the venv ("site_packages") and the runner's "outputs"."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets.json")) as f:
        return json.load(f)


def attempt(action: Callable, *args: Any) -> Any:
    """action(*args), or the error it raised as text: an attacker shrugs and tries the next thing."""
    try:
        return action(*args)
    except BaseException as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


def write(path: str, text: str | bytes, mode: str = "w") -> str:
    with open(path, mode) as f:
        f.write(text)
    return "written"


def tensor_with_exp(exp: Callable) -> Callable:
    """The submission's `tensor()`: tiny's, but its tensors' exp is `exp(self)`."""
    class _Wrong(tiny.Tensor):
        pass
    _Wrong.exp = exp

    def tensor(data, dtype=None, requires_grad=False):
        return _Wrong(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)
    return tensor


def exp_runs(attack: Callable[[], Any]) -> Callable:
    """The submission's `tensor()` whose exp runs `attack()` at every call, then answers x + 1 (wrong on
    purpose: an honest report says exp FAILED)."""
    def exp(self):
        attack()
        return tiny.Tensor(self.data + 1.0)
    return tensor_with_exp(exp)
