"""Pooling: max_pool2d, avg_pool2d, adaptive_avg_pool2d and their Modules (torch's semantics).

Max and average pooling read every window through a strided view (tiny/nn/_spatial.py), one kernel offset
at a time (kh*kw vectorized (N, C, Ho, Wo) operations), and send gradients back the same way. In max
pooling a window's gradient goes to one element: the first maximum in row-major order within the window,
as torch's CPU kernel does (a later equal value does not replace the running max). Adaptive average pooling is two small matmuls with
averaging matrices, out = P_h @ x @ P_w^T, whose rows average torch's adaptive windows
[floor(i*H/Ho), ceil((i+1)*H/Ho)).
"""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function
from tiny.nn import _spatial
from tiny.nn.module import Module
from tiny.tensor import Tensor

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]
__functional__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]


def pooled_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """torch's pooling output size; in ceil_mode the last window must start inside the input or left pad."""
    span = size + 2 * pad - _spatial.effective(kernel, dilation)
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _padded_for(size: int, out: int, kernel: int, stride: int, pad: int, dilation: int) -> tuple[int, int]:
    """(before, after) padding so that `out` windows fit (ceil_mode may need extra room on the right)."""
    needed = (out - 1) * stride + _spatial.effective(kernel, dilation)
    return pad, max(pad, needed - size - pad)


class MaxPool2dFunction(Function):
    """x (N, C, H, W) -> (N, C, Ho, Wo) maxima, plus int64 indices into each H*W plane if asked.

    A running maximum over the kh*kw kernel offsets (each a strided (N, C, Ho, Wo) view): a later offset
    replaces the max only if strictly greater (or nan), which keeps the first max of a tie, as torch.
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, dilation, out_hw, return_indices):
        """forward: compute the outputs from the input arrays. x (N, C, H, W) -> (N, C, Ho, Wo) maxima, plus
        int64 indices into each H*W plane if asked. Task `MaxPool2dFunction.forward`."""
        # BEGIN SOLUTION
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = _spatial.pad_spatial(x, pads, fill)                                 # (N, C, Hp, Wp)
        view = _spatial.windows(xp, kernel, stride, dilation, out_hw)            # (N, C, Ho, Wo, kh, kw)
        out = view[..., 0, 0].copy()
        arg = np.zeros(out.shape, dtype=np.int64)                                # the offset i * kw + j
        for offset in range(1, kernel[0] * kernel[1]):
            candidate = view[..., offset // kernel[1], offset % kernel[1]]
            better = (candidate > out) | np.isnan(candidate)
            np.copyto(out, candidate, where=better)
            arg[better] = offset
        ctx.save_for_backward(arg)
        ctx.geometry = (xp.shape, kernel, stride, pads, dilation)
        if not return_indices:
            return out
        ctx.mark_non_differentiable(1)
        (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
        rows = np.arange(out_hw[0])[:, None] * sh - pads[0][0] + (arg // kw) * dh   # (N, C, Ho, Wo)
        cols = np.arange(out_hw[1])[None, :] * sw - pads[1][0] + (arg % kw) * dw
        return out, (rows * x.shape[3] + cols).astype(np.int64)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad, *unused_index_grad):
        """backward: one gradient per forward input (None where there is none), each shaped like its input. x
        (N, C, H, W) -> (N, C, Ho, Wo) maxima, plus int64 indices into each H*W plane if asked.
        Task `MaxPool2dFunction.backward`."""
        # BEGIN SOLUTION
        (arg,) = ctx.saved_tensors
        padded_shape, (kh, kw), stride, pads, dilation = ctx.geometry
        grid = np.zeros(padded_shape, dtype=grad.dtype)                          # (N, C, Hp, Wp)
        zero = np.zeros((), dtype=grad.dtype)
        for offset in range(kh * kw):  # each window's gradient goes to the offset holding its max
            rows, cols = _spatial.offset_slices(offset // kw, offset % kw, stride, dilation, grad.shape[2:])
            grid[:, :, rows, cols] += np.where(arg == offset, grad, zero)
        return (_spatial.crop(grid, pads),) + (None,) * 6
        # END SOLUTION


class AvgPool2dFunction(Function):
    """x (N, C, H, W) -> (N, C, Ho, Wo): window sums divided by `divisor` (Ho, Wo)."""

    @staticmethod
    def forward(ctx, x, kernel, stride, pads, out_hw, divisor):
        """forward: compute the outputs from the input arrays. x (N, C, H, W) -> (N, C, Ho, Wo): window sums
        divided by `divisor` (Ho, Wo). Task `AvgPool2dFunction.forward`."""
        # BEGIN SOLUTION
        xp = _spatial.pad_spatial(x, pads)                                       # (N, C, Hp, Wp)
        view = _spatial.windows(xp, kernel, stride, (1, 1), out_hw)              # (N, C, Ho, Wo, kh, kw)
        ctx.geometry = (xp.shape, kernel, stride, pads, divisor)
        return (view.sum(axis=(4, 5)) / divisor).astype(x.dtype)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """backward: one gradient per forward input (None where there is none), each shaped like its input. x
        (N, C, H, W) -> (N, C, Ho, Wo): window sums divided by `divisor` (Ho, Wo).
        Task `AvgPool2dFunction.backward`."""
        # BEGIN SOLUTION
        padded_shape, (kh, kw), stride, pads, divisor = ctx.geometry
        share = (grad / divisor).astype(grad.dtype)                              # (N, C, Ho, Wo)
        grid = np.zeros(padded_shape, dtype=grad.dtype)                          # (N, C, Hp, Wp)
        for i in range(kh):  # every element of a window receives the window's share
            for j in range(kw):
                rows, cols = _spatial.offset_slices(i, j, stride, (1, 1), share.shape[2:])
                grid[:, :, rows, cols] += share
        return (_spatial.crop(grid, pads),) + (None,) * 5
        # END SOLUTION


class AdaptiveAvgPool2dFunction(Function):
    """x (N, C, H, W) -> (N, C, Ho, Wo) = P_h @ x @ P_w^T with averaging matrices P_h (Ho, H), P_w (Wo, W)."""

    @staticmethod
    def forward(ctx, x, out_hw):
        """forward: compute the outputs from the input arrays. x (N, C, H, W) -> (N, C, Ho, Wo) = P_h @ x @
        P_w^T with averaging matrices P_h (Ho, H), P_w (Wo, W). Task `AdaptiveAvgPool2dFunction.forward`."""
        # BEGIN SOLUTION
        p_h = _averaging_matrix(x.shape[2], out_hw[0], x.dtype)
        p_w = _averaging_matrix(x.shape[3], out_hw[1], x.dtype)
        ctx.save_for_backward(p_h, p_w)
        return p_h @ x @ p_w.T
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """backward: one gradient per forward input (None where there is none), each shaped like its input. x
        (N, C, H, W) -> (N, C, Ho, Wo) = P_h @ x @ P_w^T with averaging matrices P_h (Ho, H), P_w (Wo, W).
        Task `AdaptiveAvgPool2dFunction.backward`."""
        # BEGIN SOLUTION
        p_h, p_w = ctx.saved_tensors
        return p_h.T @ grad @ p_w, None
        # END SOLUTION


def _averaging_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size): row i averages torch's adaptive window [floor(i*size/out), ceil((i+1)*size/out))."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


# ----- checks and wrappers ----------------------------------------------------------------------------------
def _batched(op: str, input: Tensor) -> tuple[Tensor, bool]:
    """A 4-D view of a 3-D (C, H, W) or 4-D (N, C, H, W) input, and whether it was unbatched."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError(f"{op}: Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got: {list(input.shape)}")
    return (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)


def _window_geometry(op, input, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _spatial.as_pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        _spatial.as_pair(stride, "stride", op)
    pad = _spatial.as_pair(padding, "padding", op, allow_zero=True)
    dilation = _spatial.as_pair(dilation, "dilation", op)
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={pad}, "
                           f"kernel_size={kernel} and dilation={dilation}")
    size = input.shape[-2:]
    out_hw = tuple(pooled_size(s, k, st, p, d, ceil_mode)
                   for s, k, st, p, d in zip(size, kernel, stride, pad, dilation))
    if min(out_hw) < 1:
        raise RuntimeError(f"{op}: Given input size: ({'x'.join(map(str, input.shape[-3:]))}). Calculated output "
                           f"size: ({input.shape[-3]}x{out_hw[0]}x{out_hw[1]}). Output size is too small")
    pads = tuple(_padded_for(s, o, k, st, p, d)
                 for s, o, k, st, p, d in zip(size, out_hw, kernel, stride, pad, dilation))
    return kernel, stride, pad, dilation, out_hw, pads


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """(N, C, H, W) or (C, H, W) -> maxima over each window; with return_indices also the int64 position of
    each maximum in its input plane (h * W + w). stride defaults to kernel_size; padding counts as -inf."""
    x, unbatched = _batched("max_pool2d", input)
    kernel, stride, _, dilation, out_hw, pads = _window_geometry("max_pool2d", x, kernel_size, stride, padding,
                                                                 dilation, ceil_mode)
    result = MaxPool2dFunction.apply(x, kernel, stride, pads, dilation, out_hw, bool(return_indices))
    if unbatched:
        result = tuple(r.squeeze(0) for r in result) if return_indices else result.squeeze(0)
    return result


def _divisor(size, out_hw, kernel, stride, pad, count_include_pad, divisor_override) -> np.ndarray:
    """(Ho, Wo) divisors, as torch: the window clipped to the padded input (count_include_pad) or the input."""
    if divisor_override is not None:
        return np.full(out_hw, float(divisor_override))
    counts = []
    for s, o, k, st, p in zip(size, out_hw, kernel, stride, pad):
        start = np.arange(o) * st - p
        end = np.minimum(start + k, s + p)
        counts.append(end - start if count_include_pad else np.minimum(end, s) - np.maximum(start, 0))
    return np.outer(counts[0], counts[1]).astype(np.float64)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """(N, C, H, W) or (C, H, W) -> window means. count_include_pad counts the zero padding in the divisor;
    divisor_override replaces the divisor. stride defaults to kernel_size."""
    if isinstance(input, Tensor) and input.ndim < 3:
        raise IndexError(f"avg_pool2d: Dimension out of range (expected a 3-D or 4-D input, got shape "
                         f"{list(input.shape)})")
    x, unbatched = _batched("avg_pool2d", input)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("avg_pool2d: divisor must be not zero")
    kernel, stride, pad, _, out_hw, pads = _window_geometry("avg_pool2d", x, kernel_size, stride, padding, 1,
                                                            ceil_mode)
    divisor = _divisor(x.shape[-2:], out_hw, kernel, stride, pad, count_include_pad, divisor_override)
    out = AvgPool2dFunction.apply(x, kernel, stride, pads, out_hw, divisor)
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """(N, C, H, W) or (C, H, W) -> (N, C, *output_size); None in output_size keeps that input size."""
    if not isinstance(input, Tensor):
        raise TypeError(f"adaptive_avg_pool2d: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    for dim in range(input.ndim - 3, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(f"adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with dimension {dim} being empty")
    sizes = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else tuple(output_size)
    if len(sizes) != 2:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be an int or 2 ints, got {output_size!r}")
    out_hw = tuple(int(input.shape[-2 + i]) if s is None else int(s) for i, s in enumerate(sizes))
    if min(out_hw) < 0:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be non-negative, got {out_hw}")
    x = input.unsqueeze(0) if input.ndim == 3 else input
    out = AdaptiveAvgPool2dFunction.apply(x, out_hw)
    return out.squeeze(0) if input.ndim == 3 else out


# ----- Modules ----------------------------------------------------------------------------------------------
class MaxPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
