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


def std(x, dim=None, keepdim=False, correction=1):
    return torch.std(x, dim=dim, keepdim=keepdim, correction=correction)


def var_bare(x):
    """x.var() with no argument: Bessel's correction (N - 1)."""
    return x.var()


def std_bare(x):
    return x.std()


def var_unbiased(x, unbiased):
    """The legacy positional overload x.var(unbiased)."""
    return x.var(unbiased)


def std_unbiased(x, unbiased):
    return x.std(unbiased)


def max_binary(a, b):
    """torch.max(a, b): the elementwise maximum (torch.maximum)."""
    return torch.max(a, b)


def min_binary(a, b):
    return torch.min(a, b)


def sum_dtype(x, dim, dtype):
    return torch.sum(x, dim=dim, dtype=getattr(torch, dtype))


def mean_dtype(x, dim, dtype):
    return torch.mean(x, dim=dim, dtype=getattr(torch, dtype))
