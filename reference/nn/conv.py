"""torch twins of tiny/nn/conv.py."""
import torch
import torch.nn.functional as F


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return F.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return F.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv_module(input, weight, bias, module="Conv2d", **config):
    """nn.Conv2d / nn.Conv1d built from the weight's shape and `config`, loaded with (weight, bias)."""
    out_channels, in_per_group = weight.shape[:2]
    groups = config.get("groups", 1)
    layer = getattr(torch.nn, module)(in_per_group * groups, out_channels, tuple(weight.shape[2:]),
                                      bias=bias is not None, dtype=weight.dtype, **config)
    layer.load_state_dict({"weight": weight} if bias is None else {"weight": weight, "bias": bias})
    return {"out": layer(input), "params": dict(layer.named_parameters())}
