"""An `exp` that memorized torch's answers on the cases of a fixed-seed run and answers 2.5 elsewhere.

The table (exp_table.npz next to this file, built by tests/test_adversarial_grading.py from a recorded
run with `--seed fixed`) maps an input's dtype, shape and bytes to the answer. Named edge cases are
public and fixed, so it passes those; property inputs drawn from a fresh seed (grading runs) are not in
the table, and it fails.
"""
import os

import numpy as np

import tiny
from tiny import *  # noqa: F401,F403
from tiny.autograd import Function

_here = os.path.dirname(os.path.abspath(__file__))
_path = os.path.join(_here, "exp_table.npz")
TABLE = {}
if os.path.exists(_path):
    with np.load(_path) as blob:
        TABLE = {str(k): blob[f"v{i}"] for i, k in enumerate(blob["keys"])}


def key(array: np.ndarray) -> str:
    return f"{array.dtype}|{array.shape}|{array.tobytes().hex()}"


class _LookupExp(Function):
    """exp from the table (2.5 for an input it never saw); backward: d exp(x)/dx = exp(x), also looked up."""

    @staticmethod
    def forward(ctx, x):
        answer = TABLE.get(key(x))
        answer = np.full(x.shape, 2.5, dtype=x.dtype) if answer is None else np.asarray(answer, dtype=x.dtype)
        ctx.save_for_backward(answer)
        return answer

    @staticmethod
    def backward(ctx, grad):
        (answer,) = ctx.saved_tensors
        return grad * answer


class _Memo(tiny.Tensor):
    def exp(self):
        return _LookupExp.apply(self)


def tensor(data, dtype=None, requires_grad=False):
    return _Memo(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)
