"""Convolution (torch's cross-correlation): F.conv2d / F.conv1d and nn.Conv2d / nn.Conv1d.

One Function, `Conv2dFunction`, does the work, vectorized as im2col + matmul:

    cols = windows(x_padded)                 # (g, Cg*kh*kw, N*Ho*Wo)  one strided view, one copy
    out  = W_g @ cols                        # (g, Og, N*Ho*Wo)        one (batched) BLAS call
    dW   = dout @ cols^T                     # (g, Og, Cg*kh*kw)
    dx   = col2im(W_g^T @ dout)              # the adjoint of im2col: kh*kw vectorized adds

conv1d is conv2d on a height-1 image (the input and weight get a unit height dim).
"""
from __future__ import annotations

import numpy as np

from tiny import dtypes
from tiny.autograd import Function
from tiny.nn import _spatial
from tiny.nn import init
from tiny.nn.module import Module
from tiny.nn.parameter import Parameter
from tiny.tensor import Tensor

__all__ = ["Conv1d", "Conv2d"]
__functional__ = ["conv1d", "conv2d"]


class Conv2dFunction(Function):
    """x (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,) or None -> (N, O, Ho, Wo).

    pads ((top, bottom), (left, right)), stride and dilation are (h, w) pairs of ints, groups an int.
    Layout: the columns are (g, K, M) with K = Cg*kh*kw rows and M = N*Ho*Wo columns, so the im2col copy
    and the col2im adds run along the contiguous Wo axis.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, pads, dilation, groups):
        """forward: compute the outputs from the input arrays. x (N, C, H, W), weight (O, C/groups, kh, kw),
        bias (O,) or None -> (N, O, Ho, Wo). Task `Conv2dFunction.forward`."""
        # BEGIN SOLUTION
        n, c, h, w = x.shape
        out_channels, cg, kh, kw = weight.shape
        og = out_channels // groups
        xp = _spatial.pad_spatial(x.transpose(1, 0, 2, 3), pads)                  # (C, N, Hp, Wp)
        ho = (xp.shape[2] - _spatial.effective(kh, dilation[0])) // stride[0] + 1
        wo = (xp.shape[3] - _spatial.effective(kw, dilation[1])) // stride[1] + 1
        view = _spatial.windows(xp, (kh, kw), stride, dilation, (ho, wo))          # (C, N, Ho, Wo, kh, kw)
        view = view.reshape(groups, cg, n, ho, wo, kh, kw)
        cols = view.transpose(0, 1, 5, 6, 2, 3, 4).reshape(groups, cg * kh * kw, n * ho * wo)  # im2col copy
        w_g = weight.reshape(groups, og, cg * kh * kw)                            # (g, Og, K)
        out = np.matmul(w_g, cols)                                                # (g, Og, M)
        out = out.reshape(out_channels, n, ho, wo).transpose(1, 0, 2, 3)          # (N, O, Ho, Wo)
        if bias is not None:
            out = out + bias.reshape(1, out_channels, 1, 1)
        ctx.save_for_backward(cols, w_g)
        ctx.geometry = (weight.shape, xp.shape, stride, pads, dilation, groups)
        return np.ascontiguousarray(out)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """backward: one gradient per forward input (None where there is none), each shaped like its input. x
        (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,) or None -> (N, O, Ho, Wo).
        Task `Conv2dFunction.backward`."""
        # BEGIN SOLUTION
        cols, w_g = ctx.saved_tensors
        w_shape, padded_shape, stride, pads, dilation, groups = ctx.geometry
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad[:3]
        n, out_channels, ho, wo = grad.shape
        _, cg, kh, kw = w_shape
        grad_g = np.ascontiguousarray(grad.transpose(1, 0, 2, 3)).reshape(groups, out_channels // groups, -1)
        grad_weight = np.matmul(grad_g, cols.transpose(0, 2, 1)).reshape(w_shape) if needs_weight else None
        grad_bias = grad.sum(axis=(0, 2, 3)) if needs_bias else None
        grad_x = None
        if needs_x:
            grad_cols = np.matmul(w_g.transpose(0, 2, 1), grad_g)                 # (g, K, M)
            per_window = grad_cols.reshape(groups * cg, kh, kw, n, ho, wo)        # (C, kh, kw, N, Ho, Wo)
            grid = _spatial.scatter_windows(per_window, padded_shape, stride, dilation)  # (C, N, Hp, Wp)
            grad_x = _spatial.crop(grid, pads).transpose(1, 0, 2, 3)
        return grad_x, grad_weight, grad_bias, None, None, None, None
        # END SOLUTION


# ----- argument checks (torch's messages) -------------------------------------------------------------------
def _as_tuple(value, dims: int, name: str, op: str, allow_zero: bool = False) -> tuple[int, ...]:
    if dims == 2:
        return _spatial.as_pair(value, name, op, allow_zero)
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return (_spatial.as_pair(value, name, op, allow_zero)[0],)


def _resolve_padding(padding, kernel: tuple, stride: tuple, dilation: tuple, op: str) -> list[tuple[int, int]]:
    """'valid' | 'same' | int | tuple -> [(before, after)] per spatial dim ('same' may be asymmetric)."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * len(kernel)
        if padding != "same":
            raise RuntimeError(f"{op}: Invalid padding string: {padding!r} (expected 'same' or 'valid')")
        if any(s != 1 for s in stride):
            raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool) and padding < 0:
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={padding}")
    if isinstance(padding, (tuple, list)) and any(isinstance(p, (int, np.integer)) and p < 0 for p in padding):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={tuple(padding)}")
    return [(p, p) for p in _as_tuple(padding, len(kernel), "padding", op, allow_zero=True)]


def _check_conv(op: str, input: Tensor, weight: Tensor, bias: Tensor | None, groups: int, dims: int) -> None:
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {op}, but got "
                           f"input of size: {list(input.shape)}")
    if weight.ndim != dims + 2:
        raise RuntimeError(f"{op}: weight must be {dims + 2}-D (out_channels, in_channels/groups, "
                           f"{'kh, kw' if dims == 2 else 'k'}), got shape {list(weight.shape)}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise RuntimeError(f"{op}: non-positive groups is not supported, got groups={groups!r}")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead ({op})")
    channels = input.shape[-dims - 1]
    if channels != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, but got "
                           f"{channels} channels instead ({op})")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{weight.shape[0]} elements, but got bias of size {list(bias.shape)} instead ({op})")
    used = [t for t in (input, weight, bias) if t is not None]
    if len({t.data.dtype for t in used}) > 1 or input.data.dtype.kind != "f":
        listed = ", ".join(f"{n} {t.data.dtype}" for n, t in zip(("input", "weight", "bias"), used))
        raise RuntimeError(f"{op}: expected floating-point input, weight and bias of one dtype, got {listed}")


def _check_kernel_fits(op: str, spatial: tuple, pads: list, kernel: tuple, dilation: tuple) -> None:
    padded = [s + a + b for s, (a, b) in zip(spatial, pads)]
    spans = [_spatial.effective(k, d) for k, d in zip(kernel, dilation)]
    if any(p < k for p, k in zip(padded, spans)):
        raise RuntimeError(f"{op}: Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, spans))}). Kernel size can't be greater than "
                           "actual input size")


def _convolve(op: str, input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups, dims: int,
              function: type = Conv2dFunction) -> Tensor:
    """conv1d / conv2d after the checks: batch the input, lift 1-D to a unit height, apply `function`."""
    _check_conv(op, input, weight, bias, groups, dims)
    kernel = tuple(weight.shape[2:])
    stride = _as_tuple(stride, dims, "stride", op)
    dilation = _as_tuple(dilation, dims, "dilation", op)
    pads = _resolve_padding(padding, kernel, stride, dilation, op)
    _check_kernel_fits(op, tuple(input.shape[-dims:]), pads, kernel, dilation)
    unbatched = input.ndim == dims + 1
    x = input.unsqueeze(0) if unbatched else input
    if dims == 1:  # (N, C, L) -> (N, C, 1, L); weight (O, Cg, k) -> (O, Cg, 1, k)
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        stride, dilation, pads = (1,) + stride, (1,) + dilation, [(0, 0)] + pads
    out = function.apply(x, weight, bias, stride, tuple(pads), dilation, int(groups))
    if dims == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation. input (N, C, H, W) or (C, H, W), weight (O, C/groups, kh, kw), bias (O,)
    -> (N, O, Ho, Wo) with Ho = (H + pad_top + pad_bottom - dilation*(kh-1) - 1) // stride + 1.
    padding: int, (ph, pw), 'valid' or 'same' (stride 1 only; asymmetric when dilation*(k-1) is odd)."""
    return _convolve("conv2d", input, weight, bias, stride, padding, dilation, groups, dims=2)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D cross-correlation. input (N, C, L) or (C, L), weight (O, C/groups, k), bias (O,) -> (N, O, Lo)."""
    return _convolve("conv1d", input, weight, bias, stride, padding, dilation, groups, dims=1)


# ----- Modules ----------------------------------------------------------------------------------------------
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared by Conv1d and Conv2d: torch's argument checks, attributes and default init."""

    dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(PADDING_MODES)}, but got padding_mode="
                             f"{padding_mode!r}")
        if padding_mode != "zeros":
            raise NotImplementedError(f"{name}: padding_mode={padding_mode!r} is not implemented in tiny "
                                      "(only 'zeros')")
        self.kernel_size = _as_tuple(kernel_size, self.dims, "kernel_size", name)
        self.stride = _as_tuple(stride, self.dims, "stride", name)
        self.dilation = _as_tuple(dilation, self.dims, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _as_tuple(padding, self.dims, "padding", name, allow_zero=True)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.padding_mode = padding_mode
        np_dtype = dtypes.to_dtype(dtype if dtype is not None else dtypes.float32, name).np
        self.weight = Parameter(np.empty((out_channels, in_channels // groups) + self.kernel_size, np_dtype))
        if bias:
            self.bias = Parameter(np.empty((out_channels,), np_dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default: kaiming_uniform_(a=sqrt(5)) -> U(+-1/sqrt(fan_in)); bias U(+-1/sqrt(fan_in))."""
        init._default_weight_and_bias_(self.weight, self.bias)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding!r}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """2-D convolution layer: (N, C_in, H, W) -> (N, C_out, Ho, Wo); weight (C_out, C_in/groups, kh, kw)."""

    dims = 2

    def forward(self, input: Tensor) -> Tensor:
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution layer: (N, C_in, L) -> (N, C_out, Lo); weight (C_out, C_in/groups, k)."""

    dims = 1

    def forward(self, input: Tensor) -> Tensor:
        return conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
