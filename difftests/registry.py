"""The pair registry: one declaration per op pairs an implementation call with its torch twin.

Torch-free: `call` uses only the contract API of the implementation under test (the `lib` argument),
and `ref` names the reference function as "module:function", imported only by the trusted side.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

from difftests.cases import Case

# Default tolerances: torch.testing.assert_close's defaults for each dtype.
DEFAULT_TOLERANCE = {"float64": (1e-7, 1e-7), "float32": (1.3e-6, 1e-5)}


@dataclass(frozen=True)
class Pair:
    name: str
    area: str
    call: Callable            # call(lib, *args, **kwargs) -> Tensor | tuple of Tensors
    ref: str                  # "reference.ops.reduce:sum"; called as ref(*torch_args, **kwargs)
    source: str               # "tiny.ops.reduce:Sum": the from-scratch code, for `difftests show`
    strategy: Callable        # strategy(dtype: str) -> hypothesis SearchStrategy[Case]
    examples: Callable = lambda dtype: []   # examples(dtype) -> named edge cases
    requires: tuple = ()      # contract names the call uses: "cat", "Tensor.sum", "nn.functional.gelu"
    covers: tuple = ()        # further public names this pair exercises (for the coverage meta-test)
    differentiable: bool = True
    tolerance: dict = field(default_factory=dict)  # {"float32": (rtol, atol)} overrides, with a reason
    tolerance_reason: str = ""
    max_examples: int = 25
    trajectory: bool = False  # outputs stack one row per optimizer step (hints say where they diverge)
    features: Callable | None = None  # features(case) -> extra feature names (see difftests/features.py)

    def tol(self, dtype: str) -> tuple[float, float]:
        """(rtol, atol) for arrays of this dtype; integer and bool results must be exact."""
        return self.tolerance.get(dtype, DEFAULT_TOLERANCE.get(dtype, (0.0, 0.0)))

    def reference(self) -> Callable:
        module, _, name = self.ref.partition(":")
        return getattr(importlib.import_module(module), name)


REGISTRY: dict[str, Pair] = {}

# The area order of the course; the report lists areas in this order.
AREAS = ["tensor", "autograd", "nn", "losses", "optim", "training", "data", "conv", "text", "attention", "gpt",
         "generation", "quant", "prune", "profiler"]
AREAS += ["accel"]  # tiny.accel: naive / vectorized / fused levels (issue 13)

PAIR_MODULES = ["difftests.pairs.tensor", "difftests.pairs.nn", "difftests.pairs.losses", "difftests.pairs.optim",
                "difftests.pairs.data", "difftests.pairs.text", "difftests.pairs.attention", "difftests.pairs.gpt",
                "difftests.pairs.generation", "difftests.pairs.quant",
                "difftests.pairs.prune", "difftests.pairs.compress", "difftests.pairs.conv",
                "difftests.pairs.vision_models", "difftests.pairs.profiler", "difftests.pairs.accel"]


def register(*pairs: Pair) -> None:
    for pair in pairs:
        if pair.name in REGISTRY:
            raise ValueError(f"pair {pair.name!r} registered twice")
        if pair.area not in AREAS:
            raise ValueError(f"pair {pair.name!r}: unknown area {pair.area!r}")
        REGISTRY[pair.name] = pair


def all_pairs() -> list[Pair]:
    for module in PAIR_MODULES:
        importlib.import_module(module)
    return list(REGISTRY.values())


def get(name: str) -> Pair:
    all_pairs()
    if name not in REGISTRY:
        raise KeyError(f"no pair named {name!r}; `python -m difftests list` shows them all")
    return REGISTRY[name]
