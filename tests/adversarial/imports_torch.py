"""Delegates exp to torch (the reference) instead of implementing it."""
import tiny
from tiny import *  # noqa: F401,F403


class _Cheat(tiny.Tensor):
    def exp(self):
        import torch
        return tiny.tensor(torch.exp(torch.from_numpy(self.data)).numpy())


def tensor(data, dtype=None, requires_grad=False):
    return _Cheat(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)
