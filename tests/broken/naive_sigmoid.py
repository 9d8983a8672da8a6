"""tiny whose nn.functional.sigmoid is the textbook 1 / (1 + exp(-x)): at x = -1000 (float64) exp overflows to
inf with a RuntimeWarning and the result rounds back to torch's 0, so the values agree — only the runner's
"numerical warning" catches it (pair nn.functional.sigmoid.extremes). Everything else is tiny's."""
import types

import numpy as np

import tiny
from tiny import *  # noqa: F401,F403
from tiny.autograd import Function


class NaiveSigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        result = 1 / (1 + np.exp(-x))  # the bug: overflows for x << 0
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * result * (1 - result)


functional = types.SimpleNamespace(**{k: v for k, v in vars(tiny.nn.functional).items() if not k.startswith("__")})
functional.sigmoid = lambda input: NaiveSigmoid.apply(input)
nn = types.SimpleNamespace(**{k: getattr(tiny.nn, k) for k in dir(tiny.nn) if not k.startswith("__")})
nn.functional = functional
