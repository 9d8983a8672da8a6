"""Tokenizers of the implementation under test: `text.CharTokenizer` and the byte-level `text.BPETokenizer`.

Tokenizers have no torch twin, so the references are written here, slow and obvious:
- `reference_chunks`: the documented pre-split (cut before every whitespace character);
- `reference_train`: recount every adjacent pair after each merge, take the most frequent one, ties to the
  smallest (left_id, right_id), replace it left to right;
- `reference_encode`: apply the lowest-ranked learned pair present, all occurrences, until none is left.
The fast implementations (incremental pair counts, heap-based encoding) must agree with them exactly.
The implementation side of each test is a scenario in difftests/scenarios/text.py (it builds, trains,
encodes and decodes, and returns ids, merges and texts); the references run here.
"""
from __future__ import annotations

import re
from collections import Counter
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from difftests.scenarios.text import ALL_IDS

pytestmark = pytest.mark.area_text
# `observe` is function-scoped but holds no state between calls: sharing it across examples is safe.
SUPPRESSED_HEALTH_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                      HealthCheck.filter_too_much]

BYTES = 256
EOT = "<|endoftext|>"
# Arbitrary Unicode (emoji and other astral characters included), never lone surrogates (not UTF-8).
UNICODE = st.characters(exclude_categories=("Cs",))
ANY_TEXT = st.text(UNICODE, max_size=60)
ENGLISH = ("The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.\n"
           "Then the other fox, the brown one, jumps over the other dog again and again.\n")
CORPUS = (ENGLISH * 6 + "naïve café — déjà vu, 東京 and 🙂🙂 emoji 🦊🦊🦊 tabs\tand\r\n"
          "windows lines  double  spaces   aaaa aaaaa bbbb\n") * 3
# Text made of the corpus's own characters, so that learned merges actually fire.
CORPUS_TEXT = st.text(st.sampled_from(sorted(set(CORPUS)) + ["é", "🙂", "\n"]), max_size=120)


# ------------------------------------------------------------------ slow references
def reference_chunks(s: str) -> list[str]:
    """Cut `s` just before every whitespace character."""
    chunks: list[str] = []
    for char in s:
        if char.isspace() or not chunks:
            chunks.append(char)
        else:
            chunks[-1] += char
    return chunks


def reference_split_special(s: str, specials: list[str]) -> list[tuple[str, bool]]:
    """[(piece, is_special)]: at each position the longest special token starting there is cut out."""
    pieces: list[tuple[str, bool]] = []
    ordinary, i = "", 0
    while i < len(s):
        match = max((t for t in specials if s.startswith(t, i)), key=len, default=None)
        if match is None:
            ordinary += s[i]
            i += 1
            continue
        if ordinary:
            pieces.append((ordinary, False))
        pieces.append((match, True))
        ordinary, i = "", i + len(match)
    if ordinary:
        pieces.append((ordinary, False))
    return pieces


def replace_pair(tokens: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    out, i = [], 0
    while i < len(tokens):
        if i + 1 < len(tokens) and (tokens[i], tokens[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def reference_train(s: str, num_merges: int, specials: list[str] = ()) -> list[tuple[int, int]] | None:
    """Naive BPE training; None if the text runs out of pairs before `num_merges`."""
    words = Counter(chunk for piece, special in reference_split_special(s, list(specials)) if not special
                    for chunk in reference_chunks(piece))
    corpus = [(list(word.encode("utf-8")), count) for word, count in words.items()]
    merges = []
    for rank in range(num_merges):
        counts: Counter[tuple[int, int]] = Counter()
        for tokens, count in corpus:
            for pair in zip(tokens, tokens[1:]):
                counts[pair] += count
        if not counts:
            return None
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        merges.append(best)
        corpus = [(replace_pair(tokens, best, BYTES + rank), count) for tokens, count in corpus]
    return merges


def reference_encode(tokenizer, s: str, allowed: list[str]) -> list[int]:
    ranks = {tuple(pair): rank for rank, pair in enumerate(tokenizer.merges)}
    ids: list[int] = []
    for piece, special in reference_split_special(s, allowed):
        if special:
            ids.append(tokenizer.special_tokens[piece])
            continue
        for chunk in reference_chunks(piece):
            tokens = list(chunk.encode("utf-8"))
            while True:
                present = [ranks[pair] for pair in zip(tokens, tokens[1:]) if pair in ranks]
                if not present:
                    break
                rank = min(present)
                tokens = replace_pair(tokens, tuple(tokenizer.merges[rank]), BYTES + rank)
            ids.extend(tokens)
    return ids


def test_reference_chunks_follow_the_documented_rule():
    assert reference_chunks("Hi  there\n") == ["Hi", " ", " there", "\n"]
    assert reference_chunks("") == [] and reference_chunks("\n\nx y") == ["\n", "\nx", " y"]



# ------------------------------------------------------------------ reading the observations
def ok(observation):
    """The value of an attempt() that must not have raised."""
    if isinstance(observation, dict) and "__raised__" in observation:
        pytest.fail(f"the implementation raised {observation['__raised__'][1]}", pytrace=False)
    return observation


def refused(observation, exception: str = "ValueError") -> str:
    """The message of an attempt() that must have raised `exception` (a builtin class name), without
    the class name and the file:line the scenario appends."""
    assert isinstance(observation, dict) and "__raised__" in observation, \
        f"expected a {exception}, the implementation gave {observation!r}"
    assert observation["__raised__"][0] == exception, observation["__raised__"]
    message = observation["__raised__"][1].split(": ", 1)[-1]
    return re.sub(r" \([^()]*:\d+\)$", "", message)


def encoded(entry) -> tuple[list, str]:
    """(ids, ids decoded back) of one `encode` entry of a text.char / text.bpe observation."""
    entry = ok(entry)
    assert isinstance(entry["ids"], list), entry["ids"]
    return entry["ids"], ok(entry["decoded"])


def lists(merges):
    """Merges as they look after the wire: a list of [left, right] lists."""
    return None if merges is None else [list(pair) for pair in merges]


def bpe(observe, corpus: str, vocab_size: int, train_kwargs: dict | None = None, **requests) -> dict:
    """text.bpe's observations of a tokenizer that must train."""
    got = observe("text.bpe", corpus=corpus, vocab_size=vocab_size, train_kwargs=train_kwargs, **requests)
    assert "trained" not in got, f"training raised {got['trained']}"
    assert isinstance(got["merges"], list), got["merges"]
    assert isinstance(got["special_tokens"], dict), got["special_tokens"]
    return got


# The tokenizer most tests encode with: trained on CORPUS with one special token.
TRAINED = dict(corpus=CORPUS, vocab_size=BYTES + 80, train_kwargs={"special_tokens": [EOT]})


def learned(got: dict) -> SimpleNamespace:
    """The merges and special tokens the implementation learned, for reference_encode."""
    return SimpleNamespace(merges=got["merges"], special_tokens=got["special_tokens"])


# ------------------------------------------------------------------ CharTokenizer
@settings(suppress_health_check=SUPPRESSED_HEALTH_CHECKS)
@given(ANY_TEXT)
def test_char_round_trip_over_its_vocabulary(observe, s):
    got = observe("text.char", from_text=s, encode=[s])
    assert got["vocab_size"] == len(set(s))
    ids, decoded = encoded(got["encoded"][0])
    assert len(ids) == len(s) and all(0 <= i < got["vocab_size"] for i in ids)
    assert decoded == s


@settings(suppress_health_check=SUPPRESSED_HEALTH_CHECKS)
@given(st.lists(UNICODE, min_size=1, max_size=30, unique=True).flatmap(
    lambda chars: st.tuples(st.just(chars), st.text(st.sampled_from(chars), max_size=50))))
def test_char_ids_follow_the_given_vocabulary_order(observe, chars_and_text):
    chars, s = chars_and_text
    got = observe("text.char", chars=chars, encode=[s])
    assert got["vocab_size"] == len(chars)
    ids, decoded = encoded(got["encoded"][0])
    assert ids == [chars.index(c) for c in s]
    assert decoded == s


def test_char_from_text_vocabulary_is_sorted_unique_characters(observe):
    s = "hello, wörld 🙂\n"
    vocab = sorted(set(s))
    got = observe("text.char", from_text=s, encode=[s], decode=[range(len(vocab))])
    assert encoded(got["encoded"][0])[0] == [vocab.index(c) for c in s]
    assert ok(got["decoded"][0]) == "".join(vocab)
    assert observe("text.char", from_text="")["vocab_size"] == 0


def test_char_unknown_character_raises_naming_it_and_its_position(observe):
    got = observe("text.char", from_text="abc", encode=["abxc"])
    message = refused(got["encoded"][0])
    assert "'x'" in message and "2" in message


def test_char_unk_maps_unknown_characters(observe):
    got = observe("text.char", chars=["?", "a", "b"], unk="?", encode=["a🙂bz", "a🙂b"])
    assert encoded(got["encoded"][0])[0] == [1, 0, 2, 0]
    assert encoded(got["encoded"][1])[1] == "a?b"
    refused(observe("text.char", chars=["a", "b"], unk="?")["constructor"])


@pytest.mark.parametrize("bad_id", [3, -1, 100])
def test_char_decode_out_of_range_raises(observe, bad_id):
    refused(observe("text.char", from_text="abc", decode=[[0, bad_id]])["decoded"][0])


def test_char_save_load_round_trip(observe):
    s = "to be or not 🙂 to bé\n\t"
    got = observe("text.char", from_text=s, encode=[s], save_load=True)
    loaded = got["loaded"]
    assert loaded["vocab_size"] == got["vocab_size"]
    ids, _ = encoded(got["encoded"][0])
    loaded_ids, loaded_decoded = encoded(loaded["encoded"][0])
    assert loaded_ids == ids and loaded_decoded == s
    probe = "".join(sorted(set(s) | {"x", "🙂", "?"}))
    got = observe("text.char", chars=["x", "🙂", "?"], unk="?", encode=[probe], save_load=True)
    assert got["loaded"]["vocab_size"] == got["vocab_size"] == 3
    assert encoded(got["loaded"]["encoded"][0])[0] == encoded(got["encoded"][0])[0]   # unk survives the round trip


# ------------------------------------------------------------------ BPETokenizer: training
@pytest.mark.parametrize("corpus, vocab_size", [
    (ENGLISH, BYTES + 62),                             # every merge the text allows, down to count 1
    ("aaaa aaaaa aaa aa a\naaaa", BYTES + 8),          # overlapping runs: (a, a) counted at every position
    ("🙂🙂🦊 🙂🦊🦊 東京東京 déjà", BYTES + 24),         # multi-byte characters
    ("ab ba ab ba cd dc cd", BYTES + 8),               # many ties
])
def test_bpe_merges_equal_the_naive_reference(observe, corpus, vocab_size):
    assert bpe(observe, corpus, vocab_size)["merges"] == lists(reference_train(corpus, vocab_size - BYTES))


@settings(max_examples=60, suppress_health_check=SUPPRESSED_HEALTH_CHECKS)
@given(st.text(st.sampled_from("ab c\n"), min_size=1, max_size=80), st.integers(0, 12))
def test_bpe_training_matches_the_reference_or_refuses(observe, corpus, num_merges):
    """Vocab size is honoured exactly: when the text runs out of pairs, training must refuse."""
    expected = reference_train(corpus, num_merges)
    got = observe("text.bpe", corpus=corpus, vocab_size=BYTES + num_merges)
    if expected is None:
        refused(got.get("trained"))
    else:
        assert "trained" not in got, f"training raised {got['trained']}"
        assert got["merges"] == lists(expected)


def test_bpe_tie_break_is_the_smallest_pair(observe):
    # chunks "ba", " ab", " ba", " ab": (32,97), (97,98), (98,97) occur twice, (32,98) once.
    # 1: tie of three -> (32, 97) = " a" -> 256. Then (98,97) and (256,98) tie at 2 -> (98, 97) -> 257.
    # Then (256, 98) occurs twice and (32, 257) once -> (256, 98) -> 258.
    assert bpe(observe, "ba ab ba ab", BYTES + 3)["merges"] == [[32, 97], [98, 97], [256, 98]]


def test_bpe_a_frequent_pair_beats_a_smaller_one(observe):
    assert bpe(observe, "zz zz zz ab", BYTES + 1)["merges"] == [[122, 122]]


def test_bpe_training_is_deterministic(observe):
    got = observe("text.bpe_retrain", corpus=CORPUS, vocab_size=BYTES + 60, train_kwargs={"special_tokens": [EOT]})
    assert isinstance(got["first"], list) and got["first"] == got["second"]
    assert got["first specials"] == got["second specials"]
    assert got["first retrained"] == got["second"]               # retraining replaces the state


@pytest.mark.parametrize("vocab_size, specials", [
    (BYTES, []), (BYTES + 1, []), (BYTES + 77, []), (BYTES + 1, [EOT]), (BYTES + 50, [EOT, "<|pad|>"])])
def test_bpe_vocab_size_is_honoured_exactly(observe, vocab_size, specials):
    got = bpe(observe, CORPUS, vocab_size, {"special_tokens": specials},
              encode=[(CORPUS + "".join(specials), {})], decode=[list(range(vocab_size))])
    assert got["vocab_size"] == vocab_size
    assert len(got["merges"]) == vocab_size - BYTES - len(specials)
    special_ids = sorted(got["special_tokens"].values())
    assert sorted(got["special_tokens"]) == sorted(specials)
    assert special_ids == list(range(BYTES + len(got["merges"]), vocab_size))
    ids, _ = encoded(got["encoded"][0])
    assert max(ids) < vocab_size
    assert ok(got["decoded"][0])          # every id decodes


def test_bpe_special_tokens_in_training_text_are_not_learned_from(observe):
    corpus = (EOT + "ab") * 20
    got = bpe(observe, corpus, BYTES + 1 + 1, {"special_tokens": [EOT]})
    assert got["merges"] == lists(reference_train(corpus, 1, [EOT])) == [[97, 98]]


@pytest.mark.parametrize("vocab_size, specials", [(BYTES - 1, []), (0, []), (BYTES, [EOT]),
                                                  (BYTES + 1, [EOT, "<|pad|>"])])
def test_bpe_too_small_vocab_raises(observe, vocab_size, specials):
    got = observe("text.bpe", corpus=CORPUS, vocab_size=vocab_size, train_kwargs={"special_tokens": specials})
    refused(got.get("trained"))


# ------------------------------------------------------------------ BPETokenizer: encode / decode
@settings(suppress_health_check=SUPPRESSED_HEALTH_CHECKS)
@given(ANY_TEXT)
def test_bpe_round_trip_on_arbitrary_unicode(observe, s):
    got = bpe(observe, **TRAINED, encode=[(s, {"allowed_special": allowed}) for allowed in ("all", "none")])
    for entry in got["encoded"]:
        assert encoded(entry)[1] == s


@settings(suppress_health_check=SUPPRESSED_HEALTH_CHECKS)
@given(CORPUS_TEXT)
def test_bpe_encode_applies_merges_in_rank_order(observe, s):
    got = bpe(observe, **TRAINED, encode=[(s, {"allowed_special": "none"})])
    ids, decoded = encoded(got["encoded"][0])
    assert ids == reference_encode(learned(got), s, [])
    assert decoded == s


@settings(suppress_health_check=SUPPRESSED_HEALTH_CHECKS)
@given(st.integers(0, len(CORPUS) - 1), st.integers(0, 300))
def test_bpe_encode_of_corpus_slices_matches_the_reference(observe, start, length):
    s = CORPUS[start:start + length]
    got = bpe(observe, **TRAINED, encode=[(s, {})])
    assert encoded(got["encoded"][0])[0] == reference_encode(learned(got), s, [EOT])


def test_bpe_encoding_compresses_its_training_text(observe):
    got = bpe(observe, **TRAINED, encode=[(CORPUS, {})])
    ids, _ = encoded(got["encoded"][0])
    assert len(ids) < len(CORPUS.encode("utf-8")) / 2
    assert ids == reference_encode(learned(got), CORPUS, [EOT])


def test_bpe_without_merges_encodes_utf8_bytes(observe):
    s = "héllo 🙂\n"
    assert encoded(bpe(observe, CORPUS, BYTES, encode=[(s, {})])["encoded"][0])[0] == list(s.encode("utf-8"))


def test_bpe_decode_replaces_a_cut_multibyte_character(observe):
    ids, _ = encoded(bpe(observe, CORPUS, BYTES, encode=[("a🙂", {})])["encoded"][0])
    assert ok(bpe(observe, CORPUS, BYTES, decode=[ids[:3]])["decoded"][0]) == "a\ufffd"


@pytest.mark.parametrize("bad_id", [BYTES + 81, BYTES + 1000, -1])
def test_bpe_decode_out_of_range_raises(observe, bad_id):
    refused(bpe(observe, **TRAINED, decode=[[65, bad_id]])["decoded"][0])


# ------------------------------------------------------------------ special tokens
@settings(suppress_health_check=SUPPRESSED_HEALTH_CHECKS)
@given(st.lists(st.text(st.sampled_from("ab <|>\n🙂"), max_size=12), min_size=1, max_size=6))
def test_bpe_special_tokens_are_single_ids_and_never_split(observe, parts):
    s = EOT.join(parts)
    got = bpe(observe, **TRAINED, encode=[(s, {"allowed_special": "all"})])
    eot_id = got["special_tokens"][EOT]
    ids, decoded = encoded(got["encoded"][0])
    assert ids.count(eot_id) == s.count(EOT)
    assert ids == reference_encode(learned(got), s, [EOT])
    assert decoded == s


@settings(suppress_health_check=SUPPRESSED_HEALTH_CHECKS)
@given(st.lists(st.text(UNICODE, max_size=12), min_size=1, max_size=6))
def test_bpe_special_text_is_ordinary_bytes_when_not_allowed(observe, parts):
    s = EOT.join(parts)
    got = bpe(observe, **TRAINED, encode=[(s, {"allowed_special": "none"})])
    ids, decoded = encoded(got["encoded"][0])
    assert got["special_tokens"][EOT] not in ids
    assert ids == reference_encode(learned(got), s, [])
    assert decoded == s


def test_bpe_allowed_special_as_a_set(observe):
    s = f"the fox{EOT}the dog<|pad|>"
    got = bpe(observe, CORPUS, BYTES + 30, {"special_tokens": [EOT, "<|pad|>"]},
              encode=[(s, {"allowed_special": allowed}) for allowed in
                      ({"<|pad|>"}, {EOT, "<|pad|>"}, "all", {"<|unknown|>"})])
    ids, _ = encoded(got["encoded"][0])
    assert got["special_tokens"]["<|pad|>"] in ids and got["special_tokens"][EOT] not in ids
    assert ids == reference_encode(learned(got), s, ["<|pad|>"])
    assert encoded(got["encoded"][1])[0] == encoded(got["encoded"][2])[0]
    refused(got["encoded"][3])


def test_bpe_overlapping_special_tokens_take_the_longest_match(observe):
    s = "x<|a|>b<|a|>c"
    got = bpe(observe, CORPUS, BYTES + 10 + 2, {"special_tokens": ["<|a|>", "<|a|>b"]},
              encode=[(s, {}), ("x", {}), ("c", {})])
    short, long = got["special_tokens"]["<|a|>"], got["special_tokens"]["<|a|>b"]
    ids, x, c = (encoded(entry)[0] for entry in got["encoded"])
    assert ids == x + [long, short] + c
    assert ids == reference_encode(learned(got), s, ["<|a|>", "<|a|>b"])


# ------------------------------------------------------------------ persistence
def test_bpe_save_load_round_trip(observe):
    texts = [(s, {"allowed_special": allowed}) for s in (CORPUS, f"héllo{EOT}🙂 wörld\n", "")
             for allowed in ("all", "none")]
    got = bpe(observe, **TRAINED, encode=texts, decode=[ALL_IDS], save_load=True)
    loaded = got["loaded"]
    assert loaded["merges"] == got["merges"] and loaded["special_tokens"] == got["special_tokens"]
    assert loaded["vocab_size"] == got["vocab_size"]
    for (s, kwargs), mine, original in zip(texts, loaded["encoded"], got["encoded"], strict=True):
        assert encoded(mine)[0] == encoded(original)[0], (s[:40], kwargs)
    assert ok(loaded["decoded"][0]) == ok(got["decoded"][0])
