"""torch twins of tiny/data/dataloader.py: torch.utils.data.DataLoader, one epoch as a list."""
from torch.utils.data import DataLoader


def batches(dataset, **loader_kwargs):
    """Every batch of one epoch of DataLoader(dataset, **loader_kwargs)."""
    return list(DataLoader(dataset, **loader_kwargs))


def num_batches(dataset, **loader_kwargs):
    return len(DataLoader(dataset, **loader_kwargs))
