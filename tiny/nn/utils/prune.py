"""Pruning, as torch.nn.utils.prune: a pruned parameter `name` becomes `name_orig` (the Parameter, still trained)
and a buffer `name_mask`; `module.name = name_orig * name_mask` is recomputed by a forward pre-hook before every
forward, so the mask survives optimizer steps and the gradient of `name_orig` is masked.

Same rules as torch:
- amount: a float in [0, 1] (fraction, converted with Python's round(amount * size): half to even) or an int
  count; ValueError outside, TypeError for other types; an int larger than the (remaining) size is a ValueError.
- Pruning again (iterative pruning) acts only on what is still unpruned: unstructured methods on the entries whose
  mask is 1, structured ones on the channels not entirely zeroed; the amount is relative to that remainder.
- Ties. torch selects with torch.topk (L1: the k smallest |w|; Ln-structured: the channels with the largest norms
  are kept), whose CPU kernel runs std::partial_sort (k * 64 <= n) or std::nth_element on (value, index) pairs in
  index order and compares values only. Among equal values torch keeps what libstdc++'s introselect / heap_select
  leave in the first k slots: neither the lowest nor the highest indices. tiny replays those algorithms when a
  tie straddles the cut (tiny/nn/utils/topk_select.py), so masks are equal to torch's, ties included.
- remove(module, name) makes the pruning permanent (the same Parameter object, now holding orig * mask);
  ValueError when `name` is not pruned. A missing parameter name is an AttributeError.
RandomUnstructured draws from tiny's generator (tiny.manual_seed): the same seed gives the same mask, but not
torch's mask (the random streams differ).
"""
from __future__ import annotations

import numbers
from typing import Iterable

import numpy as np

from tiny.nn.module import Module
from tiny.nn.parameter import Parameter
from tiny.nn.utils.topk_select import topk_indices
from tiny.random import default_generator
from tiny.tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "LnStructured", "CustomFromMask", "identity", "random_unstructured", "l1_unstructured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned", "sparsity", "global_sparsity"]


# ----- amounts ------------------------------------------------------------------------------------------------
def _validate_amount_init(amount) -> None:
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"prune: invalid type for amount: {amount!r}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"prune: amount={amount} should either be a float in the range [0, 1] or a non-negative "
                         "integer")


def _nparams_to_prune(amount, size: int) -> int:
    """int amounts are counts; float amounts are fractions, rounded with Python's round (half to even)."""
    count = amount if isinstance(amount, numbers.Integral) else round(amount * size)
    if count > size:
        raise ValueError(f"prune: amount={amount} should be smaller than the number of parameters to prune={size}")
    return int(count)


# ----- methods --------------------------------------------------------------------------------------------------
class BasePruningMethod:
    """A pruning rule: compute_mask(scores, default_mask) -> mask; also the forward pre-hook that re-applies it."""

    PRUNING_TYPE = "unstructured"   # "unstructured" | "structured" | "global"
    _tensor_name: str | None = None

    def compute_mask(self, t: np.ndarray, default_mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def apply_mask(self, module: Module) -> Tensor:
        orig = getattr(module, self._tensor_name + "_orig")
        return orig * getattr(module, self._tensor_name + "_mask")

    def __call__(self, module: Module, inputs) -> None:
        object.__setattr__(module, self._tensor_name, self.apply_mask(module))

    @classmethod
    def apply(cls, module: Module, name: str, *args, importance_scores: Tensor | None = None, **kwargs):
        method = _composite_method(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)      # AttributeError for a missing name
        scores = orig if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(orig.shape):
            raise ValueError(f"prune: importance_scores of shape {tuple(scores.shape)} must have the shape "
                             f"{tuple(orig.shape)} of parameter {name!r}")
        first_time = not isinstance(method, PruningContainer)
        if first_time:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = np.ones_like(orig.data)
        else:
            default_mask = getattr(module, name + "_mask").data.copy()
        try:
            mask = method.compute_mask(np.asarray(scores.data), default_mask)
            module.register_buffer(name + "_mask", Tensor(mask.astype(orig.data.dtype)))
            method(module, None)
            module.register_forward_pre_hook(method)
        except Exception:
            if first_time:
                module.register_parameter(name, module._parameters.pop(name + "_orig"))
            raise
        return method

    def remove(self, module: Module) -> None:
        name = self._tensor_name
        weight = self.apply_mask(module)
        module.__dict__.pop(name, None)
        orig = module._parameters.pop(name + "_orig")
        orig.data = weight.data
        del module._buffers[name + "_mask"]
        setattr(module, name, orig)


def _composite_method(cls, module: Module, name: str, *args, **kwargs) -> BasePruningMethod:
    """The new method alone, or it appended to the container already pruning `name` (torch's iterative pruning)."""
    old = [(key, hook) for key, hook in module._forward_pre_hooks.items()
           if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    method = cls(*args, **kwargs)
    method._tensor_name = name
    for key, _ in old:
        del module._forward_pre_hooks[key]
    if not old:
        return method
    previous = old[0][1]
    container = previous if isinstance(previous, PruningContainer) else PruningContainer(previous)
    container.add_pruning_method(method)
    return container


class PruningContainer(BasePruningMethod):
    """Successive pruning methods on one parameter; each new one acts on what the earlier ones left."""

    def __init__(self, *methods: BasePruningMethod) -> None:
        self._pruning_methods: tuple = ()
        self._tensor_name = methods[0]._tensor_name if methods else None
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod) -> None:
        if not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if self._tensor_name != method._tensor_name:
            raise ValueError(f"PruningContainer: can only add methods acting on {self._tensor_name!r}, "
                             f"found {method._tensor_name!r}")
        self._pruning_methods += (method,)

    def compute_mask(self, t, default_mask):
        """compute_mask: see the class docstring. Successive pruning methods on one parameter; each new one
        acts on what the earlier ones left. Task `PruningContainer.compute_mask`."""
        # BEGIN SOLUTION
        method = self._pruning_methods[-1]
        mask = default_mask.astype(t.dtype)
        if method.PRUNING_TYPE == "unstructured":
            keep = mask == 1
            mask[keep] = method.compute_mask(t[keep], mask[keep])
        elif method.PRUNING_TYPE == "structured":
            dim = method.dim + t.ndim if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"prune: dim {method.dim} out of range for a tensor with {t.ndim} dims")
            alive = mask.sum(axis=tuple(d for d in range(t.ndim) if d != dim)) != 0
            index = [slice(None)] * t.ndim
            index[dim] = alive
            mask[tuple(index)] = method.compute_mask(t[tuple(index)], mask[tuple(index)])
        else:
            mask = method.compute_mask(t, mask)
        return mask
        # END SOLUTION


class Identity(BasePruningMethod):
    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes `amount` entries chosen uniformly at random (tiny's generator)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        """compute_mask: see the class docstring. Prunes `amount` entries chosen uniformly at random (tiny's
        generator). Task `RandomUnstructured.compute_mask`."""
        count = _nparams_to_prune(self.amount, t.size)
        mask = default_mask.copy()
        # BEGIN SOLUTION
        if count:
            draws = default_generator().random(t.size)
            mask.reshape(-1)[np.argpartition(-draws, count - 1)[:count]] = 0
        # END SOLUTION
        return mask

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes the `amount` entries of smallest |value| (ties as torch.topk, see the module docstring)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        """compute_mask: see the class docstring. Prunes the `amount` entries of smallest |value| (ties as
        torch.topk, see the module docstring). Task `L1Unstructured.compute_mask`."""
        count = _nparams_to_prune(self.amount, t.size)
        mask = default_mask.copy()
        # BEGIN SOLUTION
        if count:
            mask.reshape(-1)[topk_indices(np.abs(t).reshape(-1), count, largest=False)] = 0
        # END SOLUTION
        return mask

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _channel_norms(t: np.ndarray, n, dim: int) -> np.ndarray:
    """The L_n norm of every slice along `dim` (torch.norm(t, p=n, dim=all others))."""
    rows = np.moveaxis(t, dim, 0).reshape(t.shape[dim], -1).astype(np.float64)
    if n in ("fro", 2):
        return np.sqrt((rows * rows).sum(axis=1))
    if n == np.inf:
        return np.abs(rows).max(axis=1, initial=0.0)
    if n == -np.inf:
        return np.abs(rows).min(axis=1, initial=np.inf)
    if n == 0:
        return (rows != 0).sum(axis=1).astype(np.float64)
    return (np.abs(rows) ** n).sum(axis=1) ** (1.0 / n)


class LnStructured(BasePruningMethod):
    """Prunes the `amount` channels along `dim` with the smallest L_n norm (keeps the largest, as torch.topk)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim: int = -1) -> None:
        _validate_amount_init(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t, default_mask):
        """compute_mask: see the class docstring. Prunes the `amount` channels along `dim` with the smallest
        L_n norm (keeps the largest, as torch.topk). Task `LnStructured.compute_mask`."""
        if t.ndim <= 1:
            raise ValueError(f"prune: structured pruning can only be applied to multidimensional tensors, found a "
                             f"tensor of shape {t.shape} with {t.ndim} dims")
        if self.dim >= t.ndim or self.dim < -t.ndim:
            raise IndexError(f"prune: invalid dim {self.dim} for a tensor of shape {t.shape}")
        dim = self.dim % t.ndim
        size = t.shape[dim]
        count = _nparams_to_prune(self.amount, size)
        if count == 0:
            return default_mask
        # BEGIN SOLUTION
        kept = topk_indices(_channel_norms(t, self.n, dim).astype(t.dtype), size - count, largest=True)
        mask = np.zeros_like(t)
        index = [slice(None)] * t.ndim
        index[dim] = kept
        mask[tuple(index)] = 1
        return mask * default_mask.astype(mask.dtype)
        # END SOLUTION

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    PRUNING_TYPE = "global"

    def __init__(self, mask) -> None:
        self.mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)

    def compute_mask(self, t, default_mask):
        if self.mask.shape != default_mask.shape:
            raise ValueError(f"prune: mask of shape {self.mask.shape} must match the parameter's {default_mask.shape}")
        return default_mask * self.mask.astype(default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


# ----- functional forms (torch's names and arguments) ---------------------------------------------------------
def identity(module: Module, name: str) -> Module:
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount) -> Module:
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount, importance_scores: Tensor | None = None) -> Module:
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def ln_structured(module: Module, name: str, amount, n, dim: int, importance_scores: Tensor | None = None) -> Module:
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module: Module, name: str, mask) -> Module:
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters: Iterable, pruning_method: type, importance_scores: dict | None = None,
                        **kwargs) -> None:
    """One mask over all (module, name) pairs together: e.g. the 50 % smallest weights of the whole network, not
    50 % of each layer. Only unstructured methods (TypeError otherwise). Task `global_unstructured`."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = tuple(parameters)
    importance_scores = {} if importance_scores is None else importance_scores
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    # BEGIN SOLUTION
    scores = np.concatenate([np.asarray(importance_scores.get((m, n), getattr(m, n)).data).reshape(-1)
                             for m, n in parameters]) if parameters else np.zeros(0)
    default_mask = np.concatenate([
        getattr(m, n + "_mask").data.reshape(-1) if hasattr(m, n + "_mask") else np.ones(getattr(m, n).data.size)
        for m, n in parameters]) if parameters else np.zeros(0)
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'global_unstructured(): only "unstructured" pruning methods, found {pruning_method.__name__} '
                        f"of type {method.PRUNING_TYPE}")
    method._tensor_name = "temp"
    container = PruningContainer(method)
    final_mask = container.compute_mask(scores, default_mask.astype(scores.dtype))
    start = 0
    for module, name in parameters:
        size = getattr(module, name).data.size
        custom_from_mask(module, name, final_mask[start:start + size].reshape(getattr(module, name).shape))
        start += size
    # END SOLUTION


def remove(module: Module, name: str) -> Module:
    """Make the pruning of `name` permanent: name becomes a Parameter holding orig * mask again."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter {name!r} of module {type(module).__name__} has to be pruned before pruning can be "
                     "removed")


def is_pruned(module: Module) -> bool:
    """Whether any submodule carries a pruning hook."""
    return any(isinstance(hook, BasePruningMethod) for m in module.modules() for hook in m._forward_pre_hooks.values())


# ----- sparsity (tiny's; torch has none) -----------------------------------------------------------------------
def sparsity(module: Module, name: str = "weight") -> float:
    """The fraction of exact zeros in module.<name> (the effective, masked tensor when pruned)."""
    values = getattr(module, name).data
    return float((values == 0).sum() / values.size) if values.size else 0.0


def global_sparsity(parameters: Iterable) -> float:
    """The fraction of exact zeros over all (module, name) pairs together."""
    arrays = [getattr(m, n).data for m, n in parameters]
    total = sum(a.size for a in arrays)
    return float(sum(int((a == 0).sum()) for a in arrays) / total) if total else 0.0
