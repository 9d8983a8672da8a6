"""Tensor constructors: tensor, zeros, ones, full, empty, arange, randn, rand, *_like."""
from __future__ import annotations

import numpy as np

from tiny import dtypes
from tiny.random import default_generator
from tiny.tensor import Tensor

DEFAULT_FLOAT = dtypes.float32


def _infer_dtype(data: object) -> np.dtype:
    """torch.tensor's inference: bools -> bool, ints -> int64, any float -> float32; arrays keep theirs."""
    if isinstance(data, (np.ndarray, np.generic)):  # NumPy arrays and scalars keep their dtype
        return data.dtype
    flat = np.asarray(data, dtype=object).ravel() if not isinstance(data, (int, float, bool)) else [data]
    kinds = {type(v) for v in flat}
    if any(issubclass(k, (float, np.floating)) for k in kinds):
        return DEFAULT_FLOAT.np
    if kinds and all(issubclass(k, (bool, np.bool_)) for k in kinds):
        return np.dtype(bool)
    if not kinds:
        return DEFAULT_FLOAT.np
    return np.dtype(np.int64)


_SCALARS = (bool, int, float, np.bool_, np.number)


def _check_data(data: object, dim: int = 0) -> None:
    """torch.tensor's errors for what NumPy would take apart badly (or into an object array): None and other
    non-numbers, strings, ragged nested lists."""
    if isinstance(data, (list, tuple)):
        for item in data:
            _check_data(item, dim + 1)
        nested = [isinstance(item, (list, tuple)) for item in data]
        if any(nested) and not all(nested):
            raise TypeError(f"tensor: expected a sequence or a number at every position of dim {dim + 1}, got a "
                            f"mix of both in {data!r:.80}")
        if data and all(nested):
            length = len(data[0])
            for item in data:
                if len(item) != length:
                    raise ValueError(f"tensor: expected sequence of length {length} at dim {dim + 1} "
                                     f"(got {len(item)})")
        return
    if isinstance(data, (Tensor, np.ndarray) + _SCALARS):
        return
    if isinstance(data, (str, bytes)):
        raise TypeError(f"tensor: invalid data type '{type(data).__name__}' ({data!r:.40}); expected numbers, "
                        "nested lists of numbers, an np.ndarray or a Tensor")
    raise RuntimeError(f"tensor: Could not infer dtype of {type(data).__name__}; expected numbers, nested lists "
                       "of numbers, an np.ndarray or a Tensor")


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new Tensor holding a copy of `data` (nested lists, numbers, NumPy arrays or a Tensor)."""
    if isinstance(data, Tensor):
        data = data.data
    _check_data(data)
    np_dtype = dtypes.to_dtype(dtype, "tensor").np if dtype is not None else _infer_dtype(data)
    array = np.array(data, dtype=np_dtype, copy=True)
    dtypes.to_dtype(array.dtype, "tensor")  # rejects unsupported NumPy dtypes (float16, complex, ...)
    return Tensor(array, requires_grad=requires_grad)


def _size(op: str, size: tuple) -> tuple[int, ...]:
    if not size:
        raise TypeError(f"{op}: missing the size, e.g. {op}(2, 3) or {op}(()) for a 0-d tensor")
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{op}: sizes must be ints, got {type(s).__name__} {s!r} in size {size!r}")
        if s < 0:
            raise RuntimeError(f"{op}: Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _dtype(dtype, default=DEFAULT_FLOAT) -> np.dtype:
    return dtypes.to_dtype(dtype if dtype is not None else default).np


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_size("zeros", size), _dtype(dtype)), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_size("ones", size), _dtype(dtype)), requires_grad=requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uninitialized in torch; zero-filled here so results never depend on garbage memory."""
    return Tensor(np.zeros(_size("empty", size), _dtype(dtype)), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    if isinstance(fill_value, Tensor) and fill_value.data.ndim == 0:
        fill_value = fill_value.data[()]
    if not isinstance(fill_value, _SCALARS):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__} {fill_value!r:.40}")
    if dtype is None:
        dtype = _infer_dtype(fill_value)
    return Tensor(np.full(_size("full", (size,)), fill_value, _dtype(dtype)), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """[start, end) by step; int arguments give int64, any float gives float32 (torch)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        dtype = _infer_dtype([start, end, step])
    np_dtype = _dtype(dtype)
    count = int(np.ceil((end - start) / step))
    if np_dtype.kind == "f":
        # torch rounds start and step to the result dtype first, then computes start + i * step.
        start, step = float(np_dtype.type(start)), float(np_dtype.type(step))
        values = start + step * np.arange(count, dtype=np.float64)
    else:
        values = start + step * np.arange(count, dtype=np.int64)
    return Tensor(values.astype(np_dtype), requires_grad=requires_grad)


def randn(*size, dtype=None, generator=None, requires_grad: bool = False) -> Tensor:
    gen = generator or default_generator()
    values = gen.standard_normal(_size("randn", size))
    return Tensor(values.astype(_dtype(dtype)), requires_grad=requires_grad)


def rand(*size, dtype=None, generator=None, requires_grad: bool = False) -> Tensor:
    gen = generator or default_generator()
    values = gen.random(_size("rand", size))
    return Tensor(values.astype(_dtype(dtype)), requires_grad=requires_grad)


def randint(low, high=None, size=(), dtype=None, generator=None) -> Tensor:
    if high is None:
        low, high = 0, low
    gen = generator or default_generator()
    values = gen.integers(low, high, size=_size("randint", (size,)))
    return Tensor(values.astype(_dtype(dtype, dtypes.int64)))


def zeros_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def ones_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return ones(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return full(input.shape, fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def rand_like(input: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)
