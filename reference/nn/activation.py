"""torch twins of tiny/nn/activation.py."""
import torch
import torch.nn.functional as F


def relu(input):
    return F.relu(input)


def leaky_relu(input, negative_slope=0.01):
    return F.leaky_relu(input, negative_slope)


def sigmoid(input):
    return F.sigmoid(input)


def tanh(input):
    return F.tanh(input)


def gelu(input, approximate="none"):
    return F.gelu(input, approximate=approximate)


def silu(input):
    return F.silu(input)


def softmax(input, dim, dtype=None):
    return F.softmax(input, dim=dim, dtype=None if dtype is None else getattr(torch, dtype))


def log_softmax(input, dim, dtype=None):
    return F.log_softmax(input, dim=dim, dtype=None if dtype is None else getattr(torch, dtype))


def activation_module(input, module, **config):
    """torch.nn.<module>(**config) applied to input, e.g. module="GELU", approximate="tanh"."""
    return getattr(torch.nn, module)(**config)(input)
