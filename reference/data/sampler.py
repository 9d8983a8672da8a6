"""torch twins of tiny/data/sampler.py: torch.utils.data's samplers."""
from torch.utils.data import BatchSampler, RandomSampler, Sampler, SequentialSampler  # noqa: F401
from torch.utils.data import SubsetRandomSampler  # noqa: F401


def batch_indices(indices, batch_size, drop_last):
    """The index lists BatchSampler makes from `indices`."""
    return list(BatchSampler(indices, batch_size, drop_last))
