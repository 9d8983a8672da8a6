"""torch twins of tiny/ops/index.py."""
import torch


def getitem(x, *index_parts, spec):
    """x[index]; `spec` rebuilds the index tuple from slices/ints/None/... and the tensor parts."""
    return x[spec.build(index_parts)]


def where(condition, x, y):
    return torch.where(condition, x, y)


def masked_fill(x, mask, value):
    return x.masked_fill(mask, value)


def where_indices(condition):
    """where(condition) alone: torch.nonzero(condition, as_tuple=True)."""
    return torch.where(condition)
