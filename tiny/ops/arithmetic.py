"""Elementwise arithmetic with broadcasting: add, sub, mul, div, neg, pow, and dtype casts."""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function
from tiny.ops._util import as_operands, check_broadcast
from tiny.promotion import float_result_type, result_type


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype by the engine.
    (Scaffolding, not a student region: dtype promotion is given in the starter package.)"""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        """a + b elementwise. a, b: arrays of one dtype whose shapes broadcast (torch's rules); returns the
        broadcast result. Task `Add.forward`."""
        # BEGIN SOLUTION
        return a + b
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (d/da, d/db) = (grad, grad); the engine
        sums each back to its input's shape. Task `Add.backward`."""
        # BEGIN SOLUTION
        return grad, grad
        # END SOLUTION


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        """a - b elementwise, a and b broadcast as in torch. Task `Sub.forward`."""
        # BEGIN SOLUTION
        return a - b
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad, -grad). Task `Sub.backward`."""
        # BEGIN SOLUTION
        return grad, -grad
        # END SOLUTION


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        """a * b elementwise, a and b broadcast; save what backward needs (ctx.save_for_backward). Task
        `Mul.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(a, b)
        return a * b
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad * b, grad * a) (broadcast shapes
        are fine). Task `Mul.backward`."""
        # BEGIN SOLUTION
        a, b = ctx.saved_tensors
        return grad * b, grad * a
        # END SOLUTION


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        """a / b elementwise (true division, float dtype), a and b broadcast. Division by 0 gives ±inf/nan as
        in torch: no warning, no error. Task `Div.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad / b, -grad * a / b**2); torch
        evaluates the second as -grad * ((a / b) / b), so overflow happens at the same inputs. Task
        `Div.backward`."""
        # BEGIN SOLUTION
        a, b = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # torch's formula and evaluation order, so overflow happens at the same inputs.
            return grad / b, -grad * ((a / b) / b)
        # END SOLUTION


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        """-x elementwise. Task `Neg.forward`."""
        # BEGIN SOLUTION
        return -x
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return -grad. Task `Neg.backward`."""
        # BEGIN SOLUTION
        return -grad
        # END SOLUTION


class Pow(Function):
    """base ** exponent, both arrays of one float dtype (either may be a constant)."""

    @staticmethod
    def forward(ctx, base, exponent):
        """base ** exponent elementwise (np.power); either may be a broadcast constant. Save base, exponent
        and the result. Task `Pow.forward`."""
        # BEGIN SOLUTION
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result = np.power(base, exponent)
        ctx.save_for_backward(base, exponent, result)
        return result
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (d/dbase, d/dexponent), None where
        ctx.needs_input_grad is False. torch: d/dbase = grad * e * base**(e-1), exactly 0 where e == 0
        (even at base 0); d/dexponent = grad * result * log(base), 0 where base == 0 and e >= 0. Task
        `Pow.backward`."""
        # BEGIN SOLUTION
        base, exponent, result = ctx.saved_tensors
        grad_base = grad_exponent = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if ctx.needs_input_grad[0]:
                # torch: the gradient is exactly 0 where the exponent is 0 (even at base 0).
                grad_base = np.where(exponent == 0, 0.0, grad * exponent * np.power(base, exponent - 1))
            if ctx.needs_input_grad[1]:
                # torch: 0 where base == 0 and exponent >= 0, instead of 0 * log(0) = nan.
                grad_exponent = np.where((base == 0) & (exponent >= 0), 0.0, grad * result * np.log(base))
        return grad_base, grad_exponent
        # END SOLUTION


def _binary(function: type, op: str, a, b, true_division: bool = False):
    a, b = as_operands(op, a, b, dtype_rule=float_result_type if true_division else result_type)
    check_broadcast(op, a, b)
    return function.apply(a, b)


def add(input, other, *, alpha=1):
    """input + alpha * other, broadcasting. Shapes: any two broadcastable shapes."""
    return _binary(Add, "add", input, other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1):
    return _binary(Sub, "sub", input, other if alpha == 1 else other * alpha)


def mul(input, other):
    return _binary(Mul, "mul", input, other)


class RoundedDiv(Function):
    """a / b rounded toward zero ('trunc') or down ('floor'), in the operands' dtype; no gradient (torch's
    derivative of a rounded quotient is 0 almost everywhere, and torch returns zeros)."""

    @staticmethod
    def forward(ctx, a, b, rounding_mode):
        """forward: compute the outputs from the input arrays. a / b rounded toward zero ('trunc') or down
        ('floor'), in the operands' dtype; no gradient (torch's derivative of a rounded quotient is 0
        almost everywhere, and torch returns zeros). Task `RoundedDiv.forward`."""
        # BEGIN SOLUTION
        if a.dtype.kind in "iub" and np.any(b == 0):
            raise RuntimeError("div: ZeroDivisionError (integer division by zero with rounding_mode="
                               f"{rounding_mode!r})")
        with np.errstate(divide="ignore", invalid="ignore"):
            if rounding_mode == "floor":
                return np.floor_divide(a, b)
            if a.dtype.kind == "f":
                return np.trunc(a / b)
            return (a - np.fmod(a, b)) // b  # exact: a - fmod(a, b) is a multiple of b
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """backward: one gradient per forward input (None where there is none), each shaped like its input. a
        / b rounded toward zero ('trunc') or down ('floor'), in the operands' dtype; no gradient (torch's
        derivative of a rounded quotient is 0 almost everywhere, and torch returns zeros).
        Task `RoundedDiv.backward`."""
        # BEGIN SOLUTION
        zeros = np.zeros_like(grad)
        return zeros, zeros, None
        # END SOLUTION


def div(input, other, *, rounding_mode: str | None = None):
    """True division (rounding_mode=None): integer inputs give the default float dtype, as in torch.
    rounding_mode='trunc' or 'floor': the rounded quotient in the promoted dtype (ints stay ints)."""
    if rounding_mode is None:
        return _binary(Div, "div", input, other, true_division=True)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"{rounding_mode!r}")
    a, b = as_operands("div", input, other, dtype_rule=result_type)
    if a.data.dtype == np.bool_:
        raise RuntimeError(f"div(rounding_mode={rounding_mode!r}): not implemented for bool tensors")
    check_broadcast("div", a, b)
    return RoundedDiv.apply(a, b, rounding_mode)


def neg(input):
    return Neg.apply(input)


def pow(input, exponent):
    """input ** exponent. Either side may be a Python number (torch.pow(scalar, tensor) too)."""
    base_t, exp_t = as_operands("pow", input, exponent, dtype_rule=result_type)
    if base_t.data.dtype.kind in "iub" and np.any(exp_t.data < 0):
        raise RuntimeError("pow: integers to negative integer powers are not allowed "
                           f"(dtype {base_t.data.dtype})")
    check_broadcast("pow", base_t, exp_t)
    return Pow.apply(base_t, exp_t)


def to_dtype(input, dtype):
    """Differentiable dtype conversion (a no-op when the dtype already matches)."""
    if input.data.dtype == dtype:
        return input
    return Cast.apply(input, dtype)
