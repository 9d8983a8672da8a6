"""`requires` is complete: every contract name a pair's code touches is declared, so an implementation
lacking it shows that pair as NOT IMPLEMENTED ("missing X"), never as a failure.

The pairs run (forward, named edge cases) against tiny behind a recording proxy: every name reached
through the library (`lib.nn.functional.gelu`, at any depth) and every Tensor attribute or operator the
pair's own code uses (`x.sum`, `a + b` → Tensor.__add__) is recorded. The core of the contract, which
every pair needs, is implicit: `tensor`, `Tensor` and the Tensor basics below.
"""
from __future__ import annotations

import os
import sys
import types

import numpy as np
import pytest

import tiny
from difftests.execute import impl_backend, run_case
from difftests.registry import all_pairs

PAIRS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "difftests", "pairs")
CORE = {"tensor", "Tensor", "Tensor.data", "Tensor.grad", "Tensor.requires_grad", "Tensor.shape", "Tensor.ndim",
        "Tensor.dtype", "Tensor.numpy", "Tensor.item", "Tensor.detach", "Tensor.backward", "Tensor.__init__",
        "Tensor.__len__", "Tensor.__repr__", "Tensor.__bool__", "Tensor.__hash__", "Tensor.__eq__"}


def _from_pair_code(depth: int = 2) -> bool:
    return sys._getframe(depth).f_code.co_filename.startswith(PAIRS_DIR)


class Recorder:
    def __init__(self) -> None:
        self.names: set[str] = set()


class Namespace:
    """A proxy of a module (or namespace) of the library that records what pair code takes from it."""

    def __init__(self, target, path: str, recorder: Recorder) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_recorder", recorder)

    def __getattr__(self, name: str):
        value = getattr(self._target, name)
        path = f"{self._path}.{name}" if self._path else name
        if isinstance(value, types.ModuleType):
            return Namespace(value, path, self._recorder)
        if _from_pair_code():
            self._recorder.names.add(path)
        return value


def _wrap_tensor_class(recorder: Recorder) -> dict:
    """Record Tensor attributes and operators used by pair code; returns what to restore."""
    saved = {}
    for name in dir(tiny.Tensor):
        if name in ("__class__", "__getattribute__", "__setattr__", "__dict__", "__new__", "__init_subclass__",
                    "__subclasshook__", "__weakref__", "__module__", "__doc__"):
            continue
        raw = None
        for klass in tiny.Tensor.__mro__:
            if name in vars(klass):
                raw = vars(klass)[name]
                break
        if klass is object:
            continue
        if isinstance(raw, property):
            def getter(self, _raw=raw, _name=name):
                if _from_pair_code():
                    recorder.names.add(f"Tensor.{_name}")
                return _raw.fget(self)
            saved[name] = raw
            setattr(tiny.Tensor, name, property(getter, raw.fset))
        elif callable(raw) and not isinstance(raw, (staticmethod, classmethod, type)):
            def method(self, *args, _raw=raw, _name=name, **kwargs):
                if _from_pair_code():
                    recorder.names.add(f"Tensor.{_name}")
                return _raw(self, *args, **kwargs)
            saved[name] = raw
            setattr(tiny.Tensor, name, method)
    return saved


def _restore(saved: dict) -> None:
    for name, raw in saved.items():
        setattr(tiny.Tensor, name, raw)


def touched_names(pair) -> set[str]:
    recorder = Recorder()
    lib = Namespace(tiny, "", recorder)
    saved = _wrap_tensor_class(recorder)
    try:
        for dtype in ("float32",):
            for case in pair.examples(dtype):
                run_case(impl_backend(lib, pair.call), case, None)
    finally:
        _restore(saved)
    return recorder.names


def undeclared(pair, names: set[str]) -> list[str]:
    declared = set(pair.requires)
    return sorted(n for n in names if n not in declared and n not in CORE)


@pytest.mark.parametrize("pair", all_pairs(), ids=lambda p: p.name)
def test_every_touched_contract_name_is_declared(pair):
    missing = undeclared(pair, touched_names(pair))
    assert not missing, f"pair {pair.name} uses {missing} without declaring them in requires={pair.requires}"


def test_the_recorder_sees_nested_names_and_operators():
    from difftests.registry import get
    names = touched_names(get("nn.Linear")) | touched_names(get("add"))
    assert "nn.Linear" in names and "Tensor.__add__" in names


def test_a_missing_nested_name_is_not_implemented_not_a_failure(tmp_path):
    """An implementation without nn.functional.gelu: the pair is NOT IMPLEMENTED (missing the name)."""
    from difftests.executor import InProcessExecutor
    from difftests.harness import check_case
    from difftests.registry import get

    impl = tmp_path / "no_gelu.py"
    impl.write_text("import tiny\nfrom tiny import *  # noqa\nimport types\n"
                    "nn = types.SimpleNamespace(**{k: getattr(tiny.nn, k) for k in dir(tiny.nn) if not k.startswith('_')})\n"
                    "nn.functional = types.SimpleNamespace(**{k: getattr(tiny.nn.functional, k) "
                    "for k in dir(tiny.nn.functional) if not k.startswith('_') and k != 'gelu'})\n")
    executor = InProcessExecutor(str(impl))
    pair = get("nn.functional.gelu")
    case = pair.examples("float64")[0]
    result = check_case(pair, case, executor, "float64")
    assert result.status == "not_implemented" and "gelu" in result.message, result.message
