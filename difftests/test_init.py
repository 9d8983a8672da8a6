"""nn.init of the implementation under test: bounds and stds equal torch's formulas, sample statistics lie in
statistically justified bands, errors where torch errors, and the in-place contract.

The random streams differ from torch's, so values are never compared. Instead, for each initializer:
- the expected bound/std comes from torch itself (torch.nn.init.calculate_gain and torch's fan computation);
- uniform: every |value| <= bound, and the largest |value| is within bound * (1 - delta) of it, where
  P(all n draws below bound * (1 - delta)) = (1 - delta)^n <= 1e-9 (so a wrong bound cannot pass);
- the sample mean and variance lie within Z = 6 standard errors (two-sided p ~ 2e-9) of the target:
  SE(mean) = std / sqrt(n), SE(var) = sqrt((mu4 - std^4) / n) with mu4 = 9/5 std^4 (uniform), 3 std^4 (normal).
The implementation side of each test is a scenario in difftests/scenarios/nn.py (it returns the values; the
statistics are computed here).
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.area_nn

Z = 6.0
FAILURE_PROBABILITY = 1e-9
SHAPES = [(300, 500), (500, 300), (128, 64, 3, 3), (40, 2000)]  # conv weights: receptive field 3*3


def torch_fans(shape) -> tuple[int, int]:
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def gain(nonlinearity: str, param=None) -> float:
    return torch.nn.init.calculate_gain(nonlinearity, param)


# (initializer, kwargs, torch's bound (uniform) or std (normal) from (fan_in, fan_out))
UNIFORM = [
    ("xavier_uniform_", {}, lambda fi, fo: math.sqrt(6.0 / (fi + fo))),
    ("xavier_uniform_", {"gain": 5.0 / 3}, lambda fi, fo: gain("tanh") * math.sqrt(6.0 / (fi + fo))),
    ("kaiming_uniform_", {}, lambda fi, fo: gain("leaky_relu", 0) * math.sqrt(3.0 / fi)),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, lambda fi, fo: gain("leaky_relu", math.sqrt(5)) * math.sqrt(3.0 / fi)),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"},
     lambda fi, fo: gain("relu") * math.sqrt(3.0 / fo)),
    ("kaiming_uniform_", {"nonlinearity": "tanh"}, lambda fi, fo: gain("tanh") * math.sqrt(3.0 / fi)),
]
NORMAL = [
    ("xavier_normal_", {}, lambda fi, fo: math.sqrt(2.0 / (fi + fo))),
    ("xavier_normal_", {"gain": 2.0}, lambda fi, fo: 2.0 * math.sqrt(2.0 / (fi + fo))),
    ("kaiming_normal_", {}, lambda fi, fo: gain("leaky_relu", 0) / math.sqrt(fi)),
    ("kaiming_normal_", {"a": 0.2}, lambda fi, fo: gain("leaky_relu", 0.2) / math.sqrt(fi)),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, lambda fi, fo: gain("relu") / math.sqrt(fo)),
    ("kaiming_normal_", {"nonlinearity": "selu"}, lambda fi, fo: gain("selu") / math.sqrt(fi)),
]


def ids(cases):
    return [f"{name}({', '.join(f'{k}={v:.3g}' if isinstance(v, float) else f'{k}={v}' for k, v in kw.items())})"
            for name, kw, _ in cases]


def initialized(observe, name: str, shape, dtype="float32", **kwargs) -> np.ndarray:
    got = observe("nn.init", initializer=name, shape=shape, dtype=dtype, kwargs=kwargs)
    assert got["returned_the_tensor"] is True, f"{name} must return the tensor it filled (in place), as torch"
    return np.asarray(got["values"], dtype=np.float64)


def assert_value_error(observation, pattern: str) -> None:
    """observation (from scenarios.nn.error_of) is a ValueError whose message matches pattern."""
    assert observation is not None, "no error; expected ValueError"
    assert observation["class"] == "ValueError", f"raised {observation['class']}: {observation['message']}"
    assert re.search(pattern, observation["message"]), f"message {observation['message']!r} does not match {pattern!r}"


def check_moments(values: np.ndarray, mean: float, std: float, fourth_moment_ratio: float) -> None:
    n = values.size
    se_mean = std / math.sqrt(n)
    se_var = std * std * math.sqrt((fourth_moment_ratio - 1.0) / n)
    assert abs(values.mean() - mean) <= Z * se_mean, \
        f"sample mean {values.mean():.6g}, expected {mean:.6g} ± {Z * se_mean:.3g} (n={n})"
    variance = values.var()
    assert abs(variance - std * std) <= Z * se_var, \
        f"sample std {math.sqrt(variance):.6g}, expected {std:.6g} (variance band ± {Z * se_var:.3g}, n={n})"


def check_uniform(values: np.ndarray, low: float, high: float) -> None:
    n, width = values.size, high - low
    slack = 1e-6 * max(abs(low), abs(high))  # float32 rounding of the bounds
    assert values.min() >= low - slack and values.max() <= high + slack, \
        f"values span [{values.min():.6g}, {values.max():.6g}], expected within [{low:.6g}, {high:.6g}]"
    delta = -math.log(FAILURE_PROBABILITY) / n  # (1 - delta)^n ~ exp(-n delta) = 1e-9
    assert values.max() >= high - delta * width and values.min() <= low + delta * width, \
        f"values span [{values.min():.6g}, {values.max():.6g}]: too narrow for U({low:.6g}, {high:.6g}) with n={n}"
    check_moments(values, (low + high) / 2, width / math.sqrt(12), 9.0 / 5)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name, kwargs, bound_of", UNIFORM, ids=ids(UNIFORM))
def test_uniform_initializers_use_torchs_bound(observe, name, kwargs, bound_of, shape):
    bound = bound_of(*torch_fans(shape))
    check_uniform(initialized(observe, name, shape, **kwargs), -bound, bound)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name, kwargs, std_of", NORMAL, ids=ids(NORMAL))
def test_normal_initializers_use_torchs_std(observe, name, kwargs, std_of, shape):
    std = std_of(*torch_fans(shape))
    values = initialized(observe, name, shape, **kwargs)
    check_moments(values, 0.0, std, 3.0)
    # Normal, not some other law with this std: P(|x| > 2 std) = 4.55% (0 for a uniform), binomial band.
    tail = 2 * 0.5 * math.erfc(2 / math.sqrt(2))
    n = values.size
    count = int(np.sum(np.abs(values) > 2 * std))
    assert abs(count - n * tail) <= Z * math.sqrt(n * tail * (1 - tail)), \
        f"{count} of {n} values beyond 2 std, a normal gives {n * tail:.0f}"


def test_uniform_and_normal_with_arguments(observe):
    check_uniform(initialized(observe, "uniform_", (400, 300), a=-2.0, b=3.0), -2.0, 3.0)
    check_moments(initialized(observe, "normal_", (400, 300), mean=1.5, std=0.3), 1.5, 0.3, 3.0)
    check_uniform(initialized(observe, "uniform_", (120000,)), 0.0, 1.0)  # defaults U(0, 1), any dims
    check_moments(initialized(observe, "normal_", (120000,)), 0.0, 1.0, 3.0)  # defaults N(0, 1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_constant_zeros_ones(observe, dtype):
    got = observe("nn.init_constants", dtype=dtype)
    for name, value in [("constant_", 2.5), ("zeros_", 0.0), ("ones_", 1.0)]:
        assert got[name]["returned_the_tensor"] is True, name
        np.testing.assert_array_equal(got[name]["values"], np.full((3, 4), value))
        assert got[name]["dtype"] == dtype


@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("shape", [(5,), ()], ids=["1-d", "0-d"])
def test_fewer_than_two_dims_is_an_error_like_torch(observe, name, shape):
    with pytest.raises(ValueError):
        getattr(torch.nn.init, name)(torch.empty(shape))
    assert_value_error(observe("nn.init_error", initializer=name, shape=shape)["error"], "(?i)fan")


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_bad_mode_is_an_error_like_torch(observe, name):
    with pytest.raises(ValueError):
        getattr(torch.nn.init, name)(torch.empty(3, 4), mode="fan_avg")
    got = observe("nn.init_error", initializer=name, shape=(3, 4), kwargs={"mode": "fan_avg"})
    assert_value_error(got["error"], "fan_avg")


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_on_zero_elements_warns_and_is_a_no_op_like_torch(observe, name):
    with pytest.warns(UserWarning, match="zero-element"):
        getattr(torch.nn.init, name)(torch.empty(0, 3))
    got = observe("nn.init_zero_elements", initializer=name)
    assert any(w["user_warning"] and re.search("zero-element", w["message"]) for w in got["warnings"]), \
        f"no UserWarning matching 'zero-element' among {got['warnings']}"
    assert got["returned_the_tensor"] is True
    assert got["shape"] == [0, 3]


def test_initializers_write_in_place(observe):
    """Views of the tensor's array see the new values (torch's in-place semantics)."""
    got = observe("nn.init_in_place")
    assert np.any(got["view_after_kaiming"] != 0), "the initializer replaced .data instead of filling it in place"
    np.testing.assert_array_equal(got["view_after_constant"], 3.0)


def test_float64_tensors_stay_float64(observe):
    dtypes = observe("nn.init_float64")["dtypes"]
    for name in ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_"):
        assert dtypes[name] == "float64", name


def test_seeded_and_generator_streams_are_reproducible(observe):
    got = observe("nn.init_streams", seed=123, generator_seed=7)
    np.testing.assert_array_equal(got["reseeded"], got["first"])
    assert not np.array_equal(got["consecutive"], got["first"]), \
        "consecutive draws from the global generator must differ"
    np.testing.assert_array_equal(got["generator"][1], got["generator"][0])


def test_layer_default_initialization_follows_torch(observe):
    """Linear: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)); Embedding: N(0, 1); norms: ones and zeros."""
    got = observe("nn.layer_default_init")
    bound = gain("leaky_relu", math.sqrt(5)) * math.sqrt(3.0 / torch_fans((300, 400))[0])
    assert math.isclose(bound, 1 / math.sqrt(400))
    check_uniform(np.asarray(got["linear_weight"], np.float64), -bound, bound)
    bias = np.asarray(got["linear_bias"], np.float64)
    assert np.all(np.abs(bias) <= bound * (1 + 1e-6))
    # 300 draws: P(max |b| < 0.9 bound) = 0.9^300 ~ 2e-14, so the bias bound is 1/sqrt(in), not smaller.
    assert np.abs(bias).max() >= 0.9 * bound
    assert got["embedding_weight"].shape == (1000, 100)
    check_moments(np.asarray(got["embedding_weight"], np.float64), 0.0, 1.0, 3.0)
    np.testing.assert_array_equal(got["padded_weight"][3], 0.0)
    assert set(got["norms"]) == {"LayerNorm", "BatchNorm1d"}
    for name, norm in got["norms"].items():
        assert norm["weight"].shape == norm["bias"].shape == (6,), name
        np.testing.assert_array_equal(norm["weight"], 1.0, err_msg=name)
        np.testing.assert_array_equal(norm["bias"], 0.0, err_msg=name)
