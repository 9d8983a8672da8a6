"""A safe wire format between the trusted runner and the untrusted worker.

The worker runs student code, so what it sends back is untrusted bytes: never unpickled. A message is
JSON (nested dicts/lists/str/numbers/bools/None) in which NumPy arrays are replaced by references to
.npy blobs, read back with allow_pickle=False and only for bool/integer/float dtypes.
"""
from __future__ import annotations

import io
import json
import re
import struct
from typing import Any

import numpy as np

ALLOWED_KINDS = "biuf"
MAX_MESSAGE_BYTES = 256 << 20      # a whole reply; checked before it is read
MAX_HEADER_BYTES = 16 << 20        # its JSON part; checked before it is parsed
MAX_DEPTH = 64                     # JSON nesting; checked before it is parsed
MAX_ARRAYS = 10_000
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
# C0/C1 controls (ANSI escapes start with ESC), bidi overrides, lone surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class WireError(Exception):
    """A malformed message: the worker crashed mid-write or is misbehaving."""


def clean_text(text: str, limit: int = 4000, one_line: bool = True) -> str:
    """Text from the worker made safe for a terminal, a log or a report: control characters (ANSI
    escapes), bidi overrides and lone surrogates become visible escapes; at most `limit` characters."""
    pattern = _UNSAFE_ONE_LINE if one_line else _UNSAFE
    text = pattern.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii")
                       if not "\ud800" <= m.group() <= "\udfff" else f"\\u{ord(m.group()):04x}", str(text))
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def json_depth(data: bytes) -> int:
    """The nesting depth of a JSON text, computed without parsing it (no recursion)."""
    skeleton = np.frombuffer(_STRINGS.sub(b'""', data), dtype=np.uint8)
    steps = (np.isin(skeleton, (ord("["), ord("{"))).astype(np.int64)
             - np.isin(skeleton, (ord("]"), ord("}"))).astype(np.int64))
    return int(np.cumsum(steps).max()) if steps.size else 0


def _read_npy(blob: bytes) -> np.ndarray:
    """An .npy blob whose header must announce exactly the bytes that follow (no huge allocation
    from a lying header), of a plain numeric dtype, never pickled."""
    stream = io.BytesIO(blob)
    version = np.lib.format.read_magic(stream)
    if version not in ((1, 0), (2, 0)):
        raise WireError(f"unsupported .npy version {version}")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read_header(stream)
    if dtype.kind not in ALLOWED_KINDS or dtype.hasobject:
        raise WireError(f"array of dtype {dtype} is not allowed")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    data = blob[stream.tell():]
    if count < 0 or count * dtype.itemsize != len(data):
        raise WireError(f"array header announces {shape} {dtype}, but {len(data)} bytes follow")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()


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

    if len(data) > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {len(data)} bytes is too large (limit {MAX_MESSAGE_BYTES})")
    try:
        header_size = take_u64()
        if header_size > MAX_HEADER_BYTES:
            raise WireError(f"JSON part of {header_size} bytes is too large (limit {MAX_HEADER_BYTES})")
        header_bytes = bytes(take(header_size))
        depth = json_depth(header_bytes)
        if depth > MAX_DEPTH:
            raise WireError(f"JSON nested {depth} deep (limit {MAX_DEPTH})")
        header = json.loads(header_bytes.decode())
        n_arrays = take_u64()
        if n_arrays > MAX_ARRAYS:
            raise WireError(f"{n_arrays} arrays (limit {MAX_ARRAYS})")
        arrays = [_read_npy(bytes(take(take_u64()))) for _ in range(n_arrays)]
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError, struct.error, RecursionError) as exc:
        raise WireError(f"malformed message: {type(exc).__name__}: {clean_text(str(exc), 300)}") from None

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
