"""Index samplers as in torch.utils.data: which sample indices a DataLoader visits, and in what order.

Randomness comes from a np.random.Generator: the one passed in, else tiny's global generator
(`tiny.random.default_generator()`, reset by tiny.manual_seed), looked up at iteration time so that
seeding after building the loader still takes effect (as in torch). Every epoch draws anew.
"""
from __future__ import annotations

import itertools
from typing import Any, Iterable, Iterator

import numpy as np

from tiny.random import default_generator


def check_generator(op: str, generator: Any) -> np.random.Generator | None:
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{op}: generator must be a np.random.Generator (tiny's RNG, e.g. "
                        f"np.random.default_rng(seed)) or None, got {type(generator).__name__}")
    return generator


class Sampler:
    """Base class: subclasses implement `__iter__` (yielding indices) and usually `__len__`."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices; `num_samples` (default len) of them, repeating whole permutations
    when num_samples > len; with `replacement=True`, independent uniform draws instead."""

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: int | None = None,
                 generator: np.random.Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = check_generator("RandomSampler", generator)
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement!r}")
        n = self.num_samples
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={n!r}"
                             f" (RandomSampler of a dataset of length {len(data_source)})")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        rng = default_generator() if self.generator is None else self.generator
        n, count = len(self.data_source), int(self.num_samples)
        if n == 0:
            raise ValueError(f"RandomSampler: cannot draw {count} samples from an empty dataset")
        if self.replacement:
            yield from rng.integers(0, n, size=count).tolist()
            return
        for _ in range(count // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:count % n].tolist()

    def __len__(self) -> int:
        return int(self.num_samples)


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (a new one each epoch)."""

    def __init__(self, indices: Iterable[int], generator: np.random.Generator | None = None) -> None:
        self.indices = indices
        self.generator = check_generator("SubsetRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        rng = default_generator() if self.generator is None else self.generator
        for position in rng.permutation(len(self.indices)).tolist():
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size`; the last may be short unless drop_last."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
