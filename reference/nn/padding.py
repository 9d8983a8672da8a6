"""torch twin of tiny/nn/padding.py."""
import torch.nn.functional as F


def pad(input, pad, mode="constant", value=None):
    return F.pad(input, pad, mode=mode, value=value)
