"""GELU (tanh form), LayerNorm and softmax at three levels:

    naive     Python loops over elements (GELU) or rows (LayerNorm, softmax): the teaching baseline
    unfused   composed of tiny's Tensor ops: autograd records every op (GELU: 9 Functions, LayerNorm: 9,
              softmax: 5) and keeps each intermediate for backward
    fused     ONE Function whose forward computes the result in a few NumPy passes and whose backward is the
              closed-form derivative, keeping only what that needs

GELU (tanh): y = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3)
             dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2), t = tanh(u)
LayerNorm over the last dim: x_hat = (x - mean) / sqrt(var + eps), y = x_hat w + b
             dx = (g - mean(g) - x_hat mean(g x_hat)) / sqrt(var + eps), g = dy w
softmax over the last dim:   y = exp(x - max) / sum;  dx = y (dy - sum(dy y))
"""
from __future__ import annotations

import math

import numpy as np

from tiny.autograd import Function
from tiny.tensor import Tensor

__all__ = ["gelu_naive", "layer_norm_naive", "softmax_naive", "gelu_unfused", "layer_norm_unfused",
           "softmax_unfused", "fused_gelu", "fused_layer_norm", "fused_softmax", "FusedGELU", "FusedLayerNorm",
           "FusedSoftmax"]

SQRT_2_OVER_PI, CUBIC = math.sqrt(2.0 / math.pi), 0.044715


# ----- naive -------------------------------------------------------------------------------------------
def gelu_naive(x: np.ndarray) -> np.ndarray:
    """GELU (tanh form, see the module docstring) of every element of x, one Python float at a time, in x's
    shape and dtype. Task `gelu_naive`."""
    # BEGIN SOLUTION
    out = np.empty_like(x)
    flat_in, flat_out = x.reshape(-1), out.reshape(-1)
    for i in range(flat_in.size):
        v = float(flat_in[i])
        flat_out[i] = 0.5 * v * (1.0 + math.tanh(SQRT_2_OVER_PI * (v + CUBIC * v ** 3)))
    return out
    # END SOLUTION


def layer_norm_naive(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """x (*, C), weight (C,), bias (C,) -> (*, C): LayerNorm over the last dim (biased variance), one row at a
    time with Python loops. Task `layer_norm_naive`."""
    # BEGIN SOLUTION
    rows = x.reshape(-1, x.shape[-1])
    out = np.empty_like(rows)
    for r in range(rows.shape[0]):
        mean = sum(float(v) for v in rows[r]) / rows.shape[1]
        var = sum((float(v) - mean) ** 2 for v in rows[r]) / rows.shape[1]
        for c in range(rows.shape[1]):
            out[r, c] = (float(rows[r, c]) - mean) / math.sqrt(var + eps) * weight[c] + bias[c]
    return out.reshape(x.shape)
    # END SOLUTION


def softmax_naive(x: np.ndarray) -> np.ndarray:
    """x (*, C) -> (*, C): softmax over the last dim, one row at a time with Python loops, stably (subtract
    the row's max first). Task `softmax_naive`."""
    # BEGIN SOLUTION
    rows = x.reshape(-1, x.shape[-1])
    out = np.empty_like(rows)
    for r in range(rows.shape[0]):
        top = max(float(v) for v in rows[r])
        exps = [math.exp(float(v) - top) for v in rows[r]]
        total = sum(exps)
        for c, e in enumerate(exps):
            out[r, c] = e / total
    return out.reshape(x.shape)
    # END SOLUTION


# ----- unfused: the op-by-op autograd graph ---------------------------------------------------------------
def gelu_unfused(x: Tensor) -> Tensor:
    """GELU (tanh form) composed of tiny's Tensor ops, so autograd records each op and differentiates it.
    Task `gelu_unfused`."""
    # BEGIN SOLUTION
    inner = (x + x * x * x * CUBIC) * SQRT_2_OVER_PI
    return x * 0.5 * (inner.tanh() + 1.0)
    # END SOLUTION


def layer_norm_unfused(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    """x (*, C), weight (C,), bias (C,) -> (*, C): LayerNorm over the last dim composed of tiny's Tensor ops
    (mean, subtract, square, mean, sqrt, divide, scale, shift). Task `layer_norm_unfused`."""
    # BEGIN SOLUTION
    centered = x - x.mean(dim=-1, keepdim=True)
    var = (centered * centered).mean(dim=-1, keepdim=True)
    return centered / (var + eps).sqrt() * weight + bias
    # END SOLUTION


def softmax_unfused(x: Tensor) -> Tensor:
    """x (*, C) -> (*, C): softmax over the last dim composed of tiny's Tensor ops, the row max subtracted
    (detached: it does not change the result). Task `softmax_unfused`."""
    # BEGIN SOLUTION
    exps = (x - x.max(dim=-1, keepdim=True)[0].detach()).exp()
    return exps / exps.sum(dim=-1, keepdim=True)
    # END SOLUTION


# ----- fused: one Function each -------------------------------------------------------------------------
class FusedGELU(Function):
    @staticmethod
    def forward(ctx, x):
        """x (*) -> GELU (tanh form) of x in a few NumPy passes; save only what backward needs.
        Task `FusedGELU.forward`."""
        # BEGIN SOLUTION
        t = np.tanh(SQRT_2_OVER_PI * (x + CUBIC * x * x * x))
        ctx.save_for_backward(x, t)
        return 0.5 * x * (1.0 + t)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad (*): the upstream gradient. Return grad * dy/dx, the closed form of the module docstring.
        Task `FusedGELU.backward`."""
        # BEGIN SOLUTION
        x, t = ctx.saved_tensors
        du = SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * x * x)
        return grad * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)
        # END SOLUTION


class FusedLayerNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        """x (*, C), weight (C,), bias (C,), eps a float -> (*, C) LayerNorm over the last dim (biased variance);
        save x_hat, 1/std and weight for backward. Task `FusedLayerNorm.forward`."""
        # BEGIN SOLUTION
        mean = x.mean(axis=-1, keepdims=True)
        centered = x - mean
        inv_std = 1.0 / np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + eps)   # (*, 1)
        x_hat = centered * inv_std
        ctx.save_for_backward(x_hat, inv_std, weight)
        return x_hat * weight + bias
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad (*, C): the upstream gradient. Return (grad_x by the closed form of the module docstring,
        grad_weight (C,), grad_bias (C,), None). Task `FusedLayerNorm.backward`."""
        # BEGIN SOLUTION
        x_hat, inv_std, weight = ctx.saved_tensors
        g = grad * weight
        grad_x = (g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True)) * inv_std
        lead = tuple(range(grad.ndim - 1))
        return grad_x, (grad * x_hat).sum(axis=lead), grad.sum(axis=lead), None
        # END SOLUTION


class FusedSoftmax(Function):
    @staticmethod
    def forward(ctx, x):
        """x (*, C) with at least one dim -> softmax over the last dim, stably; save the output for backward.
        Task `FusedSoftmax.forward`."""
        # BEGIN SOLUTION
        exps = np.exp(x - x.max(axis=-1, keepdims=True))
        out = exps / exps.sum(axis=-1, keepdims=True)
        ctx.save_for_backward(out)
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad (*, C): the upstream gradient. Return y * (grad - sum(grad * y)) over the last dim, y the saved
        output. Task `FusedSoftmax.backward`."""
        # BEGIN SOLUTION
        (out,) = ctx.saved_tensors
        return out * (grad - (grad * out).sum(axis=-1, keepdims=True))
        # END SOLUTION


def _float_tensor(op: str, x) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point tensor, got {x.data.dtype}")


def fused_gelu(x: Tensor) -> Tensor:
    """torch.nn.functional.gelu(x, approximate='tanh') as one Function."""
    _float_tensor("fused_gelu", x)
    return FusedGELU.apply(x)


def fused_layer_norm(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    """torch.nn.functional.layer_norm(x, (C,), weight, bias, eps) over the last dim C, as one Function."""
    _float_tensor("fused_layer_norm", x)
    if x.ndim == 0 or tuple(weight.shape) != (x.shape[-1],) or tuple(bias.shape) != (x.shape[-1],):
        raise RuntimeError(f"fused_layer_norm: expected weight and bias of shape ({x.shape[-1] if x.ndim else '?'},) "
                           f"for input {tuple(x.shape)}, got {tuple(weight.shape)} and {tuple(bias.shape)}")
    return FusedLayerNorm.apply(x, weight, bias, float(eps))


def fused_softmax(x: Tensor) -> Tensor:
    """torch.softmax(x, dim=-1) as one Function."""
    _float_tensor("fused_softmax", x)
    if x.ndim == 0:
        return FusedSoftmax.apply(x.reshape(1)).reshape(())
    return FusedSoftmax.apply(x)
