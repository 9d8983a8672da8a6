"""Autograd-engine scenarios (torch-free); compared with torch.autograd in difftests/test_autograd.py."""
from __future__ import annotations

import numpy as np

from difftests.scenarios import array, attempt, raised, scenario


def diamond_graph(lib, x):
    """x feeds two branches that meet again."""
    a = x * 2.0
    b = x.exp()
    return ((a * b) + a.tanh()).sum()


@scenario("autograd.diamond")
def diamond(lib, x):
    t = lib.tensor(x, requires_grad=True)
    diamond_graph(lib, t).backward()
    return {"grad": array(t.grad)}


@scenario("autograd.accumulate")
def accumulate(lib, x, w, upstream):
    """Two backward calls into the same leaves add up."""
    xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
    for _ in range(2):
        (xt.sum(dim=0) * wt.sum(dim=1)).backward(gradient=lib.tensor(upstream))
    return {"x": array(xt.grad), "w": array(wt.grad)}


@scenario("autograd.retain_graph")
def retain_graph(lib, x):
    t = lib.tensor(x, requires_grad=True)
    y = (t.exp() * t).sum()
    y.backward(retain_graph=True)
    y.backward()
    return {"grad": array(t.grad)}


@scenario("autograd.freed_graph")
def freed_graph(lib, x):
    t = lib.tensor(x, requires_grad=True)
    y = (t.exp() * t).sum()
    y.backward()
    return {"second": attempt(lambda: y.backward())}


@scenario("autograd.bad_backward_calls")
def bad_backward_calls(lib, x):
    return {
        "non_scalar": attempt(lambda: (lib.tensor(x, requires_grad=True) * 2.0).backward()),
        "wrong_shape": attempt(lambda: (lib.tensor(x, requires_grad=True) * 2.0).backward(
            gradient=lib.tensor(np.ones(x.shape[::-1])))),
        "no_grad_tensor": attempt(lambda: (lib.tensor(x) * 2.0).sum().backward()),
        "int_requires_grad": attempt(lambda: lib.tensor([1, 2, 3], requires_grad=True)),
    }


@scenario("autograd.deep_chain")
def deep_chain(lib, depth):
    """A recursive topological sort would hit Python's recursion limit here."""
    x = lib.tensor(np.array([0.5]), requires_grad=True)
    y = x
    for _ in range(depth):
        y = (y * 1.0001).tanh() + 0.001
    y.sum().backward()
    return {"grad": array(x.grad)}


@scenario("autograd.no_grad")
def no_grad(lib, x):
    t = lib.tensor(x, requires_grad=True)
    with lib.no_grad():
        y = t * 2.0
        inside = bool(lib.autograd.grad_enabled())

    @lib.no_grad()
    def double(v):
        return v * 2.0

    return {"inside": inside, "after": bool(lib.autograd.grad_enabled()), "requires_grad": bool(y.requires_grad),
            "backward": attempt(lambda: y.sum().backward()),
            "decorated_requires_grad": bool(double(t).requires_grad)}


@scenario("autograd.detach")
def detach(lib, x):
    t = lib.tensor(x, requires_grad=True)
    (t * t.detach()).sum().backward()
    return {"grad": array(t.grad)}


@scenario("autograd.grad_type")
def grad_type(lib, x):
    t = lib.tensor(x.astype(np.float32), requires_grad=True)
    y = t * 3.0
    y.sum().backward()
    return {"is_tensor": isinstance(t.grad, lib.Tensor), "dtype": str(t.grad.data.dtype),
            "shape": list(t.grad.shape), "intermediate_grad_is_none": y.grad is None}


@scenario("autograd.custom_function")
def custom_function(lib, x, upstream):
    """Students add ops the way torch does: a Function with forward/backward and a ctx."""
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return v ** 3

        @staticmethod
        def backward(ctx, grad):
            (v,) = ctx.saved_tensors
            return 3 * v ** 2 * grad

    t = lib.tensor(x, requires_grad=True)
    y = Cube.apply(t)
    y.backward(gradient=lib.tensor(upstream))
    return {"out": array(y), "grad": array(t.grad)}


@scenario("autograd.wrong_gradient_count")
def wrong_gradient_count(lib, x):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad  # one gradient for two inputs

    t = lib.tensor(x, requires_grad=True)
    try:
        Bad.apply(t, t).sum().backward()
    except NotImplementedError:  # not implemented is reported as such, not observed
        raise
    except Exception as exc:  # noqa: BLE001
        return {"result": raised(exc)}
    return {"result": "no error"}


@scenario("autograd.shared_subexpression")
def shared_subexpression(lib, x):
    t = lib.tensor(x, requires_grad=True)
    shared = t.sigmoid()
    _unused = shared * 5.0
    (shared * shared + shared).mean().backward()
    return {"grad": array(t.grad)}
