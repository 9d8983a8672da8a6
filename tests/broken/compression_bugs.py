"""tiny with three planted compression bugs, each a classic student mistake:

1. quantize_per_tensor rounds half AWAY from zero (np.floor(v + 0.5) style) instead of half to even
                                                                   -> pair "quant.quantize_per_tensor"
2. quantize_per_channel does not clamp (check) the zero points to the dtype's range: 300 for qint8 is accepted
                                                                   -> pair "quant.quantize_per_channel"
3. global_unstructured prunes each layer by `amount` separately instead of over all weights together
                                                                   -> pair "prune.global_unstructured"
Everything else is tiny's.
"""
import types

import numpy as np

import tiny
from tiny import *  # noqa: F401,F403
from tiny.quant.qtensor import QuantizedTensor, _check_input, _check_scales, _check_zero_points
from tiny.quant.qtypes import to_qdtype


def quantize_per_tensor(input, scale, zero_point, dtype):
    qdtype = to_qdtype(dtype, "quantize_per_tensor")
    x = _check_input("quantize_per_tensor", input)
    _check_scales("quantize_per_tensor", np.array([float(scale)]))
    _check_zero_points("quantize_per_tensor", np.array([int(zero_point)]), qdtype)
    shifted = x * (np.float32(1) / np.float32(scale)) + np.float32(zero_point)
    rounded = np.sign(shifted) * np.floor(np.abs(shifted) + 0.5)          # bug 1: half away from zero
    codes = np.clip(rounded.astype(np.float64), qdtype.qmin, qdtype.qmax).astype(qdtype.storage)  # float64: qint32's 2**31 - 1
    return QuantizedTensor(codes, qdtype, np.array([float(scale)]), np.array([int(zero_point)], np.int64))


def quantize_per_channel(input, scales, zero_points, axis, dtype):
    qdtype = to_qdtype(dtype, "quantize_per_channel")
    clamped = np.clip(zero_points.data, qdtype.qmin, qdtype.qmax)    # bug 2: out-of-range zero points pass silently
    return tiny.quantize_per_channel(input, scales, tiny.tensor(clamped.astype(np.int64)), axis, dtype)


def _global_per_layer(parameters, pruning_method, importance_scores=None, **kwargs):
    for module, name in parameters:                                   # bug 3: per layer, not global
        pruning_method.apply(module, name, **kwargs)


prune = types.SimpleNamespace(**{k: v for k, v in vars(tiny.nn.utils.prune).items() if not k.startswith("__")})
prune.global_unstructured = _global_per_layer
nn = types.SimpleNamespace(**{k: v for k, v in vars(tiny.nn).items() if not k.startswith("__")})
nn.utils = types.SimpleNamespace(**{k: v for k, v in vars(tiny.nn.utils).items() if not k.startswith("__")})
nn.utils.prune = prune
