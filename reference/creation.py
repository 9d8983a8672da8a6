"""torch twins of tiny/creation.py."""
import torch


def zeros(size, dtype=None):
    return torch.zeros(*size, dtype=None if dtype is None else getattr(torch, dtype))


def ones(size, dtype=None):
    return torch.ones(*size, dtype=None if dtype is None else getattr(torch, dtype))


def full(size, fill_value):
    return torch.full(size, fill_value)


def arange(start, end, step):
    return torch.arange(start, end, step)


def tensor(data):
    return torch.tensor(data)
