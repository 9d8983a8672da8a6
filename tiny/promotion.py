"""torch's type-promotion rules, which differ from NumPy's.

torch ranks operands in three priority groups: tensors with dimensions, zero-dim tensors, and Python
numbers. The result is the promoted dtype of the highest-priority group, unless a lower-priority group
holds a higher *category* (bool < integer < float); then that group decides — a Python float gives the
default float dtype (float32). So int64 tensor + 2.5 -> float32 (NumPy: float64), float32 tensor +
float64 zero-dim tensor -> float32, int64 / int64 -> float32 for true division.
"""
from __future__ import annotations

import numpy as np

from tiny.dtypes import category

DEFAULT_FLOAT = np.dtype(np.float32)


def _python_number_dtype(value: object) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return DEFAULT_FLOAT
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch.promote_types: across categories the higher category's dtype wins as it is
    (int64 with float32 gives float32; NumPy would give float64); within one, NumPy's rule."""
    if category(a) != category(b):
        return a if category(a) > category(b) else b
    return np.promote_types(a, b)


def _promote_group(dtypes: list[np.dtype]) -> np.dtype | None:
    if not dtypes:
        return None
    result = dtypes[0]
    for d in dtypes[1:]:
        result = promote_types(result, d)
    return result


def result_type(*operands: object) -> np.dtype:
    """The dtype torch gives an elementwise op over these operands (Tensors or Python numbers)."""
    from tiny.tensor import Tensor

    dimensioned, zero_dim, numbers = [], [], []
    for x in operands:
        if isinstance(x, Tensor):
            (dimensioned if x.data.ndim > 0 else zero_dim).append(x.data.dtype)
        else:
            numbers.append(_python_number_dtype(x))
    result = None
    for group in (dimensioned, zero_dim, numbers):
        group_dtype = _promote_group(group)
        if group_dtype is None:
            continue
        if result is None:
            result = group_dtype
        elif category(group_dtype) > category(result):
            # A Python float promotes an int tensor to the *default* float, not float64.
            result = DEFAULT_FLOAT if group is numbers and group_dtype.kind == "f" else group_dtype
    assert result is not None
    return result


def float_result_type(*operands: object) -> np.dtype:
    """result_type, but integer/bool results become the default float (true division, exp, ...)."""
    dtype = result_type(*operands)
    return dtype if dtype.kind == "f" else DEFAULT_FLOAT
