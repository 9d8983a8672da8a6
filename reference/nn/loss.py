"""torch twins of tiny/nn/loss.py: the functional losses and the loss Modules.

Module twins build the torch Module from the same config and call it; `weight` / `pos_weight` arrive
as tensors (or None) in the same positions as the implementation's call.
"""
import torch
import torch.nn.functional as F


def mse_loss(input, target, weight=None, **kwargs):
    return F.mse_loss(input, target, weight=weight, **kwargs)


def l1_loss(input, target, weight=None, **kwargs):
    return F.l1_loss(input, target, weight=weight, **kwargs)


def cross_entropy(input, target, weight=None, **kwargs):
    return F.cross_entropy(input, target, weight=weight, **kwargs)


def nll_loss(input, target, weight=None, **kwargs):
    return F.nll_loss(input, target, weight=weight, **kwargs)


def binary_cross_entropy(input, target, weight=None, **kwargs):
    return F.binary_cross_entropy(input, target, weight=weight, **kwargs)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, **kwargs):
    return F.binary_cross_entropy_with_logits(input, target, weight=weight, pos_weight=pos_weight, **kwargs)


def kl_div(input, target, **kwargs):
    return F.kl_div(input, target, **kwargs)


def MSELoss(input, target, **config):
    return torch.nn.MSELoss(**config)(input, target)


def L1Loss(input, target, **config):
    return torch.nn.L1Loss(**config)(input, target)


def CrossEntropyLoss(input, target, weight=None, **config):
    return torch.nn.CrossEntropyLoss(weight=weight, **config)(input, target)


def NLLLoss(input, target, weight=None, **config):
    return torch.nn.NLLLoss(weight=weight, **config)(input, target)


def BCELoss(input, target, weight=None, **config):
    return torch.nn.BCELoss(weight=weight, **config)(input, target)


def BCEWithLogitsLoss(input, target, weight=None, pos_weight=None, **config):
    return torch.nn.BCEWithLogitsLoss(weight=weight, pos_weight=pos_weight, **config)(input, target)


def KLDivLoss(input, target, **config):
    return torch.nn.KLDivLoss(**config)(input, target)
