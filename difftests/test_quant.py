"""Whole-model quantization and observer state, compared with torch (implementation side: the scenarios in
difftests/scenarios/quant.py).

- quantize_dynamic on a nested MLP: every Linear replaced (the tree is walked), state_dict holds int8 codes, the
  original model untouched, outputs within 1 float32 ulp of torch.ao.quantization.quantize_dynamic on the same
  weights (see DYNAMIC_TOLERANCE in difftests/pairs/quant.py), stored bytes <= 0.27x the float model's.
- quantize_static: the calibrated activation qparams equal torch's MinMaxObserver(quint8, reduce_range=True) on
  the same calibration inputs, layer by layer; outputs match a float64 torch computation of the same integer
  model (fake-quantized input and weights) to 1e-5 relative (float32 accumulation order and rounding).
- observers: state_dict keys as torch's, reset_min_max_vals, a channel-count change is an error.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch.ao.quantization import MinMaxObserver, per_channel_dynamic_qconfig, quantize_dynamic

pytestmark = pytest.mark.area_quant
SIZES = [20, 16, 12, 5]


def mlp_state(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    state = {}
    names = [f"{i}.0" for i in range(len(SIZES) - 2)] + [str(len(SIZES) - 2)]
    for name, (a, b) in zip(names, zip(SIZES[:-1], SIZES[1:])):
        state[f"{name}.weight"] = (rng.standard_normal((b, a)) / np.sqrt(a)).astype(np.float32)
        state[f"{name}.bias"] = (rng.standard_normal(b) * 0.1).astype(np.float32)
    return state


def torch_mlp(state: dict) -> torch.nn.Module:
    blocks = [torch.nn.Sequential(torch.nn.Linear(a, b), torch.nn.ReLU()) for a, b in zip(SIZES[:-2], SIZES[1:-1])]
    model = torch.nn.Sequential(*blocks, torch.nn.Linear(SIZES[-2], SIZES[-1]))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return model


@pytest.mark.parametrize("per_channel", [False, True], ids=["per tensor", "per channel"])
def test_quantize_dynamic_matches_torch(observe, per_channel):
    state = mlp_state()
    x = np.random.default_rng(1).standard_normal((6, SIZES[0])).astype(np.float32)
    got = observe("quant.quantize_dynamic", sizes=SIZES, state=state, x=x, per_channel=per_channel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = {torch.nn.Linear: per_channel_dynamic_qconfig} if per_channel else {torch.nn.Linear}
        want = quantize_dynamic(torch_mlp(state), spec, dtype=torch.qint8)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got["out"], want, rtol=1.2e-7, atol=0)
    assert got["module_types"].count("DynamicQuantizedLinear") == len(SIZES) - 1, got["module_types"]
    assert "Linear" not in got["module_types"], "a Linear was left unquantized"
    int8_keys = [k for k, v in got["state_dtypes"].items() if v == "int8"]
    assert len(int8_keys) == len(SIZES) - 1, f"state_dict must hold the int8 codes: {got['state_dtypes']}"
    assert not [k for k, v in got["state_dtypes"].items() if k.endswith("weight") and v.startswith("float")]
    assert got["original_untouched"], "quantize_dynamic(inplace=False) modified the float model"
    layers = list(zip(SIZES[:-1], SIZES[1:]))
    assert got["float_bytes"] == sum(4 * (a * b + b) for a, b in layers)
    # int8 codes + float32 bias + one float64 scale and one int64 zero point per tensor or per output row
    assert got["quantized_bytes"] == sum(a * b + 4 * b + 16 * (b if per_channel else 1) for a, b in layers), got
    assert got["bad_dtype"]["__raised__"][0] == "ValueError"


def test_quantize_static_qparams_equal_torch_observers(observe):
    state = mlp_state(2)
    rng = np.random.default_rng(3)
    calibration = [rng.standard_normal((8, SIZES[0])).astype(np.float32) for _ in range(3)]
    x = rng.standard_normal((5, SIZES[0])).astype(np.float32)
    got = observe("quant.quantize_static", sizes=SIZES, state=state, x=x, calibration=calibration)
    model = torch_mlp(state)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    observers = [MinMaxObserver(dtype=torch.quint8, reduce_range=True) for _ in linears]
    hooks = [lin.register_forward_pre_hook(lambda mod, args, o=o: o(args[0])) for lin, o in zip(linears, observers)]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for batch in calibration:
            model(torch.from_numpy(batch))
        for hook in hooks:
            hook.remove()
        want_qparams = [[float(o.calculate_qparams()[0]), int(o.calculate_qparams()[1])] for o in observers]
    assert got["input_qparams"] == want_qparams

    def fake_quant_forward(t: torch.Tensor) -> torch.Tensor:  # the same integer model, in float64
        for lin, (scale, zero_point) in zip(linears, want_qparams):
            t = torch.fake_quantize_per_tensor_affine(t.float(), scale, zero_point, 0, 127).double()
            w = lin.weight.detach()
            w_scale = float(w.abs().max()) / 127.5
            w_hat = torch.fake_quantize_per_tensor_affine(w, w_scale, 0, -128, 127).double()
            t = t @ w_hat.T + lin.bias.detach().double()
            if lin is not linears[-1]:
                t = torch.relu(t)
        return t

    want = fake_quant_forward(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got["out"], want, rtol=1e-5, atol=1e-5)
    assert got["no_calibration"]["__raised__"][0] == "ValueError"


def test_observer_state_matches_torch(observe):
    x = np.linspace(-2, 3, 12).reshape(3, 4).astype(np.float32)
    got = observe("quant.observer_state", x=x)
    obs = MinMaxObserver()
    obs(torch.from_numpy(x))
    assert got["keys"] == sorted(obs.state_dict())
    obs.reset_min_max_vals()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scale, zero_point = obs.calculate_qparams()
    for mine, theirs in zip(got["after_reset"], [obs.min_val, obs.max_val, scale, zero_point]):
        np.testing.assert_array_equal(mine, theirs.numpy())
        assert mine.dtype == theirs.numpy().dtype
    from torch.ao.quantization import PerChannelMinMaxObserver
    assert got["per_channel_keys"] == sorted(PerChannelMinMaxObserver().state_dict())
    assert got["returns_input"]
    assert "__raised__" in got["channel_mismatch"]

