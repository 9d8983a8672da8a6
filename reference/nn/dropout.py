"""torch twin of tiny/nn/dropout.py (RNG streams differ: difftests/test_dropout.py checks semantics)."""
import torch
import torch.nn.functional as F


def dropout(input, p=0.5, training=True):
    return F.dropout(input, p=p, training=training)


def dropout_module(input, p=0.5):
    return torch.nn.Dropout(p)(input)
