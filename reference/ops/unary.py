"""torch twins of tiny/ops/unary.py."""
import torch


def exp(x):
    return torch.exp(x)


def log(x):
    return torch.log(x)


def sqrt(x):
    return torch.sqrt(x)


def abs(x):
    return torch.abs(x)


def tanh(x):
    return torch.tanh(x)


def sigmoid(x):
    return torch.sigmoid(x)


def relu(x):
    return torch.relu(x)


def clamp(x, min=None, max=None):
    return torch.clamp(x, min=min, max=max)


def clamp_min(x, min):
    return torch.clamp_min(x, min)


def clamp_max(x, max):
    return torch.clamp_max(x, max)
