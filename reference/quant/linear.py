"""torch twin of tiny/quant/linear.py: torch.ao.nn.quantized.dynamic.Linear (engine: torch.backends.quantized.engine,
x86 here, which runs fbgemm's kernels for the dynamic Linear) built by from_float with torch's default dynamic
qconfig (qint8 per-tensor symmetric weights) or per_channel_dynamic_qconfig."""
from __future__ import annotations

import warnings

import torch
import torch.ao.nn.quantized.dynamic as nnqd
from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig


def dynamic_linear_from_float(weight, bias, per_channel=False):
    out_features, in_features = weight.shape
    linear = torch.nn.Linear(in_features, out_features, bias=bias is not None)
    with torch.no_grad():
        linear.weight.copy_(weight.float())
        if bias is not None:
            linear.bias.copy_(bias.float())
    linear.qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nnqd.Linear.from_float(linear)


def dynamic_linear_outputs(input, weight, bias=None, per_channel=False):
    """(output, weight codes (out, in) int8, weight scales float64, weight zero points int64)."""
    layer = dynamic_linear_from_float(weight, bias, per_channel)
    if input.dtype == torch.float32 and not torch.isfinite(input).all():
        raise RuntimeError("dynamic Linear: NaN or ±inf input (torch returns arbitrary values; tiny raises)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = layer(input)
    qweight = layer.weight()
    if per_channel:
        scales, zero_points = qweight.q_per_channel_scales(), qweight.q_per_channel_zero_points()
    else:
        scales = torch.tensor([qweight.q_scale()], dtype=torch.float64)
        zero_points = torch.tensor([qweight.q_zero_point()], dtype=torch.int64)
    return out, qweight.int_repr(), scales, zero_points
