"""Learning byte-pair merges with incremental pair counts.

A naive trainer recounts every adjacent pair of the corpus after each merge: O(merges x corpus). Here the
corpus (its distinct chunks, each weighted by how often it occurs) lives in one doubly linked list of
token positions, and for every adjacent pair we keep its weighted count and the set of positions where
it starts. A merge visits only the occurrences of the merged pair and adjusts the counts of their left
and right neighbours, so the whole training run costs about O(corpus + merges x log) instead.

The most frequent pair is found with a max-heap of (count, pair) entries that is updated lazily: an
entry is pushed whenever a pair's count grows, and an entry whose count no longer matches is dropped
(and re-pushed with the current count) when it reaches the top.
"""
from __future__ import annotations

import heapq
from collections.abc import Mapping

BYTE_VOCAB = 256
_DEAD = -1          # token value of a position that was absorbed into its left neighbour
_NONE = -1          # "no neighbour" in the next/prev links (chunk boundaries)

Pair = tuple[int, int]


def learn_merges(chunk_counts: Mapping[bytes, int], num_merges: int, verbose: bool = False) -> list[Pair]:
    """The first `num_merges` merges of byte-level BPE over chunks (bytes -> how often the chunk occurs).

    Each step merges the most frequent adjacent pair; counts are weighted by chunk frequency and count
    every adjacent position (so "aaa" holds the pair (a, a) twice). Ties are broken by the smallest
    (left_id, right_id). Merge number r creates token id 256 + r and replaces the pair's occurrences left
    to right within each chunk. Raises ValueError if the chunks run out of pairs before `num_merges`.
    """
    table = PairTable(chunk_counts)
    merges: list[Pair] = []
    for rank in range(num_merges):
        best = table.most_frequent()
        if best is None:
            raise ValueError(f"BPETokenizer.train: the training text allows only {rank} merges (no adjacent "
                             f"pair of tokens is left), but {num_merges} were requested; train on more text "
                             "or ask for a smaller vocab_size")
        pair, count = best
        new_id = BYTE_VOCAB + rank
        table.merge(pair, new_id)
        merges.append(pair)
        if verbose:
            print(f"merge {rank + 1}/{num_merges}: {pair} -> {new_id} "
                  f"({table.token_bytes[new_id]!r}) had {count} occurrences")
    return merges


class PairTable:
    """The corpus as linked token positions, with the weighted count and positions of every pair."""

    def __init__(self, chunk_counts: Mapping[bytes, int]) -> None:
        self.tokens: list[int] = []       # token id at each position (_DEAD once merged away)
        self.next: list[int] = []         # next live position in the same chunk, or _NONE
        self.prev: list[int] = []         # previous live position in the same chunk, or _NONE
        self.weight: list[int] = []       # how often the position's chunk occurs in the text
        for chunk, count in chunk_counts.items():
            start = len(self.tokens)
            self.tokens.extend(chunk)
            self.weight.extend([count] * len(chunk))
            self.next.extend(range(start + 1, start + len(chunk) + 1))
            self.prev.extend(range(start - 1, start + len(chunk) - 1))
            if chunk:
                self.next[-1] = _NONE
                self.prev[start] = _NONE
        self.token_bytes: list[bytes] = [bytes([i]) for i in range(BYTE_VOCAB)]
        self.counts: dict[Pair, int] = {}
        self.positions: dict[Pair, set[int]] = {}
        for position, right in enumerate(self.next):
            if right != _NONE:
                self._add((self.tokens[position], self.tokens[right]), position, self.weight[position])
        self.heap = [(-count, left, right) for (left, right), count in self.counts.items()]
        heapq.heapify(self.heap)

    def most_frequent(self) -> tuple[Pair, int] | None:
        """(pair, count) of the most frequent pair, smallest (left, right) among ties; None if no pair."""
        while self.heap:
            negative_count, left, right = self.heap[0]
            count = self.counts.get((left, right), 0)
            if count == -negative_count:
                return (left, right), count
            heapq.heappop(self.heap)          # stale entry: the count changed since it was pushed
            if count > 0:
                heapq.heappush(self.heap, (-count, left, right))
        return None

    def merge(self, pair: Pair, new_id: int) -> None:
        """Replace every occurrence of `pair` by `new_id`, left to right, updating neighbour counts."""
        left, right = pair
        self.token_bytes.append(self.token_bytes[left] + self.token_bytes[right])
        grown: set[Pair] = set()
        del self.counts[pair]
        for position in sorted(self.positions.pop(pair)):
            partner = self.next[position]
            # an overlapping occurrence ("aaa") may have been absorbed by the one just before it
            if self.tokens[position] != left or partner == _NONE or self.tokens[partner] != right:
                continue
            self._merge_at(position, partner, pair, new_id, grown)
        for grown_pair in grown:
            count = self.counts.get(grown_pair)
            if count:
                heapq.heappush(self.heap, (-count, *grown_pair))

    def _merge_at(self, position: int, partner: int, pair: Pair, new_id: int, grown: set[Pair]) -> None:
        tokens, weight = self.tokens, self.weight[position]
        before, after = self.prev[position], self.next[partner]
        if before != _NONE:
            self._remove((tokens[before], tokens[position]), before, weight)
            self._add((tokens[before], new_id), before, weight)
            grown.add((tokens[before], new_id))
        if after != _NONE:
            old_right_pair = (tokens[partner], tokens[after])
            if old_right_pair != pair:    # the merged pair's own entries were already dropped
                self._remove(old_right_pair, partner, weight)
            self._add((new_id, tokens[after]), position, weight)
            grown.add((new_id, tokens[after]))
            self.prev[after] = position
        tokens[position], tokens[partner] = new_id, _DEAD
        self.next[position] = after

    def _add(self, pair: Pair, position: int, weight: int) -> None:
        self.counts[pair] = self.counts.get(pair, 0) + weight
        occurrences = self.positions.get(pair)
        if occurrences is None:
            self.positions[pair] = {position}
        else:
            occurrences.add(position)

    def _remove(self, pair: Pair, position: int, weight: int) -> None:
        count = self.counts[pair] - weight
        if count:
            self.counts[pair] = count
            self.positions[pair].discard(position)
        else:
            del self.counts[pair]
            del self.positions[pair]
