"""Normalization layers: BatchNorm1d, BatchNorm2d (statistics per channel over the batch) and
LayerNorm (statistics per sample over the trailing `normalized_shape` dims).

Both backward passes are the fused closed form, not a chain of small ops: with x_hat the normalized
input, g_hat = grad * weight and means taken over the normalized elements,
    grad_x = inv_std * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat))
(BatchNorm writes it with centered = x - mean = x_hat / inv_std). BatchNorm in eval mode normalizes
with fixed running statistics, so there grad_x = g_hat * inv_std.
"""
from __future__ import annotations

import numbers

import numpy as np

from tiny import dtypes
from tiny.autograd import Function
from tiny.nn import init
from tiny.nn.module import Module
from tiny.nn.parameter import Parameter
from tiny.tensor import Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]
__functional__ = ["batch_norm", "layer_norm"]


def _normalized_grad(grad_hat: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, axes: tuple) -> np.ndarray:
    """The fused backward of (x - mean) * inv_std when mean and variance come from these elements."""
    with np.errstate(invalid="ignore", divide="ignore"):  # empty batches: mean of nothing is nan
        mean_grad = np.mean(grad_hat, axis=axes, keepdims=True)
        mean_grad_x_hat = np.mean(grad_hat * x_hat, axis=axes, keepdims=True)
    return inv_std * (grad_hat - mean_grad - x_hat * mean_grad_x_hat)


def _moments(x: np.ndarray, axes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased variance over `axes` (kept as size-1 dims), two-pass for accuracy."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.mean(x, axis=axes, keepdims=True)
        centered = x - mean
        return mean, np.mean(centered * centered, axis=axes, keepdims=True)


# ----- BatchNorm ------------------------------------------------------------------------------
class BatchNormFunction(Function):
    """x (N, C, *); running_mean/var, weight, bias (C,) or None -> (N, C, *).

    training: normalize with the batch mean and biased variance, and update the running statistics in
    place with momentum (the running variance gets the unbiased batch variance, as in torch).
    The output is computed as x * scale + shift with per-channel scale = inv_std * weight and
    shift = bias - mean * scale: one multiply-add per element. torch's CPU kernel does the same with
    fused multiply-adds (one rounding each), so shift and the output are formed in float64 and rounded
    once; otherwise float32 results would differ from torch's by ~|mean * scale| * 2^-24.
    """

    @staticmethod
    def forward(ctx, x, running_mean, running_var, weight, bias, training, momentum, eps):
        """Normalize x (N, C, *) per channel: training → batch mean and biased variance over every dim but C,
        running_mean/running_var (C,) updated in place with momentum (the running variance gets the
        unbiased batch variance; use _update_running); eval → the running statistics. out = (x - mean) /
        sqrt(var + eps) * weight + bias (weight, bias (C,) or None). Task `BatchNormFunction.forward`."""
        # BEGIN SOLUTION
        axes = (0,) + tuple(range(2, x.ndim))          # every dim but the channel dim
        view = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # (C,) -> (1, C, 1, ...)
        if training:
            mean, var = _batch_moments(x, axes)        # (C,) each; var is biased
            _update_running(running_mean, running_var, mean, var, x.size // max(x.shape[1], 1), momentum)
        else:
            mean, var = running_mean, running_var
        with np.errstate(invalid="ignore", divide="ignore"):
            inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype, copy=False)  # (C,)
        scale = inv_std if weight is None else inv_std * weight  # (C,)
        shift = _fused_multiply_add(-mean, scale, 0 if bias is None else bias)
        ctx.save_for_backward(x, mean, inv_std, weight)
        ctx.axes, ctx.view, ctx.training = axes, view, training
        return _fused_multiply_add(x, scale.reshape(view), shift.reshape(view))
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output (N, C, *). Return 8 gradients in forward's
        argument order: (grad_x, None, None, grad_weight, grad_bias, None, None, None). In training the
        batch mean and variance depend on x, so grad_x has the two extra terms of the normalization's
        derivative. Task `BatchNormFunction.backward`."""
        # BEGIN SOLUTION
        x, mean, inv_std, weight = ctx.saved_tensors
        needs, axes, view = ctx.needs_input_grad, ctx.axes, ctx.view
        centered = x - mean.reshape(view)
        grad_sum = np.sum(grad, axis=axes)                     # (C,)
        grad_dot_centered = np.sum(grad * centered, axis=axes)  # (C,)
        grad_weight = grad_dot_centered * inv_std if needs[3] else None
        grad_bias = grad_sum if needs[4] else None
        grad_x = None
        if needs[0]:
            scale = inv_std if weight is None else inv_std * weight
            if ctx.training:  # the batch mean and variance depend on x too
                count = x.size // max(x.shape[1], 1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean_grad = grad_sum / count
                    centered_coef = grad_dot_centered * inv_std * inv_std / count
                grad = grad - mean_grad.reshape(view) - centered * centered_coef.reshape(view)
            grad_x = grad * scale.reshape(view)
        return grad_x, None, None, grad_weight, grad_bias, None, None, None
        # END SOLUTION


def _fused_multiply_add(a: np.ndarray, b: np.ndarray, c) -> np.ndarray:
    """a * b + c rounded once to a's dtype (float32 products are exact in float64)."""
    wide = np.promote_types(a.dtype, np.float64)
    return (a.astype(wide, copy=False) * b.astype(wide, copy=False) + np.asarray(c, wide)).astype(a.dtype)


def _batch_moments(x: np.ndarray, axes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean (rounded to x's dtype) and biased variance, accumulated in float64.
    An empty batch has no statistics: zeros keep the (empty) output and the gradients finite."""
    if x.size == 0:
        return np.zeros(x.shape[1], x.dtype), np.zeros(x.shape[1], np.float64)
    mean = np.mean(x, axis=axes, dtype=np.float64).astype(x.dtype)
    centered = x - mean.reshape((1, x.shape[1]) + (1,) * (x.ndim - 2))
    return mean, np.mean(centered * centered, axis=axes, dtype=np.float64)


def _update_running(running_mean, running_var, mean, var, count: int, momentum: float) -> None:
    """In place: running = (1 - momentum) * running + momentum * batch statistic."""
    if count == 0:  # an empty batch leaves the running statistics alone (torch)
        return
    if running_mean is not None:
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
    if running_var is not None:
        unbiased = var * (count / (count - 1)) if count > 1 else var
        running_var[...] = (1 - momentum) * running_var + momentum * unbiased


def _check_batch_norm(input: Tensor, running_mean, running_var, weight, bias, training: bool) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm: input must be (N, C) or (N, C, *), got shape {tuple(input.shape)}")
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"batch_norm: expected a floating-point input, got {input.data.dtype}")
    if training and input.data.size // max(input.shape[1], 1) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{tuple(input.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("batch_norm: running_mean must be defined in evaluation mode (training=False)")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is None:
            continue
        if t.data.size != channels:
            raise RuntimeError(f"batch_norm: {name} should contain {channels} elements not {t.data.size} "
                               f"(input shape {tuple(input.shape)} has {channels} channels in dim 1)")
        if t.data.dtype != input.data.dtype:
            raise RuntimeError(f"batch_norm: mixed dtypes: input is {input.data.dtype}, {name} is "
                               f"{t.data.dtype}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of input (N, C, *). training: batch statistics (running ones updated in
    place when given); otherwise running_mean/running_var are used."""
    _check_batch_norm(input, running_mean, running_var, weight, bias, training)
    return BatchNormFunction.apply(input, running_mean, running_var, weight, bias, training, momentum, eps)


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d: parameters weight=1, bias=0 (C,); buffers running_mean=0,
    running_var=1 (C,) and num_batches_tracked (int64, 0-d), the keys torch's state_dict has."""

    expected_dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype=None, *,
                 bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        np_dtype = dtypes.to_dtype(dtype if dtype is not None else dtypes.float32, type(self).__name__).np
        self.register_parameter("weight", Parameter(np.ones(num_features, np_dtype)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(num_features, np_dtype)) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, np_dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, np_dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in self.expected_dims:
            wanted = " or ".join(f"{d}D" for d in self.expected_dims)
            raise ValueError(f"{type(self).__name__}: expected {wanted} input (got {input.ndim}D input "
                             f"of shape {tuple(input.shape)})")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data[...] += 1
            if self.momentum is None:  # cumulative moving average over every batch so far
                factor = 1.0 / int(self.num_batches_tracked.data)
        # Batch statistics in training, and in eval too when there are no running statistics.
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        pass_running = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if pass_running else None,
                          self.running_var if pass_running else None, self.weight, self.bias,
                          use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Input (N, C) or (N, C, L); statistics per channel over N (and L)."""

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Input (N, C, H, W); statistics per channel over N, H and W."""

    expected_dims = (4,)


# ----- LayerNorm ------------------------------------------------------------------------------
class LayerNormFunction(Function):
    """x (*, *normalized_shape); weight, bias normalized_shape or None -> same shape as x."""

    @staticmethod
    def forward(ctx, x, normalized_ndim, weight, bias, eps):
        """Normalize x over its last `normalized_ndim` dims: (x - mean) / sqrt(var + eps) (biased variance),
        then * weight + bias (normalized shape, or None). Task `LayerNormFunction.forward`."""
        # BEGIN SOLUTION
        axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
        mean, var = _moments(x, axes)  # (*, 1, ..., 1)
        inv_std = 1 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        out = x_hat if weight is None else x_hat * weight
        if bias is not None:
            out = out + bias
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.axes = axes
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad_x, None, grad_weight, grad_bias,
        None); grad_weight/grad_bias sum over the leading (batch) dims. Task `LayerNormFunction.backward`."""
        # BEGIN SOLUTION
        x_hat, inv_std, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        batch_axes = tuple(range(grad.ndim - len(ctx.axes)))
        grad_weight = np.sum(grad * x_hat, axis=batch_axes) if needs[2] else None
        grad_bias = np.sum(grad, axis=batch_axes) if needs[3] else None
        grad_hat = grad if weight is None else grad * weight
        grad_x = _normalized_grad(grad_hat, x_hat, inv_std, ctx.axes) if needs[0] else None
        return grad_x, None, grad_weight, grad_bias, None
        # END SOLUTION


def _check_layer_norm(input: Tensor, normalized_shape: tuple, weight, bias) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"layer_norm: input must be a Tensor, got {type(input).__name__}")
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"layer_norm: expected a floating-point input, got {input.data.dtype}")
    if not normalized_shape:
        raise RuntimeError("layer_norm: expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    k = len(normalized_shape)
    if tuple(input.shape[-k:]) != normalized_shape or input.ndim < k:
        raise RuntimeError(f"layer_norm: given normalized_shape={list(normalized_shape)}, expected input "
                           f"with shape [*, {', '.join(map(str, normalized_shape))}], but got input of "
                           f"size {list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"layer_norm: expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(normalized_shape)}")
        if t.data.dtype != input.data.dtype:
            raise RuntimeError(f"layer_norm: mixed dtypes: input is {input.data.dtype}, {name} is "
                               f"{t.data.dtype}")


def _shape_tuple(op: str, normalized_shape) -> tuple[int, ...]:
    if not isinstance(normalized_shape, (tuple, list)) or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in normalized_shape):
        raise TypeError(f"{op}: normalized_shape must be a tuple or list of ints, got {normalized_shape!r}")
    return tuple(int(s) for s in normalized_shape)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing dims `normalized_shape` (a tuple/list) of input (*, *normalized_shape)."""
    shape = _shape_tuple("layer_norm", normalized_shape)
    _check_layer_norm(input, shape, weight, bias)
    return LayerNormFunction.apply(input, len(shape), weight, bias, eps)


class LayerNorm(Module):
    """normalized_shape: an int (the last dim) or a tuple of trailing dims; weight=1, bias=0 of that shape."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 dtype=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = _shape_tuple("LayerNorm", normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        np_dtype = dtypes.to_dtype(dtype if dtype is not None else dtypes.float32, "LayerNorm").np
        affine = elementwise_affine
        self.register_parameter("weight", Parameter(np.ones(self.normalized_shape, np_dtype)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(self.normalized_shape, np_dtype))
                                if affine and bias else None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
