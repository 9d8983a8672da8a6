"""tiny whose Tensor.var raises NotImplementedError (a fresh starter skeleton looks like this)."""
import tiny
from tiny import *  # noqa: F401,F403


class _SkeletonTensor(tiny.Tensor):
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        raise NotImplementedError("Tensor.var: TODO")


def tensor(data, dtype=None, requires_grad=False):
    base = tiny.tensor(data, dtype=dtype)
    return _SkeletonTensor(base.data, requires_grad=requires_grad)
