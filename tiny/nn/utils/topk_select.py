"""Which k indices torch.topk returns on CPU when values tie — needed for pruning masks EQUAL to torch's.

torch's CPU topk (ATen TopKImpl.h) puts (value, index) pairs in index order and selects with the C++ standard
library: std::partial_sort(first, first + k, last) when k * 64 <= n, else std::nth_element(first, first + k - 1,
last); the comparator looks at values only (NaN counts as the largest). Among equal values the result is
therefore whatever libstdc++'s algorithms leave in the first k slots: not the lowest indices, not stable, but
deterministic. This module replays those algorithms (introselect with median-of-three Hoare partitioning and a
heap_select fallback; heap_select for partial_sort) step by step on the pairs.

Replaying costs Python-level work proportional to n, so it runs only when it can matter: when the k-th value
is tied with values outside the k selected (otherwise the selected set is unique and np.argpartition gives it).
"""
from __future__ import annotations

import numpy as np

__all__ = ["topk_indices"]


def topk_indices(values: np.ndarray, k: int, largest: bool) -> np.ndarray:
    """The set of indices (sorted ascending) torch.topk(values, k, largest=largest).indices contains; values 1-D."""
    n = values.shape[0]
    if k <= 0:
        return np.zeros(0, np.int64)
    if k >= n:
        return np.arange(n, dtype=np.int64)
    keys = -values.astype(np.float64) if largest else values.astype(np.float64)   # select the k smallest keys
    if not np.isnan(keys).any():
        kth = np.partition(keys, k - 1)[k - 1]
        below, tied = int((keys < kth).sum()), int((keys == kth).sum())
        if below + tied == k or below == k:  # no tie straddles the cut: the set is unique
            return np.sort(np.argpartition(keys, k - 1)[:k]).astype(np.int64)
    return np.sort(_replay(values.astype(np.float64).tolist(), k, largest)).astype(np.int64)


# ----- libstdc++'s algorithms on a list of (value, index) pairs ------------------------------------------------
def _less(largest: bool):
    """torch's comparators: 'comes first' = larger (largest) or smaller; NaN first for largest, last otherwise."""
    if largest:
        return lambda x, y: (x != x and y == y) or x > y
    return lambda x, y: (x == x and y != y) or x < y


def _replay(values: list, k: int, largest: bool) -> list:
    comp = _less(largest)
    pairs = [[v, i] for i, v in enumerate(values)]
    n = len(pairs)
    if k * 64 <= n:
        _heap_select(pairs, 0, k, n, comp)
    else:
        _introselect(pairs, 0, k - 1, n, 2 * (n.bit_length() - 1), comp)
    return [p[1] for p in pairs[:k]]


def _introselect(a, first, nth, last, depth, comp):
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, comp)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, comp)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, comp)


def _partition_pivot(a, first, last, comp):
    mid = first + (last - first) // 2
    _median_to_first(a, first, first + 1, mid, last - 1, comp)
    lo, hi, pivot = first + 1, last, a[first][0]
    while True:
        while comp(a[lo][0], pivot):
            lo += 1
        hi -= 1
        while comp(pivot, a[hi][0]):
            hi -= 1
        if not lo < hi:
            return lo
        a[lo], a[hi] = a[hi], a[lo]
        lo += 1


def _median_to_first(a, result, i, j, m, comp):
    x, y, z = a[i][0], a[j][0], a[m][0]
    if comp(x, y):
        pick = j if comp(y, z) else (m if comp(x, z) else i)
    elif comp(x, z):
        pick = i
    elif comp(y, z):
        pick = m
    else:
        pick = j
    a[result], a[pick] = a[pick], a[result]


def _insertion_sort(a, first, last, comp):
    for i in range(first + 1, last):
        item = a[i]
        if comp(item[0], a[first][0]):
            a[first + 1:i + 1] = a[first:i]
            a[first] = item
        else:
            j = i
            while comp(item[0], a[j - 1][0]):
                a[j] = a[j - 1]
                j -= 1
            a[j] = item


def _heap_select(a, first, middle, last, comp):
    length = middle - first
    if length >= 2:
        parent = (length - 2) // 2
        while True:
            _adjust_heap(a, first, parent, length, a[first + parent], comp)
            if parent == 0:
                break
            parent -= 1
    for i in range(middle, last):
        if comp(a[i][0], a[first][0]):
            item = a[i]
            a[i] = a[first]
            _adjust_heap(a, first, 0, length, item, comp)


def _adjust_heap(a, first, hole, length, item, comp):
    top, child = hole, hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if comp(a[first + child][0], a[first + child - 1][0]):
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and comp(a[first + parent][0], item[0]):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = item
