"""Quantized dtypes (`qint8`, `quint8`, `qint32`) and quantization schemes, spelled as in torch.

A quantized dtype names the integer storage of the codes and its full range; the codes themselves are
real int8 / uint8 / int32 NumPy arrays (see tiny/quant/qtensor.py). `qint8 != int8`: one is a quantized
type, the other a plain integer tensor dtype, as in torch.
"""
from __future__ import annotations

import numpy as np


class QDType:
    """A quantized element type: `storage` (the NumPy dtype of the codes) and its range [qmin, qmax]."""

    __slots__ = ("name", "storage", "qmin", "qmax")

    def __init__(self, name: str, storage: str) -> None:
        self.name = name
        self.storage = np.dtype(storage)
        info = np.iinfo(self.storage)
        self.qmin, self.qmax = int(info.min), int(info.max)

    @property
    def is_floating_point(self) -> bool:
        return False

    @property
    def itemsize(self) -> int:
        return self.storage.itemsize

    def __repr__(self) -> str:
        return f"tiny.{self.name}"


qint8 = QDType("qint8", "int8")
quint8 = QDType("quint8", "uint8")
qint32 = QDType("qint32", "int32")
QDTYPES = {d.name: d for d in (qint8, quint8, qint32)}


class QScheme:
    """How scales and zero points are laid out: per tensor or per channel, affine or symmetric."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def per_channel(self) -> bool:
        return self.name.startswith("per_channel")

    @property
    def symmetric(self) -> bool:
        return self.name.endswith("symmetric")

    def __repr__(self) -> str:
        return f"tiny.{self.name}"


per_tensor_affine = QScheme("per_tensor_affine")
per_tensor_symmetric = QScheme("per_tensor_symmetric")
per_channel_affine = QScheme("per_channel_affine")
per_channel_symmetric = QScheme("per_channel_symmetric")
QSCHEMES = {s.name: s for s in (per_tensor_affine, per_tensor_symmetric, per_channel_affine, per_channel_symmetric)}


def to_qdtype(dtype: object, op: str) -> QDType:
    """A QDType from a QDType or its name ("qint8"); anything else is a TypeError naming the op."""
    if isinstance(dtype, QDType):
        return dtype
    if isinstance(dtype, str) and dtype in QDTYPES:
        return QDTYPES[dtype]
    raise TypeError(f"{op}: dtype must be one of tiny.qint8, tiny.quint8, tiny.qint32, got {dtype!r}")


def to_qscheme(qscheme: object, op: str) -> QScheme:
    if isinstance(qscheme, QScheme):
        return qscheme
    if isinstance(qscheme, str) and qscheme in QSCHEMES:
        return QSCHEMES[qscheme]
    raise TypeError(f"{op}: qscheme must be one of {sorted(QSCHEMES)}, got {qscheme!r}")
