"""tiny.nn.utils: gradient clipping and pruning (tiny.nn.utils.prune, as torch.nn.utils.prune)."""
from tiny.nn.utils import clip_grad, prune
from tiny.nn.utils.clip_grad import *  # noqa: F401,F403

__all__ = list(clip_grad.__all__)
