"""torch twins of tiny/ops/arithmetic.py."""
import torch


def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def mul(a, b):
    return a * b


def div(a, b):
    return a / b


def neg(x):
    return -x


def pow(base, exponent):
    return base ** exponent


def to_dtype(x, dtype: str):
    return x.to(getattr(torch, dtype))


def clone(x):
    return x.clone()


def div_rounded(a, b, rounding_mode):
    return torch.div(a, b, rounding_mode=rounding_mode)
