"""Array kernels of the modules a cached decode step runs: each supported module type contributes one.

`compile_chain(named_modules, fresh_input)` turns modules applied one after the other to a (N, C) batch of
positions into a list of stages `(label, kernel)`, each kernel a function (N, C_in) array -> (N, C_out)
array that computes exactly what the module's forward computes (up to rounding), without Tensor or autograd:

| module (its own forward, not overridden)     | kernel                                                        |
|----------------------------------------------|---------------------------------------------------------------|
| Linear                                       | one 2-D np.dot with the pre-transposed weight (+ bias)        |
| LayerNorm over the last dim                  | normalize, then the affine; folded into a Linear that follows |
| GELU('none'), GELU('tanh'), ReLU             | elementwise, in place when the input is a scratch array       |
| Dropout in eval mode (or p=0), Identity      | nothing (no stage)                                            |
| Sequential                                   | its children's stages, in order                               |
| anything else                                | the module's own forward on one position per row (N, 1, C)    |

The fallback runs the module itself, so any position-wise module composes correctly; only its speed is a
Tensor forward's. A module that mixes positions cannot be decoded one position at a time: GPT and Block
forwards that are overridden are refused by fast_decode.py, which owns the attention.

"Fresh" arrays are scratch the plan owns (a matmul's output): an elementwise kernel may overwrite them. The
chain's input (the residual stream) is not fresh, and neither is a fallback's output (it may alias its input),
so elementwise kernels there work out of place.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from tiny.autograd import no_grad
from tiny.nn.activation import GELU, ReLU
from tiny.nn.container import Sequential
from tiny.nn.dropout import Dropout
from tiny.nn.linear import Identity, Linear
from tiny.nn.module import Module
from tiny.nn.normalization import LayerNorm
from tiny.tensor import Tensor

__all__ = ["compile_chain", "is_plain", "normalized", "normal_cdf_function", "linear_arrays", "folded_linear"]

Kernel = Callable[[np.ndarray], np.ndarray]
Stage = tuple  # (label: str, kernel: Kernel)

_SQRT_2_OVER_PI = np.sqrt(2 / np.pi)
_TANH_CUBIC = 0.044715


def is_plain(module: Module, cls: type) -> bool:
    """module is a `cls` whose forward is cls's own (a subclass that overrides forward is not plain)."""
    return isinstance(module, cls) and type(module).forward is cls.forward


# ----- LayerNorm and Linear ---------------------------------------------------------------------------
def normalized(x: np.ndarray, mean_column: np.ndarray, eps: float) -> np.ndarray:
    """(N, C) -> (x - mean) / sqrt(var + eps) per row, a new array (LayerNorm without its affine).
    The means are products with a (C, 1) column of 1/C (one BLAS call is cheaper than np.mean's wrapper)."""
    centered = x - np.dot(x, mean_column)                # (N, C)
    variance = np.dot(centered * centered, mean_column)  # (N, 1), biased
    variance += eps
    centered /= np.sqrt(variance, out=variance)
    return centered


def _is_last_dim_norm(module: Module) -> bool:
    return is_plain(module, LayerNorm) and len(module.normalized_shape) == 1


def _mean_column(norm: LayerNorm, dtype: np.dtype) -> np.ndarray:
    width = norm.normalized_shape[0]
    return np.full((width, 1), 1.0 / width, dtype)                     # (C, 1)


def linear_arrays(linear: Linear) -> tuple[np.ndarray, np.ndarray | None]:
    """(C_in, C_out) contiguous transposed weight and the (C_out,) bias or None."""
    weight = linear.weight.data
    return np.ascontiguousarray(weight.T), None if linear.bias is None else linear.bias.data.copy()


def folded_linear(norm: LayerNorm | None, weight_t: np.ndarray, bias: np.ndarray | None):
    """LayerNorm(x) @ W^T + b = x_hat @ (gamma W^T) + (beta W^T + b): the affine folded into the weights."""
    if norm is not None and norm.bias is not None:
        bias = (0 if bias is None else bias) + norm.bias.data @ weight_t
    if norm is not None and norm.weight is not None:
        weight_t = norm.weight.data[:, None] * weight_t
    return np.ascontiguousarray(weight_t), bias


def _linear_kernel(norm: LayerNorm | None, linear: Linear) -> Kernel:
    weight_t, bias = folded_linear(norm, *linear_arrays(linear))
    if norm is None:
        def project(x):
            out = np.dot(x, weight_t)                    # (N, C_out)
            if bias is not None:
                out += bias
            return out
        return project
    mean_column, eps = _mean_column(norm, weight_t.dtype), norm.eps

    def normalize_and_project(x):
        out = np.dot(normalized(x, mean_column, eps), weight_t)
        if bias is not None:
            out += bias
        return out
    return normalize_and_project


def _layer_norm_kernel(norm: LayerNorm, dtype: np.dtype) -> Kernel:
    mean_column, eps = _mean_column(norm, dtype), norm.eps
    gamma = None if norm.weight is None else norm.weight.data
    beta = None if norm.bias is None else norm.bias.data

    def layer_norm(x):
        out = normalized(x, mean_column, eps)
        if gamma is not None:
            out *= gamma
        if beta is not None:
            out += beta
        return out
    return layer_norm


# ----- elementwise ----------------------------------------------------------------------------------
def normal_cdf_function() -> Callable[[np.ndarray], np.ndarray]:
    from tiny.generation.fast_decode import normal_cdf, scipy_ndtr
    return normal_cdf if scipy_ndtr is None else scipy_ndtr


def _gelu_kernel(approximate: str, in_place: bool) -> Kernel:
    if approximate == "none":
        cdf = normal_cdf_function()
        if in_place:
            def gelu_(x):
                x *= cdf(x)
                return x
            return gelu_
        return lambda x: x * cdf(x)

    def gelu_tanh(x):                                   # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        inner = x * x
        inner *= _TANH_CUBIC
        inner += 1
        inner *= x
        inner *= _SQRT_2_OVER_PI
        np.tanh(inner, out=inner)
        inner += 1
        inner *= 0.5
        if in_place:
            x *= inner
            return x
        return x * inner
    return gelu_tanh


def _relu_kernel(in_place: bool) -> Kernel:
    if in_place:
        return lambda x: np.maximum(x, 0, out=x)
    return lambda x: np.maximum(x, 0)


def _fallback_kernel(name: str, module: Module) -> Kernel:
    def own_forward(x):                                 # (N, C): each row is one position of one sequence
        with no_grad():
            out = module(Tensor(x[:, None, :]))         # (N, 1, C), the (B, T, C) layout the module expects
        if not isinstance(out, Tensor) or out.ndim != 3 or out.shape[:2] != (x.shape[0], 1):
            shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise TypeError(f"generate(use_cache=True): {name} ({type(module).__name__}) must map (N, 1, C) "
                            f"positions to a Tensor (N, 1, C_out), got {shape}")
        return out.data.reshape(x.shape[0], -1)
    return own_forward


# ----- the chain compiler -----------------------------------------------------------------------------
def _flattened(named_modules: list) -> list:
    """Sequential containers (with their own forward) replaced by their children, recursively."""
    flat = []
    for name, module in named_modules:
        if is_plain(module, Sequential):
            flat += _flattened([(f"{name}.{child}", m) for child, m in module._modules.items()])
        else:
            flat.append((name, module))
    return flat


def _skipped(module: Module) -> bool:
    """Modules that return their input in eval mode."""
    if is_plain(module, Identity):
        return True
    return is_plain(module, Dropout) and (not module.training or module.p == 0)


def compile_chain(named_modules: list, fresh_input: bool, dtype: np.dtype) -> list:
    """[(name, module), ...] applied in order -> [(label, kernel), ...]; see the module docstring."""
    modules = [(name, m) for name, m in _flattened(named_modules) if not _skipped(m)]
    stages, fresh, i = [], fresh_input, 0
    while i < len(modules):
        name, module = modules[i]
        label = name.rsplit(".", 1)[-1]
        following = modules[i + 1][1] if i + 1 < len(modules) else None
        if _is_last_dim_norm(module) and following is not None and is_plain(following, Linear):
            stages.append((f"{label}+{modules[i + 1][0].rsplit('.', 1)[-1]}", _linear_kernel(module, following)))
            i, fresh = i + 2, True
            continue
        if is_plain(module, Linear):
            kernel, fresh = _linear_kernel(None, module), True
        elif _is_last_dim_norm(module):
            kernel, fresh = _layer_norm_kernel(module, dtype), True
        elif is_plain(module, GELU):
            kernel = _gelu_kernel(module.approximate, in_place=fresh)
        elif is_plain(module, ReLU):
            kernel = _relu_kernel(in_place=fresh)
        else:
            kernel, fresh = _fallback_kernel(name, module), False
        stages.append((label, kernel))
        i += 1
    return stages
