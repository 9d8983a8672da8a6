"""torch twins of tiny/nn/embedding.py."""
import torch
import torch.nn.functional as F


def embedding(input, weight, padding_idx=None):
    return F.embedding(input, weight, padding_idx=padding_idx)


def embedding_module(input, weight, padding_idx=None):
    """nn.Embedding loaded with `weight` (its padding row is used as given)."""
    module = torch.nn.Embedding(*weight.shape, padding_idx=padding_idx, dtype=weight.dtype)
    module.load_state_dict({"weight": weight})
    return {"out": module(input), "params": dict(module.named_parameters())}
