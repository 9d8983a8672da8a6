"""The tensor and its reverse-mode engine: every op records a backward closure over its inputs."""
from __future__ import annotations

import contextlib

import numpy as np

_GRAD_ENABLED = [True]


@contextlib.contextmanager
def no_grad():
    _GRAD_ENABLED.append(False)
    try:
        yield
    finally:
        _GRAD_ENABLED.pop()


def _as_array(data, dtype=None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    array = np.array(data)
    if dtype is not None and str(dtype) not in ("float32", "float64", "int64"):
        raise NotImplementedError(f"minigrad has no dtype {dtype}")
    if dtype in ("float32", "float64") or array.dtype.kind == "f":
        return array.astype(np.float32)  # float32 only
    if dtype == "int64":
        return array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise NotImplementedError(f"minigrad supports float32 and integer tensors, not {array.dtype}")
    return array


def tensor(data, dtype=None, requires_grad: bool = False) -> "Tensor":
    return Tensor(_as_array(data, dtype), requires_grad=requires_grad)


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient over the dims broadcasting added or stretched, back to `shape`."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def _operand(x) -> "Tensor":
    if isinstance(x, Tensor):
        return x
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"unsupported operand {type(x).__name__}")
    return Tensor(np.array(x, dtype=np.float32 if isinstance(x, float) else np.int64))


def _result(values: np.ndarray, parents: tuple, backward) -> "Tensor":
    out = Tensor(values.astype(np.float32) if values.dtype.kind == "f" else values)
    needs = _GRAD_ENABLED[-1] and any(p.requires_grad for p in parents)
    if needs:
        out.requires_grad = True
        out._parents = parents
        out._backward = backward
    return out


def _broadcast_check(op: str, a: np.ndarray, b: np.ndarray) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"{op}: shapes {a.shape} and {b.shape} are not broadcastable") from None


class Tensor:
    def __init__(self, data, requires_grad: bool = False) -> None:
        self.data = data if isinstance(data, np.ndarray) else _as_array(data)
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError("only float tensors can require gradients")
        self.requires_grad = requires_grad
        self.grad: Tensor | None = None
        self._parents: tuple = ()
        self._backward = None

    # ----- basics ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> str:
        return str(self.data.dtype)

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("numpy() of a tensor that requires grad: call detach() first")
        return self.data.copy()

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(f"item() of a tensor with {self.data.size} elements")
        return self.data.item()

    def detach(self) -> "Tensor":
        return Tensor(self.data)

    def __repr__(self) -> str:
        return f"tensor({self.data})"

    # ----- the engine --------------------------------------------------------------------------
    def backward(self, gradient=None) -> None:
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            gradient = np.ones_like(self.data)
        grads = {id(self): _as_array(gradient).reshape(self.shape)}
        order, seen = [], set()

        def visit(node: Tensor) -> None:
            stack = [(node, False)]
            while stack:
                t, done = stack.pop()
                if done:
                    order.append(t)
                    continue
                if id(t) in seen:
                    continue
                seen.add(id(t))
                stack.append((t, True))
                stack.extend((p, False) for p in t._parents)
        visit(self)
        for t in reversed(order):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if t._backward is None:
                if t.requires_grad:
                    t.grad = Tensor(g) if t.grad is None else Tensor(t.grad.data + g)
                continue
            for parent, pg in zip(t._parents, t._backward(g)):
                if pg is not None and parent.requires_grad:
                    pg = _unbroadcast(np.asarray(pg, dtype=np.float32), parent.shape)
                    grads[id(parent)] = grads[id(parent)] + pg if id(parent) in grads else pg

    # ----- arithmetic --------------------------------------------------------------------------
    def __add__(self, other):
        b = _operand(other)
        _broadcast_check("add", self.data, b.data)
        return _result(self.data + b.data, (self, b), lambda g: (g, g))

    __radd__ = __add__

    def __mul__(self, other):
        b = _operand(other)
        _broadcast_check("mul", self.data, b.data)
        a_data, b_data = self.data, b.data
        return _result(a_data * b_data, (self, b), lambda g: (g * b_data, g * a_data))

    __rmul__ = __mul__

    def __neg__(self):
        return _result(-self.data, (self,), lambda g: (-g,))

    def __sub__(self, other):
        return self + (-_operand(other))

    def __matmul__(self, other):
        from minigrad.ops import matmul
        return matmul(self, other)

    # ----- reductions, elementwise, shapes (minigrad/ops.py) -----------------------------------
    def sum(self, dim=None, keepdim: bool = False):
        from minigrad.ops import sum_
        return sum_(self, dim, keepdim)

    def mean(self, dim=None, keepdim: bool = False):
        from minigrad.ops import mean
        return mean(self, dim, keepdim)

    def exp(self):
        from minigrad.ops import exp
        return exp(self)

    def tanh(self):
        from minigrad.ops import tanh
        return tanh(self)

    def relu(self):
        from minigrad.ops import relu
        return relu(self)

    def reshape(self, *shape):
        from minigrad.ops import reshape
        return reshape(self, *shape)
