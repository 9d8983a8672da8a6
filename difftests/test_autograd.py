"""The autograd engine of the implementation under test, compared with torch.autograd.

Graph-level behaviour the per-op pairs cannot see: accumulation across backward calls and across uses
of one tensor, retain_graph and freed graphs, no_grad, deep graphs, custom Functions, detach. The
implementation side of each test is a scenario in difftests/scenarios/autograd.py.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from difftests.scenarios.autograd import diamond_graph

pytestmark = pytest.mark.area_autograd

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((4, 2))
UP = RNG.standard_normal(4)
UP34 = RNG.standard_normal((3, 4))


def close(got, want, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def raised_class(observation) -> str | None:
    return observation["__raised__"][0] if isinstance(observation, dict) and "__raised__" in observation else None


def test_diamond_graph_accumulates_like_torch(observe):
    x = torch.tensor(X, requires_grad=True)
    diamond_graph(torch, x).backward()
    close(observe("autograd.diamond", x=X)["grad"], x.grad.numpy())


def test_leaf_grads_accumulate_across_backward_calls(observe):
    x, w = torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)
    for _ in range(2):
        (x.sum(dim=0) * w.sum(dim=1)).backward(gradient=torch.tensor(UP))
    got = observe("autograd.accumulate", x=X, w=W, upstream=UP)
    close(got["x"], x.grad.numpy())
    close(got["w"], w.grad.numpy())


def test_retain_graph_allows_a_second_backward(observe):
    x = torch.tensor(X, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    close(observe("autograd.retain_graph", x=X)["grad"], x.grad.numpy())


def test_second_backward_through_a_freed_graph_raises(observe):
    second = observe("autograd.freed_graph", x=X)["second"]
    assert raised_class(second) == "RuntimeError", second
    assert "second time" in second["__raised__"][1] or "freed" in second["__raised__"][1]


def test_bad_backward_calls_raise_clear_errors(observe):
    got = observe("autograd.bad_backward_calls", x=X)
    assert raised_class(got["non_scalar"]) == "RuntimeError" and "3, 4" in got["non_scalar"]["__raised__"][1]
    assert raised_class(got["wrong_shape"]) == "RuntimeError", got["wrong_shape"]
    assert raised_class(got["no_grad_tensor"]) == "RuntimeError", got["no_grad_tensor"]
    assert raised_class(got["int_requires_grad"]) == "RuntimeError"
    assert "floating point" in got["int_requires_grad"]["__raised__"][1]


def test_deep_chain_has_no_recursion_limit(observe):
    x = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(5000):
        y = (y * 1.0001).tanh() + 0.001
    y.sum().backward()
    close(observe("autograd.deep_chain", depth=5000)["grad"], x.grad.numpy(), rtol=1e-10)


def test_no_grad_records_nothing(observe):
    got = observe("autograd.no_grad", x=X)
    assert got["inside"] is False and got["after"] is True
    assert got["requires_grad"] is False and got["decorated_requires_grad"] is False
    assert raised_class(got["backward"]) == "RuntimeError"


def test_detach_cuts_the_graph(observe):
    x = torch.tensor(X, requires_grad=True)
    (x * x.detach()).sum().backward()
    close(observe("autograd.detach", x=X)["grad"], x.grad.numpy())


def test_grad_is_a_tensor_of_the_leaf_dtype_and_intermediates_keep_none(observe):
    got = observe("autograd.grad_type", x=X)
    assert got == {"is_tensor": True, "dtype": "float32", "shape": [3, 4], "intermediate_grad_is_none": True}


def test_custom_function_matches_torch_autograd_function(observe):
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return v ** 3

        @staticmethod
        def backward(ctx, grad):
            (v,) = ctx.saved_tensors
            return 3 * v ** 2 * grad

    x = torch.tensor(X, requires_grad=True)
    y = Cube.apply(x)
    y.backward(gradient=torch.tensor(UP34))
    got = observe("autograd.custom_function", x=X, upstream=UP34)
    close(got["out"], y.detach().numpy())
    close(got["grad"], x.grad.numpy())


def test_function_with_a_wrong_number_of_gradients_is_reported(observe):
    result = observe("autograd.wrong_gradient_count", x=X)["result"]
    assert raised_class(result) == "RuntimeError" and "Bad" in result["__raised__"][1], result


def test_unused_branch_and_shared_subexpression(observe):
    x = torch.tensor(X, requires_grad=True)
    shared = x.sigmoid()
    (shared * shared + shared).mean().backward()
    close(observe("autograd.shared_subexpression", x=X)["grad"], x.grad.numpy())


# ----- in-place writes, version counters, grad mode after an exception ----------------------------------------
def _torch_side(name: str, **inputs):
    """The same scenario function, run on torch (it only uses names both libraries share)."""
    from difftests.scenarios import SCENARIOS
    return SCENARIOS[name](torch, **inputs)


def test_in_place_writes_into_saved_values_raise_like_torch(observe):
    got = observe("autograd.in_place", x=X)
    want = _torch_side("autograd.in_place", x=X)
    assert set(got) == set(want)
    for case, theirs in want.items():
        mine = got[case]
        if raised_class(theirs) is not None:
            assert raised_class(mine) == raised_class(theirs), \
                f"{case}: torch raises {theirs['__raised__'][1]!r}; got {mine if raised_class(mine) else 'a result'}"
            their_message, my_message = theirs["__raised__"][1], mine["__raised__"][1]
            for phrase in ("modified by an inplace operation", "is at version 1; expected version 0 instead",
                           "leaf Variable that requires grad is being used in an in-place operation"):
                if phrase in their_message:
                    assert phrase in my_message, f"{case}: the message should say {phrase!r}: {my_message}"
        elif case == "versions":
            assert mine == theirs, f"_version after zero_ and a write through detach(): {mine}, torch {theirs}"
        else:
            assert raised_class(mine) is None, f"{case}: torch computes a result; got {mine}"
            close(mine, theirs)


def test_grad_mode_is_restored_when_the_block_raises(observe):
    got = observe("autograd.grad_mode_restored")
    want = _torch_side("autograd.grad_mode_restored")
    for case, theirs in want.items():
        assert got[case] == theirs, f"{case}: grad mode afterwards {got[case]}, torch {theirs}"
