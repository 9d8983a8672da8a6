"""Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), in place on `.grad`.

clip_grad_norm_ treats all gradients as one long vector: the total p-norm is the p-norm of the
per-gradient p-norms, and every gradient is multiplied by min(max_norm / (total + 1e-6), 1), so the
clipped total is (just under) max_norm and small gradients are left alone.
"""
from __future__ import annotations

import types
import warnings
from typing import Iterable

import numpy as np

from tiny.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]

_EPSILON = 1e-6  # torch's guard against dividing by a zero norm


def _parameter_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", UserWarning,
                      stacklevel=3)
    return parameters


def _vector_norm(x: np.ndarray, norm_type: float) -> np.ndarray:
    """The p-norm of all elements of x, in x's dtype (torch.linalg.vector_norm's conventions)."""
    magnitudes = np.abs(x).ravel()
    if magnitudes.size == 0 and (norm_type < 0 or np.isinf(norm_type)):
        raise RuntimeError(f"clip_grad_norm_: cannot compute the {norm_type} norm of an empty gradient "
                           "because the operation does not have an identity")
    if norm_type == np.inf:
        return magnitudes.max()
    if norm_type == -np.inf:
        return magnitudes.min()
    if norm_type == 0:  # the number of non-zero entries
        return x.dtype.type(np.count_nonzero(magnitudes))
    if norm_type == 1:
        return magnitudes.sum()
    if norm_type == 2:
        with np.errstate(over="ignore"):  # huge entries overflow to inf, as in torch
            return np.sqrt(np.sum(magnitudes * magnitudes))
    with np.errstate(divide="ignore"):  # 0 ** negative p = inf, as in torch
        return np.sum(magnitudes ** x.dtype.type(norm_type)) ** x.dtype.type(1.0 / norm_type)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients so that their total `norm_type`-norm is at most `max_norm`.

    Returns the total norm before clipping, a 0-d Tensor (float32 0. when no parameter has a gradient).
    `norm_type` may be float('inf') (or 'inf'): the largest absolute gradient entry.
    """
    grads = [p.grad.data for p in _parameter_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor(np.array(0.0, np.float32))
    norms = [_vector_norm(g, norm_type) for g in grads]
    total = _vector_norm(np.stack([np.asarray(n, np.result_type(*norms)) for n in norms]), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           "non-finite, so it cannot be clipped. To disable this error and scale the "
                           "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    dtype = total.dtype.type
    with np.errstate(divide="ignore", invalid="ignore"):
        # torch computes max_norm / t as reciprocal(t) * max_norm, in the norm's dtype
        clip_coef = (dtype(1.0) / (total + dtype(_EPSILON))) * dtype(float(max_norm))
    clip_coef = np.minimum(clip_coef, dtype(1.0))  # NaN stays NaN, as torch.clamp
    with np.errstate(invalid="ignore", over="ignore"):
        for g in grads:
            np.multiply(g, g.dtype.type(clip_coef), out=g)
    return Tensor(np.array(total))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value] in place (NaN stays NaN).

    Convention: when no parameter has a gradient this does nothing (torch 2.x raises an internal
    "Expected nested_tensorlist[0].size() > 0" RuntimeError from its foreach grouping instead).
    """
    clip_value = float(clip_value)
    for p in _parameter_list(parameters):
        if p.grad is None:
            continue
        g = p.grad.data
        low, high = g.dtype.type(-clip_value), g.dtype.type(clip_value)
        np.minimum(np.maximum(g, low), high, out=g)
