"""Version counters: how autograd notices that an in-place write changed a value backward still needs.

torch's mechanism: every in-place operation bumps the version of the tensor it writes; each tensor a
Function saves for backward remembers the version it had when it was saved; backward compares the two and
raises instead of computing a gradient from overwritten values:

    z = x.exp(); loss = z.sum(); z.fill_(0); loss.backward()
    RuntimeError: one of the variables needed for gradient computation has been modified by an inplace
    operation: [float64 [3]], which is output 0 of Exp, is at version 1; expected version 0 instead.

Tensors that share memory share one counter, as views share their base's in torch: tiny keeps the counter
per *memory root* (the np.ndarray at the end of an array's `.base` chain), so a reshape, a transpose, a
basic-indexing view or a detach() all see the writes made through any of them. Only roots that were written
in place have an entry (a root never written is at version 0); an entry goes away with its root.

In-place writes also refuse a leaf that requires grad while grad mode is on, as torch does
(`check_in_place`): a parameter is updated under no_grad (optimizers, init), never in a recorded graph.
"""
from __future__ import annotations

import weakref

import numpy as np

from tiny.autograd.grad_mode import grad_enabled

__all__ = ["memory_root", "version_of", "bump_version", "check_in_place", "record_saved", "check_saved"]

_versions: dict[int, int] = {}  # id(memory root) -> number of in-place writes into it


def memory_root(array: np.ndarray) -> np.ndarray:
    """The ndarray that owns `array`'s memory (itself when it owns it)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def version_of(array: np.ndarray) -> int:
    """How many in-place writes went into the memory `array` lives in."""
    return _versions.get(id(memory_root(array)), 0)


def bump_version(array: np.ndarray) -> None:
    """Record one in-place write into `array` (and so into every array sharing its memory)."""
    root = memory_root(array)
    key = id(root)
    if key not in _versions:
        _versions[key] = 0
        weakref.finalize(root, _versions.pop, key, None)
    _versions[key] += 1


def check_in_place(tensor, op: str) -> None:
    """Raise as torch does for an in-place op on a leaf that requires grad (in grad mode); else bump the
    version of the tensor's memory. Call it before writing."""
    if tensor.requires_grad and tensor.grad_fn is None and grad_enabled():
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place operation.")
    bump_version(tensor.data)


def record_saved(saved: tuple, outputs: list) -> list:
    """Per saved array: (position in `saved`, its memory root's id, its version now, the output index it is
    or -1). Called by Function.apply when it records a node."""
    records = []
    for position, array in enumerate(saved):
        if isinstance(array, np.ndarray):
            root_id = id(memory_root(array))
            output = next((i for i, out in enumerate(outputs) if out.data is array), -1)
            records.append((position, root_id, _versions.get(root_id, 0), output))
    return records


def check_saved(ctx, node_name: str) -> None:
    """Raise torch's RuntimeError when a saved array was written in place after it was saved."""
    for position, root_id, version, output in getattr(ctx, "_saved_versions", ()):
        now = _versions.get(root_id, 0)
        if now != version:
            array = ctx._saved[position]
            which = f", which is output {output} of {node_name}," if output >= 0 else f" (saved by {node_name})"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{array.dtype} {list(array.shape)}]{which} is at version {now}; expected version "
                f"{version} instead.")
