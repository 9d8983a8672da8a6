"""Pruning behaviour beyond the mask pairs, compared with torch.nn.utils.prune (implementation side: the scenarios
in difftests/scenarios/prune.py).

- Training: the gradient of weight_orig is the masked upstream gradient; after an SGD step the forward still uses
  orig * mask (pruned weights stay zero); remove() leaves a plain `weight` parameter; is_pruned as torch's.
- random_unstructured: the RNG streams differ from torch's, so masks are compared by what must hold: exactly
  round(amount * n) zeros (torch's count), the same seed gives the same mask, another seed another one.
- sparsity / global_sparsity: the fraction of zeros of torch's masks after global pruning.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune

pytestmark = pytest.mark.area_prune


def test_mask_survives_an_optimizer_step_and_gradients_are_masked(observe):
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((4, 6)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    upstream = rng.standard_normal((3, 4)).astype(np.float32)
    got = observe("prune.training", weight=weight, bias=bias, x=x, upstream=upstream, amount=0.5, lr=0.1)
    layer = torch.nn.Linear(6, 4)
    layer.load_state_dict({"weight": torch.from_numpy(weight), "bias": torch.from_numpy(bias)})
    assert got["pruned_before"] is tprune.is_pruned(layer) is False
    tprune.l1_unstructured(layer, "weight", amount=0.5)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
    layer(torch.from_numpy(x)).backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(got["grad_orig"], layer.weight_orig.grad.numpy(), rtol=1.3e-6, atol=1e-5)
    optimizer.step()
    with torch.no_grad():
        np.testing.assert_allclose(got["out_after_step"], layer(torch.from_numpy(x)).numpy(), rtol=1.3e-6, atol=1e-5)
        np.testing.assert_array_equal(got["weight_after_step"] == 0, layer.weight.numpy() == 0)
    assert got["sparsity"] == 0.5
    tprune.remove(layer, "weight")
    assert got["pruned_after_remove"] is tprune.is_pruned(layer) is False
    assert got["keys_after_remove"] == sorted(layer.state_dict())
    assert got["param_names"] == [n for n, _ in layer.named_parameters()]


@pytest.mark.parametrize("amount", [0.3, 0.5, 7], ids=["30 %", "50 %", "7 weights"])
def test_random_unstructured_counts_and_seeds(observe, amount):
    got = observe("prune.random", shape=[5, 8], amount=amount, seed=3)
    layer = torch.nn.Linear(8, 5)
    tprune.random_unstructured(layer, "weight", amount=amount)
    want_zeros = int((layer.weight_mask == 0).sum())
    first, again, other = got["masks"]
    assert int((first == 0).sum()) == want_zeros, f"{(first == 0).sum()} zeros, torch prunes {want_zeros}"
    np.testing.assert_array_equal(first, again, err_msg="the same seed must give the same mask")
    assert not np.array_equal(first, other), "another seed gave the same mask"
    assert got["bad_amount"]["__raised__"][0] == "ValueError"


def test_sparsity_per_layer_and_global(observe):
    rng = np.random.default_rng(4)
    w1 = (rng.standard_normal((6, 5)) * 0.1).astype(np.float32)
    w2 = rng.standard_normal((3, 6)).astype(np.float32)
    got = observe("prune.sparsity", w1=w1, w2=w2, amount=0.6)
    first, second = torch.nn.Linear(5, 6), torch.nn.Linear(6, 3)
    first.weight.data, second.weight.data = torch.from_numpy(w1), torch.from_numpy(w2)
    tprune.global_unstructured([(first, "weight"), (second, "weight")], pruning_method=tprune.L1Unstructured,
                               amount=0.6)
    layer = [int((m.weight_mask == 0).sum()) / m.weight_mask.numel() for m in (first, second)]
    np.testing.assert_allclose(got["layer"], layer, rtol=1e-12)
    assert got["global"] == pytest.approx(round(0.6 * 48) / 48)
    assert got["is_pruned"]
