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


# ----- in-place writes and version counters (the same function runs on torch in the test) ---------------------
def values(t):
    """A tensor's values as a plain array, for either library (tiny or torch)."""
    return None if t is None else np.array(t.tolist())


def _backward_of(build):
    """build() -> (loss, leaf); the leaf's gradient after loss.backward(), or what backward raised."""
    loss, leaf = build()
    outcome = attempt(lambda: loss.backward())
    return outcome if isinstance(outcome, dict) else values(leaf.grad)


@scenario("autograd.in_place")
def in_place(lib, x):
    """In-place writes after a Function saved a value for backward (directly, through detach() or a view,
    under no_grad), writes nobody saved, fill_ on a non-leaf, in-place ops on a leaf that requires grad,
    and the version counter itself."""
    def leaf():
        return lib.tensor(x, requires_grad=True)

    def saved_then(write):  # exp saves its output z; write into z after the loss is built
        t = leaf()
        z = t.exp()
        loss = (z * 1.5).sum()
        write(z)
        return loss, t

    def no_grad_write(write):
        def run(z):
            with lib.no_grad():
                write(z)
        return run

    def unsaved():  # exp saved z, not z2: writing z2 changes nothing backward needs
        t = leaf()
        z, z2 = t.exp(), t.exp()
        loss = z.sum()
        z2.fill_(0.0)
        return loss, t

    def filled_non_leaf():  # mul saves the scalar only; fill_ makes z a constant: zero gradient
        t = leaf()
        z = t * 2.0
        z.fill_(1.0)
        return z.sum(), t

    observed = {
        "fill_ saved output": _backward_of(lambda: saved_then(lambda z: z.fill_(0.0))),
        "zero_ under no_grad": _backward_of(lambda: saved_then(no_grad_write(lambda z: z.zero_()))),
        "setitem under no_grad": _backward_of(lambda: saved_then(no_grad_write(lambda z: z.__setitem__(0, 2.0)))),
        "zero_ through detach()": _backward_of(lambda: saved_then(lambda z: z.detach().zero_())),
        "zero_ through a reshape view": _backward_of(
            lambda: saved_then(no_grad_write(lambda z: z.reshape(-1).zero_()))),
        "write to an unsaved tensor": _backward_of(unsaved),
        "fill_ on a non-leaf": _backward_of(filled_non_leaf),
    }
    for name, write in (("fill_", lambda t: t.fill_(0.0)), ("zero_", lambda t: t.zero_()),
                        ("relu(inplace=True)", lambda t: lib.nn.functional.relu(t, inplace=True))):
        t = leaf()
        observed[f"leaf {name}"] = attempt(lambda: write(t) and "returned")
        with lib.no_grad():
            write(t)
        observed[f"leaf {name} under no_grad"] = values(t)
    t = lib.tensor(x)
    versions = [int(t._version)]
    t.zero_()
    versions.append(int(t._version))
    t.detach().fill_(1.0)
    versions += [int(t._version), int(t.detach()._version)]
    observed["versions"] = versions
    return observed


@scenario("autograd.grad_mode_restored")
def grad_mode_restored(lib):
    """Grad mode after a no_grad / set_grad_enabled / enable_grad block (or a decorated function) raised, and
    set_grad_enabled used as a plain function. Restores grad mode before returning."""
    def after_raise(make_context, outer=None):
        def body():
            with make_context():
                raise ValueError("raised inside the block")
        if outer is None:
            attempt(body)
            return bool(lib.is_grad_enabled())
        with outer():
            attempt(body)
            return bool(lib.is_grad_enabled())

    @lib.no_grad()
    def decorated():
        raise ValueError("raised inside a decorated function")

    try:
        observed = {
            "no_grad": after_raise(lib.no_grad),
            "set_grad_enabled(False)": after_raise(lambda: lib.set_grad_enabled(False)),
            "enable_grad inside no_grad": after_raise(lib.enable_grad, outer=lib.no_grad),
            "no_grad inside no_grad": after_raise(lib.no_grad, outer=lib.no_grad),
            "set_grad_enabled(True) inside no_grad": after_raise(lambda: lib.set_grad_enabled(True),
                                                                 outer=lib.no_grad),
        }
        attempt(decorated)
        observed["decorated no_grad"] = bool(lib.is_grad_enabled())
        lib.set_grad_enabled(False)
        observed["set_grad_enabled(False) as a function"] = bool(lib.is_grad_enabled())
        lib.set_grad_enabled(True)
        observed["set_grad_enabled(True) as a function"] = bool(lib.is_grad_enabled())
        leaf = lib.tensor([1.0, -2.0], requires_grad=True)  # after all that, ops record a graph again
        (leaf * leaf).sum().backward()
        observed["gradient after the blocks"] = values(leaf.grad).tolist()
    finally:
        lib.set_grad_enabled(True)
    return observed
