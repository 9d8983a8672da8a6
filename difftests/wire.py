"""A safe wire format between the trusted runner and the untrusted worker.

The worker runs student code, so what it sends back is untrusted bytes: never unpickled. A message is
JSON (nested dicts/lists/str/numbers/bools/None) in which NumPy arrays are replaced by references to
.npy blobs, read back with allow_pickle=False and only for bool/integer/float dtypes.
"""
from __future__ import annotations

import io
import json
import struct
from typing import Any

import numpy as np

ALLOWED_KINDS = "biuf"
MAX_MESSAGE_BYTES = 1 << 30


class WireError(Exception):
    """A malformed message: the worker crashed mid-write or is misbehaving."""


def encode(obj: Any) -> bytes:
    arrays: list[bytes] = []

    def walk(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, x if x.flags.c_contiguous else x.copy(order="C"),
                                      allow_pickle=False)
            arrays.append(buf.getvalue())
            return {"__array__": len(arrays) - 1}
        if isinstance(x, (list, tuple)):
            return [walk(v) for v in x]
        if isinstance(x, dict):
            return {str(k): walk(v) for k, v in x.items()}
        if isinstance(x, (np.generic,)):
            return x.item()
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        return repr(x)
    header = json.dumps(walk(obj)).encode()
    parts = [struct.pack("<Q", len(header)), header, struct.pack("<Q", len(arrays))]
    for blob in arrays:
        parts += [struct.pack("<Q", len(blob)), blob]
    return b"".join(parts)


def decode(data: bytes) -> Any:
    view = memoryview(data)
    offset = 0

    def take(n: int) -> memoryview:
        nonlocal offset
        if n < 0 or offset + n > len(view):
            raise WireError("truncated message")
        chunk = view[offset:offset + n]
        offset += n
        return chunk

    def take_u64() -> int:
        return struct.unpack("<Q", take(8))[0]

    try:
        header = json.loads(bytes(take(take_u64())).decode())
        arrays = []
        for _ in range(take_u64()):
            array = np.lib.format.read_array(io.BytesIO(bytes(take(take_u64()))), allow_pickle=False)
            if array.dtype.kind not in ALLOWED_KINDS:
                raise WireError(f"array of dtype {array.dtype} is not allowed")
            arrays.append(array)
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError, struct.error) as exc:
        raise WireError(f"malformed message: {exc}") from None

    def unwalk(x: Any) -> Any:
        if isinstance(x, dict):
            if set(x) == {"__array__"}:
                index = x["__array__"]
                if not isinstance(index, int) or not 0 <= index < len(arrays):
                    raise WireError("bad array reference")
                return arrays[index]
            return {k: unwalk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [unwalk(v) for v in x]
        return x
    return unwalk(header)


def write_frame(stream, payload: bytes) -> None:
    stream.write(struct.pack("<Q", len(payload)) + payload)
    stream.flush()


def read_exactly(stream, n: int) -> bytes:
    chunks = []
    while n:
        chunk = stream.read(n)
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(stream) -> bytes:
    (length,) = struct.unpack("<Q", read_exactly(stream, 8))
    if length > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {length} bytes is too large")
    return read_exactly(stream, length)
