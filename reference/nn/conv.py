"""torch twins of tiny/nn/conv.py."""
import torch
import torch.nn.functional as F


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return F.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return F.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv_module(input, weight, bias, module="Conv2d", in_channels=None, **config):
    """nn.Conv2d / nn.Conv1d built from the weight's shape (or in_channels) and `config`, loaded."""
    out_channels, in_per_group = weight.shape[:2]
    in_channels = in_per_group * config.get("groups", 1) if in_channels is None else in_channels
    layer = getattr(torch.nn, module)(in_channels, out_channels, tuple(weight.shape[2:]),
                                      bias=bias is not None, dtype=weight.dtype, **config)
    layer.load_state_dict({"weight": weight} if bias is None else {"weight": weight, "bias": bias})
    return {"out": layer(input), "params": dict(layer.named_parameters())}
