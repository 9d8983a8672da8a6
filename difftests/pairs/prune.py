"""Pairs for tiny.nn.utils.prune against torch.nn.utils.prune (reference/nn/utils/prune.py): masks EQUAL.

- `prune.linear`: a Linear pruned by a sequence of steps (l1_unstructured, ln_structured, identity,
  custom_from_mask, remove, ...): the effective weight, the weight_mask and the forward output. Weights are drawn
  from a few integer levels so |w| and the channel norms tie often: torch.topk's tie choice (libstdc++'s
  partial_sort / nth_element, see tiny/nn/utils/prune.py) must be reproduced exactly. Iterative pruning (amount
  relative to what is left), pruning twice then remove, and bad input (amount outside [0, 1], a negative or too
  large int, a wrong type, a missing name, remove of an unpruned parameter, structured pruning of a 1-d bias, a
  dim out of range) raise what torch raises.
- `prune.global_unstructured`: two Linears of very different weight scales pruned together; per-layer pruning
  would give other masks. Optionally after per-layer pruning (only the unpruned entries compete).
Forward outputs are float: exact equality is not required there (torch's default tolerances); masks are exact.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from difftests import strategies as S
from difftests.cases import Case
from difftests.registry import Pair, register

AREA = "prune"
COVERED_ELSEWHERE = {
    **{f"nn.utils.prune.{name}": "covered by the prune.linear / prune.global_unstructured pairs"
       for name in ("BasePruningMethod", "PruningContainer", "Identity", "L1Unstructured", "LnStructured",
                    "CustomFromMask")},
    "nn.utils.prune.random_unstructured": "difftests/test_prune.py: RNG streams differ; the pruned count equals "
                                          "torch's, the same seed gives the same mask",
    "nn.utils.prune.RandomUnstructured": "difftests/test_prune.py (see random_unstructured)",
    "nn.utils.prune.sparsity": "difftests/test_prune.py: fraction of zeros vs torch's masks",
    "nn.utils.prune.global_sparsity": "difftests/test_prune.py: fraction of zeros vs torch's masks",
    "nn.utils.prune.is_pruned": "difftests/test_prune.py: before/after pruning and remove, as torch",
}


def _apply_steps(lib, layer, steps):
    prune = lib.nn.utils.prune
    for fn, kwargs in steps:
        kwargs = dict(kwargs)
        name = kwargs.pop("name", "weight")
        if "mask" in kwargs:
            kwargs["mask"] = lib.tensor(np.asarray(kwargs["mask"], np.float64).astype(layer.bias.data.dtype))
        getattr(prune, fn)(layer, name, **kwargs)


def _linear(lib, weight, bias):
    layer = lib.nn.Linear(weight.shape[1], weight.shape[0], dtype=weight.dtype)
    layer.load_state_dict({"weight": weight, "bias": bias})
    return layer


def _linear_call(lib, weight, bias, x, steps):
    layer = _linear(lib, weight, bias)
    _apply_steps(lib, layer, steps)
    mask = getattr(layer, "weight_mask", None)
    return layer.weight, mask if mask is not None else lib.zeros(0, dtype=weight.dtype), layer(x)


def levels(rng, shape, dtype, count=4):
    """Values from a few integer levels of both signs: many ties in |w| and in channel norms."""
    return (rng.integers(-count, count + 1, shape)).astype(dtype)


def _case(label, weight, bias, x, steps):
    return Case((weight, bias, x), {"steps": steps}, grad=(False,) * 3, label=label)


def _linear_examples(dtype):
    rng = np.random.default_rng(11)
    w = levels(rng, (6, 8), dtype)
    b = rng.standard_normal(6).astype(dtype)
    x = rng.standard_normal((3, 8)).astype(dtype)
    wide = levels(rng, (4, 200), dtype, 2)   # k * 64 <= n: torch's partial_sort path
    xw = rng.standard_normal((2, 200)).astype(dtype)
    mask = (rng.random((6, 8)) > 0.3).astype(np.float64).tolist()
    return [
        _case("l1 30 %, ties in |w|", w, b, x, [("l1_unstructured", {"amount": 0.3})]),
        _case("l1 int amount 7", w, b, x, [("l1_unstructured", {"amount": 7})]),
        _case("l1 amount 0 and 1", w, b, x, [("l1_unstructured", {"amount": 0.0})]),
        _case("l1 amount 1.0 prunes all", w, b, x, [("l1_unstructured", {"amount": 1.0})]),
        _case("l1 amount round half to even (0.125 * 48 = 6)", w, b, x, [("l1_unstructured", {"amount": 0.125})]),
        _case("l1 twice: second amount relative to the rest", w, b, x,
              [("l1_unstructured", {"amount": 0.25}), ("l1_unstructured", {"amount": 0.5})]),
        _case("l1 partial_sort path (k*64 <= n), ties", wide, rng.standard_normal(4).astype(dtype), xw,
              [("l1_unstructured", {"amount": 3})]),
        _case("l1 nth_element path on 800 tied values", wide, np.zeros(4, dtype), xw,
              [("l1_unstructured", {"amount": 0.6})]),
        _case("l1 on the bias", w, b, x, [("l1_unstructured", {"amount": 2, "name": "bias"})]),
        _case("ln_structured n=1 rows", w, b, x, [("ln_structured", {"amount": 2, "n": 1, "dim": 0})]),
        _case("ln_structured n=2 columns, dim -1", w, b, x, [("ln_structured", {"amount": 0.5, "n": 2, "dim": -1})]),
        _case("ln_structured n=inf", w, b, x, [("ln_structured", {"amount": 3, "n": float("inf"), "dim": 1})]),
        _case("ln_structured 'fro'", w, b, x, [("ln_structured", {"amount": 0.34, "n": "fro", "dim": 0})]),
        _case("ln_structured amount 0", w, b, x, [("ln_structured", {"amount": 0, "n": 1, "dim": 0})]),
        _case("ln after l1 (channels fully zero excluded)", w, b, x,
              [("l1_unstructured", {"amount": 0.5}), ("ln_structured", {"amount": 1, "n": 1, "dim": 0})]),
        _case("identity", w, b, x, [("identity", {})]),
        _case("custom_from_mask then l1", w, b, x, [("custom_from_mask", {"mask": mask}),
                                                     ("l1_unstructured", {"amount": 0.2})]),
        _case("prune twice then remove", w, b, x, [("l1_unstructured", {"amount": 0.3}),
                                                    ("ln_structured", {"amount": 1, "n": 2, "dim": 0}),
                                                    ("remove", {})]),
        _case("remove then prune again", w, b, x, [("l1_unstructured", {"amount": 0.3}), ("remove", {}),
                                                    ("l1_unstructured", {"amount": 0.3})]),
        _case("amount 1.5 (error)", w, b, x, [("l1_unstructured", {"amount": 1.5})]),
        _case("amount -0.1 (error)", w, b, x, [("l1_unstructured", {"amount": -0.1})]),
        _case("amount -1 (error)", w, b, x, [("l1_unstructured", {"amount": -1})]),
        _case("amount as a string (error)", w, b, x, [("l1_unstructured", {"amount": "half"})]),
        _case("int amount larger than the parameter (error)", w, b, x, [("l1_unstructured", {"amount": 49})]),
        _case("int amount larger than what is left (error)", w, b, x,
              [("l1_unstructured", {"amount": 40}), ("l1_unstructured", {"amount": 9})]),
        _case("missing parameter name (error)", w, b, x, [("l1_unstructured", {"amount": 0.2, "name": "weights"})]),
        _case("remove without pruning (error)", w, b, x, [("remove", {})]),
        _case("remove twice (error)", w, b, x, [("l1_unstructured", {"amount": 0.2}), ("remove", {}), ("remove", {})]),
        _case("structured pruning of the 1-d bias (error)", w, b, x,
              [("ln_structured", {"amount": 1, "n": 1, "dim": 0, "name": "bias"})]),
        _case("structured dim out of range (error)", w, b, x, [("ln_structured", {"amount": 1, "n": 1, "dim": 2})]),
    ]


@st.composite
def _linear_case(draw, dtype):
    out_features, in_features = draw(st.integers(1, 6)), draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    w = levels(rng, (out_features, in_features), dtype, draw(st.integers(1, 5)))
    b = rng.standard_normal(out_features).astype(dtype)
    x = draw(S.values((draw(st.integers(1, 3)), in_features), dtype, -2.0, 2.0))
    size = out_features * in_features
    step = st.one_of(
        st.tuples(st.just("l1_unstructured"), st.fixed_dictionaries(
            {"amount": st.one_of(st.floats(0.0, 1.0), st.integers(0, size // 2))})),
        st.tuples(st.just("ln_structured"), st.fixed_dictionaries(
            {"amount": st.floats(0.0, 1.0), "n": st.sampled_from([1, 2, "fro", float("inf")]),
             "dim": st.sampled_from([0, 1, -1])})))
    steps = draw(st.lists(step, min_size=1, max_size=3))
    if draw(st.booleans()):
        steps.append(("remove", {}))
    return _case("", w, b, x, [(fn, dict(kw)) for fn, kw in steps])


register(Pair("prune.linear", AREA, call=_linear_call, ref="reference.nn.utils.prune:prune_linear",
              source="tiny.nn.utils.prune:L1Unstructured", strategy=_linear_case, examples=_linear_examples,
              differentiable=False,
              requires=("nn.utils.prune.l1_unstructured", "nn.utils.prune.ln_structured", "nn.utils.prune.remove",
                        "nn.Linear", "nn.utils.prune.custom_from_mask", "nn.utils.prune.identity", "zeros"),
              covers=("nn.utils.prune.identity", "nn.utils.prune.custom_from_mask"), max_examples=40))


# ===== global_unstructured ========================================================================
def _global_call(lib, w1, b1, w2, b2, x, steps, amount):
    first, second = _linear(lib, w1, b1), _linear(lib, w2, b2)
    layers = [first, second]
    prune = lib.nn.utils.prune
    for fn, kwargs in steps:
        kwargs = dict(kwargs)
        getattr(prune, fn)(layers[kwargs.pop("layer")], "weight", **kwargs)
    prune.global_unstructured([(first, "weight"), (second, "weight")], pruning_method=prune.L1Unstructured,
                              amount=amount)
    return first.weight_mask, second.weight_mask, second(lib.relu(first(x)))


def _global(label, w1, w2, x, amount, steps=()):
    b1, b2 = np.zeros(w1.shape[0], w1.dtype), np.full(w2.shape[0], 0.5, w2.dtype)
    return Case((w1, b1, w2, b2, x), {"steps": list(steps), "amount": amount}, grad=(False,) * 5, label=label)


def _global_examples(dtype):
    rng = np.random.default_rng(5)
    small = levels(rng, (5, 6), dtype) * np.asarray(0.1, dtype)     # a layer of small weights ...
    large = levels(rng, (3, 5), dtype)                               # ... and one of large weights
    x = rng.standard_normal((2, 6)).astype(dtype)
    return [
        _global("50 %: the small layer loses far more than half", small, large, x, 0.5),
        _global("90 %", small, large, x, 0.9),
        _global("int amount 20, ties across layers", levels(rng, (5, 6), dtype, 2), levels(rng, (3, 5), dtype, 2),
                x, 20),
        _global("after per-layer l1 on layer 2", small, large, x, 0.3, [("l1_unstructured", {"layer": 1,
                                                                                              "amount": 0.5})]),
        _global("amount 0", small, large, x, 0.0),
        _global("amount 1.2 (error)", small, large, x, 1.2),
        _global("int amount above the total (error)", small, large, x, 46),
    ]


@st.composite
def _global_case(draw, dtype):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    hidden, inputs, outputs = draw(st.integers(1, 5)), draw(st.integers(1, 6)), draw(st.integers(1, 4))
    scale = draw(st.sampled_from([0.1, 1.0, 10.0]))
    w1 = levels(rng, (hidden, inputs), dtype, draw(st.integers(1, 4))) * np.asarray(scale, dtype)
    w2 = levels(rng, (outputs, hidden), dtype, draw(st.integers(1, 4)))
    x = draw(S.values((2, inputs), dtype, -2.0, 2.0))
    return _global("", w1, w2, x, draw(st.floats(0.0, 1.0)))


register(Pair("prune.global_unstructured", AREA, call=_global_call, ref="reference.nn.utils.prune:prune_global",
              source="tiny.nn.utils.prune:global_unstructured", strategy=_global_case, examples=_global_examples,
              differentiable=False, requires=("nn.utils.prune.global_unstructured", "nn.Linear",
                                                           "nn.utils.prune.L1Unstructured", "nn.utils.prune.l1_unstructured", "relu"), max_examples=30))
