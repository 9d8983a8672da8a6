"""Scenarios of the prune area (torch-free), compared with torch in difftests/test_prune.py."""
from __future__ import annotations

import numpy as np

from difftests.scenarios import array, attempt, scenario


def _linear(lib, weight, bias):
    layer = lib.nn.Linear(weight.shape[1], weight.shape[0])
    layer.load_state_dict({"weight": weight, "bias": bias})
    return layer


@scenario("prune.training")
def training(lib, weight: np.ndarray, bias: np.ndarray, x: np.ndarray, upstream: np.ndarray, amount: float,
             lr: float) -> dict:
    """l1-prune, forward/backward, one SGD step, forward again: the mask must survive the step."""
    prune = lib.nn.utils.prune
    layer = _linear(lib, weight, bias)
    before = bool(prune.is_pruned(layer))
    prune.l1_unstructured(layer, "weight", amount=amount)
    optimizer = lib.optim.SGD(layer.parameters(), lr=lr)
    out = layer(lib.tensor(x))
    out.backward(lib.tensor(upstream))
    grad_orig = array(layer.weight_orig.grad)
    optimizer.step()
    after_step = array(layer(lib.tensor(x)))
    weight_after = array(layer.weight)
    sparsity = float(prune.sparsity(layer))
    prune.remove(layer, "weight")
    return {"pruned_before": before, "grad_orig": grad_orig, "out_after_step": after_step,
            "weight_after_step": weight_after, "sparsity": sparsity,
            "pruned_after_remove": bool(prune.is_pruned(layer)),
            "keys_after_remove": sorted(layer.state_dict()), "param_names": [n for n, _ in layer.named_parameters()]}


@scenario("prune.random")
def random(lib, shape: list, amount, seed: int) -> dict:
    """random_unstructured twice with the same seed and once with another: counts and reproducibility."""
    prune = lib.nn.utils.prune
    masks = []
    for s in (seed, seed, seed + 1):
        layer = lib.nn.Linear(shape[1], shape[0])
        lib.manual_seed(s)
        prune.random_unstructured(layer, "weight", amount=amount)
        masks.append(array(layer.weight_mask))
    return {"masks": masks, "bad_amount": attempt(lambda: prune.random_unstructured(
        lib.nn.Linear(shape[1], shape[0]), "weight", amount=1.5) and "returned")}


@scenario("prune.sparsity")
def sparsity(lib, w1: np.ndarray, w2: np.ndarray, amount: float) -> dict:
    prune = lib.nn.utils.prune
    first, second = _linear(lib, w1, np.zeros(w1.shape[0], w1.dtype)), _linear(lib, w2, np.zeros(w2.shape[0], w2.dtype))
    model = lib.nn.Sequential(first, lib.nn.ReLU(), second)
    prune.global_unstructured([(first, "weight"), (second, "weight")], pruning_method=prune.L1Unstructured,
                              amount=amount)
    return {"layer": [float(prune.sparsity(first)), float(prune.sparsity(second))],
            "global": float(prune.global_sparsity([(first, "weight"), (second, "weight")])),
            "is_pruned": bool(prune.is_pruned(model))}
