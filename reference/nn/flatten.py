"""torch twin of tiny/nn/flatten.py."""
import torch


def flatten_module(input, start_dim=1, end_dim=-1):
    return torch.nn.Flatten(start_dim, end_dim)(input)
