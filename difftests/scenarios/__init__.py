"""Scenarios: behaviour the per-op pairs cannot see (graph-level autograd, Tensor API), written as
torch-free functions `scenario(lib, **inputs) -> observations` that run where the implementation under
test runs (in-process for tiny, in the isolated worker otherwise). The trusted test compares the
observations with torch.

Observations are plain data: NumPy arrays, numbers, bools, strings, lists/dicts of those. A scenario
that raises is observed as {"__raised__": [builtin exception class, message]}.
"""
from __future__ import annotations

import importlib
import traceback
from typing import Any, Callable

import numpy as np

SCENARIOS: dict[str, Callable] = {}
SCENARIO_MODULES = ["difftests.scenarios.autograd", "difftests.scenarios.tensor_api", "difftests.scenarios.nn",
                    "difftests.scenarios.optim", "difftests.scenarios.training", "difftests.scenarios.data",
                    "difftests.scenarios.text", "difftests.scenarios.attention", "difftests.scenarios.gpt",
                    "difftests.scenarios.generation", "difftests.scenarios.quant",
                    "difftests.scenarios.prune", "difftests.scenarios.conv", "difftests.scenarios.profiler"]


def scenario(name: str) -> Callable:
    def register(fn: Callable) -> Callable:
        if name in SCENARIOS:
            raise ValueError(f"scenario {name!r} defined twice")
        SCENARIOS[name] = fn
        return fn
    return register


def raised(exc: BaseException) -> dict:
    builtin = next((c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"), type(exc).__name__)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename.split('/')[-1]}:{frames[-1].lineno})" if frames else ""
    return {"__raised__": [builtin, f"{type(exc).__name__}: {exc}{where}"]}


def attempt(fn: Callable) -> Any:
    """fn()'s value, or the observation of what it raised."""
    try:
        return fn()
    except NotImplementedError:  # not implemented is reported as such, not observed
        raise
    except Exception as exc:  # noqa: BLE001
        return raised(exc)


def array(t: Any) -> np.ndarray:
    """A plain copy of a tensor's data (or of .grad); None stays None."""
    if t is None:
        return None
    data = t.data if hasattr(t, "data") else t
    if type(data) is not np.ndarray:
        raise TypeError(f"expected a Tensor over a plain np.ndarray, got {type(data).__name__}")
    return np.array(data, copy=True)


def run_scenario(lib: Any, name: str, kwargs: dict) -> dict:
    for module in SCENARIO_MODULES:
        importlib.import_module(module)
    if name not in SCENARIOS:
        raise KeyError(f"no scenario named {name!r}")
    try:
        result = SCENARIOS[name](lib, **kwargs)
    except NotImplementedError as exc:
        return {"__not_implemented__": f"NotImplementedError: {exc}"}
    except AttributeError as exc:
        if exc.obj is lib or (isinstance(exc.obj, type) and getattr(lib, exc.obj.__name__, None) is exc.obj):
            return {"__not_implemented__": f"missing {exc.name}"}
        return raised(exc)
    except Exception as exc:  # noqa: BLE001
        return raised(exc)
    return result if isinstance(result, dict) else {"value": result}
