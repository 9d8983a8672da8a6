"""2-D convolution (cross-correlation, torch's conv2d with stride and zero padding) at two levels:

    naive    seven Python loops over (n, o, i, j, c, u, v): the teaching baseline, small sizes only
    im2col   every receptive field copied into a row of a (N*Ho*Wo, C*kh*kw) matrix, then ONE matmul with
             the (O, C*kh*kw) weight; backward: dW = dout^T cols, dcols = dout W, scattered back (col2im)
(tiny.nn.functional.conv2d is a third, grouped and dilated im2col; perf/accel.py times all three.)
"""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function
from tiny.tensor import Tensor

__all__ = ["conv2d_naive", "conv2d_im2col", "Im2colConv2d"]


def _geometry(op: str, x_shape, w_shape, stride: int, padding: int) -> tuple[int, int]:
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise RuntimeError(f"{op}: expected x (N, C, H, W) and weight (O, C, kh, kw), got {x_shape} and {w_shape}")
    if x_shape[1] != w_shape[1]:
        raise RuntimeError(f"{op}: x has {x_shape[1]} channels but the weight expects {w_shape[1]}")
    if stride < 1 or padding < 0:
        raise ValueError(f"{op}: expected stride >= 1 and padding >= 0, got {stride} and {padding}")
    ho = (x_shape[2] + 2 * padding - w_shape[2]) // stride + 1
    wo = (x_shape[3] + 2 * padding - w_shape[3]) // stride + 1
    if ho < 1 or wo < 1:
        raise RuntimeError(f"{op}: kernel {w_shape[2:]} is larger than the padded input {x_shape[2:]} + 2*{padding}")
    return ho, wo


def conv2d_naive(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride: int = 1,
                 padding: int = 0) -> np.ndarray:
    """x (N, C, H, W), weight (O, C, kh, kw), bias (O,) -> (N, O, Ho, Wo), with Python loops: out[n, o, i, j] =
    bias[o] + sum over (c, u, v) of xpad[n, c, i*stride + u, j*stride + v] * weight[o, c, u, v], xpad = x with
    `padding` zeros on each side of H and W. Task `conv2d_naive`."""
    ho, wo = _geometry("conv2d_naive", x.shape, weight.shape, stride, padding)
    # BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c = x.shape[:2]
    o, _, kh, kw = weight.shape
    out = np.zeros((n, o, ho, wo), dtype=np.result_type(x, weight))
    for b in range(n):
        for f in range(o):
            for i in range(ho):
                for j in range(wo):
                    total = 0.0 if bias is None else bias[f]
                    for ch in range(c):
                        for u in range(kh):
                            for v in range(kw):
                                total += xp[b, ch, i * stride + u, j * stride + v] * weight[f, ch, u, v]
                    out[b, f, i, j] = total
    return out
    # END SOLUTION


def _offsets(kh: int, kw: int, ho: int, wo: int, stride: int):
    """For each kernel offset (u, v): the slices of the padded input it reads for every output position."""
    for u in range(kh):
        for v in range(kw):
            yield u, v, slice(u, u + stride * (ho - 1) + 1, stride), slice(v, v + stride * (wo - 1) + 1, stride)


class Im2colConv2d(Function):
    """x (N, C, H, W), weight (O, C, kh, kw), bias (O,) or None -> (N, O, Ho, Wo)."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        """x (N, C, H, W), weight (O, C, kh, kw), bias (O,) or None, int stride and padding -> (N, O, Ho, Wo):
        copy every receptive field of the zero-padded x into a row of cols (N*Ho*Wo, C*kh*kw) (_offsets gives
        the slices of each kernel offset), then ONE matmul cols @ W^T (+ bias). Save what backward needs.
        Task `Im2colConv2d.forward`."""
        ho, wo = _geometry("conv2d_im2col", x.shape, weight.shape, stride, padding)
        # BEGIN SOLUTION
        n, c = x.shape[:2]
        o, _, kh, kw = weight.shape
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        cols = np.empty((n, ho, wo, c, kh, kw), dtype=x.dtype)                  # the im2col matrix
        for u, v, rows, columns in _offsets(kh, kw, ho, wo, stride):
            cols[..., u, v] = xp[:, :, rows, columns].transpose(0, 2, 3, 1)      # (N, Ho, Wo, C)
        cols = cols.reshape(n * ho * wo, c * kh * kw)
        out = cols @ weight.reshape(o, -1).T                                     # (N*Ho*Wo, O): one matmul
        if bias is not None:
            out = out + bias
        ctx.save_for_backward(cols, weight)
        ctx.geometry = (x.shape, xp.shape, stride, padding, ho, wo)
        return np.ascontiguousarray(out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2))
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad (N, O, Ho, Wo): the upstream gradient. Return (grad_x, grad_weight, grad_bias, None, None), None
        where no gradient is needed: dW = grad_rows^T cols, db = sum of grad_rows, and grad_x = the rows of
        grad_rows @ W scattered back and added into the padded input (col2im), the padding cut off.
        Task `Im2colConv2d.backward`."""
        # BEGIN SOLUTION
        cols, weight = ctx.saved_tensors
        x_shape, xp_shape, stride, padding, ho, wo = ctx.geometry
        needs_x, needs_w, needs_b = ctx.needs_input_grad[:3]
        o, c, kh, kw = weight.shape
        grad_rows = grad.transpose(0, 2, 3, 1).reshape(-1, o)                   # (N*Ho*Wo, O)
        grad_w = (grad_rows.T @ cols).reshape(weight.shape) if needs_w else None
        grad_b = grad_rows.sum(axis=0) if needs_b else None
        grad_x = None
        if needs_x:                                                             # col2im: scatter-add back
            grad_cols = (grad_rows @ weight.reshape(o, -1)).reshape(x_shape[0], ho, wo, c, kh, kw)
            grad_xp = np.zeros(xp_shape, dtype=grad.dtype)
            for u, v, rows, columns in _offsets(kh, kw, ho, wo, stride):
                grad_xp[:, :, rows, columns] += grad_cols[..., u, v].transpose(0, 3, 1, 2)
            grad_x = grad_xp[:, :, padding:xp_shape[2] - padding, padding:xp_shape[3] - padding]
        return grad_x, grad_w, grad_b, None, None
        # END SOLUTION


def conv2d_im2col(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1, padding: int = 0) -> Tensor:
    """torch.nn.functional.conv2d(x, weight, bias, stride, padding) for int stride/padding, groups 1."""
    for name, t in (("x", x), ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"conv2d_im2col: {name} must be a Tensor, got {type(t).__name__}")
    _geometry("conv2d_im2col", x.shape, weight.shape, stride, padding)
    return Im2colConv2d.apply(x, weight, bias, int(stride), int(padding))
