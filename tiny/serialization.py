"""tiny.save / tiny.load: state dicts in the safetensors format, written and read with NumPy (no pickle).

The format (https://huggingface.co/docs/safetensors, "Format"):

    8 bytes      N, the header length, unsigned little-endian
    N bytes      a JSON object: {"<tensor name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
                                 ..., "__metadata__": {"<str>": "<str>"}}  (padded with spaces to 8 bytes)
    the rest     the tensors' raw little-endian bytes, row-major; offsets count from the end of the header,
                 and the tensors cover this buffer exactly, without gaps or overlaps

What tiny puts in it, for an object that is a (nested) dict of tensors, numbers, strings, None, lists and
tuples — a model's, an optimizer's or a scheduler's state_dict, or a dict holding several of them:
- each tensor (tiny.Tensor or np.ndarray) is a tensor entry named by its path, keys joined with "."
  ({"model": {"c1.weight": t}} -> "model.c1.weight"); a flat model state dict is therefore stored exactly
  as torch's safetensors.torch.save_file stores it, and load_file returns it ready for load_state_dict;
- each other value is a metadata entry under its path, holding the value as a JSON string;
- the metadata entry "__tiny_tree__" (JSON) records the structure — dict keys with their types (the
  optimizer's state is keyed by int), dicts vs OrderedDicts, lists vs tuples, and which entry each leaf
  is — so tiny.load returns the very object that was saved (tensors as tiny.Tensor, arrays as np.ndarray).
A file without "__tiny_tree__" (e.g. written by safetensors.torch.save_file) loads as {name: Tensor}.
"""
from __future__ import annotations

import json
import math
import os
import struct
from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = ["save", "load"]

TREE_KEY = "__tiny_tree__"
DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
          "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
CODES = {np.dtype(v): k for k, v in DTYPES.items()}


# ----- save -------------------------------------------------------------------------------------------------
def _encode(obj: Any, path: str, tensors: dict, values: dict, where: str) -> Any:
    """The tree node for obj; tensors and plain values are collected under their path."""
    from tiny.tensor import Tensor

    if isinstance(obj, (Tensor, np.ndarray)):
        return _leaf(path, tensors, np.asarray(obj.data if isinstance(obj, Tensor) else obj),
                     "tensor" if isinstance(obj, Tensor) else "ndarray", where)
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"tiny.save: {where}: dict key {key!r} is a {type(key).__name__}; keys must be "
                                "str or int")
            items.append([key, _encode(value, f"{path}.{key}" if path else str(key), tensors, values,
                                       f"{where}[{key!r}]")])
        return {"ordered_dict" if isinstance(obj, OrderedDict) else "dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, f"{path}.{i}" if path else str(i), tensors, values, f"{where}[{i}]")
                       for i, v in enumerate(obj)]}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        _claim(path, tensors, values, where)
        values[path] = json.dumps(obj if not isinstance(obj, float) or math.isfinite(obj) else {"float": repr(obj)})
        return {"value": path}
    raise TypeError(f"tiny.save: {where} is a {type(obj).__name__}; a checkpoint holds tensors, arrays, "
                    "numbers, strings, None and dicts/lists/tuples of them (no pickled objects)")


def _claim(path: str, tensors: dict, values: dict, where: str) -> None:
    if path in tensors or path in values or path in (TREE_KEY, "__metadata__"):
        raise ValueError(f"tiny.save: {where}: the entry name {path!r} is used twice (keys joined with '.' "
                         "collide); rename a key")


def _leaf(path: str, tensors: dict, array: np.ndarray, kind: str, where: str) -> dict:
    if array.dtype not in CODES:
        raise TypeError(f"tiny.save: {where} has dtype {array.dtype}; supported: "
                        f"{', '.join(str(np.dtype(d)) for d in DTYPES.values())}")
    _claim(path, tensors, {}, where)
    tensors[path] = array
    return {kind: path}


def save(obj: Any, f: str | os.PathLike) -> None:
    """Write `obj` (a state dict, or a nested dict/list of tensors and plain values) to the file f."""
    tensors: dict[str, np.ndarray] = {}
    values: dict[str, str] = {}
    tree = _encode(obj, "", tensors, values, "obj")
    header: dict[str, Any] = {}
    offset = 0
    for name, array in tensors.items():
        size = array.size * array.dtype.itemsize
        header[name] = {"dtype": CODES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    header["__metadata__"] = {**values, TREE_KEY: json.dumps(tree)}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(f, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for array in tensors.values():
            out.write(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes())


# ----- load -------------------------------------------------------------------------------------------------
class CheckpointError(ValueError):
    """A file that is not a valid safetensors checkpoint (truncated, corrupted or inconsistent)."""


def _read_header(raw: bytes, name: str) -> tuple[dict, int]:
    if len(raw) < 8:
        raise CheckpointError(f"tiny.load: {name} is truncated: {len(raw)} bytes, but a safetensors file starts "
                              "with an 8-byte header length")
    (length,) = struct.unpack("<Q", raw[:8])
    if length > len(raw) - 8:
        raise CheckpointError(f"tiny.load: {name} is truncated or not a safetensors file: the header claims "
                              f"{length} bytes, the file has {len(raw) - 8} after the length field")
    try:
        header = json.loads(raw[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"tiny.load: {name} is corrupted: its header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"tiny.load: {name} is corrupted: the header is a {type(header).__name__}, "
                              "not a JSON object")
    return header, 8 + length


def _tensor(entry_name: str, entry: Any, buffer: bytes, name: str) -> np.ndarray:
    bad = f"tiny.load: {name}: tensor {entry_name!r}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise CheckpointError(f"{bad} is corrupted: expected dtype, shape and data_offsets, got {entry!r}")
    if entry["dtype"] not in DTYPES:
        raise CheckpointError(f"{bad} has dtype {entry['dtype']!r}, which tiny does not read "
                              f"(supported: {', '.join(DTYPES)})")
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)
            and isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
        raise CheckpointError(f"{bad} is corrupted: shape {shape!r}, data_offsets {offsets!r}")
    dtype = np.dtype(DTYPES[entry["dtype"]]).newbyteorder("<")
    begin, end = offsets
    if end - begin != int(np.prod(shape)) * dtype.itemsize or begin < 0:
        raise CheckpointError(f"{bad}: data_offsets {offsets} hold {end - begin} bytes, but shape {shape} of "
                              f"{entry['dtype']} needs {int(np.prod(shape)) * dtype.itemsize}")
    if end > len(buffer):
        raise CheckpointError(f"tiny.load: {name} is truncated: tensor {entry_name!r} ends at byte {end} of the "
                              f"data, which has only {len(buffer)} bytes")
    values = np.frombuffer(buffer, dtype, count=int(np.prod(shape)), offset=begin).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def _check_coverage(header: dict, buffer: bytes, name: str) -> None:
    """The tensors must tile the data buffer exactly (the spec's rule; it also catches appended bytes)."""
    spans = sorted(tuple(e["data_offsets"]) for k, e in header.items() if k != "__metadata__")
    position = 0
    for begin, end in spans:
        if begin != position:
            raise CheckpointError(f"tiny.load: {name} is corrupted: the tensors' data overlap or leave a gap at "
                                  f"byte {position} of the data")
        position = end
    if position != len(buffer):
        raise CheckpointError(f"tiny.load: {name} is corrupted: {len(buffer) - position} bytes after the last "
                              "tensor's data")


def _decode(node: Any, arrays: dict, metadata: dict, name: str) -> Any:
    from tiny.tensor import Tensor

    if not isinstance(node, dict) or len(node) != 1:
        raise CheckpointError(f"tiny.load: {name} is corrupted: bad {TREE_KEY} node {node!r}")
    (kind, content), = node.items()
    if kind in ("tensor", "ndarray"):
        if content not in arrays:
            raise CheckpointError(f"tiny.load: {name} is inconsistent: {TREE_KEY} refers to tensor {content!r}, "
                                  "which the file does not hold")
        return Tensor._wrap(arrays[content]) if kind == "tensor" else arrays[content]
    if kind == "value":
        if content not in metadata:
            raise CheckpointError(f"tiny.load: {name} is inconsistent: {TREE_KEY} refers to value {content!r}, "
                                  "which the metadata does not hold")
        value = json.loads(metadata[content])
        return float(value["float"]) if isinstance(value, dict) else value
    if kind in ("dict", "ordered_dict"):
        pairs = [(key, _decode(child, arrays, metadata, name)) for key, child in content]
        return OrderedDict(pairs) if kind == "ordered_dict" else dict(pairs)
    if kind in ("list", "tuple"):
        items = [_decode(child, arrays, metadata, name) for child in content]
        return items if kind == "list" else tuple(items)
    raise CheckpointError(f"tiny.load: {name} is corrupted: unknown {TREE_KEY} node kind {kind!r}")


def load(f: str | os.PathLike) -> Any:
    """The object tiny.save wrote to f (tensors as tiny.Tensor); any other safetensors file as {name: Tensor}."""
    from tiny.tensor import Tensor

    name = os.fspath(f)
    with open(name, "rb") as source:  # FileNotFoundError names the file
        raw = source.read()
    header, start = _read_header(raw, name)
    buffer = raw[start:]
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"tiny.load: {name} is corrupted: __metadata__ must map strings to strings")
    arrays = {key: _tensor(key, entry, buffer, name) for key, entry in header.items() if key != "__metadata__"}
    _check_coverage(header, buffer, name)
    if TREE_KEY not in metadata:
        order = sorted(arrays, key=lambda key: header[key]["data_offsets"][0])
        return {key: Tensor._wrap(arrays[key]) for key in order}
    try:
        tree = json.loads(metadata[TREE_KEY])
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"tiny.load: {name} is corrupted: {TREE_KEY} is not valid JSON ({exc})") from None
    return _decode(tree, arrays, metadata, name)
