"""The autograd engine of the implementation under test, compared with torch.autograd.

Graph-level behaviour the per-op pairs cannot see: accumulation across backward calls and across
uses of one tensor, retain_graph and freed graphs, no_grad, deep graphs, custom Functions, detach.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.area_autograd

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((4, 2))
G = RNG.standard_normal((3, 2))


def _grad(t) -> np.ndarray:
    g = t.grad
    return np.asarray(g.data if hasattr(g, "data") and not isinstance(g, np.ndarray) else g)


def test_diamond_graph_accumulates_like_torch(impl):
    """x feeds two branches that meet again: both contributions must be summed."""
    def run(lib, x):
        a = x * 2.0
        b = x.exp()
        return ((a * b) + a.tanh()).sum()
    x_i = impl.tensor(X, requires_grad=True)
    run(impl, x_i).backward()
    x_t = torch.tensor(X, requires_grad=True)
    run(torch, x_t).backward()
    np.testing.assert_allclose(_grad(x_i), x_t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_leaf_grads_accumulate_across_backward_calls(impl):
    x_i, w_i = impl.tensor(X, requires_grad=True), impl.tensor(W, requires_grad=True)
    x_t, w_t = torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)
    for _ in range(2):
        (x_i.sum(dim=0) * w_i.sum(dim=1)).backward(gradient=impl.tensor(G[0, :1].repeat(4)))
        (x_t.sum(dim=0) * w_t.sum(dim=1)).backward(gradient=torch.tensor(G[0, :1].repeat(4)))
    np.testing.assert_allclose(_grad(w_i), w_t.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_grad(x_i), x_t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_retain_graph_allows_a_second_backward(impl):
    x_i = impl.tensor(X, requires_grad=True)
    y_i = (x_i.exp() * x_i).sum()
    y_i.backward(retain_graph=True)
    y_i.backward()
    x_t = torch.tensor(X, requires_grad=True)
    y_t = (x_t.exp() * x_t).sum()
    y_t.backward(retain_graph=True)
    y_t.backward()
    np.testing.assert_allclose(_grad(x_i), x_t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_second_backward_through_a_freed_graph_raises(impl):
    x_i = impl.tensor(X, requires_grad=True)
    y_i = (x_i.exp() * x_i).sum()
    y_i.backward()
    with pytest.raises(RuntimeError, match="(?i)second time|freed"):
        y_i.backward()


def test_backward_on_non_scalar_without_gradient_names_the_shape(impl):
    y = impl.tensor(X, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"3, 4"):
        y.backward()


def test_backward_gradient_of_the_wrong_shape_raises(impl):
    y = impl.tensor(X, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError):
        y.backward(gradient=impl.tensor(np.ones((4, 3))))


def test_backward_on_a_tensor_without_grad_raises(impl):
    with pytest.raises(RuntimeError):
        (impl.tensor(X) * 2.0).sum().backward()


def test_deep_chain_has_no_recursion_limit(impl):
    """5,000 chained ops: a recursive topological sort would hit Python's recursion limit."""
    x_i = impl.tensor(np.array([0.5]), requires_grad=True)
    x_t = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    y_i, y_t = x_i, x_t
    for _ in range(5000):
        y_i = (y_i * 1.0001).tanh() + 0.001
        y_t = (y_t * 1.0001).tanh() + 0.001
    y_i.sum().backward()
    y_t.sum().backward()
    np.testing.assert_allclose(_grad(x_i), x_t.grad.numpy(), rtol=1e-10)


def test_no_grad_records_nothing(impl):
    x = impl.tensor(X, requires_grad=True)
    with impl.no_grad():
        y = x * 2.0
        assert not impl.autograd.grad_enabled()
    assert impl.autograd.grad_enabled()
    assert not y.requires_grad
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_no_grad_as_decorator(impl):
    @impl.no_grad()
    def double(t):
        return t * 2.0
    assert not double(impl.tensor(X, requires_grad=True)).requires_grad


def test_detach_cuts_the_graph(impl):
    x_i = impl.tensor(X, requires_grad=True)
    (x_i * x_i.detach()).sum().backward()
    x_t = torch.tensor(X, requires_grad=True)
    (x_t * x_t.detach()).sum().backward()
    np.testing.assert_allclose(_grad(x_i), x_t.grad.numpy())


def test_grad_is_a_tensor_of_the_leaf_dtype(impl):
    x = impl.tensor(X.astype(np.float32), requires_grad=True)
    (x * 3.0).sum().backward()
    assert isinstance(x.grad, impl.Tensor)
    assert x.grad.data.dtype == np.float32 and x.grad.shape == (3, 4)


def test_int_tensors_cannot_require_grad(impl):
    with pytest.raises(RuntimeError, match="(?i)floating point"):
        impl.tensor([1, 2, 3], requires_grad=True)


def test_intermediate_grads_are_not_kept(impl):
    x = impl.tensor(X, requires_grad=True)
    y = x * 2.0
    y.sum().backward()
    assert y.grad is None and x.grad is not None


def test_custom_function_matches_torch_autograd_function(impl):
    """Students add ops the way torch does: a Function with forward/backward and ctx."""
    class CubeTiny(impl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad

    class CubeTorch(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad

    x_i = impl.tensor(X, requires_grad=True)
    y_i = CubeTiny.apply(x_i)
    y_i.backward(gradient=impl.tensor(np.ones_like(X) * 0.5))
    x_t = torch.tensor(X, requires_grad=True)
    y_t = CubeTorch.apply(x_t)
    y_t.backward(gradient=torch.full_like(x_t, 0.5))
    np.testing.assert_allclose(np.asarray(y_i.data), y_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(_grad(x_i), x_t.grad.numpy(), rtol=1e-12)


def test_function_with_a_wrong_number_of_gradients_is_reported(impl):
    class Bad(impl.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, grad):
            return grad  # one gradient for two inputs

    x = impl.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="Bad"):
        Bad.apply(x, x).sum().backward()


def test_unused_branch_and_shared_subexpression(impl):
    x_i = impl.tensor(X, requires_grad=True)
    shared_i = x_i.sigmoid()
    _unused = shared_i * 5.0
    (shared_i * shared_i + shared_i).mean().backward()
    x_t = torch.tensor(X, requires_grad=True)
    shared_t = x_t.sigmoid()
    (shared_t * shared_t + shared_t).mean().backward()
    np.testing.assert_allclose(_grad(x_i), x_t.grad.numpy(), rtol=1e-12)
