"""tiny: a deep-learning framework from scratch on NumPy, with torch's API shape."""
from tiny.autograd import enable_grad, grad_enabled, is_grad_enabled, no_grad, set_grad_enabled
from tiny.creation import (arange, empty, full, full_like, ones, ones_like, rand, rand_like, randint,
                           randn, randn_like, tensor, zeros, zeros_like)
from tiny.dtypes import DType, bool_, float32, float64, int8, int16, int32, int64, uint8
from tiny.ops.arithmetic import add, div, mul, neg, pow, sub
from tiny.ops.compare import eq, ge, gt, le, lt, ne
from tiny.ops.index import masked_fill, where
from tiny.ops.join import cat, stack
from tiny.ops.matmul import matmul
from tiny.ops.reduce import argmax, argmin, max, mean, min, std, sum, var
from tiny.ops.shape import flatten, permute, reshape, squeeze, transpose, unsqueeze
from tiny.ops.unary import abs, clamp, exp, log, relu, sigmoid, sqrt, tanh
from tiny.random import manual_seed
from tiny.serialization import load, save
from tiny.tensor import Tensor

from tiny import accel, autograd, data, generation, models, nn, optim, profiler, quant, text  # noqa: E402  (submodules as attributes, like torch.nn)
from tiny.quant import (dequantize, per_channel_affine, per_channel_symmetric, per_tensor_affine,  # noqa: E402
                        per_tensor_symmetric, qint8, qint32, quantize_per_channel, quantize_per_tensor, quint8)

bool = bool_  # torch spells it tiny.bool  # noqa: A001
float = float32  # noqa: A001
double = float64
long = int64

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "full", "empty", "arange", "randn", "rand", "randint",
    "zeros_like", "ones_like", "full_like", "randn_like", "rand_like", "manual_seed",
    "no_grad", "enable_grad", "set_grad_enabled", "grad_enabled", "is_grad_enabled",
    "DType", "float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool",
    "add", "sub", "mul", "div", "neg", "pow", "matmul",
    "eq", "ne", "lt", "le", "gt", "ge",
    "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "clamp",
    "sum", "mean", "var", "std", "max", "min", "argmax", "argmin",
    "reshape", "transpose", "permute", "unsqueeze", "squeeze", "flatten",
    "cat", "stack", "where", "masked_fill", "accel", "autograd", "data", "generation", "models", "nn", "optim",
    "profiler", "text",
    "quant", "qint8", "quint8", "qint32", "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
    "per_channel_symmetric", "quantize_per_tensor", "quantize_per_channel", "dequantize",
]
__all__ += ["save", "load"]  # checkpoints (tiny/serialization.py)
