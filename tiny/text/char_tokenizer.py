"""CharTokenizer: one token per Unicode character (code point), ids in vocabulary order."""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence

from tiny.text._ids import as_token_id


class CharTokenizer:
    """A character-level tokenizer: id i is the i-th character of the vocabulary.

    Build it from a corpus with `CharTokenizer.from_text(text)` (vocabulary = the sorted unique characters
    of `text`) or from an explicit vocabulary with `CharTokenizer(chars, unk=None)` (ids follow the order
    of `chars`, which must be distinct single characters).

    Unknown-character policy: by default, encoding a character that is not in the vocabulary raises a
    ValueError naming the character and its position in the input. With `unk="<c>"` (a character that is
    itself in the vocabulary) every unknown character is encoded as the id of `unk` instead; decoding
    then gives `unk` back, so the round trip is lossy exactly for the unknown characters.

    Decoding an id outside [0, vocab_size) raises a ValueError.
    """

    def __init__(self, chars: Iterable[str], unk: str | None = None) -> None:
        self.chars: list[str] = list(chars)
        self.stoi: dict[str, int] = {}
        for index, char in enumerate(self.chars):
            if not isinstance(char, str) or len(char) != 1:
                raise ValueError(f"CharTokenizer: vocabulary entry {index} is {char!r}; "
                                 "expected a single character")
            if char in self.stoi:
                raise ValueError(f"CharTokenizer: character {char!r} appears twice in the vocabulary "
                                 f"(at {self.stoi[char]} and {index})")
            self.stoi[char] = index
        if unk is not None and unk not in self.stoi:
            raise ValueError(f"CharTokenizer: unk={unk!r} is not in the vocabulary")
        self.unk = unk

    @classmethod
    def from_text(cls, text: str, unk: str | None = None) -> CharTokenizer:
        """Vocabulary = the sorted unique characters of `text` (sorted by code point)."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.from_text: expected str, got {type(text).__name__}")
        return cls(sorted(set(text)), unk=unk)

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """str -> ids, one per character (see the class docstring for unknown characters)."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: expected str, got {type(text).__name__}")
        unk_id = None if self.unk is None else self.stoi[self.unk]
        ids = []
        for position, char in enumerate(text):
            token = self.stoi.get(char, unk_id)
            if token is None:
                raise ValueError(f"CharTokenizer.encode: character {char!r} (U+{ord(char):04X}) at position "
                                 f"{position} is not in the vocabulary of {self.vocab_size} characters")
            ids.append(token)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """ids -> str; an id outside [0, vocab_size) raises ValueError."""
        chars = []
        for position, token in enumerate(ids):
            token = as_token_id(token, "CharTokenizer.decode", position)
            if not 0 <= token < self.vocab_size:
                raise ValueError(f"CharTokenizer.decode: id {token} at position {position} is out of range "
                                 f"[0, {self.vocab_size})")
            chars.append(self.chars[token])
        return "".join(chars)

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary (and unk) as JSON: {"type": "CharTokenizer", "chars": [...], "unk": ...}."""
        state = {"type": "CharTokenizer", "chars": self.chars, "unk": self.unk}
        with open(path, "w", encoding="utf-8") as file:
            json.dump(state, file)  # ASCII-escaped: any code point round-trips

    @classmethod
    def load(cls, path: str | os.PathLike) -> CharTokenizer:
        """A new tokenizer from a file written by `save`."""
        from tiny.text._files import load_state
        return load_state(path, "CharTokenizer", lambda state: cls(state["chars"], unk=state.get("unk")))

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size}, unk={self.unk!r})"

