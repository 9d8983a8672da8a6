"""Linear (y = x W^T + b, weight stored (out_features, in_features) as in torch) and Identity."""
from __future__ import annotations

import numbers

import numpy as np

from tiny import dtypes
from tiny.autograd import Function
from tiny.nn import init
from tiny.nn.module import Module
from tiny.nn.parameter import Parameter
from tiny.ops._util import broadcast_shape
from tiny.tensor import Tensor

__all__ = ["Linear", "Identity"]
__functional__ = ["linear"]


class LinearFunction(Function):
    """x: (*, in), weight: (out, in), bias: broadcastable to (*, out) or None -> (*, out).

    The batch dims are flattened into one, so every product is a single 2-D matmul (one BLAS call).
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        """x (*, in) @ weight.T (weight: (out, in)) + bias ((out,) or None) -> (*, out). Save what backward
        needs. Task `LinearFunction.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(x, weight)
        rows = int(np.prod(x.shape[:-1]))
        out = (x.reshape(rows, weight.shape[1]) @ weight.T).reshape(x.shape[:-1] + (weight.shape[0],))
        return out if bias is None else out + bias
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output (*, out). Return (grad_x (*, in), grad_weight
        (out, in) summed over every batch dim, grad_bias or None); use ctx.needs_input_grad to skip what is
        not needed. Task `LinearFunction.backward`."""
        # BEGIN SOLUTION
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        out_features, in_features = weight.shape
        rows = int(np.prod(x.shape[:-1]))
        grad_rows = grad.reshape(rows, out_features)  # (B, out)
        grad_x = (grad_rows @ weight).reshape(x.shape) if needs_x else None  # (*, in)
        # Summed over every batch dim: (out, B) @ (B, in).
        grad_weight = grad_rows.T @ x.reshape(rows, in_features) if needs_weight else None
        # The engine sums the bias gradient over the dims the bias was broadcast along.
        grad_bias = grad if needs_bias else None
        return grad_x, grad_weight, grad_bias
        # END SOLUTION


def _check_linear(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    for name, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"linear: {name} must be a Tensor, got {type(t).__name__}")
    if input.ndim == 0:
        raise RuntimeError("linear: input must be at least 1-D (*, in_features), got a 0-D tensor")
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                           f"{tuple(weight.shape)}")
    if input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear: input of shape {tuple(input.shape)} cannot be multiplied with weight "
                           f"of shape {tuple(weight.shape)}: the input's last dim ({input.shape[-1]}) must "
                           f"equal in_features ({weight.shape[1]})")
    used = [t for t in (input, weight, bias) if t is not None]
    if len({t.data.dtype for t in used}) > 1:
        listed = ", ".join(f"{n} {t.data.dtype}" for n, t in zip(("input", "weight", "bias"), used))
        raise RuntimeError(f"linear: expected input, weight and bias of the same dtype, got {listed}")
    if bias is not None:
        out_shape = tuple(input.shape[:-1]) + (weight.shape[0],)
        if broadcast_shape("linear", out_shape, bias.shape) != out_shape:
            raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not broadcast to the "
                               f"output shape {out_shape}")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias. input (*, in), weight (out, in), bias (out,) -> (*, out)."""
    _check_linear(input, weight, bias)
    return LinearFunction.apply(input, weight, bias)


def check_sizes(module: str, **sizes) -> None:
    """Constructor sizes as torch checks them: ints (TypeError otherwise), >= 0 (RuntimeError otherwise)."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{module}: {name} must be an int, got {type(value).__name__} {value!r}")
        if value < 0:
            raise RuntimeError(f"{module}: Trying to create tensor with negative dimension {value} ({name}={value})")


class Linear(Module):
    """y = x W^T + b with W (out_features, in_features).

    Default init (torch's): kaiming_uniform_(W, a=sqrt(5)), i.e. W ~ U(-1/sqrt(in), 1/sqrt(in)),
    and b ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None) -> None:
        super().__init__()
        check_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features = in_features
        self.out_features = out_features
        np_dtype = dtypes.to_dtype(dtype if dtype is not None else dtypes.float32, "Linear").np
        self.weight = Parameter(np.empty((out_features, in_features), np_dtype))
        if bias:
            self.bias = Parameter(np.empty((out_features,), np_dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init._default_weight_and_bias_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input; any constructor arguments are ignored (as in torch)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input
