"""Scenarios: behaviour the per-op pairs cannot see (graph-level autograd, Tensor API), written as
torch-free functions `scenario(lib, **inputs) -> observations` that run where the implementation under
test runs (in-process for tiny, in the isolated worker otherwise). The trusted test compares the
observations with torch.

Observations are plain data: NumPy arrays, numbers, bools, strings, lists/dicts of those. A scenario
that raises is observed as {"__raised__": [builtin exception class, message]}.
"""
from __future__ import annotations

import importlib
import os
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


def missing_name(exc: BaseException) -> bool:
    """An AttributeError the scenario's own code got from a module, namespace, class or object of the
    implementation (not from code under it): a missing contract name, i.e. not implemented."""
    if not isinstance(exc, AttributeError) or exc.obj is None:
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames or not frames[-1].filename.startswith(os.path.dirname(os.path.abspath(__file__))):
        return False
    owner = exc.obj if isinstance(exc.obj, (type, type(os))) else type(exc.obj)
    name = owner.__name__ if isinstance(owner, type(os)) else getattr(owner, "__module__", "") or ""
    return name.split(".")[0] not in _FOREIGN


def error_class_name(exc: BaseException) -> str:
    """The builtin class error parity compares (a chimera of several builtin classes matches none)."""
    from difftests.execute import error_classes
    classes = error_classes(type(exc))
    return classes[0] if classes else type(exc).__name__


def raised(exc: BaseException) -> dict:
    builtin = error_class_name(exc)
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
        if missing_name(exc):
            raise NotImplementedError(f"missing {exc.name}") from None
        return raised(exc)


def array(t: Any) -> np.ndarray:
    """A plain copy of a tensor's data (or of .grad); None stays None."""
    if t is None:
        return None
    data = t.data if hasattr(t, "data") else t
    if type(data) is not np.ndarray:
        raise TypeError(f"expected a Tensor over a plain np.ndarray, got {type(data).__name__}")
    return np.array(data, copy=True)


_FOREIGN = {"numpy", "scipy", "builtins", *__import__("sys").stdlib_module_names}


def _is_contract_namespace(lib: Any, obj: Any, depth: int = 3) -> bool:
    """Whether `obj` is the library or one of its namespaces/classes (lib.nn, lib.nn.functional,
    lib.Tensor, lib.optim.SGD...): a missing attribute there is a missing contract name."""
    if obj is None:
        return False
    frontier, seen = [lib], set()
    for _ in range(depth + 1):
        following = []
        for ns in frontier:
            if ns is obj:
                return True
            if id(ns) in seen:
                continue
            seen.add(id(ns))
            for name in dir(ns) if (hasattr(ns, "__dict__") and not isinstance(ns, (int, float, str))) else ():
                if name.startswith("_"):
                    continue
                value = getattr(ns, name, None)
                if isinstance(value, (type, type(lib))) or type(value).__name__ == "SimpleNamespace":
                    top = (getattr(value, "__module__", None) if isinstance(value, type)
                           else getattr(value, "__name__", "")) or ""
                    if top.split(".")[0] not in _FOREIGN:
                        following.append(value)
        frontier = following
    return False


def _missing_contract_name(lib: Any, exc: AttributeError) -> bool:
    """The scenario itself (not code under it) asked the library, one of its namespaces, or an object of
    one of its classes (a Tensor, a Module) for a name it lacks."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames or not frames[-1].filename.startswith(os.path.dirname(os.path.abspath(__file__))):
        return False
    return _is_contract_namespace(lib, exc.obj) or (
        exc.obj is not None and not isinstance(exc.obj, type) and _is_contract_namespace(lib, type(exc.obj)))


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
        if _missing_contract_name(lib, exc):  # lib.X, lib.nn.X, a Tensor's .X: a missing contract name
            return {"__not_implemented__": f"missing {exc.name}"}
        return raised(exc)
    except Exception as exc:  # noqa: BLE001
        return raised(exc)
    return result if isinstance(result, dict) else {"value": result}
