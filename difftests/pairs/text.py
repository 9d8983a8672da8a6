"""Tokenizers have no torch twin: difftests/test_text.py checks them against slow reference
implementations written in the test and against hypothesis properties (round trips, rank order)."""
COVERED_ELSEWHERE = {
    "text.CharTokenizer": "difftests/test_text.py: round trips, unknown-character policy, save/load",
    "text.BPETokenizer": "difftests/test_text.py: slow reference trainer/encoder, properties, tie-break",
}
