"""tiny's dtypes: thin named wrappers over NumPy dtypes, printed and compared like torch's."""
from __future__ import annotations

import numpy as np


class DType:
    """A tensor element type. `tiny.float32 == np.float32` is True, so NumPy dtypes are accepted too."""

    __slots__ = ("name", "np")

    def __init__(self, name: str) -> None:
        self.name = name
        self.np = np.dtype(name)

    @property
    def is_floating_point(self) -> bool:
        return self.np.kind == "f"

    @property
    def itemsize(self) -> int:
        return self.np.itemsize

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self.np == other.np
        try:
            return self.np == np.dtype(other)  # type: ignore[arg-type]
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self.np)

    def __repr__(self) -> str:
        return f"tiny.{self.name}"


float32 = DType("float32")
float64 = DType("float64")
int64 = DType("int64")
int32 = DType("int32")
int16 = DType("int16")
int8 = DType("int8")
uint8 = DType("uint8")
bool_ = DType("bool")

_BY_NUMPY = {d.np: d for d in (float32, float64, int64, int32, int16, int8, uint8, bool_)}
SUPPORTED = tuple(_BY_NUMPY.values())


def to_dtype(dtype: object, op: str = "tensor") -> DType:
    """Normalize a DType / NumPy dtype / type / string to a supported DType, or raise TypeError."""
    if isinstance(dtype, DType):
        return dtype
    try:
        np_dtype = np.dtype(dtype)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype") from None
    if np_dtype not in _BY_NUMPY:
        supported = ", ".join(d.name for d in SUPPORTED)
        raise TypeError(f"{op}: unsupported dtype {np_dtype}; tiny supports {supported}")
    return _BY_NUMPY[np_dtype]


def category(np_dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point: the order torch promotes across."""
    return {"b": 0, "i": 1, "u": 1, "f": 2}[np_dtype.kind]
