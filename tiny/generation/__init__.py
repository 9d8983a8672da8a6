"""Autoregressive generation: a preallocated per-layer KV cache and `generate` (cached or not; greedy,
temperature, top-k, top-p, seeded sampling). The torch twin is reference/generation/."""
from tiny.generation.generate import generate
from tiny.generation.kv_cache import KVCache
from tiny.generation.sampling import filter_logits

__all__ = ["KVCache", "generate", "filter_logits"]
