"""tiny.models: complete models built from tiny.nn (the GPT and its config)."""
from tiny.models.gpt import GPT, Block, GPTConfig

__all__ = ["GPT", "GPTConfig", "Block"]
