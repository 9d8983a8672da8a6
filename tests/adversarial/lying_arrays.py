"""Tensors whose .data is an ndarray subclass that claims equality with everything and lies when
converted to an array."""
import numpy as np

import tiny
from tiny import *  # noqa: F401,F403


class AlwaysEqual(np.ndarray):
    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape)


class _Liar(tiny.Tensor):
    def exp(self):
        return tiny.Tensor(np.zeros(self.data.shape, self.data.dtype).view(AlwaysEqual))


def tensor(data, dtype=None, requires_grad=False):
    return _Liar(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)
