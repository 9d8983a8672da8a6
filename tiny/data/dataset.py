"""Map-style datasets as in torch.utils.data: Dataset, TensorDataset, Subset, ConcatDataset, random_split.

A map-style dataset is anything with `__getitem__(index) -> sample` and `__len__()`; a Python list or
a `range` qualifies as well as these classes.
"""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from typing import Any, Sequence

import numpy as np

from tiny.data.sampler import check_generator
from tiny.random import default_generator
from tiny.tensor import Tensor


class Dataset:
    """Base class of map-style datasets: subclasses implement `__getitem__` and `__len__`.

    As in torch, the base class defines no `__len__` (so `len(Dataset())` raises TypeError) and its
    `__getitem__` raises NotImplementedError. `a + b` concatenates two datasets.
    """

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"Subclasses of Dataset should implement __getitem__ "
                                  f"({type(self).__name__} does not)")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are `tuple(t[index] for t in tensors)`: tensors (or NumPy arrays) sharing dim 0."""

    def __init__(self, *tensors: Any) -> None:
        shapes = [tuple(t.shape) for t in tensors]
        if any(len(shape) == 0 for shape in shapes):
            raise IndexError(f"TensorDataset: every tensor needs a first dimension to index along; "
                             f"got shapes {shapes}")
        if any(shape[0] != shapes[0][0] for shape in shapes):
            # AssertionError, as torch raises: the first dimensions are the number of samples.
            raise AssertionError(f"Size mismatch between tensors: TensorDataset needs equal sizes "
                                 f"of dim 0, got shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(_take(tensor, index) for tensor in self.tensors)

    def __len__(self) -> int:
        if not self.tensors:  # torch builds an empty TensorDataset too, and fails only here
            raise IndexError("TensorDataset: len() of a TensorDataset built from no tensors")
        return int(self.tensors[0].shape[0])


def _take(tensor: Any, index: Any) -> Any:
    """tensor[index]. A DataLoader calls this once per sample, so for an int index into a Tensor
    outside autograd it skips the indexing op's overhead and wraps the same NumPy view directly."""
    plain_int = isinstance(index, (int, np.integer)) and not isinstance(index, bool)
    if plain_int and isinstance(tensor, Tensor) and not tensor.requires_grad:
        return Tensor._wrap(np.asarray(tensor.data[index]))
    return tensor[index]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order (`subset[i] == dataset[indices[i]]`)."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list:
        """A batch of samples at once (the DataLoader uses it when a dataset provides it)."""
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after another: index `len(a)` is `b[0]`."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError(f"ConcatDataset: absolute value of index should not exceed dataset "
                                 f"length ({index} for length {len(self)})")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which >= len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} out of range for length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


def _lengths_from_fractions(n: int, fractions: Sequence[float]) -> list[int]:
    """floor(n * fraction) each, then the remainder handed out one by one, round-robin from split 0."""
    lengths = []
    for i, fraction in enumerate(fractions):
        if fraction < 0 or fraction > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1 (random_split got "
                             f"{list(fractions)})")
        lengths.append(math.floor(n * fraction))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                          UserWarning, stacklevel=3)
    return lengths


def _check_integer_lengths(n: int, lengths: Sequence[Any]) -> list[int]:
    """Checked in torch's order: the sum first (ValueError), then the types (TypeError)."""
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input dataset! "
                         f"(random_split: lengths {list(lengths)} sum to {sum(lengths)}, the dataset "
                         f"has {n} samples)")
    for length in lengths:
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
            raise TypeError(f"random_split: lengths must be ints, or fractions summing to 1; got "
                            f"{list(lengths)}")
        if length < 0:
            # torch accepts negative lengths and returns overlapping subsets; tiny refuses them.
            raise ValueError(f"random_split: lengths must be non-negative, got {list(lengths)}")
    return [int(length) for length in lengths]


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Split `dataset` into non-overlapping random Subsets of the given lengths.

    `lengths` are sample counts summing to len(dataset), or fractions summing to 1 (torch's rule: a
    sum within math.isclose of 1 and not above it): each split gets floor(len * fraction) and the
    remainder is added one at a time to splits 0, 1, 2, ... The permutation comes from `generator`
    (a np.random.Generator), else from tiny's global generator (reset by tiny.manual_seed).
    Deliberate difference: negative integer lengths raise ValueError (torch silently overlaps).
    """
    check_generator("random_split", generator)
    n = len(dataset)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _lengths_from_fractions(n, lengths)
    counts = _check_integer_lengths(n, lengths)
    rng = default_generator() if generator is None else generator
    order = rng.permutation(n).tolist()
    ends = list(itertools.accumulate(counts))
    return [Subset(dataset, order[end - count:end]) for end, count in zip(ends, counts)]
