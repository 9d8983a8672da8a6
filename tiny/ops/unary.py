"""Elementwise math: exp, log, sqrt, abs, tanh, sigmoid, relu, clamp (clamp_min, clamp_max)."""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function
from tiny.ops._util import as_operands, broadcast_shape
from tiny.promotion import float_result_type, result_type


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        """exp(x) elementwise; overflow gives inf silently (torch). Task `Exp.forward`."""
        # BEGIN SOLUTION
        with np.errstate(over="ignore"):
            result = np.exp(x)
        ctx.save_for_backward(result)
        return result
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return grad * exp(x) (reuse the saved result).
        Task `Exp.backward`."""
        # BEGIN SOLUTION
        (result,) = ctx.saved_tensors
        return grad * result
        # END SOLUTION


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        """Natural log elementwise; log(0) = -inf and log(<0) = nan, silently, as in torch. Task
        `Log.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return grad / x. Task `Log.backward`."""
        # BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / x
        # END SOLUTION


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        """sqrt(x) elementwise; sqrt(<0) = nan silently. Task `Sqrt.forward`."""
        # BEGIN SOLUTION
        with np.errstate(invalid="ignore"):
            result = np.sqrt(x)
        ctx.save_for_backward(result)
        return result
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return grad / (2 * sqrt(x)) (inf at 0, as
        torch). Task `Sqrt.backward`."""
        # BEGIN SOLUTION
        (result,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / (2 * result)
        # END SOLUTION


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        """|x| elementwise. Task `Abs.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(x)
        return np.abs(x)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return grad * sign(x): torch's subgradient is
        0 at x == 0. Task `Abs.backward`."""
        # BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        return grad * np.sign(x)  # sign(0) = 0: torch's subgradient at the kink
        # END SOLUTION


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        """tanh(x) elementwise. Task `Tanh.forward`."""
        # BEGIN SOLUTION
        result = np.tanh(x)
        ctx.save_for_backward(result)
        return result
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return grad * (1 - tanh(x)**2). Task
        `Tanh.backward`."""
        # BEGIN SOLUTION
        (result,) = ctx.saved_tensors
        return grad * (1 - result * result)
        # END SOLUTION


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        """1 / (1 + exp(-x)) elementwise, in x's dtype, finite for x = ±300 in float32 (never compute exp of a
        large positive number). Task `Sigmoid.forward`."""
        # exp of -|x| never overflows, so ±300 (and ±1e4) stay finite in float32.
        # BEGIN SOLUTION
        e = np.exp(-np.abs(x))
        result = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(result)
        return result
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return grad * s * (1 - s), s = sigmoid(x).
        Task `Sigmoid.backward`."""
        # BEGIN SOLUTION
        (result,) = ctx.saved_tensors
        return grad * result * (1 - result)
        # END SOLUTION


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        """max(x, 0) elementwise, in x's dtype (integer inputs allowed). Task `Relu.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(x)
        return np.maximum(x, np.zeros((), x.dtype))
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return grad where x > 0, else 0 (the gradient
        at exactly 0 is 0, torch's choice). Task `Relu.backward`."""
        # BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        return grad * (x > 0)  # 0 at x == 0, as torch
        # END SOLUTION


class Clamp(Function):
    """x, low, high: arrays (or Python numbers, or None for a missing bound) that broadcast together.
    result = min(max(x, low), high), so where low > high the result is high, as in torch."""

    @staticmethod
    def forward(ctx, x, low, high):
        """x limited to [low, high]; low or high may be None (no bound on that side). Both are scalars cast to
        x's dtype. Task `Clamp.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(x, low, high)
        result = x
        if low is not None:
            result = np.maximum(result, np.asarray(low, x.dtype))
        if high is not None:
            result = np.minimum(result, np.asarray(high, x.dtype))
        return result
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad where low <= x <= high —
        boundaries included, as torch — else 0, None, None). Task `Clamp.backward`."""
        # BEGIN SOLUTION
        x, low, high = ctx.saved_tensors
        # torch's rule: x gets the gradient where low <= x <= high (boundaries included); low where x < low < high
        # (so nobody where x < low == high); high where x > high, or everywhere low > high (the result is high).
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside = inside & (x >= low)
        if high is not None:
            inside = inside & (x <= high)
        grad_low = grad_high = None
        if ctx.needs_input_grad[1]:
            grad_low = grad * ((x < low) & (True if high is None else low < high))
        if ctx.needs_input_grad[2]:
            grad_high = grad * ((x > high) | (False if low is None else low > high))
        return grad * inside, grad_low, grad_high
        # END SOLUTION


def _float_unary(function: type, op: str, input):
    (x,) = as_operands(op, input, dtype_rule=float_result_type)
    return function.apply(x)


def exp(input):
    return _float_unary(Exp, "exp", input)


def log(input):
    """Natural log; log(0) = -inf and log(x < 0) = nan, as torch (no error)."""
    return _float_unary(Log, "log", input)


def sqrt(input):
    return _float_unary(Sqrt, "sqrt", input)


def tanh(input):
    return _float_unary(Tanh, "tanh", input)


def sigmoid(input):
    return _float_unary(Sigmoid, "sigmoid", input)


def abs(input):
    (x,) = as_operands("abs", input, dtype_rule=result_type)
    return Abs.apply(x)


def relu(input):
    (x,) = as_operands("relu", input, dtype_rule=result_type)
    if x.data.dtype == np.bool_:
        raise RuntimeError("relu: not implemented for bool tensors")
    return Relu.apply(x)


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; each bound is a Python number, a Tensor (broadcasting with input; gradients
    reach it) or None, not both None. The result has the promoted dtype of input and the bounds."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    from tiny.tensor import Tensor
    bounds = [b for b in (min, max) if b is not None]
    for name, b in (("min", min), ("max", max)):
        if b is not None and (isinstance(b, bool) or not isinstance(b, (int, float, np.number, Tensor))):
            raise TypeError(f"clamp: {name} must be a Tensor or a Python number, got {type(b).__name__}")
    if not isinstance(input, Tensor):
        raise TypeError(f"clamp: input must be a Tensor, got {type(input).__name__}")
    dtype = result_type(input, *bounds)
    if dtype == np.bool_:
        raise RuntimeError("clamp: not implemented for bool tensors (\"clamp_scalar_cpu\" not implemented for 'Bool')")
    (x,) = as_operands("clamp", input, dtype_rule=lambda *_: dtype)
    if not any(isinstance(b, Tensor) for b in bounds):
        return Clamp.apply(x, min, max)
    low, high = (None if b is None else as_operands("clamp", b, dtype_rule=lambda *_: dtype)[0] for b in (min, max))
    broadcast_shape("clamp", *(t.data.shape for t in (x, low, high) if t is not None))
    return Clamp.apply(x, low, high)


def clamp_min(input, min):
    """clamp(input, min=min): min is a Python number or a Tensor."""
    if min is None:
        raise TypeError("clamp_min: min must be a Tensor or a Python number, got None")
    return clamp(input, min, None)


def clamp_max(input, max):
    """clamp(input, max=max): max is a Python number or a Tensor."""
    if max is None:
        raise TypeError("clamp_max: max must be a Tensor or a Python number, got None")
    return clamp(input, None, max)
