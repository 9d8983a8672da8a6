"""tiny.text: tokenizers. `CharTokenizer` (one id per character) and `BPETokenizer` (byte-level BPE)."""
from tiny.text.bpe_tokenizer import BPETokenizer
from tiny.text.char_tokenizer import CharTokenizer

__all__ = ["CharTokenizer", "BPETokenizer"]
