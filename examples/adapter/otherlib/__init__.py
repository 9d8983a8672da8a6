"""otherlib: a stand-in for a *foreign* framework a student might have written, with an API that is
not tiny's: `Array` (not Tensor) holding `.value`; `.grad` is a bare ndarray; reductions take
`axis`/`keepdims`; `Dense` stores its weight as (in, out) in `.W`; `gelu` is the tanh approximation
only. It is small on purpose; examples/adapter/otherlib_adapter.py grades it through the contract."""
from __future__ import annotations

import numpy as np


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for i, size in enumerate(shape):
        if size == 1 and grad.shape[i] != 1:
            grad = grad.sum(axis=i, keepdims=True)
    return grad


class Array:
    def __init__(self, value, requires_grad: bool = False, parents=(), backward=None):
        self.value = np.asarray(value)
        self.requires_grad = requires_grad or any(p.requires_grad for p in parents)
        self.grad = None
        self._parents, self._backward = parents, backward

    def _make(self, value, parents, backward):
        return Array(value, parents=parents, backward=backward)

    def __add__(self, other):
        other = other if isinstance(other, Array) else Array(np.asarray(other, self.value.dtype))
        return self._make(self.value + other.value, (self, other),
                          lambda g: (_unbroadcast(g, self.value.shape), _unbroadcast(g, other.value.shape)))

    __radd__ = __add__

    def __mul__(self, other):
        other = other if isinstance(other, Array) else Array(np.asarray(other, self.value.dtype))
        return self._make(self.value * other.value, (self, other),
                          lambda g: (_unbroadcast(g * other.value, self.value.shape),
                                     _unbroadcast(g * self.value, other.value.shape)))

    def __matmul__(self, other):
        return self._make(self.value @ other.value, (self, other),
                          lambda g: (_unbroadcast(g @ np.swapaxes(other.value, -1, -2), self.value.shape),
                                     _unbroadcast(np.swapaxes(self.value, -1, -2) @ g, other.value.shape)))

    def sum(self, axis=None, keepdims=False):
        def backward(g):
            if axis is not None and not keepdims:
                g = np.expand_dims(g, axis)
            return (np.broadcast_to(g, self.value.shape).copy(),)
        return self._make(np.asarray(self.value.sum(axis=axis, keepdims=keepdims)), (self,), backward)

    def backward(self, seed=None):
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative post-order
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents)
        grads = {id(self): np.ones_like(self.value) if seed is None else np.asarray(seed, self.value.dtype)}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if not node._parents:
                if node.requires_grad:
                    node.grad = g if node.grad is None else node.grad + g
                continue
            for parent, pg in zip(node._parents, node._backward(g)):
                if parent.requires_grad:
                    grads[id(parent)] = grads[id(parent)] + pg if id(parent) in grads else pg


def softmax(x: Array, axis: int) -> Array:
    shifted = np.exp(x.value - x.value.max(axis=axis, keepdims=True))
    y = shifted / shifted.sum(axis=axis, keepdims=True)
    return x._make(y, (x,), lambda g: (y * (g - (g * y).sum(axis=axis, keepdims=True)),))


def gelu(x: Array) -> Array:
    """The tanh approximation (otherlib has no exact erf GELU)."""
    c = np.sqrt(2 / np.pi)
    inner = c * (x.value + 0.044715 * x.value ** 3)
    t = np.tanh(inner)
    y = 0.5 * x.value * (1 + t)
    dy = 0.5 * (1 + t) + 0.5 * x.value * (1 - t * t) * c * (1 + 3 * 0.044715 * x.value ** 2)
    return x._make(y, (x,), lambda g: (g * dy,))


class Dense:
    """y = x @ W + b with W of shape (in, out)."""

    def __init__(self, n_in: int, n_out: int, use_bias: bool = True, dtype=np.float32):
        rng = np.random.default_rng(0)
        bound = 1 / np.sqrt(n_in)
        self.W = Array(rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype), requires_grad=True)
        self.b = Array(np.zeros(n_out, dtype), requires_grad=True) if use_bias else None

    def __call__(self, x: Array) -> Array:
        y = x @ self.W
        return y + self.b if self.b is not None else y
