"""BPETokenizer: byte-level byte-pair encoding with special tokens.

Vocabulary: ids 0..255 are the 256 byte values; merge number r (its *rank*) creates id 256 + r, whose
bytes are its two parts' bytes joined; special tokens follow, in the order given: id 256 + len(merges) + i.

Pre-splitting (the same in training and encoding): the text is cut into *chunks* just before every
whitespace character (`str.isspace()`), so a chunk is at most one leading whitespace character followed
by non-whitespace characters: "Hi  there\\n" -> ["Hi", " ", " there", "\\n"]. Merges never cross a chunk
boundary (no regex beyond that rule). Special tokens are cut out first and are never part of a chunk.

Training: each step merges the most frequent adjacent pair over all chunks (overlapping occurrences
count: "aaa" holds (a, a) twice). Tie-break: among equally frequent pairs, the lexicographically
smallest (left_id, right_id) wins, so training is deterministic.

Encoding applies the learned merges in rank order: repeatedly the lowest-ranked pair present in a
chunk is merged (all its occurrences, left to right) until no learned pair remains.

Decoding joins the tokens' bytes and decodes them as UTF-8 with errors="replace": a sequence of ids that
cuts a multi-byte character gives U+FFFD there; `decode_bytes` returns the raw bytes instead.
"""
from __future__ import annotations

import heapq
import json
import operator
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from tiny.text._ids import as_token_id
from tiny.text.bpe_training import BYTE_VOCAB, Pair, learn_merges

PRE_SPLIT = "before-whitespace"
_CHUNK = re.compile(r"\s?\S+|\s")   # re's \s is exactly str.isspace() for str patterns
_DEAD = -1
_CACHE_LIMIT = 1 << 16


def split_chunks(text: str) -> list[str]:
    """Cut `text` just before every whitespace character (see the module docstring)."""
    return _CHUNK.findall(text)


class BPETokenizer:
    """Byte-level BPE (see the module docstring for the vocabulary, pre-splitting and tie-break rules).

    `BPETokenizer()` is untrained (256 byte tokens); `train(text, vocab_size)` learns merges;
    `BPETokenizer(merges, special_tokens)` rebuilds one from its parts (as `load` does).
    """

    def __init__(self, merges: Iterable[Sequence[int]] = (),
                 special_tokens: Iterable[str] | None = None) -> None:
        self._set_merges(merges)
        self._set_special_tokens(special_tokens)

    # ---------------------------------------------------------------- state
    def _set_merges(self, merges: Iterable[Sequence[int]]) -> None:
        self._merges: list[Pair] = []
        self._ranks: dict[Pair, int] = {}
        self._vocab: list[bytes] = [bytes([i]) for i in range(BYTE_VOCAB)]
        for rank, merge in enumerate(merges):
            pair = _checked_pair(merge, rank)
            if pair in self._ranks:
                raise ValueError(f"BPETokenizer: merge {rank} {pair} repeats merge {self._ranks[pair]}")
            self._ranks[pair] = rank
            self._merges.append(pair)
            self._vocab.append(self._vocab[pair[0]] + self._vocab[pair[1]])
        self._cache: dict[str, list[int]] = {}

    def _set_special_tokens(self, special_tokens: Iterable[str] | None) -> None:
        if isinstance(special_tokens, str):
            raise TypeError("BPETokenizer: special_tokens must be a list of strings, got the string "
                            f"{special_tokens!r}")
        self._special: dict[str, int] = {}
        for token in special_tokens or ():
            if not isinstance(token, str) or not token:
                raise ValueError(f"BPETokenizer: special token {token!r} must be a non-empty string")
            if token in self._special:
                raise ValueError(f"BPETokenizer: special token {token!r} is given twice")
            self._special[token] = len(self._vocab) + len(self._special)
        self._special_by_id = {token_id: token for token, token_id in self._special.items()}

    @property
    def vocab_size(self) -> int:
        return len(self._vocab) + len(self._special)

    @property
    def merges(self) -> list[Pair]:
        """The learned merges in rank order: merges[r] = (left_id, right_id) creates id 256 + r."""
        return list(self._merges)

    @property
    def special_tokens(self) -> dict[str, int]:
        """Special token -> id."""
        return dict(self._special)

    # ---------------------------------------------------------------- training
    def train(self, text: str, vocab_size: int, special_tokens: Iterable[str] | None = None,
              verbose: bool = False) -> BPETokenizer:
        """Learn vocab_size - 256 - len(special_tokens) merges from `text`; replaces any previous state.

        Occurrences of the special tokens in `text` are cut out (they act as chunk boundaries and are not
        learned from). Raises ValueError if vocab_size < 256 + len(special_tokens), or if the text runs
        out of adjacent pairs before enough merges are learned. Returns self.
        """
        if not isinstance(text, str):
            raise TypeError(f"BPETokenizer.train: text must be str, got {type(text).__name__}")
        if isinstance(vocab_size, bool):
            raise TypeError("BPETokenizer.train: vocab_size must be an int, got a bool")
        vocab_size = operator.index(vocab_size)
        special = BPETokenizer((), special_tokens)._special     # validated; state changes only at the end
        minimum = BYTE_VOCAB + len(special)
        if vocab_size < minimum:
            raise ValueError(f"BPETokenizer.train: vocab_size={vocab_size} is smaller than the 256 byte "
                             f"tokens plus {len(special)} special tokens ({minimum})")
        chunk_counts: Counter[str] = Counter()
        for segment, special_id in self._split_special(text, special):
            if special_id is None:
                chunk_counts.update(split_chunks(segment))
        byte_counts = {_utf8(chunk, "train"): count for chunk, count in chunk_counts.items()}
        merges = learn_merges(byte_counts, vocab_size - minimum, verbose=verbose)
        self._set_merges(merges)
        self._set_special_tokens(list(special))     # their ids follow the new merges
        return self

    # ---------------------------------------------------------------- encoding
    def encode(self, text: str, allowed_special: str | Iterable[str] = "all") -> list[int]:
        """str -> ids.

        allowed_special: "all" (default) encodes every registered special token found in `text` as its
        single id; "none" treats special-token text as ordinary text (encoded as bytes and merges); a
        set of special tokens allows only those. Where specials overlap, the longest match at the
        leftmost position wins. Use "none" for untrusted text.
        """
        if not isinstance(text, str):
            raise TypeError(f"BPETokenizer.encode: text must be str, got {type(text).__name__}")
        ids: list[int] = []
        for segment, special_id in self._split_special(text, self._allowed(allowed_special)):
            if special_id is not None:
                ids.append(special_id)
                continue
            for chunk in split_chunks(segment):
                ids.extend(self._encode_chunk(chunk))
        return ids

    def _allowed(self, allowed_special: str | Iterable[str]) -> dict[str, int]:
        if isinstance(allowed_special, str):
            if allowed_special == "all":
                return self._special
            if allowed_special == "none":
                return {}
            raise ValueError(f"BPETokenizer.encode: allowed_special={allowed_special!r}; expected 'all', "
                             "'none' or a set of special tokens")
        allowed = {}
        for token in allowed_special:
            if token not in self._special:
                raise ValueError(f"BPETokenizer.encode: allowed_special names {token!r}, which is not a "
                                 f"special token of this tokenizer ({sorted(self._special)})")
            allowed[token] = self._special[token]
        return allowed

    @staticmethod
    def _split_special(text: str, special: dict[str, int]) -> list[tuple[str, int | None]]:
        """[(ordinary_text, None) or (special_token, its_id), ...] in order."""
        if not special:
            return [(text, None)]
        longest_first = sorted(special, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(token) for token in longest_first))
        segments, start = [], 0
        for match in pattern.finditer(text):
            if match.start() > start:
                segments.append((text[start:match.start()], None))
            segments.append((match.group(), special[match.group()]))
            start = match.end()
        if start < len(text):
            segments.append((text[start:], None))
        return segments

    def _encode_chunk(self, chunk: str) -> list[int]:
        cached = self._cache.get(chunk)
        if cached is None:
            cached = self._apply_merges(list(_utf8(chunk, "encode")))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[chunk] = cached
        return cached

    def _apply_merges(self, tokens: list[int]) -> list[int]:
        """Merge in rank order with a heap of (rank, position): O(n log n) even for very long chunks.

        Popping (rank, position) in order merges the lowest-ranked pair's occurrences left to right; a
        merge only creates pairs containing the new id, whose ranks are higher, so this equals merging
        "the lowest-ranked pair present, all occurrences" repeatedly.
        """
        ranks, count = self._ranks, len(tokens)
        following = list(range(1, count + 1))           # next live position, or count at the end
        preceding = list(range(-1, count - 1))          # previous live position, or -1
        heap = [(ranks[pair], i) for i, pair in enumerate(zip(tokens, tokens[1:])) if pair in ranks]
        heapq.heapify(heap)
        while heap:
            rank, position = heapq.heappop(heap)
            partner = following[position]
            if partner >= count or ranks.get((tokens[position], tokens[partner])) != rank:
                continue                                  # stale: one side changed since the push
            new_id = BYTE_VOCAB + rank
            tokens[position], tokens[partner] = new_id, _DEAD
            after = following[partner]
            following[position] = after
            if after < count:
                preceding[after] = position
                right_rank = ranks.get((new_id, tokens[after]))
                if right_rank is not None:
                    heapq.heappush(heap, (right_rank, position))
            before = preceding[position]
            if before >= 0:
                left_rank = ranks.get((tokens[before], new_id))
                if left_rank is not None:
                    heapq.heappush(heap, (left_rank, before))
        return [token for token in tokens if token != _DEAD]

    # ---------------------------------------------------------------- decoding
    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        """ids -> the joined bytes of their tokens (special tokens as their UTF-8 text)."""
        pieces = []
        for position, token in enumerate(ids):
            token = as_token_id(token, "BPETokenizer.decode", position)
            if 0 <= token < len(self._vocab):
                pieces.append(self._vocab[token])
            elif token in self._special_by_id:
                pieces.append(self._special_by_id[token].encode("utf-8"))
            else:
                raise ValueError(f"BPETokenizer.decode: id {token} at position {position} is out of range "
                                 f"[0, {self.vocab_size})")
        return b"".join(pieces)

    def decode(self, ids: Sequence[int]) -> str:
        """ids -> str: the joined bytes decoded as UTF-8 with errors="replace"."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    # ---------------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write JSON: {"type", "version", "pre_split", "merges": [[left, right], ...] in rank order,
        "special_tokens": [...] in id order}; ids are implied by the order."""
        state = {"type": "BPETokenizer", "version": 1, "pre_split": PRE_SPLIT,
                 "merges": [list(pair) for pair in self._merges], "special_tokens": list(self._special)}
        with open(path, "w", encoding="utf-8") as file:
            json.dump(state, file)

    @classmethod
    def load(cls, path: str | os.PathLike) -> BPETokenizer:
        """A new tokenizer from a file written by `save` (encodes exactly as the saved one)."""
        from tiny.text._files import load_state

        def build(state: dict) -> BPETokenizer:
            if state.get("version") != 1 or state.get("pre_split") != PRE_SPLIT:
                raise ValueError(f"version {state.get('version')!r} and pre_split {state.get('pre_split')!r}; "
                                 f"expected 1 and {PRE_SPLIT!r}")
            return cls(state["merges"], state["special_tokens"])
        return load_state(path, "BPETokenizer", build)

    def __repr__(self) -> str:
        return (f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self._merges)}, "
                f"special_tokens={list(self._special)})")


def _checked_pair(merge: Sequence[int], rank: int) -> Pair:
    """A merge as (left, right); both ids must exist before it (bytes or earlier merges)."""
    if isinstance(merge, (str, bytes)) or len(merge) != 2:
        raise ValueError(f"BPETokenizer: merge {rank} is {merge!r}; expected a pair of token ids")
    left, right = (as_token_id(token, f"BPETokenizer merge {rank}", side) for side, token in enumerate(merge))
    limit = BYTE_VOCAB + rank
    if not (0 <= left < limit and 0 <= right < limit):
        raise ValueError(f"BPETokenizer: merge {rank} ({left}, {right}) uses an id outside [0, {limit}): "
                         "a merge may only join byte tokens and earlier merges")
    return left, right


def _utf8(text: str, where: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        char = error.object[error.start]
        raise ValueError(f"BPETokenizer.{where}: character U+{ord(char):04X} is a lone surrogate, which "
                         "UTF-8 cannot encode") from None
