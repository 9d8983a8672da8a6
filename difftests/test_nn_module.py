"""Module semantics of the implementation under test, compared with torch.nn where they are observable:
parameter / buffer / state_dict keys, order and shapes; load_state_dict errors; train/eval; zero_grad; repr;
and a whole Sequential loaded from torch's state_dict giving torch's outputs and gradients.

The implementation side of each test is a scenario in difftests/scenarios/nn.py; the models come from its
builders, which the tests also apply to torch.nn."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from difftests.scenarios.nn import OPTIONAL_PARAMETERS, build, build_containers, build_deep, describe, shapes

pytestmark = pytest.mark.area_nn


def torch_state_as_arrays(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def assert_raised(observation, builtin: str, pattern: str | None = None) -> None:
    """observation (from scenarios.nn.error_of) is a `builtin` exception whose message matches pattern."""
    assert observation is not None, f"no error; expected {builtin}"
    assert observation["class"] == builtin, f"raised {observation['class']}: {observation['message']}"
    if pattern is not None:
        assert re.search(pattern, observation["message"]), \
            f"message {observation['message']!r} does not match {pattern!r}"


def test_named_parameters_buffers_and_state_dict_match_torch(observe):
    ours, theirs = observe("nn.structure"), describe(build(torch.nn))
    for key in ("parameters", "buffers", "state", "state_dtypes", "parameter_count", "module_types"):
        assert ours[key] == theirs[key], key


@pytest.mark.parametrize("variant", list(OPTIONAL_PARAMETERS))
def test_optional_parameters_are_absent_like_torch(observe, variant):
    theirs = OPTIONAL_PARAMETERS[variant](torch.nn)
    assert observe("nn.optional_parameters", variant=variant)["state"] == shapes(theirs.state_dict().items()), \
        repr(theirs)


def test_sequential_loaded_from_torch_matches_outputs_and_gradients(observe):
    """Same state dict -> same forward values, input gradient and every parameter gradient (float64)."""
    torch.manual_seed(0)
    theirs = build_deep(torch.nn).double()
    for p in theirs.parameters():
        torch.nn.init.normal_(p, std=0.7)
    state = torch_state_as_arrays(theirs)
    x = np.random.default_rng(0).standard_normal((6, 5))
    upstream = np.random.default_rng(1).standard_normal((6, 3))
    ours = observe("nn.deep_sequential", state=state, x=x, upstream=upstream)
    x_theirs = torch.tensor(x, requires_grad=True)
    out_theirs = theirs(x_theirs)
    out_theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours["out"], out_theirs.detach().numpy(), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(ours["x_grad"], x_theirs.grad.numpy(), rtol=1e-7, atol=1e-7)
    grads_theirs = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    assert ours["parameter_names"] == list(grads_theirs)
    for name in grads_theirs:
        np.testing.assert_allclose(ours["parameter_grads"][name], grads_theirs[name], rtol=1e-7, atol=1e-7,
                                   err_msg=name)
    for name, value in theirs.state_dict().items():  # the training step updated the running statistics too
        np.testing.assert_allclose(ours["state"][name], value.numpy(), rtol=1e-7, atol=1e-7, err_msg=name)


def test_load_state_dict_strict_errors_name_the_keys(observe):
    reference = build(torch.nn)
    state = torch_state_as_arrays(reference)
    missing = {k: v for k, v in state.items() if k != "2.bias"}
    unexpected = {**state, "9.weight": np.zeros(3)}
    wrong_shape = {**state, "0.weight": np.zeros((8, 5))}
    got = observe("nn.load_state_dict_strict", state=state, missing=missing, unexpected=unexpected,
                  wrong_shape=wrong_shape)

    assert got["exact"] is None, f"exact keys and shapes must load: {got['exact']}"
    np.testing.assert_array_equal(got["loaded_weight"], state["0.weight"])
    with pytest.raises(RuntimeError, match="2.bias"):
        reference.load_state_dict({k: torch.from_numpy(v) for k, v in missing.items()})
    assert_raised(got["missing"], "RuntimeError", r"2\.bias")
    assert_raised(got["unexpected"], "RuntimeError", r"9\.weight")
    with pytest.raises(RuntimeError):
        reference.load_state_dict({k: torch.from_numpy(v) for k, v in wrong_shape.items()})
    assert_raised(got["wrong_shape"], "RuntimeError", r"0\.weight")


def test_load_state_dict_non_strict_reports_keys_like_torch(observe):
    reference = build(torch.nn)
    state = torch_state_as_arrays(reference)
    # (Not BatchNorm's keys: torch silently fills in a missing num_batches_tracked for old checkpoints.)
    partial = {k: v for k, v in state.items() if not k.startswith("2.") and k != "4.bias"}
    partial["extra.weight"] = np.zeros(2)
    result_theirs = reference.load_state_dict({k: torch.from_numpy(v) for k, v in partial.items()}, strict=False)
    ours = observe("nn.load_state_dict_non_strict", partial=partial)
    assert ours["missing_keys"] == list(result_theirs.missing_keys)
    assert ours["unexpected_keys"] == list(result_theirs.unexpected_keys)


def test_train_and_eval_propagate_to_every_submodule(observe):
    got = observe("nn.train_eval")
    assert got["built"] and all(got["built"])
    assert got["eval_returns_self"] is True
    assert not any(got["after_eval"])
    assert all(got["after_train"])
    assert got["after_one_eval"] == [True, True, True, True, False, True, True]


def test_batch_norm_counts_batches_only_in_training_like_torch(observe):
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    theirs, tensor = torch.nn.BatchNorm1d(3), torch.tensor(x)
    theirs(tensor)
    theirs(tensor)
    theirs.eval()
    theirs(tensor)
    ours = observe("nn.batch_norm_counts", x=x)
    assert ours["num_batches_tracked"] == int(theirs.num_batches_tracked.item()) == 2
    np.testing.assert_allclose(ours["running_mean"], theirs.running_mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours["running_var"], theirs.running_var.numpy(), rtol=1e-6)


def test_to_float64_casts_parameters_and_float_buffers_only(observe):
    ours = observe("nn.structure", to_dtype="float64")
    assert ours["state_dtypes"] == describe(build(torch.nn).to(torch.float64))["state_dtypes"]


def test_zero_grad_sets_gradients_to_none_by_default(observe):
    got = observe("nn.zero_grad")
    assert got["after_backward"] and all(got["after_backward"])
    assert all(g is not None and not np.any(g) for g in got["after_zeroing"])
    assert all(got["after_default"])  # torch's default since 2.0


def test_repr_names_every_layer(observe):
    text = observe("nn.repr")["text"]
    for name in ("Sequential", "Linear", "ReLU", "BatchNorm1d", "LayerNorm", "Embedding"):
        assert name in text
    assert "in_features=4" in text and "out_features=8" in text


def test_bad_input_errors_name_the_shapes(observe):
    got = observe("nn.bad_input")
    assert_raised(got["linear"], "RuntimeError")
    assert "3" in got["linear"]["message"] and "5" in got["linear"]["message"]
    assert_raised(got["layer_norm"], "RuntimeError")
    assert "4" in got["layer_norm"]["message"] and "3" in got["layer_norm"]["message"]
    assert_raised(got["batch_norm_one_sample"], "ValueError", "more than 1 value per channel")
    assert_raised(got["batch_norm_channels"], "RuntimeError")
    assert_raised(got["embedding_index"], "IndexError")


def test_module_list_and_dict_register_children_like_torch(observe):
    ours, theirs = observe("nn.containers"), build_containers(torch.nn)
    assert ours["parameters"] == shapes(theirs.named_parameters())
    assert ours["state"] == shapes(theirs.state_dict().items())
    assert ours["len_blocks"] == len(theirs.blocks) == 2 and ours["len_heads"] == len(theirs.heads) == 2
    assert ours["block_types"] == [type(m).__name__ for m in theirs.blocks]
    assert ours["head_keys"] == list(theirs.heads.keys())
    assert ours["head_b_type"] == "LayerNorm" and ours["block_1_bias_is_none"] is True
    theirs.blocks.append(torch.nn.ReLU())
    assert ours["module_names_after_append"] == [name for name, _ in theirs.named_modules()]
