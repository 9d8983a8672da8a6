"""Dropout of the implementation under test, by its semantics (its random mask cannot match torch's stream).

torch's inverted dropout: in training each element is zeroed with probability p and the kept ones are scaled
by 1 / (1 - p); the gradient flows through the same mask with the same scale; p = 0 and eval mode are the
identity; p = 1 gives zeros; p outside [0, 1] is a ValueError. Frequencies are checked against a binomial
band of Z = 6 standard deviations (two-sided p ~ 2e-9), so the tests do not flake and a wrong p cannot pass.
The implementation side of each test is a scenario in difftests/scenarios/nn.py (it returns outputs,
gradients and masks; the statistics are computed here).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.area_nn

Z = 6.0


def nonzero_input(shape, dtype="float32") -> np.ndarray:
    """Values in [0.5, 1.5): a zero in the output can only come from the mask."""
    return (np.random.default_rng(0).random(shape) + 0.5).astype(dtype)


def run(observe, x: np.ndarray, p: float, *, training: bool = True, module: bool = True, seed: int = 0):
    """(output, input gradient, upstream gradient) of dropout through the Module or the functional form."""
    upstream = np.random.default_rng(1).standard_normal(x.shape).astype(x.dtype)
    got = observe("nn.dropout", x=x, p=p, upstream=upstream, training=training, module=module, seed=seed)
    return got["out"], got["grad"], upstream


@pytest.mark.parametrize("module", [True, False], ids=["nn.Dropout", "functional.dropout"])
def test_p_zero_is_the_identity(observe, module):
    x = nonzero_input((50, 40))
    out, grad, upstream = run(observe, x, 0.0, module=module)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(grad, upstream)


@pytest.mark.parametrize("module", [True, False], ids=["nn.Dropout", "functional.dropout"])
def test_p_one_gives_zeros_and_zero_gradient(observe, module):
    x = nonzero_input((50, 40))
    out, grad, _ = run(observe, x, 1.0, module=module)
    np.testing.assert_array_equal(out, 0.0)
    np.testing.assert_array_equal(grad, 0.0)


@pytest.mark.parametrize("module", [True, False], ids=["Dropout.eval()", "dropout(training=False)"])
def test_eval_mode_is_the_identity(observe, module):
    x = nonzero_input((50, 40))
    out, grad, upstream = run(observe, x, 0.5, training=False, module=module)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(grad, upstream)


def test_eval_and_train_propagate_through_containers(observe):
    got = observe("nn.dropout_in_container", x=nonzero_input((30, 20)))
    np.testing.assert_array_equal(got["eval_first"], got["eval_second"])  # no mask in eval mode
    dropped = got["train"]
    assert np.mean(dropped == 0) > 0.5, "after train(), Dropout(0.9) inside a Sequential must drop again"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_kept_elements_are_scaled_and_the_gradient_uses_the_same_mask(observe, p, dtype):
    x = nonzero_input((200, 100), dtype)
    out, grad, upstream = run(observe, x, p)
    assert out.dtype == x.dtype == grad.dtype, f"dtype changed: input {x.dtype}, output {out.dtype}"
    kept = out != 0
    rtol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out[kept], x[kept] / (1 - p), rtol=rtol)
    np.testing.assert_allclose(grad[kept], upstream[kept] / (1 - p), rtol=rtol)
    np.testing.assert_array_equal(grad[~kept], 0.0)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.9])
def test_drop_frequency_is_binomial_with_probability_p(observe, p):
    n = 200_000
    out, _, _ = run(observe, nonzero_input((n,)), p, module=False)
    dropped = int(np.sum(out == 0))
    band = Z * math.sqrt(n * p * (1 - p))
    assert abs(dropped - n * p) <= band, f"{dropped} of {n} dropped; Binomial({n}, {p}) gives {n * p:.0f} ± {band:.0f}"


def test_masks_are_fresh_per_call_and_follow_manual_seed(observe):
    x = nonzero_input((1000,))
    first, _, _ = run(observe, x, 0.5, seed=3)
    again, _, _ = run(observe, x, 0.5, seed=3)
    np.testing.assert_array_equal(first, again)
    masks = observe("nn.dropout_consecutive_masks", x=x, seed=3)["masks"]
    assert not np.array_equal(masks[0], masks[1]), "two calls drew the same mask (P = 2^-1000 if independent)"


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_outside_0_1_is_a_value_error_like_torch(observe, p):
    with pytest.raises(ValueError):
        torch.nn.Dropout(p)
    with pytest.raises(ValueError):
        torch.nn.functional.dropout(torch.ones(3), p)
    got = observe("nn.dropout_bad_probability", p=p)
    for form in ("module", "functional"):
        assert got[form] is not None and got[form]["class"] == "ValueError", f"{form}: {got[form]}"


def test_repr_names_the_probability(observe):
    text = observe("nn.dropout_repr", p=0.25)["text"]
    assert "Dropout" in text and "0.25" in text
