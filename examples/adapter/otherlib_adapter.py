"""Adapter: presents tiny's contract (torch's API shape) on top of otherlib, so the difftests can
grade it: `python -m difftests --impl examples/adapter/otherlib_adapter.py`.

What it translates, one line each:
- names: `tensor()`/`Tensor` over otherlib's `Array`; `.data` is `.value`; `dim`/`keepdim` -> `axis`/`keepdims`;
- `.grad`: otherlib's bare ndarray is wrapped into a Tensor;
- weight layout: `nn.Linear.weight` is otherlib's `Dense.W` transposed ((in, out) -> (out, in)), both
  when loading a state dict and when reporting gradients;
- what it cannot translate it declares: exact GELU does not exist in otherlib, so
  `gelu(approximate='none')` raises NotImplementedError and shows as "not implemented" — an
  adapter must never fake a feature.
Anything not defined here is simply missing, and its pairs report "not implemented".
"""
from __future__ import annotations

import os
import sys
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import otherlib  # noqa: E402


class Tensor:
    """A contract Tensor around an otherlib Array."""

    def __init__(self, array: otherlib.Array):
        self._array = array

    data = property(lambda self: self._array.value)
    shape = property(lambda self: self._array.value.shape)
    requires_grad = property(lambda self: self._array.requires_grad)
    dtype = property(lambda self: self._array.value.dtype)

    @property
    def grad(self):
        g = self._array.grad
        return None if g is None else Tensor(otherlib.Array(g))

    def backward(self, gradient=None, retain_graph=False):
        self._array.backward(None if gradient is None else gradient.data)

    def sum(self, dim=None, keepdim=False):
        return Tensor(self._array.sum(axis=dim, keepdims=keepdim))

    def __add__(self, other):
        return Tensor(self._array + _unwrap(other))

    def __radd__(self, other):
        return Tensor(self._array + _unwrap(other))

    def __mul__(self, other):
        return Tensor(self._array * _unwrap(other))

    def __matmul__(self, other):
        return Tensor(self._array @ _unwrap(other))


float32, float64, int64, bool = np.float32, np.float64, np.int64, np.bool_  # contract dtype names


def _unwrap(x):
    return x._array if isinstance(x, Tensor) else x


def tensor(data, dtype=None, requires_grad=False):
    value = np.array(data, dtype=None if dtype is None else np.dtype(dtype), copy=True)
    return Tensor(otherlib.Array(value, requires_grad=requires_grad))


class _TransposedWeight:
    """Shows Dense.W (in, out) as a contract parameter of shape (out, in)."""

    def __init__(self, array: otherlib.Array):
        self._array = array

    data = property(lambda self: self._array.value.T)

    @property
    def grad(self):
        return None if self._array.grad is None else Tensor(otherlib.Array(self._array.grad.T))


class Linear:
    def __init__(self, in_features, out_features, bias=True, dtype=None):
        self._dense = otherlib.Dense(in_features, out_features, use_bias=bias,
                                     dtype=np.float32 if dtype is None else np.dtype(dtype))

    def load_state_dict(self, state):
        self._dense.W.value = np.array(state["weight"].data.T)
        if "bias" in state:
            self._dense.b.value = np.array(state["bias"].data)

    def named_parameters(self):
        yield "weight", _TransposedWeight(self._dense.W)
        if self._dense.b is not None:
            yield "bias", Tensor(self._dense.b)

    def __call__(self, x):
        return Tensor(self._dense(x._array))


def softmax(input, dim=None, dtype=None):
    if dtype is not None:
        raise NotImplementedError("otherlib's softmax has no dtype argument")
    return Tensor(otherlib.softmax(input._array, axis=dim))


def gelu(input, approximate="none"):
    if approximate != "tanh":
        raise NotImplementedError("otherlib has only the tanh approximation of GELU")
    return Tensor(otherlib.gelu(input._array))


nn = SimpleNamespace(Linear=Linear, functional=SimpleNamespace(softmax=softmax, gelu=gelu))
