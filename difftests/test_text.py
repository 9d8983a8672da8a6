"""Tokenizers of the implementation under test: `text.CharTokenizer` and the byte-level `text.BPETokenizer`.

Tokenizers have no torch twin, so the references are written here, slow and obvious:
- `reference_chunks`: the documented pre-split (cut before every whitespace character);
- `reference_train`: recount every adjacent pair after each merge, take the most frequent one, ties to the
  smallest (left_id, right_id), replace it left to right;
- `reference_encode`: apply the lowest-ranked learned pair present, all occurrences, until none is left.
The fast implementations (incremental pair counts, heap-based encoding) must agree with them exactly.
"""
from __future__ import annotations

import importlib
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.area_text

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


# ------------------------------------------------------------------ access to the implementation
class _TextAPI:
    """The implementation's `text` module; a missing class reports NOT IMPLEMENTED, not a crash."""

    def __init__(self, module) -> None:
        self.module = module

    def _get(self, name: str):
        if self.module is None:
            pytest.fail(f"NOT IMPLEMENTED: the implementation has no text module (text.{name})",
                        pytrace=False)
        if not hasattr(self.module, name):
            pytest.fail(f"NOT IMPLEMENTED: text.{name} is missing from {self.module.__name__}", pytrace=False)
        return getattr(self.module, name)

    @property
    def CharTokenizer(self):  # noqa: N802 — the contract's class name
        return self._get("CharTokenizer")

    @property
    def BPETokenizer(self):  # noqa: N802
        return self._get("BPETokenizer")


@pytest.fixture(scope="module")
def text(impl):
    module = getattr(impl, "text", None)
    if module is None:
        name = impl.__name__ + ".text"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name not in (name, impl.__name__):
                raise                       # the module exists but an import inside it is broken
            return _TextAPI(None)
    return _TextAPI(module)


@pytest.fixture(scope="module")
def bpe(text):
    """A tokenizer trained on CORPUS with one special token."""
    return text.BPETokenizer().train(CORPUS, BYTES + 80, special_tokens=[EOT])


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


# ------------------------------------------------------------------ CharTokenizer
@given(ANY_TEXT)
def test_char_round_trip_over_its_vocabulary(text, s):
    tokenizer = text.CharTokenizer.from_text(s)
    assert tokenizer.vocab_size == len(set(s))
    ids = tokenizer.encode(s)
    assert len(ids) == len(s) and all(0 <= i < tokenizer.vocab_size for i in ids)
    assert tokenizer.decode(ids) == s


@given(st.lists(UNICODE, min_size=1, max_size=30, unique=True).flatmap(
    lambda chars: st.tuples(st.just(chars), st.text(st.sampled_from(chars), max_size=50))))
def test_char_ids_follow_the_given_vocabulary_order(text, chars_and_text):
    chars, s = chars_and_text
    tokenizer = text.CharTokenizer(chars)
    assert tokenizer.vocab_size == len(chars)
    assert tokenizer.encode(s) == [chars.index(c) for c in s]
    assert tokenizer.decode(tokenizer.encode(s)) == s


def test_char_from_text_vocabulary_is_sorted_unique_characters(text):
    s = "hello, wörld 🙂\n"
    tokenizer = text.CharTokenizer.from_text(s)
    vocab = sorted(set(s))
    assert tokenizer.encode(s) == [vocab.index(c) for c in s]
    assert tokenizer.decode(range(len(vocab))) == "".join(vocab)
    assert text.CharTokenizer.from_text("").vocab_size == 0


def test_char_unknown_character_raises_naming_it_and_its_position(text):
    tokenizer = text.CharTokenizer.from_text("abc")
    with pytest.raises(ValueError) as error:
        tokenizer.encode("abxc")
    assert "'x'" in str(error.value) and "2" in str(error.value)


def test_char_unk_maps_unknown_characters(text):
    tokenizer = text.CharTokenizer(["?", "a", "b"], unk="?")
    assert tokenizer.encode("a🙂bz") == [1, 0, 2, 0]
    assert tokenizer.decode(tokenizer.encode("a🙂b")) == "a?b"
    with pytest.raises(ValueError):
        text.CharTokenizer(["a", "b"], unk="?")


@pytest.mark.parametrize("bad_id", [3, -1, 100])
def test_char_decode_out_of_range_raises(text, bad_id):
    with pytest.raises(ValueError):
        text.CharTokenizer.from_text("abc").decode([0, bad_id])


def test_char_save_load_round_trip(text, tmp_path):
    s = "to be or not 🙂 to bé\n\t"
    for tokenizer in (text.CharTokenizer.from_text(s), text.CharTokenizer(["x", "🙂", "?"], unk="?")):
        path = tmp_path / "char.json"
        tokenizer.save(path)
        loaded = text.CharTokenizer.load(path)
        assert loaded.vocab_size == tokenizer.vocab_size
        probe = "".join(sorted(set(s) | {"x", "🙂", "?"}))
        if tokenizer.vocab_size == 3:
            assert loaded.encode(probe) == tokenizer.encode(probe)     # unk survives the round trip
        else:
            assert loaded.encode(s) == tokenizer.encode(s) and loaded.decode(loaded.encode(s)) == s


# ------------------------------------------------------------------ BPETokenizer: training
@pytest.mark.parametrize("corpus, vocab_size", [
    (ENGLISH, BYTES + 62),                             # every merge the text allows, down to count 1
    ("aaaa aaaaa aaa aa a\naaaa", BYTES + 8),          # overlapping runs: (a, a) counted at every position
    ("🙂🙂🦊 🙂🦊🦊 東京東京 déjà", BYTES + 24),         # multi-byte characters
    ("ab ba ab ba cd dc cd", BYTES + 8),               # many ties
])
def test_bpe_merges_equal_the_naive_reference(text, corpus, vocab_size):
    tokenizer = text.BPETokenizer().train(corpus, vocab_size)
    assert tokenizer.merges == reference_train(corpus, vocab_size - BYTES)


@settings(max_examples=60)
@given(st.text(st.sampled_from("ab c\n"), min_size=1, max_size=80), st.integers(0, 12))
def test_bpe_training_matches_the_reference_or_refuses(text, corpus, num_merges):
    """Vocab size is honoured exactly: when the text runs out of pairs, training must refuse."""
    expected = reference_train(corpus, num_merges)
    if expected is None:
        with pytest.raises(ValueError):
            text.BPETokenizer().train(corpus, BYTES + num_merges)
    else:
        assert text.BPETokenizer().train(corpus, BYTES + num_merges).merges == expected


def test_bpe_tie_break_is_the_smallest_pair(text):
    # chunks "ba", " ab", " ba", " ab": (32,97), (97,98), (98,97) occur twice, (32,98) once.
    # 1: tie of three -> (32, 97) = " a" -> 256. Then (98,97) and (256,98) tie at 2 -> (98, 97) -> 257.
    # Then (256, 98) occurs twice and (32, 257) once -> (256, 98) -> 258.
    tokenizer = text.BPETokenizer().train("ba ab ba ab", BYTES + 3)
    assert tokenizer.merges == [(32, 97), (98, 97), (256, 98)]


def test_bpe_a_frequent_pair_beats_a_smaller_one(text):
    assert text.BPETokenizer().train("zz zz zz ab", BYTES + 1).merges == [(122, 122)]


def test_bpe_training_is_deterministic(text):
    first = text.BPETokenizer().train(CORPUS, BYTES + 60, special_tokens=[EOT])
    second = text.BPETokenizer().train(CORPUS, BYTES + 60, special_tokens=[EOT])
    assert first.merges == second.merges and first.special_tokens == second.special_tokens
    first.train(CORPUS, BYTES + 60, special_tokens=[EOT])                # retraining replaces the state
    assert first.merges == second.merges


@pytest.mark.parametrize("vocab_size, specials", [
    (BYTES, []), (BYTES + 1, []), (BYTES + 77, []), (BYTES + 1, [EOT]), (BYTES + 50, [EOT, "<|pad|>"])])
def test_bpe_vocab_size_is_honoured_exactly(text, vocab_size, specials):
    tokenizer = text.BPETokenizer().train(CORPUS, vocab_size, special_tokens=specials)
    assert tokenizer.vocab_size == vocab_size
    assert len(tokenizer.merges) == vocab_size - BYTES - len(specials)
    special_ids = sorted(tokenizer.special_tokens.values())
    assert sorted(tokenizer.special_tokens) == sorted(specials)
    assert special_ids == list(range(BYTES + len(tokenizer.merges), vocab_size))
    ids = tokenizer.encode(CORPUS + "".join(specials))
    assert max(ids) < vocab_size
    assert tokenizer.decode(list(range(vocab_size)))          # every id decodes


def test_bpe_special_tokens_in_training_text_are_not_learned_from(text):
    corpus = (EOT + "ab") * 20
    tokenizer = text.BPETokenizer().train(corpus, BYTES + 1 + 1, special_tokens=[EOT])
    assert tokenizer.merges == reference_train(corpus, 1, [EOT]) == [(97, 98)]


@pytest.mark.parametrize("vocab_size, specials", [(BYTES - 1, []), (0, []), (BYTES, [EOT]),
                                                  (BYTES + 1, [EOT, "<|pad|>"])])
def test_bpe_too_small_vocab_raises(text, vocab_size, specials):
    with pytest.raises(ValueError):
        text.BPETokenizer().train(CORPUS, vocab_size, special_tokens=specials)


# ------------------------------------------------------------------ BPETokenizer: encode / decode
@given(ANY_TEXT)
def test_bpe_round_trip_on_arbitrary_unicode(bpe, s):
    for allowed in ("all", "none"):
        assert bpe.decode(bpe.encode(s, allowed_special=allowed)) == s


@given(CORPUS_TEXT)
def test_bpe_encode_applies_merges_in_rank_order(bpe, s):
    ids = bpe.encode(s, allowed_special="none")
    assert ids == reference_encode(bpe, s, [])
    assert bpe.decode(ids) == s


@given(st.integers(0, len(CORPUS) - 1), st.integers(0, 300))
def test_bpe_encode_of_corpus_slices_matches_the_reference(bpe, start, length):
    s = CORPUS[start:start + length]
    assert bpe.encode(s) == reference_encode(bpe, s, [EOT])


def test_bpe_encoding_compresses_its_training_text(bpe):
    ids = bpe.encode(CORPUS)
    assert len(ids) < len(CORPUS.encode("utf-8")) / 2
    assert ids == reference_encode(bpe, CORPUS, [EOT])


def test_bpe_without_merges_encodes_utf8_bytes(text):
    tokenizer = text.BPETokenizer().train(CORPUS, BYTES)
    s = "héllo 🙂\n"
    assert tokenizer.encode(s) == list(s.encode("utf-8"))


def test_bpe_decode_replaces_a_cut_multibyte_character(text):
    tokenizer = text.BPETokenizer().train(CORPUS, BYTES)
    ids = tokenizer.encode("a🙂")
    assert tokenizer.decode(ids[:3]) == "a\ufffd"


@pytest.mark.parametrize("bad_id", [BYTES + 81, BYTES + 1000, -1])
def test_bpe_decode_out_of_range_raises(bpe, bad_id):
    with pytest.raises(ValueError):
        bpe.decode([65, bad_id])


# ------------------------------------------------------------------ special tokens
@given(st.lists(st.text(st.sampled_from("ab <|>\n🙂"), max_size=12), min_size=1, max_size=6))
def test_bpe_special_tokens_are_single_ids_and_never_split(bpe, parts):
    s = EOT.join(parts)
    eot_id = bpe.special_tokens[EOT]
    ids = bpe.encode(s, allowed_special="all")
    assert ids.count(eot_id) == s.count(EOT)
    assert ids == reference_encode(bpe, s, [EOT])
    assert bpe.decode(ids) == s


@given(st.lists(st.text(UNICODE, max_size=12), min_size=1, max_size=6))
def test_bpe_special_text_is_ordinary_bytes_when_not_allowed(bpe, parts):
    s = EOT.join(parts)
    ids = bpe.encode(s, allowed_special="none")
    assert bpe.special_tokens[EOT] not in ids
    assert ids == reference_encode(bpe, s, [])
    assert bpe.decode(ids) == s


def test_bpe_allowed_special_as_a_set(text):
    tokenizer = text.BPETokenizer().train(CORPUS, BYTES + 30, special_tokens=[EOT, "<|pad|>"])
    s = f"the fox{EOT}the dog<|pad|>"
    ids = tokenizer.encode(s, allowed_special={"<|pad|>"})
    assert tokenizer.special_tokens["<|pad|>"] in ids and tokenizer.special_tokens[EOT] not in ids
    assert ids == reference_encode(tokenizer, s, ["<|pad|>"])
    assert tokenizer.encode(s, allowed_special={EOT, "<|pad|>"}) == tokenizer.encode(s, allowed_special="all")
    with pytest.raises(ValueError):
        tokenizer.encode(s, allowed_special={"<|unknown|>"})


def test_bpe_overlapping_special_tokens_take_the_longest_match(text):
    tokenizer = text.BPETokenizer().train(CORPUS, BYTES + 10 + 2, special_tokens=["<|a|>", "<|a|>b"])
    short, long = tokenizer.special_tokens["<|a|>"], tokenizer.special_tokens["<|a|>b"]
    ids = tokenizer.encode("x<|a|>b<|a|>c")
    assert ids == tokenizer.encode("x") + [long, short] + tokenizer.encode("c")
    assert ids == reference_encode(tokenizer, "x<|a|>b<|a|>c", ["<|a|>", "<|a|>b"])


# ------------------------------------------------------------------ persistence
def test_bpe_save_load_round_trip(text, bpe, tmp_path):
    path = tmp_path / "bpe.json"
    bpe.save(path)
    loaded = text.BPETokenizer.load(path)
    assert loaded.merges == bpe.merges and loaded.special_tokens == bpe.special_tokens
    assert loaded.vocab_size == bpe.vocab_size
    for s in (CORPUS, f"héllo{EOT}🙂 wörld\n", ""):
        for allowed in ("all", "none"):
            assert loaded.encode(s, allowed_special=allowed) == bpe.encode(s, allowed_special=allowed)
    assert loaded.decode(list(range(loaded.vocab_size))) == bpe.decode(list(range(bpe.vocab_size)))
