"""Scenarios of the quant area (torch-free), compared with torch in difftests/test_quant.py: whole-model dynamic
and static quantization of a nested MLP, the bytes stored, and the observers' module state."""
from __future__ import annotations

import numpy as np

from difftests.scenarios import array, attempt, scenario


def build_mlp(lib, sizes: list, state: dict):
    """Sequential(Sequential(Linear, ReLU), ..., Linear): a nested tree, so replacement must recurse."""
    nn = lib.nn
    blocks = [nn.Sequential(nn.Linear(a, b), nn.ReLU()) for a, b in zip(sizes[:-2], sizes[1:-1])]
    model = nn.Sequential(*blocks, nn.Linear(sizes[-2], sizes[-1]))
    model.load_state_dict({key: lib.tensor(value) for key, value in state.items()})
    return model


def _describe(lib, model, quantized, x) -> dict:
    state = quantized.state_dict()
    return {"out": array(quantized(lib.tensor(x))),
            "float_out": array(model(lib.tensor(x))),
            "state_dtypes": {key: str(value.dtype).split(".")[-1] for key, value in state.items()},
            "module_types": [type(m).__name__ for m in quantized.modules()],
            "float_bytes": int(lib.quant.model_size_bytes(model)),
            "quantized_bytes": int(lib.quant.model_size_bytes(quantized))}


@scenario("quant.quantize_dynamic")
def quantize_dynamic(lib, sizes: list, state: dict, x: np.ndarray, per_channel: bool) -> dict:
    model = build_mlp(lib, sizes, state)
    quantized = lib.quant.quantize_dynamic(model, {lib.nn.Linear}, dtype=lib.qint8, per_channel=per_channel)
    observed = _describe(lib, model, quantized, x)
    observed["original_untouched"] = all(type(m).__name__ != "DynamicQuantizedLinear" for m in model.modules())
    observed["bad_dtype"] = attempt(lambda: lib.quant.quantize_dynamic(model, dtype=lib.quint8) and "returned")
    return observed


@scenario("quant.quantize_static")
def quantize_static(lib, sizes: list, state: dict, x: np.ndarray, calibration: list) -> dict:
    model = build_mlp(lib, sizes, state)
    quantized = lib.quant.quantize_static(model, [lib.tensor(batch) for batch in calibration])
    observed = _describe(lib, model, quantized, x)
    layers = [m for m in quantized.modules() if type(m).__name__ == "QuantizedLinear"]
    observed["input_qparams"] = [[float(m.input_scale.data[0]), int(m.input_zero_point.data[0])] for m in layers]
    observed["no_calibration"] = attempt(lambda: lib.quant.quantize_static(model, []) and "returned")
    return observed


@scenario("quant.observer_state")
def observer_state(lib, x: np.ndarray) -> dict:
    obs = lib.quant.MinMaxObserver()
    obs(lib.tensor(x))
    keys = sorted(obs.state_dict())
    obs.reset_min_max_vals()
    scale, zero_point = obs.calculate_qparams()
    per_channel = lib.quant.PerChannelMinMaxObserver(ch_axis=0)
    per_channel(lib.tensor(x))
    return {"keys": keys, "after_reset": [array(obs.min_val), array(obs.max_val), array(scale), array(zero_point)],
            "returns_input": bool(obs(lib.tensor(x)) is not None),
            "per_channel_keys": sorted(per_channel.state_dict()),
            "channel_mismatch": attempt(lambda: per_channel(lib.tensor(x[:1])) and "returned")}
