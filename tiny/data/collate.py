"""default_collate / default_convert as in torch.utils.data: samples -> batched Tensors.

default_collate(batch) looks at the first sample's type and recurses through its structure:
  Tensor            -> stack(batch)                     (a new leading batch dim)
  np.ndarray        -> Tensor of the stacked arrays     (string/object arrays: TypeError)
  NumPy scalar      -> 1-D Tensor of the scalars' dtype
  float             -> float64 Tensor                   (torch: float64, not the default float32)
  int / bool        -> tensor(batch)                    (int64 / bool, inferred as tiny.tensor does)
  str / bytes       -> the list unchanged
  Mapping           -> same mapping type, each key collated
  namedtuple        -> same namedtuple, each field collated
  tuple             -> a *list* of the collated positions (torch's backward-compatible choice)
  other Sequence    -> same sequence type when it can be rebuilt, else a list; unequal lengths: RuntimeError
default_convert(sample) is what a DataLoader with batch_size=None applies: arrays and NumPy scalars
become Tensors (sharing memory), containers are rebuilt the same way, everything else passes through.
"""
from __future__ import annotations

import collections.abc
import copy
from typing import Any, Callable

import numpy as np

from tiny import dtypes
from tiny.creation import tensor
from tiny.ops.join import stack
from tiny.tensor import Tensor

_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
_STRING_OR_OBJECT_KINDS = "SaUO"  # dtype.str letters of bytes, str and object arrays


def _is_string_or_object(array: np.ndarray) -> bool:
    return any(letter in array.dtype.str for letter in _STRING_OR_OBJECT_KINDS)


def _wrap_array(array: np.ndarray) -> Tensor:
    dtypes.to_dtype(array.dtype, "default_collate")  # TypeError for dtypes tiny lacks (float16, ...)
    return Tensor(array)


def _rebuild_mapping(elem: collections.abc.Mapping, values: dict) -> Any:
    """`values` in the container type of `elem` (a mutable mapping is copied, keeping its extras)."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:  # a mapping type that cannot be copied/updated or built from a dict
        return values


def _rebuild_sequence(elem: collections.abc.Sequence, values: list) -> Any:
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*values)
    if isinstance(elem, tuple):
        return values
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, value in enumerate(values):
                clone[i] = value
            return clone
        return type(elem)(values)
    except TypeError:  # e.g. range: cannot be built from a list
        return values


def _collate_arrays(batch: list) -> Tensor:
    if _is_string_or_object(batch[0]):
        raise TypeError(_ERROR.format(batch[0].dtype))
    shapes = [array.shape for array in batch]
    if any(shape != shapes[0] for shape in shapes):
        raise RuntimeError(f"stack expects each tensor to be equal size, but got shapes {shapes} "
                           f"(default_collate of NumPy arrays)")
    if all(array.dtype == batch[0].dtype for array in batch):
        return _wrap_array(np.stack(batch))  # (B, *sample_shape)
    return stack([_wrap_array(np.asarray(array)) for array in batch])  # torch's dtype promotion


def _collate_tensors(batch: list) -> Tensor:
    """stack(batch); samples outside autograd with one dtype and shape are stacked as arrays directly
    (same result, without one op per sample: this runs for every batch of an epoch)."""
    plain = all(isinstance(t, Tensor) and not t.requires_grad for t in batch)
    if plain and all(t.data.dtype == elem.data.dtype and t.data.shape == elem.data.shape
                     for elem in batch[:1] for t in batch):
        return Tensor(np.stack([t.data for t in batch]))  # (B, *sample_shape)
    return stack(batch)


def _collate_leaf(batch: list) -> Any:
    """Batches of Tensors, arrays, scalars and strings; NotImplemented for containers."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _collate_tensors(batch)
    if isinstance(elem, np.ndarray):
        return _collate_arrays(batch)
    if isinstance(elem, (np.bool_, np.number)):
        return _wrap_array(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    return NotImplemented


def default_collate(batch: list) -> Any:
    """Merge a list of samples into a batch: see the module docstring for the rules per type."""
    if len(batch) == 0:
        raise IndexError("default_collate: the batch is empty (expected a non-empty list of samples)")
    leaf = _collate_leaf(batch)
    if leaf is not NotImplemented:
        return leaf
    elem = batch[0]
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([s[key] for s in batch]) for key in elem})
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError(f"each element in list of batch should be of equal size (got lengths "
                               f"{[len(sample) for sample in batch]})")
        return _rebuild_sequence(elem, [default_collate(samples) for samples in zip(*batch)])
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """One sample's arrays and NumPy scalars as Tensors (no batch dim); the DataLoader's collate_fn
    when batch_size=None."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _is_string_or_object(data) else _wrap_array(data)
    if isinstance(data, (np.bool_, np.number)):
        return _wrap_array(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(item) for item in data])
    return data


CollateFn = Callable[[Any], Any]
