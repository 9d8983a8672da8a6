"""Tensor metadata, conversions and constructors of the implementation under test, compared with torch.
The implementation side of each test is a scenario in difftests/scenarios/tensor_api.py."""
from __future__ import annotations

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.area_tensor

ARRAYS = [np.array(2.5), np.arange(6.0).reshape(2, 3), np.zeros((0, 3)), np.array([1, 2, 3]),
          np.array([True, False]), np.arange(24, dtype=np.float32).reshape(2, 3, 4)]


def dtype_name(dtype) -> str:
    return str(dtype).split(".")[-1]


def raised_class(observation) -> str | None:
    return observation["__raised__"][0] if isinstance(observation, dict) and "__raised__" in observation else None


@pytest.mark.parametrize("data", ARRAYS, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_metadata_matches_torch(observe, data):
    t = torch.tensor(data)
    want = {"shape": list(t.shape), "size": list(t.size()), "dim": t.dim(), "ndim": t.ndim, "numel": t.numel(),
            "dtype": dtype_name(t.dtype), "tolist": t.tolist(), "is_floating_point": t.is_floating_point()}
    if data.ndim:
        want["size_last"], want["len"] = t.size(-1), len(t)
    if data.size == 1:
        want["item"] = t.item()
    assert observe("tensor.metadata", data=data) == want


def test_dtype_conversions_match_torch(observe):
    data = np.array([-1.5, 0.0, 2.7])
    got = observe("tensor.conversions", data=data)
    for name in ("float", "double", "long", "bool"):
        want = getattr(torch.tensor(data), name)()
        assert got[name]["dtype"] == dtype_name(want.dtype)
        np.testing.assert_array_equal(got[name]["values"], want.numpy())


def test_numpy_and_item_errors_match_torch(observe):
    got = observe("tensor.numpy_and_item_errors")
    with pytest.raises(RuntimeError):
        torch.tensor([1.0, 2.0], requires_grad=True).numpy()
    assert raised_class(got["numpy_requires_grad"]) == "RuntimeError"
    np.testing.assert_array_equal(got["detached_numpy"], [1.0, 2.0])
    assert raised_class(got["item_of_two"]) == "RuntimeError"


def test_leaf_flags_and_requires_grad_(observe):
    assert observe("tensor.leaf_flags") == {"before": [True, False, True], "after": [True, True, False, True]}


def test_clone_zero_fill_and_setitem(observe):
    got = observe("tensor.in_place")
    np.testing.assert_array_equal(got["clone_grad"], [3.0, 3.0])
    np.testing.assert_array_equal(got["zeroed"], [0.0, 0.0])
    np.testing.assert_array_equal(got["filled"], np.full((2, 2), 3.5, np.float32))
    want = torch.zeros(2, 3)
    want[0, 1] = 5.0
    np.testing.assert_array_equal(got["set"], want.numpy())
    assert raised_class(got["set_requires_grad"]) == "RuntimeError"


def test_random_constructors_are_reproducible_and_well_distributed(observe):
    """randn ~ N(0, 1), rand ~ U[0, 1): sample moments of 10^5 draws within ~5 standard errors."""
    n = 100_000
    got = observe("tensor.random", n=n)
    assert got["same_normal"] and got["same_uniform"]
    assert got["randn_dtype"] == dtype_name(torch.randn(2).dtype) and got["randn_shape"] == [3, 4]
    normal, uniform, ints = got["normal"].astype(np.float64), got["uniform"].astype(np.float64), got["ints"]
    assert abs(normal.mean()) < 5 / np.sqrt(n) and abs(normal.std() - 1) < 5 / np.sqrt(2 * n)
    assert uniform.min() >= 0 and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert ints.dtype == np.int64 and ints.min() == 0 and ints.max() == 9


def test_like_constructors_match_torch(observe):
    got = observe("tensor.like_constructors")
    base = torch.zeros(2, 3, dtype=torch.float64)
    for name in ("zeros_like", "ones_like", "randn_like", "rand_like"):
        made = getattr(torch, name)(base)
        assert got[name] == [list(made.shape), dtype_name(made.dtype)]
    np.testing.assert_array_equal(got["full_like"], torch.full_like(base, 7.0).numpy())
    assert got["empty"] == [[2, 3], dtype_name(torch.empty(2, 3).dtype)]


def test_grad_mode_switches(observe):
    assert observe("tensor.grad_mode") == {"off": [False, False], "on": [True, True], "restored": True}


def test_dtypes_are_exported_and_match_torch(observe):
    got = observe("tensor.dtypes")
    assert got == {name: dtype_name(getattr(torch, name)) for name in got} and len(got) == 8
