"""torch twins of tiny/ops/reduce.py."""
import torch


def sum(x, dim=None, keepdim=False):
    return torch.sum(x, dim=dim, keepdim=keepdim)


def mean(x, dim=None, keepdim=False):
    return torch.mean(x, dim=dim, keepdim=keepdim)


def var(x, dim=None, keepdim=False, correction=1):
    return torch.var(x, dim=dim, keepdim=keepdim, correction=correction)


def max(x, dim=None, keepdim=False):
    return torch.max(x) if dim is None else tuple(torch.max(x, dim=dim, keepdim=keepdim))


def min(x, dim=None, keepdim=False):
    return torch.min(x) if dim is None else tuple(torch.min(x, dim=dim, keepdim=keepdim))


def argmax(x, dim=None, keepdim=False):
    return torch.argmax(x, dim=dim, keepdim=keepdim)


def argmin(x, dim=None, keepdim=False):
    return torch.argmin(x, dim=dim, keepdim=keepdim)
