"""tiny with three planted bugs, each a classic student mistake:

1. sqrt's backward forgets the factor 1/2 (wrong gradient, right forward)      -> pair "sqrt"
2. `a @ b` returns the transpose of the product (forward off by a transpose)  -> pair "matmul"
3. `stack` is missing (not implemented)                                       -> pair "stack"

Everything else is tiny's. Only tensors made by `tensor()` carry the bugs (they are a subclass).
"""
import numpy as np

import tiny
from tiny import *  # noqa: F401,F403
from tiny.autograd import Function

del stack  # noqa: F821  (bug 3)


class WrongSqrt(Function):
    @staticmethod
    def forward(ctx, x):
        result = np.sqrt(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad / result  # bug 1: d sqrt(x)/dx is 1 / (2 sqrt(x))


class _BuggyTensor(tiny.Tensor):
    def sqrt(self):
        return WrongSqrt.apply(self)

    def __matmul__(self, other):
        return tiny.matmul(self, other).mT  # bug 2 (only defined for >= 2-d results)


def tensor(data, dtype=None, requires_grad=False):
    base = tiny.tensor(data, dtype=dtype)
    return _BuggyTensor(base.data, requires_grad=requires_grad)
