"""torch twin of tiny/serialization.py: the same checkpoint layout, written and read by safetensors.torch.

Tensors are entries named by their path (keys joined with "."), other values are metadata entries holding
JSON, and "__tiny_tree__" records the structure (see tiny/serialization.py). safetensors' own
save_file/load_file do the file format; this twin only flattens and rebuilds the nested state dicts.
"""
import json
import math
from collections import OrderedDict

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

TREE_KEY = "__tiny_tree__"


def _encode(obj, path, tensors, values):
    if isinstance(obj, (torch.Tensor, np.ndarray)):
        tensors[path] = torch.as_tensor(obj).contiguous()
        return {"tensor" if isinstance(obj, torch.Tensor) else "ndarray": path}
    if isinstance(obj, dict):
        return {"ordered_dict" if isinstance(obj, OrderedDict) else "dict":
                [[k, _encode(v, f"{path}.{k}" if path else str(k), tensors, values)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"list" if isinstance(obj, list) else "tuple":
                [_encode(v, f"{path}.{i}" if path else str(i), tensors, values) for i, v in enumerate(obj)]}
    values[path] = json.dumps(obj if not isinstance(obj, float) or math.isfinite(obj) else {"float": repr(obj)})
    return {"value": path}


def save(obj, path):
    tensors, values = {}, {}
    tree = _encode(obj, "", tensors, values)
    save_file(tensors, str(path), metadata={**values, TREE_KEY: json.dumps(tree)})


def _decode(node, tensors, metadata):
    (kind, content), = node.items()
    if kind == "tensor":
        return tensors[content]
    if kind == "ndarray":
        return tensors[content].numpy()
    if kind == "value":
        value = json.loads(metadata[content])
        return float(value["float"]) if isinstance(value, dict) else value
    if kind in ("dict", "ordered_dict"):
        pairs = [(key, _decode(child, tensors, metadata)) for key, child in content]
        return OrderedDict(pairs) if kind == "ordered_dict" else dict(pairs)
    items = [_decode(child, tensors, metadata) for child in content]
    return items if kind == "list" else tuple(items)


def load(path):
    tensors = load_file(str(path))
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
    if TREE_KEY not in metadata:
        return tensors
    return _decode(json.loads(metadata[TREE_KEY]), tensors, metadata)
