"""`Tensor`: an np.ndarray plus what autograd needs (requires_grad, grad, grad_fn).

Every differentiable method delegates to a functional op in `tiny.ops`, whose Function holds the
forward and backward side by side. Dtypes are preserved (no silent casts) and promoted as in torch.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from tiny import dtypes
from tiny.autograd import Function, grad_enabled, run_backward
from tiny.autograd.version import check_in_place, version_of
from tiny.ops import arithmetic, compare, index, join, matmul as matmul_op, reduce, shape, unary


class Tensor:
    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "_output_index", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data: np.ndarray, requires_grad: bool = False) -> None:
        if not isinstance(data, np.ndarray):
            raise TypeError(f"Tensor: expected an np.ndarray, got {type(data).__name__}; "
                            "use tiny.tensor(data) to build one from Python data")
        self.data = data
        self.grad: Tensor | None = None
        self.grad_fn = None
        self._output_index = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray) -> "Tensor":
        """A Tensor around `data` without checks (ops use it on arrays they computed)."""
        t = cls.__new__(cls)
        t.data, t.grad, t.grad_fn, t._output_index, t.requires_grad = data, None, None, 0, False
        return t

    # ----- metadata -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def size(self, dim: int | None = None):
        if dim is None:
            return self.data.shape
        from tiny.ops._util import normalize_dim
        return self.data.shape[normalize_dim("size", dim, self.data.ndim)]

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.to_dtype(self.data.dtype)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, "
                               f"got {self.data.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_: you can only change requires_grad flags of leaf "
                               "variables; use detach() for a non-leaf")
        self.requires_grad = bool(requires_grad)
        return self

    # ----- conversion -----------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("numpy: can't call numpy() on a Tensor that requires grad; "
                               "use tensor.detach().numpy() instead")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self.data.size} elements (shape "
                               f"{self.data.shape}) cannot be converted to a Python scalar")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> "Tensor":
        """Same data (shared, as in torch), cut from the graph."""
        return Tensor._wrap(self.data)

    def clone(self) -> "Tensor":
        return arithmetic.Cast.apply(self, self.data.dtype) if self.requires_grad else \
            Tensor._wrap(self.data.copy())

    def contiguous(self) -> "Tensor":
        return self

    def to(self, dtype) -> "Tensor":
        return arithmetic.to_dtype(self, dtypes.to_dtype(dtype, "to").np)

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def long(self) -> "Tensor":
        return self.to(dtypes.int64)

    def bool(self) -> "Tensor":
        return self.to(dtypes.bool_)

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def fill_(self, value) -> "Tensor":
        """Overwrite every element with `value` (a number or a 0-d Tensor), in place. As in torch: refused on a
        leaf that requires grad (in grad mode); on a non-leaf the graph records it (no gradient flows to the
        old values), and a Function that saved the old values raises at backward (version counters)."""
        if isinstance(value, Tensor):
            if value.data.ndim != 0:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value.data.ndim} dimensions")
            value = value.data
        check_in_place(self, "fill_")
        self.data[...] = value
        if self.grad_fn is not None and grad_enabled():
            rebase_overwritten(self)
        return self

    @property
    def _version(self) -> int:
        """The number of in-place writes into this tensor's memory (torch's Tensor._version)."""
        return version_of(self.data)

    # ----- autograd -------------------------------------------------------------------------
    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) · gradient into every leaf's .grad (gradient defaults to 1 for scalars)."""
        if not self.requires_grad:
            raise RuntimeError("backward: element 0 of tensors does not require grad and does not "
                               "have a grad_fn")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar "
                                   f"outputs; this output has shape {self.data.shape}, so pass "
                                   f"gradient= of that shape")
            grad = np.ones(self.data.shape, self.data.dtype)
        else:
            grad = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if grad.shape != self.data.shape:
                raise RuntimeError(f"backward: gradient has shape {grad.shape} but the output has "
                                   f"shape {self.data.shape}; they must match")
            grad = grad.astype(self.data.dtype, copy=False)
        if self.grad_fn is None:  # a leaf: its own gradient is the seed
            self.grad = Tensor._wrap(grad.copy() if self.grad is None else np.asarray(self.grad.data + grad))
            return
        run_backward(self, grad, retain_graph=retain_graph)

    # ----- arithmetic -----------------------------------------------------------------------
    def __add__(self, other): return arithmetic.add(self, other)
    def __radd__(self, other): return arithmetic.add(other, self)
    def __sub__(self, other): return arithmetic.sub(self, other)
    def __rsub__(self, other): return arithmetic.sub(other, self)
    def __mul__(self, other): return arithmetic.mul(self, other)
    def __rmul__(self, other): return arithmetic.mul(other, self)
    def __truediv__(self, other): return arithmetic.div(self, other)
    def __rtruediv__(self, other): return arithmetic.div(other, self)
    def __pow__(self, exponent): return arithmetic.pow(self, exponent)
    def __rpow__(self, base): return arithmetic.pow(base, self)
    def __neg__(self): return arithmetic.neg(self)
    def __matmul__(self, other): return matmul_op.matmul(self, other)
    def __rmatmul__(self, other): return matmul_op.matmul(other, self)

    def add(self, other, *, alpha=1): return arithmetic.add(self, other, alpha=alpha)
    def sub(self, other, *, alpha=1): return arithmetic.sub(self, other, alpha=alpha)
    def mul(self, other): return arithmetic.mul(self, other)
    def div(self, other, *, rounding_mode=None): return arithmetic.div(self, other, rounding_mode=rounding_mode)
    def pow(self, exponent): return arithmetic.pow(self, exponent)
    def neg(self): return arithmetic.neg(self)
    def matmul(self, other): return matmul_op.matmul(self, other)

    # ----- comparisons (bool results, no gradient) -----------------------------------------
    def __eq__(self, other): return compare.eq(self, other)  # type: ignore[override]
    def __ne__(self, other): return compare.ne(self, other)  # type: ignore[override]
    def __lt__(self, other): return compare.lt(self, other)
    def __le__(self, other): return compare.le(self, other)
    def __gt__(self, other): return compare.gt(self, other)
    def __ge__(self, other): return compare.ge(self, other)
    __hash__ = object.__hash__  # identity, as torch: tensors can be dict keys

    def eq(self, other): return compare.eq(self, other)
    def ne(self, other): return compare.ne(self, other)
    def lt(self, other): return compare.lt(self, other)
    def le(self, other): return compare.le(self, other)
    def gt(self, other): return compare.gt(self, other)
    def ge(self, other): return compare.ge(self, other)

    # ----- elementwise math -----------------------------------------------------------------
    def exp(self): return unary.exp(self)
    def log(self): return unary.log(self)
    def sqrt(self): return unary.sqrt(self)
    def abs(self): return unary.abs(self)
    def __abs__(self): return unary.abs(self)
    def tanh(self): return unary.tanh(self)
    def sigmoid(self): return unary.sigmoid(self)
    def relu(self): return unary.relu(self)
    def clamp(self, min=None, max=None): return unary.clamp(self, min, max)
    def clamp_min(self, min): return unary.clamp_min(self, min)
    def clamp_max(self, max): return unary.clamp_max(self, max)

    # ----- reductions -----------------------------------------------------------------------
    def sum(self, dim=None, keepdim: bool = False, *, dtype=None): return reduce.sum(self, dim, keepdim, dtype=dtype)
    def mean(self, dim=None, keepdim: bool = False, *, dtype=None): return reduce.mean(self, dim, keepdim, dtype=dtype)

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        return reduce.std(self, dim, unbiased, keepdim, correction=correction)

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        return reduce.var(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim: bool = False): return reduce.max(self, dim, keepdim)
    def min(self, dim=None, keepdim: bool = False): return reduce.min(self, dim, keepdim)
    def argmax(self, dim=None, keepdim: bool = False): return reduce.argmax(self, dim, keepdim)
    def argmin(self, dim=None, keepdim: bool = False): return reduce.argmin(self, dim, keepdim)

    # ----- shape ----------------------------------------------------------------------------
    def reshape(self, *shape_): return shape.reshape(self, *shape_)
    def view(self, *shape_): return shape.view(self, *shape_)
    def transpose(self, dim0: int, dim1: int): return shape.transpose(self, dim0, dim1)
    def permute(self, *dims): return shape.permute(self, *dims)
    def unsqueeze(self, dim: int): return shape.unsqueeze(self, dim)
    def squeeze(self, dim=None): return shape.squeeze(self, dim)
    def flatten(self, start_dim: int = 0, end_dim: int = -1): return shape.flatten(self, start_dim, end_dim)
    def expand(self, *sizes): return shape.expand(self, *sizes)

    @property
    def T(self) -> "Tensor":
        """Reverses all dims (torch deprecates .T for ndim != 2; use mT or permute there)."""
        return shape.permute(self, *reversed(range(self.data.ndim)))

    @property
    def mT(self) -> "Tensor":
        return shape.transpose(self, -2, -1)

    # ----- indexing -------------------------------------------------------------------------
    def __getitem__(self, key): return index.getitem(self, key)
    def masked_fill(self, mask, value): return index.masked_fill(self, mask, value)

    def __setitem__(self, key, value) -> None:
        if self.requires_grad and self.grad_fn is not None and grad_enabled():
            raise RuntimeError("setitem: in-place assignment into a Tensor that requires grad is not "
                               "supported by tiny's autograd; build a new tensor (where/cat) instead")
        check_in_place(self, "setitem")
        self.data[index._index_component(key, "setitem") if not isinstance(key, tuple) else
                  tuple(index._index_component(k, "setitem") for k in key)] = \
            value.data if isinstance(value, Tensor) else value

    # ----- Python protocol ------------------------------------------------------------------
    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"bool: a Tensor with {self.data.size} elements is ambiguous")
        return bool(self.data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype!r}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)



class Fill(Function):
    """The history of a non-leaf after fill_/zero_: the new values are constants, the old ones get zeros."""

    @staticmethod
    def forward(ctx, x):
        return x                                                # the new values, already written

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad)


def rebase_overwritten(tensor: Tensor) -> None:
    """After an in-place overwrite of a non-leaf, its history becomes Fill(old history) (torch's FillBackward)."""
    old = Tensor._wrap(tensor.data)
    old.requires_grad, old.grad_fn, old._output_index = True, tensor.grad_fn, tensor._output_index
    tensor.grad_fn, tensor._output_index = Fill.apply(old).grad_fn, 0
