"""Comparisons: eq, ne, lt, le, gt, ge -> bool tensors, never differentiable."""
from __future__ import annotations

import numpy as np

from tiny.ops._util import as_operands, check_broadcast
from tiny.promotion import result_type


def _compare(op: str, ufunc, input, other):
    from tiny.tensor import Tensor

    a, b = as_operands(op, input, other, dtype_rule=result_type)
    check_broadcast(op, a, b)
    return Tensor._wrap(np.asarray(ufunc(a.data, b.data)))  # 0-d operands give a NumPy scalar


def eq(input, other):
    return _compare("eq", np.equal, input, other)


def ne(input, other):
    return _compare("ne", np.not_equal, input, other)


def lt(input, other):
    return _compare("lt", np.less, input, other)


def le(input, other):
    return _compare("le", np.less_equal, input, other)


def gt(input, other):
    return _compare("gt", np.greater, input, other)


def ge(input, other):
    return _compare("ge", np.greater_equal, input, other)
