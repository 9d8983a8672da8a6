"""torch twin of tiny/nn/utils/prune.py: torch.nn.utils.prune itself, driven by a list of steps."""
from __future__ import annotations

import torch
import torch.nn.utils.prune as prune


def _linear(weight, bias):
    out_features, in_features = weight.shape
    layer = torch.nn.Linear(in_features, out_features, dtype=weight.dtype)
    layer.load_state_dict({"weight": weight, "bias": bias})
    return layer


def _run(layer, steps):
    for fn, kwargs in steps:
        kwargs = dict(kwargs)
        name = kwargs.pop("name", "weight")
        if "mask" in kwargs:
            kwargs["mask"] = torch.tensor(kwargs["mask"], dtype=layer.weight.dtype)
        getattr(prune, fn)(layer, name, **kwargs)


def _mask(layer, dtype):
    return getattr(layer, "weight_mask", torch.zeros(0, dtype=dtype))


def prune_linear(weight, bias, x, steps):
    """(effective weight, weight_mask or an empty tensor, output) after applying `steps` to one Linear."""
    layer = _linear(weight, bias)
    _run(layer, steps)
    return layer.weight, _mask(layer, weight.dtype), layer(x)


def prune_global(w1, b1, w2, b2, x, steps, amount):
    """Two Linears: `steps` (per-layer calls, as (fn, kwargs with 'layer')) then global L1 pruning of both
    weights with `amount`; (mask 1, mask 2, output of layer2(relu(layer1(x))))."""
    first, second = _linear(w1, b1), _linear(w2, b2)
    layers = [first, second]
    for fn, kwargs in steps:
        kwargs = dict(kwargs)
        getattr(prune, fn)(layers[kwargs.pop("layer")], "weight", **kwargs)
    prune.global_unstructured([(first, "weight"), (second, "weight")], pruning_method=prune.L1Unstructured,
                              amount=amount)
    return first.weight_mask, second.weight_mask, second(torch.relu(first(x)))
