"""Tensor metadata, conversions and constructors (torch-free); compared with torch in
difftests/test_tensor_api.py."""
from __future__ import annotations

import numpy as np

from difftests.scenarios import array, attempt, scenario


def dtype_name(dtype) -> str:
    return str(dtype).split(".")[-1]


@scenario("tensor.metadata")
def metadata(lib, data):
    t = lib.tensor(data)
    obs = {"shape": list(t.shape), "size": list(t.size()), "dim": t.dim(), "ndim": t.ndim, "numel": t.numel(),
           "dtype": dtype_name(t.dtype), "tolist": t.tolist(), "is_floating_point": t.is_floating_point()}
    if data.ndim:
        obs["size_last"] = t.size(-1)
        obs["len"] = len(t)
    if data.size == 1:
        obs["item"] = t.item()
    return obs


@scenario("tensor.conversions")
def conversions(lib, data):
    t = lib.tensor(data)
    return {name: {"dtype": dtype_name(getattr(t, name)().dtype), "values": array(getattr(t, name)())}
            for name in ("float", "double", "long", "bool")}


@scenario("tensor.numpy_and_item_errors")
def numpy_and_item_errors(lib):
    t = lib.tensor([1.0, 2.0], requires_grad=True)
    return {"numpy_requires_grad": attempt(lambda: t.numpy()),
            "detached_numpy": np.array(t.detach().numpy(), copy=True),
            "item_of_two": attempt(lambda: lib.tensor([1.0, 2.0]).item())}


@scenario("tensor.leaf_flags")
def leaf_flags(lib):
    x = lib.tensor([1.0, 2.0])
    before = [x.is_leaf, x.requires_grad, x.grad_fn is None]
    x.requires_grad_()
    y = x * 2.0
    return {"before": before, "after": [x.requires_grad, y.requires_grad, y.is_leaf, y.grad_fn is not None]}


@scenario("tensor.in_place")
def in_place(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x.clone() * 3.0).sum().backward()
    d = lib.tensor([1.0, 2.0]).clone()
    d.zero_()
    f = lib.zeros(2, 2)
    f.fill_(3.5)
    s = lib.zeros(2, 3)
    s[0, 1] = 5.0
    return {"clone_grad": array(x.grad), "zeroed": array(d), "filled": array(f), "set": array(s),
            "set_requires_grad": attempt(lambda: lib.zeros(2, requires_grad=True).__setitem__(0, 1.0))}


@scenario("tensor.random")
def random(lib, n):
    lib.manual_seed(123)
    a, u = array(lib.randn(3, 4)), array(lib.rand(5))
    lib.manual_seed(123)
    b, v = array(lib.randn(3, 4)), array(lib.rand(5))
    lib.manual_seed(0)
    return {"same_normal": bool(np.array_equal(a, b)), "same_uniform": bool(np.array_equal(u, v)),
            "randn_dtype": dtype_name(lib.randn(2).dtype), "randn_shape": list(lib.randn(3, 4).shape),
            "normal": array(lib.randn(n)), "uniform": array(lib.rand(n)), "ints": array(lib.randint(0, 10, (n,)))}


@scenario("tensor.like_constructors")
def like_constructors(lib):
    base = lib.tensor(np.zeros((2, 3), np.float64))
    made = {name: getattr(lib, name)(base) for name in ("zeros_like", "ones_like", "randn_like", "rand_like")}
    obs = {name: [list(t.shape), dtype_name(t.dtype)] for name, t in made.items()}
    obs["full_like"] = array(lib.full_like(base, 7.0))
    e = lib.empty(2, 3)
    obs["empty"] = [list(e.shape), dtype_name(e.dtype)]
    return obs


@scenario("tensor.grad_mode")
def grad_mode(lib):
    x = lib.tensor([1.0], requires_grad=True)
    with lib.set_grad_enabled(False):
        off = [lib.is_grad_enabled(), (x * 2.0).requires_grad]
        with lib.enable_grad():
            on = [lib.grad_enabled(), (x * 2.0).requires_grad]
    return {"off": off, "on": on, "restored": lib.is_grad_enabled()}


@scenario("tensor.dtypes")
def dtypes(lib):
    return {name: dtype_name(lib.zeros(1, dtype=getattr(lib, name)).dtype)
            for name in ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"]}
