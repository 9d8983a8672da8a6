"""Activations: ReLU, LeakyReLU, Sigmoid, Tanh, GELU, SiLU, Softmax, LogSoftmax.

Each op is a Function (forward and backward side by side, on arrays), a functional wrapper
(tiny.nn.functional.gelu, ...) and a Module (tiny.nn.GELU, ...). ReLU, Sigmoid and Tanh reuse the
Functions of tiny/ops/unary.py (Tensor.relu() and F.relu are the same op).

`inplace=True` (ReLU, LeakyReLU, SiLU) writes the result into the input's array and returns the input,
as torch does. tiny's autograd records no in-place ops, so that is only allowed on a tensor that does
not require grad; otherwise it raises RuntimeError (torch allows it on non-leaf tensors).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from tiny.autograd import Function, grad_enabled
from tiny.autograd.version import check_in_place
from tiny.nn.module import Module
from tiny.ops import unary
from tiny.ops._util import normalize_dim
from tiny.tensor import Tensor

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "Softmax", "LogSoftmax"]
__functional__ = ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "silu", "softmax", "log_softmax"]


# ----- erf (NumPy has none): piecewise Taylor series, accurate to ~2 ulp in float64 ----------------
_ERF_WIDTH = 0.125    # erf is expanded around centers 0, 0.125, 0.25, ... (|t| <= 1/16 from a center)
_ERF_DEGREE = 11      # the Taylor remainder at |t| <= 1/16 is below 1e-16 for this degree
_ERF_SATURATION = 6.0  # erfc(6) = 2e-17: erf(x) rounds to exactly ±1 in float64 beyond 6


def _erf_taylor_columns() -> list[np.ndarray]:
    """Column j holds erf's j-th Taylor coefficient at every center.

    erf'(x) = 2/sqrt(pi) e^{-x^2}, and the n-th derivative of e^{-x^2} is (-1)^n H_n(x) e^{-x^2}
    (physicists' Hermite polynomials, H_{n+1} = 2x H_n - 2n H_{n-1}), so every coefficient is exact.
    """
    centers = np.arange(int(_ERF_SATURATION / _ERF_WIDTH) + 1) * _ERF_WIDTH
    table = np.empty((centers.size, _ERF_DEGREE + 1))
    for i, c in enumerate(centers):
        scale = 2 / math.sqrt(math.pi) * math.exp(-c * c)
        hermite_prev, hermite = 0.0, 1.0  # H_{-1}, H_0 at c
        table[i, 0] = math.erf(c)
        for n in range(_ERF_DEGREE):
            table[i, n + 1] = scale * (-1) ** n * hermite / math.factorial(n + 1)
            hermite_prev, hermite = hermite, 2 * c * hermite - 2 * n * hermite_prev
    return [np.ascontiguousarray(table[:, j]) for j in range(_ERF_DEGREE + 1)]


_ERF_COLUMNS = _erf_taylor_columns()


def erf(x: np.ndarray) -> np.ndarray:
    """The error function of a float64 array: SciPy's when installed (3x faster), else our own."""
    if _scipy_erf is not None:
        return _scipy_erf(x)
    return erf_taylor(x)


try:  # SciPy is allowed where NumPy lacks a function (docs/architecture.md); erf is one
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - the pinned setup installs SciPy
    _scipy_erf = None


def erf_taylor(x: np.ndarray) -> np.ndarray:
    """The error function of a float64 array from scratch (vectorized; odd, so evaluated on |x|):
    Taylor series around centers 0.125 apart, within 2 ulp of math.erf."""
    magnitude = np.abs(x).reshape(-1)  # 1-D, so 0-d inputs index like the rest
    # fmin ignores NaN, so NaN gets a valid center (and stays NaN through the offset).
    nearest = np.fmin(np.rint(magnitude * (1 / _ERF_WIDTH)), _ERF_COLUMNS[0].size - 1).astype(np.intp)
    offset = magnitude - nearest * _ERF_WIDTH
    result = _ERF_COLUMNS[_ERF_DEGREE].take(nearest)
    for column in reversed(_ERF_COLUMNS[:-1]):  # Horner's rule in the offset from the center
        result *= offset
        result += column.take(nearest)
    result[magnitude >= _ERF_SATURATION] = 1.0
    return np.copysign(result.reshape(x.shape), x)


# ----- shared checks --------------------------------------------------------------------------
def _check_float(op: str, input: Tensor) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point tensor, got dtype {input.data.dtype}")


def _maybe_inplace(op: str, input: Tensor, compute) -> Tensor:
    """inplace=True: run `compute()`, copy the result into input's array and return input."""
    if input.requires_grad and input.grad_fn is not None and grad_enabled():
        raise RuntimeError(f"{op}(inplace=True): the input requires grad and tiny's autograd does "
                           "not record in-place ops; use inplace=False")
    check_in_place(input, f"{op}(inplace=True)")
    result = compute()
    input.data[...] = result.data
    return input


# ----- LeakyReLU ------------------------------------------------------------------------------
class LeakyReluFunction(Function):
    @staticmethod
    def forward(ctx, x, negative_slope):
        """x where x > 0, else negative_slope * x (negative_slope: a Python float cast to x's dtype). Shapes:
        any. Task `LeakyReluFunction.forward`."""
        # BEGIN SOLUTION
        positive = x > 0
        ctx.save_for_backward(positive)
        ctx.negative_slope = negative_slope
        return np.where(positive, x, x * np.asarray(negative_slope, x.dtype))
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad where x > 0 else negative_slope *
        grad, None); at x == 0 the slope is negative_slope, as torch. Task `LeakyReluFunction.backward`."""
        # BEGIN SOLUTION
        (positive,) = ctx.saved_tensors
        # At x == 0 the slope is negative_slope, as in torch.
        return np.where(positive, grad, grad * np.asarray(ctx.negative_slope, grad.dtype)), None
        # END SOLUTION


# ----- GELU -----------------------------------------------------------------------------------
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_TANH_CUBIC = 0.044715
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class GeluFunction(Function):
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses GPT-2's tanh formula."""

    @staticmethod
    def forward(ctx, x, approximate):
        """approximate='none': x * Phi(x), Phi(x) = 0.5 * (1 + erf(x / sqrt(2))), computed in float64 and
        rounded once to x's dtype (use `erf` of this module). approximate='tanh': 0.5 * x * (1 +
        tanh(sqrt(2/pi) * (x + 0.044715 * x**3))). Task `GeluFunction.forward`."""
        # BEGIN SOLUTION
        ctx.approximate = approximate
        if approximate == "tanh":
            tanh_inner = np.tanh(_SQRT_2_OVER_PI * (x + _TANH_CUBIC * x * x * x))
            ctx.save_for_backward(x, tanh_inner)
            return 0.5 * x * (1 + tanh_inner)
        x64 = x.astype(np.float64, copy=False)  # erf in float64, then rounded once to x's dtype
        cdf = 0.5 * (1 + erf(x64 * math.sqrt(0.5)))
        ctx.save_for_backward(x, cdf.astype(x.dtype, copy=False))
        return (x64 * cdf).astype(x.dtype, copy=False)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad * dGELU/dx, None): 'none': Phi(x)
        + x * phi(x), phi the standard normal pdf; 'tanh': the derivative of the tanh formula. Task
        `GeluFunction.backward`."""
        # BEGIN SOLUTION
        x, saved = ctx.saved_tensors
        if ctx.approximate == "tanh":
            tanh_inner = saved
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * _TANH_CUBIC * x * x)
            slope = 0.5 * (1 + tanh_inner) + 0.5 * x * (1 - tanh_inner * tanh_inner) * d_inner
            return grad * slope, None
        cdf = saved
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
        return grad * (cdf + x * pdf), None
        # END SOLUTION


# ----- SiLU -----------------------------------------------------------------------------------
class SiluFunction(Function):
    @staticmethod
    def forward(ctx, x):
        """x * sigmoid(x) elementwise; exp(-x) overflowing to inf must give 0, not nan. Task
        `SiluFunction.forward`."""
        # BEGIN SOLUTION
        e = np.exp(-np.abs(x))  # never overflows (1 / (1 + exp(-x)) does for x << 0)
        sig = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, sig)
        return x * sig
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return grad * s * (1 + x * (1 - s)), s =
        sigmoid(x). Task `SiluFunction.backward`."""
        # BEGIN SOLUTION
        x, sig = ctx.saved_tensors
        return grad * sig * (1 + x * (1 - sig))
        # END SOLUTION


# ----- Softmax / LogSoftmax -------------------------------------------------------------------
def _along(x: np.ndarray) -> np.ndarray:
    """A 0-d array as one element along dim 0 (torch allows dim 0 / -1 on 0-d tensors)."""
    return x.reshape(x.shape or (1,))


def _shifted(x: np.ndarray, dim: int) -> np.ndarray:
    """x minus its max along dim: exp never overflows (±300, ±1e4 stay finite).
    A row of -inf (or holding +inf) gives NaN, as in torch."""
    with np.errstate(invalid="ignore"):
        return x - np.max(x, axis=dim, keepdims=True)


class SoftmaxFunction(Function):
    """exp(x) / sum(exp(x)) along dim. Backward (fused): y * (g - sum(g * y))."""

    @staticmethod
    def forward(ctx, x, dim):
        """exp(x) / sum(exp(x)) along `dim` (normalized int), computed from x - max so ±300 and ±1e4 stay
        finite; a 0-d x is one element. A row of -inf gives nan, as torch. Task `SoftmaxFunction.forward`."""
        # BEGIN SOLUTION
        x1 = _along(x)
        if x1.shape[dim] == 0:
            result = x1.copy()
        else:
            exps = np.exp(_shifted(x1, dim))
            with np.errstate(invalid="ignore"):
                result = exps / np.sum(exps, axis=dim, keepdims=True)
        ctx.save_for_backward(result)
        ctx.dim = dim
        return result.reshape(x.shape)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (y * (grad - sum(grad * y, dim,
        keepdims)), None), y the saved softmax. Task `SoftmaxFunction.backward`."""
        # BEGIN SOLUTION
        (result,) = ctx.saved_tensors
        grad1 = grad.reshape(result.shape)
        grad_input = result * (grad1 - np.sum(grad1 * result, axis=ctx.dim, keepdims=True))
        return grad_input.reshape(grad.shape), None
        # END SOLUTION


class LogSoftmaxFunction(Function):
    """x - log(sum(exp(x))) along dim. Backward (fused): g - softmax(x) * sum(g)."""

    @staticmethod
    def forward(ctx, x, dim):
        """x - log(sum(exp(x))) along `dim`, stably (subtract the max first). Task
        `LogSoftmaxFunction.forward`."""
        # BEGIN SOLUTION
        x1 = _along(x)
        if x1.shape[dim] == 0:
            result = x1.copy()
        else:
            shifted = _shifted(x1, dim)
            result = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        ctx.save_for_backward(result)
        ctx.dim = dim
        return result.reshape(x.shape)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad - softmax(x) * sum(grad, dim,
        keepdims), None). Task `LogSoftmaxFunction.backward`."""
        # BEGIN SOLUTION
        (result,) = ctx.saved_tensors
        grad1 = grad.reshape(result.shape)
        grad_input = grad1 - np.exp(result) * np.sum(grad1, axis=ctx.dim, keepdims=True)
        return grad_input.reshape(grad.shape), None
        # END SOLUTION


def _softmax_dim(op: str, dim: int | None, ndim: int) -> int:
    """torch's legacy rule when dim is None (deprecated there too, with the same warning)."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call to "
                      "include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    return normalize_dim(op, dim, ndim)


def _softmax_input(op: str, input: Tensor, dtype) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    if dtype is not None:  # torch casts before the op
        input = input.to(dtype)
    _check_float(op, input)
    return input


# ----- functional -----------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0 (torch's choice). Integer tensors allowed."""
    if inplace:
        return _maybe_inplace("relu", input, lambda: unary.relu(input))
    return unary.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise. Shapes: any."""
    _check_float("leaky_relu", input)
    if inplace:
        return _maybe_inplace("leaky_relu", input, lambda: LeakyReluFunction.apply(input, negative_slope))
    return LeakyReluFunction.apply(input, negative_slope)


def sigmoid(input: Tensor) -> Tensor:
    return unary.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return unary.tanh(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (approximate='none', exact erf form) or GPT-2's tanh approximation ('tanh')."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate argument must be either none or tanh, got {approximate!r}")
    _check_float("gelu", input)
    return GeluFunction.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (a.k.a. swish)."""
    _check_float("silu", input)
    if inplace:
        return _maybe_inplace("silu", input, lambda: SiluFunction.apply(input))
    return SiluFunction.apply(input)


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """Softmax along `dim` (negative allowed); `dtype` casts the input first. Shapes: any."""
    input = _softmax_input("softmax", input, dtype)
    return SoftmaxFunction.apply(input, _softmax_dim("softmax", dim, input.data.ndim))


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """log(softmax(x)) computed stably (x - logsumexp(x)) along `dim`."""
    input = _softmax_input("log_softmax", input, dtype)
    return LogSoftmaxFunction.apply(input, _softmax_dim("log_softmax", dim, input.data.ndim))


# ----- Modules --------------------------------------------------------------------------------
class ReLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    def forward(self, input: Tensor) -> Tensor:
        return sigmoid(input)


class Tanh(Module):
    def forward(self, input: Tensor) -> Tensor:
        return tanh(input)


class GELU(Module):
    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
