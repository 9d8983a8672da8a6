"""Conv-area behaviour of the implementation under test, compared with torch where observable: Conv2d/Conv1d
attributes, parameter layout, default init and constructor errors; the vision models' state-dict layout;
a LeNet-5 trained two SGD steps from torch's weights. The implementation side runs as scenarios
(difftests/scenarios/conv.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from difftests.scenarios.conv import ATTRIBUTES, CONSTRUCTOR_ERRORS, CONV_VARIANTS, MODELS, plain
from difftests.scenarios.nn import describe
from reference.models import lenet, mlp, perceptron

pytestmark = pytest.mark.area_conv


class TorchModels:
    LeNet5, MLP, Perceptron = lenet.LeNet5, mlp.MLP, perceptron.Perceptron


@pytest.mark.parametrize("variant", list(CONV_VARIANTS))
def test_conv_parameters_state_dict_and_attributes_match_torch(observe, variant):
    ours, theirs = observe("conv.structure", variant=variant), CONV_VARIANTS[variant](torch.nn)
    described = describe(theirs)
    for key in ("parameters", "buffers", "state", "state_dtypes", "parameter_count"):
        assert ours[key] == described[key], key
    assert ours["attributes"] == {name: plain(getattr(theirs, name)) for name in ATTRIBUTES}


def test_default_init_is_torchs_kaiming_uniform(observe):
    """weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels/groups * kh * kw (torch's
    formula; the RNG streams differ, so bounds and sample moments are checked, with 5-sigma bands)."""
    got = observe("conv.init")
    for prefix, fan_in in (("plain", 8 * 9), ("grouped", 2 * 9)):
        bound = 1 / math.sqrt(fan_in)
        weight, bias = got[f"{prefix}_weight"], got[f"{prefix}_bias"]
        reference = torch.nn.Conv2d(8, 64, 3, groups=1 if prefix == "plain" else 4)
        assert weight.shape == tuple(reference.weight.shape) and bias.shape == (64,)
        for values in (weight, bias):
            assert np.abs(values).max() <= bound
            std = bound / math.sqrt(3)  # of U(-b, b)
            assert abs(values.mean()) < 5 * std / math.sqrt(values.size)
        assert abs(weight.std() - bound / math.sqrt(3)) < 0.1 * bound  # n >= 4608 samples
        assert np.abs(weight).max() > 0.9 * bound  # the whole interval is used, not a narrower one


def test_constructor_errors_match_torchs_classes(observe):
    got = observe("conv.constructor_errors")
    for name, build in CONSTRUCTOR_ERRORS.items():
        with pytest.raises(Exception) as theirs:
            build(torch.nn)
        assert got[name] is not None, f"{name}: no error; torch raises {theirs.type.__name__}: {theirs.value}"
        assert got[name]["class"] == theirs.type.__name__, (name, got[name], str(theirs.value))


def test_output_shapes_batched_and_unbatched_match_torch(observe):
    x = np.random.default_rng(0).standard_normal((2, 4, 9, 7)).astype(np.float32)
    ours = observe("conv.forward_shapes", x=x)
    for name, build in CONV_VARIANTS.items():
        module = build(torch.nn)
        data = x[:, :module.in_channels] if name.startswith("Conv2d") else x[:, :module.in_channels, 0]
        assert ours[name] == list(module(torch.tensor(data)).shape), name
        assert ours[name + " unbatched"] == list(module(torch.tensor(data[0])).shape), name


@pytest.mark.parametrize("model", list(MODELS))
def test_vision_models_state_dict_layout_matches_the_twin(observe, model):
    ours, theirs = observe("conv.models_structure", model=model), describe(MODELS[model](TorchModels))
    for key in ("parameters", "buffers", "state", "state_dtypes", "parameter_count"):
        assert ours[key] == theirs[key], key


def test_lenet_sgd_steps_from_torchs_weights_match_torch(observe):
    torch.manual_seed(0)
    theirs = lenet.LeNet5().double()
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    rng = np.random.default_rng(0)
    x, labels = rng.standard_normal((4, 1, 28, 28)), rng.integers(0, 10, 4)
    ours = observe("conv.lenet_sgd_step", state=state, x=x, labels=labels, lr=0.05)
    optimizer = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(2):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(labels))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    np.testing.assert_allclose(ours["losses"], losses, rtol=1e-10, atol=1e-12)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours["state"][name], value.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
