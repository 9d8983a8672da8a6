"""tiny.nn.utils: gradient clipping, pruning (tiny.nn.utils.prune, as torch.nn.utils.prune), knowledge
distillation and low-rank factorization."""
from tiny.nn.utils import clip_grad, distill, low_rank, prune
from tiny.nn.utils.clip_grad import *  # noqa: F401,F403
from tiny.nn.utils.distill import distillation_loss
from tiny.nn.utils.low_rank import factorize_linear

__all__ = list(clip_grad.__all__) + ["distillation_loss", "factorize_linear"]
