"""torch twins of tiny/data/dataset.py: torch.utils.data's datasets and random_split."""
import torch
from torch.utils.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split  # noqa: F401


def split_lengths(n, lengths):
    """The subset lengths torch's random_split gives a dataset of n samples."""
    return [len(subset) for subset in random_split(range(n), lengths)]


def split(dataset, lengths, seed=0):
    """random_split with a seeded torch.Generator: the Subsets."""
    return random_split(dataset, lengths, generator=torch.Generator().manual_seed(seed))
