"""DataLoader as in torch.utils.data: iterate a map-style dataset in (shuffled) batches.

Same arguments, defaults, checks and batching as torch's DataLoader. Differences, by design:
  * `generator` is a np.random.Generator (tiny's RNG), not a torch.Generator; shuffling without one
    draws from tiny's global generator, so tiny.manual_seed(s) makes the epochs reproducible. Each
    iteration over the loader (an epoch) draws a new permutation, as in torch.
  * Loading always happens in the calling process: `num_workers` is validated and recorded, and
    accepted for API compatibility, but no worker processes are started.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

import numpy as np

from tiny.data.collate import CollateFn, default_collate, default_convert
from tiny.data.sampler import BatchSampler, RandomSampler, SequentialSampler, check_generator


def _check_options(batch_size: int | None, shuffle: bool | None, sampler: Any, batch_sampler: Any,
                   num_workers: int, drop_last: bool, timeout: float) -> None:
    """torch's argument checks, in torch's order, with torch's exception classes (ValueError)."""
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                         "multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                             "sampler, and drop_last")
    elif batch_size is None and drop_last:
        raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                         "with drop_last")


class DataLoader:
    """Batches of `dataset[i]` for the indices of a sampler, merged by `collate_fn`.

    With batch_size=b: lists of b indices (the last one shorter unless drop_last) from `sampler`
    (default: in order, or a fresh random permutation per epoch if shuffle) -> [dataset[i] ...] ->
    collate_fn (default `default_collate`). With batch_size=None: one sample at a time, passed through
    collate_fn (default `default_convert`). With batch_sampler: its index lists are the batches.
    len(loader) is the number of batches: ceil(n / b), or floor(n / b) with drop_last.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Iterable | None = None, batch_sampler: Iterable[list] | None = None,
                 num_workers: int = 0, collate_fn: CollateFn | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 multiprocessing_context: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        _check_options(batch_size, shuffle, sampler, batch_sampler, num_workers, drop_last, timeout)
        self.generator = check_generator("DataLoader", generator)
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        elif batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if self._auto_collation else default_convert)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Iterable:
        return self.batch_sampler if self._auto_collation else self.sampler

    def _fetch(self, index: Any) -> Any:
        if not self._auto_collation:
            return self.collate_fn(self.dataset[index])
        get_many = getattr(self.dataset, "__getitems__", None)
        samples = get_many(index) if callable(get_many) else [self.dataset[i] for i in index]
        return self.collate_fn(samples)

    def __iter__(self) -> Iterator[Any]:
        """One epoch. The sampler is iterated afresh, so a shuffling loader reshuffles every time."""
        for index in self._index_sampler:
            yield self._fetch(index)

    def __len__(self) -> int:
        return len(self._index_sampler)
