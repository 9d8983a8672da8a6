"""Tensor metadata and conversions of the implementation under test, compared with torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.area_tensor

ARRAYS = [np.array(2.5), np.arange(6.0).reshape(2, 3), np.zeros((0, 3)), np.array([1, 2, 3]),
          np.array([True, False]), np.arange(24, dtype=np.float32).reshape(2, 3, 4)]


def _dtype_name(dtype) -> str:
    return str(dtype).split(".")[-1]


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_metadata_matches_torch(impl, array):
    mine, theirs = impl.tensor(array), torch.tensor(array)
    assert tuple(mine.shape) == tuple(theirs.shape)
    assert tuple(mine.size()) == tuple(theirs.size())
    assert mine.dim() == theirs.dim() and mine.ndim == theirs.ndim
    assert mine.numel() == theirs.numel()
    assert _dtype_name(mine.dtype) == _dtype_name(theirs.dtype)
    assert mine.tolist() == theirs.tolist()
    assert mine.is_floating_point() == theirs.is_floating_point()
    if array.ndim:
        assert mine.size(-1) == theirs.size(-1)
        assert len(mine) == len(theirs)
    if array.size == 1:
        assert mine.item() == theirs.item()


@pytest.mark.parametrize("method", ["float", "double", "long", "bool"])
def test_dtype_conversions_match_torch(impl, method):
    array = np.array([-1.5, 0.0, 2.7])
    mine, theirs = getattr(impl.tensor(array), method)(), getattr(torch.tensor(array), method)()
    assert _dtype_name(mine.dtype) == _dtype_name(theirs.dtype)
    np.testing.assert_array_equal(np.asarray(mine.data), theirs.numpy())


def test_numpy_refuses_a_tensor_that_requires_grad(impl):
    t = impl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        t.numpy()
    np.testing.assert_array_equal(t.detach().numpy(), [1.0, 2.0])


def test_item_of_a_multi_element_tensor_raises(impl):
    with pytest.raises(RuntimeError, match="2"):
        impl.tensor([1.0, 2.0]).item()


def test_leaf_flags_and_requires_grad_(impl):
    x = impl.tensor([1.0, 2.0])
    assert x.is_leaf and not x.requires_grad and x.grad_fn is None
    x.requires_grad_()
    y = x * 2.0
    assert x.requires_grad and y.requires_grad and not y.is_leaf and y.grad_fn is not None


def test_clone_is_differentiable_and_independent(impl):
    x = impl.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    (c * 3.0).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad.data), [3.0, 3.0])
    d = impl.tensor([1.0, 2.0]).clone()
    d.zero_()
    np.testing.assert_array_equal(np.asarray(d.data), [0.0, 0.0])


def test_fill_and_zero_in_place(impl):
    t = impl.zeros(2, 2)
    t.fill_(3.5)
    np.testing.assert_array_equal(np.asarray(t.data), np.full((2, 2), 3.5, np.float32))
    t.zero_()
    assert not np.asarray(t.data).any()


def test_manual_seed_makes_random_constructors_reproducible(impl):
    impl.manual_seed(123)
    a, u = impl.randn(3, 4), impl.rand(5)
    impl.manual_seed(123)
    b, v = impl.randn(3, 4), impl.rand(5)
    np.testing.assert_array_equal(np.asarray(a.data), np.asarray(b.data))
    np.testing.assert_array_equal(np.asarray(u.data), np.asarray(v.data))
    assert _dtype_name(a.dtype) == "float32" and tuple(a.shape) == (3, 4)


def test_random_constructors_have_the_right_distribution(impl):
    """randn ~ N(0, 1), rand ~ U[0, 1): sample moments of 10^5 draws within ~5 standard errors."""
    impl.manual_seed(0)
    n = 100_000
    normal = np.asarray(impl.randn(n).data, np.float64)
    uniform = np.asarray(impl.rand(n).data, np.float64)
    assert abs(normal.mean()) < 5 / np.sqrt(n) and abs(normal.std() - 1) < 5 / np.sqrt(2 * n)
    assert uniform.min() >= 0 and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    ints = np.asarray(impl.randint(0, 10, (n,)).data)
    assert ints.dtype == np.int64 and ints.min() == 0 and ints.max() == 9


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "randn_like", "rand_like"])
def test_like_constructors_match_shape_and_dtype(impl, name):
    base = impl.tensor(np.zeros((2, 3), np.float64))
    made = getattr(impl, name)(base)
    assert tuple(made.shape) == (2, 3) and _dtype_name(made.dtype) == "float64"


def test_full_like_and_empty(impl):
    base = impl.tensor(np.zeros((2, 3), np.float64))
    np.testing.assert_array_equal(np.asarray(impl.full_like(base, 7.0).data), np.full((2, 3), 7.0))
    e = impl.empty(2, 3)
    assert tuple(e.shape) == (2, 3) and _dtype_name(e.dtype) == "float32"


def test_grad_mode_switches(impl):
    x = impl.tensor([1.0], requires_grad=True)
    with impl.set_grad_enabled(False):
        assert not impl.is_grad_enabled() and not (x * 2.0).requires_grad
        with impl.enable_grad():
            assert impl.grad_enabled() and (x * 2.0).requires_grad
    assert impl.is_grad_enabled()


def test_dtypes_are_exported_and_comparable(impl):
    for name in ["float32", "float64", "int64", "int32", "int8", "uint8", "bool"]:
        dtype = getattr(impl, name)
        assert _dtype_name(impl.zeros(1, dtype=dtype).dtype) == _dtype_name(getattr(torch, name))


def test_setitem_writes_in_place_without_grad(impl):
    t = impl.zeros(2, 3)
    t[0, 1] = 5.0
    assert float(t[0, 1].item()) == 5.0
    with pytest.raises(RuntimeError):
        impl.zeros(2, requires_grad=True)[0] = 1.0
