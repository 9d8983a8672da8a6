"""Meta-test: every public name of tiny is exercised by a difftest pair (or listed, with a reason,
in a pairs module's COVERED_ELSEWHERE)."""
from __future__ import annotations

import importlib
import inspect

import tiny
from difftests.registry import PAIR_MODULES, all_pairs

# Operators count as public: `a + b` is the API students implement first.
OPERATORS = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
             "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__matmul__", "__eq__", "__ne__", "__lt__",
             "__le__", "__gt__", "__ge__", "__getitem__"]
SUBMODULES = {"autograd", "data", "generation", "models", "nn", "optim", "quant", "text"}


def _public(module, prefix: str) -> set[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_") and not inspect.ismodule(v)]
    return {f"{prefix}{n}" for n in names if not inspect.ismodule(getattr(module, n, None))}


def public_names() -> set[str]:
    names = {n for n in tiny.__all__ if n not in SUBMODULES}
    names |= {f"Tensor.{n}" for n in dir(tiny.Tensor) if not n.startswith("_")}
    names |= {f"Tensor.{n}" for n in OPERATORS if hasattr(tiny.Tensor, n)}
    names |= _public(tiny.autograd, "autograd.")
    names |= _public(tiny.nn, "nn.")
    names |= _public(tiny.nn.functional, "nn.functional.")
    names |= _public(tiny.nn.init, "nn.init.")
    names |= _public(tiny.nn.utils, "nn.utils.")
    names |= _public(tiny.optim, "optim.")
    names |= _public(tiny.data, "data.")
    names |= _public(tiny.data.datasets, "data.datasets.")
    names |= _public(tiny.text, "text.")
    names |= _public(tiny.models, "models.")
    if hasattr(tiny, "quant"):
        names |= _public(tiny.quant, "quant.")
    if hasattr(tiny, "generation"):
        names |= _public(tiny.generation, "generation.")
    scheduler = getattr(tiny.optim, "lr_scheduler", None)
    if scheduler is not None:
        names |= _public(scheduler, "optim.lr_scheduler.")
    return names


def covered_names() -> set[str]:
    covered: set[str] = set()
    for pair in all_pairs():
        covered |= set(pair.requires) | set(pair.covers)
    for module in PAIR_MODULES:
        elsewhere = getattr(importlib.import_module(module), "COVERED_ELSEWHERE", {})
        assert all(isinstance(reason, str) and reason for reason in elsewhere.values())
        covered |= set(elsewhere)
    return covered


def test_every_public_name_has_a_pair():
    missing = sorted(public_names() - covered_names())
    assert not missing, f"public names of tiny without a difftest pair: {missing}"


def test_pairs_only_name_things_that_exist():
    """A typo in `requires` would make a pair report 'not implemented' against tiny itself."""
    from difftests.execute import missing_names

    stale = {p.name: missing_names(tiny, p.requires + p.covers) for p in all_pairs()}
    assert not {k: v for k, v in stale.items() if v}


def test_every_pair_has_named_edge_cases():
    without = [p.name for p in all_pairs() if not p.examples("float64")]
    assert not without, f"pairs without named edge cases: {without}"
