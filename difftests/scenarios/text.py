"""Scenarios of the text area (torch-free): the implementation's `text.CharTokenizer` and byte-level
`text.BPETokenizer` build, train, encode, decode, save and load; difftests/test_text.py compares what
they return with slow, obvious references written there.

Observations keep the contract's container types visible after the wire (which turns tuples into
lists): ids must be lists, merges a list of tuples, special_tokens a dict; anything else is observed as
a "<... not a ...>" marker string that no expectation equals.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from difftests.scenarios import attempt, raised, scenario

ALL_IDS = "all ids"  # in a `decode` list: every id of the tokenizer's vocabulary, in order


def tokenizer_class(lib, name: str):
    """lib.text.<name>; a missing `text` module or class reports NOT IMPLEMENTED."""
    text = lib.text
    if not hasattr(text, name):
        raise NotImplementedError(f"text.{name} is missing")
    return getattr(text, name)


def ids_of(ids: Any) -> Any:
    return ids if isinstance(ids, list) else f"<{type(ids).__name__}, not a list of ids>"


def merges_of(merges: Any) -> Any:
    if isinstance(merges, list) and all(isinstance(pair, tuple) for pair in merges):
        return [list(pair) for pair in merges]
    return f"<{type(merges).__name__}, not a list of (left, right) tuples>"


def specials_of(special_tokens: Any) -> Any:
    if isinstance(special_tokens, dict):
        return dict(special_tokens)
    return f"<{type(special_tokens).__name__}, not a dict>"


def _encoded(tokenizer, s: str, kwargs: dict) -> dict:
    ids = tokenizer.encode(s, **kwargs)
    return {"ids": ids_of(ids), "decoded": attempt(lambda: tokenizer.decode(ids))}


def _decoded(tokenizer, ids: Any) -> Any:
    """tokenizer.decode(ids); ids == ALL_IDS stands for range(tokenizer.vocab_size)."""
    return attempt(lambda: tokenizer.decode(range(tokenizer.vocab_size) if ids == ALL_IDS else ids))


def _save_and_load(cls, tokenizer, filename: str):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / filename
        tokenizer.save(path)
        return cls.load(path)


# ------------------------------------------------------------------ CharTokenizer
def char_observations(tokenizer, encode: list[str], decode: list) -> dict:
    return {"vocab_size": tokenizer.vocab_size,
            "encoded": [attempt(lambda: _encoded(tokenizer, s, {})) for s in encode],
            "decoded": [_decoded(tokenizer, ids) for ids in decode]}


@scenario("text.char")
def char(lib, chars: list | None = None, from_text: str | None = None, unk: str | None = None,
         encode: list[str] = (), decode: list = (), save_load: bool = False) -> dict:
    """CharTokenizer(chars) or CharTokenizer.from_text(from_text) (with unk if given): its vocab_size,
    each text of `encode` encoded (and decoded back), each id list of `decode` decoded; with
    save_load the same again from the tokenizer saved and loaded."""
    cls = tokenizer_class(lib, "CharTokenizer")
    kwargs = {} if unk is None else {"unk": unk}
    try:
        tokenizer = cls.from_text(from_text, **kwargs) if chars is None else cls(chars, **kwargs)
    except NotImplementedError:  # not implemented is reported as such, not observed
        raise
    except Exception as exc:  # noqa: BLE001 — a refused vocabulary is an observation
        return {"constructor": raised(exc)}
    observations = char_observations(tokenizer, encode, decode)
    if save_load:
        observations["loaded"] = char_observations(_save_and_load(cls, tokenizer, "char.json"), encode, decode)
    return observations


# ------------------------------------------------------------------ BPETokenizer
def bpe_observations(tokenizer, encode: list, decode: list) -> dict:
    return {"merges": merges_of(tokenizer.merges), "special_tokens": specials_of(tokenizer.special_tokens),
            "vocab_size": tokenizer.vocab_size,
            "encoded": [attempt(lambda: _encoded(tokenizer, s, kwargs)) for s, kwargs in encode],
            "decoded": [_decoded(tokenizer, ids) for ids in decode]}


@scenario("text.bpe")
def bpe(lib, corpus: str, vocab_size: int, train_kwargs: dict | None = None, encode: list = (),
        decode: list = (), save_load: bool = False) -> dict:
    """BPETokenizer().train(corpus, vocab_size, **train_kwargs): its merges, special tokens and
    vocab_size, each (text, encode kwargs) of `encode` encoded (and decoded back), each id list of
    `decode` decoded; with save_load the same again from the tokenizer saved and loaded. A refused
    training is observed as {"trained": raised}."""
    cls = tokenizer_class(lib, "BPETokenizer")
    try:
        tokenizer = cls().train(corpus, vocab_size, **(train_kwargs or {}))
    except NotImplementedError:  # not implemented is reported as such, not observed
        raise
    except Exception as exc:  # noqa: BLE001 — a refused vocabulary size is an observation
        return {"trained": raised(exc)}
    observations = bpe_observations(tokenizer, encode, decode)
    if save_load:
        observations["loaded"] = bpe_observations(_save_and_load(cls, tokenizer, "bpe.json"), encode, decode)
    return observations


@scenario("text.bpe_retrain")
def bpe_retrain(lib, corpus: str, vocab_size: int, train_kwargs: dict) -> dict:
    """Two tokenizers trained alike, then the first trained again (retraining replaces its state)."""
    cls = tokenizer_class(lib, "BPETokenizer")
    first = cls().train(corpus, vocab_size, **train_kwargs)
    second = cls().train(corpus, vocab_size, **train_kwargs)
    observed = {"first": merges_of(first.merges), "second": merges_of(second.merges),
                "first specials": specials_of(first.special_tokens),
                "second specials": specials_of(second.special_tokens)}
    first.train(corpus, vocab_size, **train_kwargs)
    return observed | {"first retrained": merges_of(first.merges)}
