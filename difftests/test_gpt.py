"""The GPT beyond per-case values (those are the models.GPT pair in difftests/pairs/gpt.py): causal masking,
the state-dict layout and its interchangeability with the torch twin, weight tying, init, dropout modes and
bad inputs. The implementation side runs as scenarios (difftests/scenarios/gpt.py); torch runs here, on the
twin in reference/models/gpt.py.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from difftests.pairs.gpt import parameter_shapes, random_parameters
from reference.models.gpt import GPT, GPTConfig

pytestmark = pytest.mark.area_gpt

CONFIG = {"vocab_size": 13, "context_length": 10, "n_layer": 2, "n_head": 2, "d_model": 8, "dropout": 0.0,
          "bias": True, "tie_weights": True}
LAYOUTS = [pytest.param({"tie_weights": tie, "bias": bias}, id=f"{'tied' if tie else 'untied'}-"
                        f"{'bias' if bias else 'nobias'}") for tie in (True, False) for bias in (True, False)]


def twin(config: dict, dtype: str = "float64", state: dict | None = None) -> GPT:
    model = GPT(GPTConfig(**config)).to(getattr(torch, dtype))
    if state is not None:
        model.load_state_dict({key: torch.from_numpy(np.asarray(value)) for key, value in state.items()})
    return model.eval()


def random_state(config: dict, seed: int = 0, dtype: str = "float64") -> dict:
    """A full state dict (head.weight included, equal to tok_emb.weight when tied) of O(1) activations."""
    state = dict(zip([name for name, _ in parameter_shapes(config)], random_parameters(config, seed, dtype)))
    if config["tie_weights"]:
        state["head.weight"] = state["tok_emb.weight"]
    return state


def twin_logits(model: GPT, idx: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(idx))[0].numpy()


def refused(observation: dict, classes: tuple) -> str:
    """The message of an attempt() that must have raised one of `classes` (builtin class names)."""
    assert isinstance(observation, dict) and "__raised__" in observation, f"expected an error, got {observation!r}"
    assert observation["__raised__"][0] in classes, observation["__raised__"]
    return observation["__raised__"][1]


# ------------------------------------------------------------------ layout and state dicts
@pytest.mark.parametrize("layout", LAYOUTS)
def test_state_dict_keys_shapes_and_parameters_equal_the_twins(observe, layout):
    config = {**CONFIG, **layout}
    got = observe("gpt.structure", config=config)
    model = twin(config, "float32")
    assert got["state"] == [[key, list(value.shape), "float32"] for key, value in model.state_dict().items()]
    assert got["parameters"] == [[name, list(p.shape)] for name, p in model.named_parameters()]
    assert got["head_is_tok_emb"] is config["tie_weights"]
    assert got["mlp"] == ["Linear", "GELU", "Linear"]
    # The pairs load parameters in parameter_shapes order: it must be the twin's state-dict order.
    distinct = [key for key in model.state_dict() if not (config["tie_weights"] and key == "head.weight")]
    assert [[name, list(shape)] for name, shape in parameter_shapes(config)] == \
        [[key, list(model.state_dict()[key].shape)] for key in distinct]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_state_dicts_load_both_ways(observe, layout):
    """torch's state dict loads into the implementation, and the implementation's own (fresh) state dict
    loads into torch (strict keys): both give the same logits on both sides."""
    config = {**CONFIG, **layout}
    idx = np.random.default_rng(1).integers(0, config["vocab_size"], (2, config["context_length"]))
    torch_model = twin(config, state=random_state(config))
    torch_state = {key: value.numpy() for key, value in torch_model.state_dict().items()}
    got = observe("gpt.forward", config=config, dtype="float64", state=torch_state, inputs=[(idx, None)])
    np.testing.assert_allclose(got["outputs"][0]["logits"], twin_logits(torch_model, idx), rtol=1e-9, atol=1e-9)

    fresh = observe("gpt.structure", config=config, dtype="float64")["values"]
    assert set(fresh) == set(torch_state)
    if config["tie_weights"]:
        np.testing.assert_array_equal(fresh["head.weight"], fresh["tok_emb.weight"])
    torch_model = twin(config, state=fresh)  # strict: raises on a missing or unexpected key
    got = observe("gpt.forward", config=config, dtype="float64", state=fresh, inputs=[(idx, None)])
    np.testing.assert_allclose(got["outputs"][0]["logits"], twin_logits(torch_model, idx), rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ causal masking
@pytest.mark.parametrize("position", [0, 3, 9])
def test_changing_a_token_changes_only_its_own_and_later_logits(observe, position):
    config = {**CONFIG, "tie_weights": False}
    state = random_state(config, seed=2)
    rng = np.random.default_rng(position)
    idx = rng.integers(0, config["vocab_size"], (2, config["context_length"]))
    changed = idx.copy()
    changed[:, position] = (idx[:, position] + 1 + rng.integers(0, config["vocab_size"] - 1, 2)) % config["vocab_size"]
    got = observe("gpt.forward", config=config, dtype="float64", state=state, inputs=[(idx, None), (changed, None)])
    before, after = got["outputs"][0]["logits"], got["outputs"][1]["logits"]
    torch_model = twin(config, state=state)
    np.testing.assert_allclose(before, twin_logits(torch_model, idx), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(after, twin_logits(torch_model, changed), rtol=1e-9, atol=1e-9)
    # Earlier positions cannot see the change (bit-for-bit up to float64 rounding of equal sums) ...
    np.testing.assert_allclose(after[:, :position], before[:, :position], rtol=0, atol=1e-12)
    # ... while the changed position and every later one do.
    moved = np.abs(after[:, position:] - before[:, position:]).max(axis=-1)   # (B, T - position)
    assert (moved > 1e-6).all(), f"logits at positions >= {position} did not change: {moved}"


# ------------------------------------------------------------------ weight tying
def test_tied_weights_share_one_parameter_and_sum_both_gradients(observe):
    config = CONFIG
    state = random_state(config, seed=3)
    rng = np.random.default_rng(3)
    idx, targets = (rng.integers(0, config["vocab_size"], (3, 7)) for _ in range(2))
    got = observe("gpt.gradients", config=config, dtype="float64", state=state, idx=idx, targets=targets)
    assert got["head_is_tok_emb"] is True
    assert "head.weight" not in got["grads"], "a tied head.weight must not be listed as a second parameter"
    # The same weights untied in torch: the tied gradient is the sum of the embedding's and the head's.
    untied = twin({**config, "tie_weights": False}, state=state)
    loss = untied(torch.from_numpy(idx), torch.from_numpy(targets))[1]
    loss.backward()
    assert got["loss"] == pytest.approx(loss.item(), rel=1e-12)
    both_uses = untied.tok_emb.weight.grad + untied.head.weight.grad
    np.testing.assert_allclose(got["grads"]["tok_emb.weight"], both_uses.numpy(), rtol=1e-9, atol=1e-12)
    for use in (untied.head.weight, untied.tok_emb.weight):  # both uses contribute
        assert np.abs(use.grad.numpy()).max() > 1e-3
    for name, p in untied.named_parameters():
        if name not in ("tok_emb.weight", "head.weight"):
            np.testing.assert_allclose(got["grads"][name], p.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_untied_head_is_its_own_parameter(observe):
    config = {**CONFIG, "tie_weights": False}
    state = random_state(config, seed=4)
    idx = np.random.default_rng(4).integers(0, config["vocab_size"], (2, 5))
    got = observe("gpt.gradients", config=config, dtype="float64", state=state, idx=idx, targets=idx)
    assert got["head_is_tok_emb"] is False and "head.weight" in got["grads"]
    model = twin(config, state=state)
    model(torch.from_numpy(idx), torch.from_numpy(idx))[1].backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(got["grads"][name], p.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


# ------------------------------------------------------------------ init
def test_init_is_normal_002_with_zero_biases_and_unit_layer_norms(observe):
    config = {"vocab_size": 96, "context_length": 32, "n_layer": 2, "n_head": 4, "d_model": 48, "bias": True,
              "tie_weights": False}
    values = observe("gpt.structure", config=config)["values"]
    for key, value in values.items():
        module = key.rsplit(".", 1)[0]
        if ".ln" in f".{module}":
            np.testing.assert_array_equal(value, np.ones_like(value) if key.endswith("weight") else 0 * value, key)
        elif key.endswith("bias"):
            np.testing.assert_array_equal(value, 0 * value, key)
        else:  # Linear and Embedding weights ~ N(0, 0.02): 6-sigma bands of the sample mean and std
            n = value.size
            assert abs(value.mean()) < 6 * 0.02 / np.sqrt(n), key
            assert abs(value.std() / 0.02 - 1) < 6 / np.sqrt(2 * n), (key, value.std())


# ------------------------------------------------------------------ dropout and modes
def test_dropout_only_in_training_mode(observe):
    config = {**CONFIG, "dropout": 0.5}
    state = random_state(config, seed=5)
    idx = np.random.default_rng(5).integers(0, config["vocab_size"], (2, 6))
    evaluated = observe("gpt.forward", config=config, dtype="float64", state=state, inputs=[(idx, idx)])
    np.testing.assert_allclose(evaluated["outputs"][0]["logits"], twin_logits(twin(config, state=state), idx),
                               rtol=1e-9, atol=1e-9)
    assert evaluated["outputs"][0]["loss"] is not None
    trained = observe("gpt.forward", config=config, dtype="float64", state=state, inputs=[(idx, None), (idx, None)],
                      train=True)
    first, second = (out["logits"] for out in trained["outputs"])
    assert trained["outputs"][0]["loss"] is None
    assert np.abs(first - evaluated["outputs"][0]["logits"]).max() > 1e-3, "dropout had no effect in training"
    assert np.abs(first - second).max() > 1e-3, "two training forwards drew the same dropout masks"


# ------------------------------------------------------------------ bad inputs
def test_bad_inputs_raise_clear_errors(observe):
    config = CONFIG
    vocab, context = config["vocab_size"], config["context_length"]
    good = np.zeros((2, 4), np.int64)
    cases = {
        "id = vocab_size": (np.array([[1, vocab, 2]]), None),
        "id > vocab_size": (np.array([[1, 2], [vocab + 4, 0]]), None),
        "negative id": (np.array([[1, -3, 2]]), None),
        "too long": (np.zeros((1, context + 1), np.int64), None),
        "float ids": (good.astype(np.float32), None),
        "targets shape": (good, good[:, :2]),
    }
    got = observe("gpt.errors", config=config, idx_cases=list(cases.values()),
                  bad_configs=[{**config, "d_model": 10, "n_head": 4}])
    results = dict(zip(cases, got["forward"]))
    refused(results["id = vocab_size"], ("IndexError", "ValueError"))
    message = refused(results["id > vocab_size"], ("IndexError", "ValueError"))
    assert str(vocab + 4) in message and str(vocab) in message.replace(str(vocab + 4), ""), message
    message = refused(results["negative id"], ("IndexError", "ValueError"))
    assert "-3" in message and str(vocab) in message, message
    message = refused(results["too long"], ("ValueError",))
    assert str(context + 1) in message and str(context) in message, message
    refused(results["float ids"], ("TypeError", "RuntimeError"))
    refused(results["targets shape"], ("ValueError", "RuntimeError"))
    message = refused(got["constructor"][0], ("ValueError",))
    assert re.search(r"\b10\b", message) and re.search(r"\b4\b", message), message
