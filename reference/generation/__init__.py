"""torch twins of tiny/generation: a preallocated KV cache of torch tensors, cached and uncached
generation of reference.models.GPT, and the same sampling rules (temperature, top-k, top-p) in torch."""
from reference.generation.generate import generate
from reference.generation.kv_cache import KVCache
from reference.generation.sampling import filter_logits

__all__ = ["KVCache", "generate", "filter_logits"]
