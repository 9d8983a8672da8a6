"""tiny.nn.utils: gradient clipping (and, later, pruning)."""
from tiny.nn.utils import clip_grad
from tiny.nn.utils.clip_grad import *  # noqa: F401,F403

__all__ = list(clip_grad.__all__)
