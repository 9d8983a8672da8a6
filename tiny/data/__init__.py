"""tiny.data: datasets, samplers and the DataLoader, with torch.utils.data's names and semantics.

`tiny.data.datasets` loads the bundled real datasets (digits, MNIST, Shakespeare); see its docstring.
"""
from tiny.data import datasets
from tiny.data.collate import default_collate, default_convert
from tiny.data.dataloader import DataLoader
from tiny.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from tiny.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler

__all__ = [
    "Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
    "DataLoader", "default_collate", "default_convert",
]
