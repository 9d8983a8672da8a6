"""Whole-model quantization: `quantize_dynamic` (int8 weights, activations quantized per call), `quantize_static`
(int8 weights, activations quantized with qparams calibrated on explicit data) and `model_size_bytes`."""
from __future__ import annotations

import copy
from typing import Iterable

import numpy as np

from tiny.nn.linear import Linear
from tiny.nn.module import Module
from tiny.quant.linear import DynamicQuantizedLinear, QuantizedLinear
from tiny.quant.observer import MinMaxObserver
from tiny.quant.qtypes import qint8, quint8, to_qdtype
from tiny.tensor import Tensor

__all__ = ["quantize_dynamic", "quantize_static", "model_size_bytes"]


def _targets(qconfig_spec) -> tuple[type, ...]:
    if qconfig_spec is None:
        return (Linear,)
    types = tuple(qconfig_spec)
    unsupported = [t for t in types if not (isinstance(t, type) and issubclass(t, Linear))]
    if unsupported:
        raise ValueError(f"quantize: only tiny.nn.Linear layers have a quantized version, got {unsupported}")
    return types


def _replace(module: Module, targets: tuple, make) -> int:
    """Swap every submodule whose type is in `targets` for make(name, child), depth first; returns the count."""
    count = 0
    for name, child in list(module._modules.items()):
        if child is None:
            continue
        if type(child) in targets:
            module._modules[name] = make(child)
            count += 1
        else:
            count += _replace(child, targets, make)
    return count


def quantize_dynamic(model: Module, qconfig_spec: Iterable[type] | None = None, dtype=qint8, inplace: bool = False,
                     per_channel: bool = False) -> Module:
    """Every Linear of the tree (types in qconfig_spec, default {tiny.nn.Linear}) becomes a DynamicQuantizedLinear
    with int8 weights; the result's state_dict holds the int8 codes. As torch.ao.quantization.quantize_dynamic;
    `per_channel=True` stands for torch's per_channel_dynamic_qconfig (one weight scale per output row)."""
    if to_qdtype(dtype, "quantize_dynamic") is not qint8:
        raise ValueError(f"quantize_dynamic: dtype must be tiny.qint8, got {dtype}")
    targets = _targets(qconfig_spec)
    model = model if inplace else copy.deepcopy(model)
    if type(model) in targets:
        return DynamicQuantizedLinear.from_float(model, per_channel=per_channel)
    _replace(model, targets, lambda child: DynamicQuantizedLinear.from_float(child, per_channel=per_channel))
    return model


class _Observed(Module):
    """A Linear with a MinMaxObserver (quint8, reduce_range) on its input, used during calibration."""

    def __init__(self, linear: Linear) -> None:
        super().__init__()
        self.linear = linear
        self.observer = MinMaxObserver(dtype=quint8, reduce_range=True)

    def forward(self, input: Tensor) -> Tensor:
        return self.linear(self.observer(input))


def quantize_static(model: Module, calibration_data: Iterable, qconfig_spec: Iterable[type] | None = None,
                    inplace: bool = False, per_channel: bool = False) -> Module:
    """Calibrate then convert: observers watch every Linear's input while `model(batch)` runs on each batch of
    `calibration_data` (Tensors, or tuples whose first element is the input), then each Linear becomes a
    QuantizedLinear whose activation (scale, zero_point) are the observer's. Inputs outside the calibrated range
    clamp at inference. torch's eager static flow is prepare / calibrate / convert; this is the three in one."""
    targets = _targets(qconfig_spec)
    model = model if inplace else copy.deepcopy(model)
    was_training = model.training
    model.eval()
    observed = []

    def observe(child):
        observed.append(_Observed(child))
        return observed[-1]

    if _replace(model, targets, observe) == 0:
        raise ValueError("quantize_static: the model has no Linear layer to quantize")
    batches = 0
    for batch in calibration_data:
        model(batch[0] if isinstance(batch, (tuple, list)) else batch)
        batches += 1
    if batches == 0:
        raise ValueError("quantize_static: calibration_data is empty; the activation ranges are unknown")
    lookup = {id(o): o for o in observed}
    _replace(model, (_Observed,), lambda o: QuantizedLinear.from_observed(lookup[id(o)].linear,
                                                                          lookup[id(o)].observer, per_channel))
    return model.train(was_training)


def model_size_bytes(model: Module) -> int:
    """Bytes actually stored in the model's parameters and buffers (each distinct array counted once, so tied
    weights count once): int8 codes count 1 byte each, their scales and zero points 8 bytes each."""
    seen, total = set(), 0
    for tensor in list(model.parameters()) + list(model.buffers()):
        array = tensor.data
        base = array.base if array.base is not None else array
        if id(base) in seen:
            continue
        seen.add(id(base))
        total += int(np.asarray(base).nbytes)
    return total
