"""The features a case needs from an implementation: its dtype and the options it passes.

Derived from the case itself (dtype, keyword arguments, input dtypes and shapes), plus whatever a pair
declares with `Pair.features(case)`. The report's capability matrix names the features seen only in
not-implemented cases; a course profile can exclude features (`exclude_features = ["float64", "amsgrad"]`).

Names: the dtype ("float64", also for a float64 input of a float32 test), a keyword set to True or to a nonzero number ("amsgrad", "padding_idx",
"label_smoothing"), a keyword set to a string ("reduction='none'"), an input of another dtype
("int64 input", "bool input"), "0-d input" and "empty input".
"""
from __future__ import annotations

from typing import Any

import numpy as np

from difftests.cases import Case


def _kwarg_features(name: str, value: Any, out: set) -> None:
    if value is None or value is False:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _kwarg_features(str(k), v, out)
    elif isinstance(value, str):
        out.add(f"{name}={value!r}")
    elif isinstance(value, (bool, np.bool_)):
        out.add(name)
    elif isinstance(value, (int, float, np.number)):
        if value != 0:
            out.add(name)
    elif isinstance(value, np.ndarray):
        out.add(name if value.dtype.kind == "f" else f"{value.dtype} {name}")
    elif isinstance(value, (list, tuple)):
        if value:
            out.add(name)
    else:
        out.add(name)


def case_features(case: Case, dtype: str, pair: Any = None) -> tuple[str, ...]:
    """Sorted feature names of `case` run as a `dtype` test."""
    out = {dtype}
    for k, v in case.kwargs.items():
        _kwarg_features(k, v, out)
    for a in case.args:
        if isinstance(a, np.ndarray):
            if a.dtype.kind == "f":
                out.add(a.dtype.name)  # a float64 input in a float32 test needs float64 all the same
            else:
                out.add(f"{a.dtype.name} input")
            if a.ndim == 0:
                out.add("0-d input")
            if a.size == 0:
                out.add("empty input")
    declared = getattr(pair, "features", None)
    if declared is not None:
        out.update(declared(case))
    return tuple(sorted(out))
