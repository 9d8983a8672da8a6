"""tiny with one planted convolution bug, the classic one: the input gradient of conv2d is computed
with the kernel as is, where the transposed convolution needs it flipped (rotated by 180 degrees).
Forward values and the weight/bias gradients stay right; only `nn.functional.conv2d`'s input gradient
is wrong (for every kernel larger than 1x1 that is not symmetric under the flip).

Everything else is tiny's (including nn.Conv2d, conv1d and the models, which use tiny's own conv2d), so
the runner must report the bug at the pair nn.functional.conv2d and nowhere else in the conv area.
"""
import types

import tiny
from tiny import *  # noqa: F401,F403
from tiny.nn import conv as _conv


class ConvWithoutKernelFlip(_conv.Conv2dFunction):
    @staticmethod
    def backward(ctx, grad):
        cols, w_g = ctx.saved_tensors
        kh, kw = ctx.geometry[0][2:]  # the weight shape
        groups, out_per_group, size = w_g.shape
        unflipped = w_g.reshape(groups, out_per_group, -1, kh, kw)[..., ::-1, ::-1].reshape(groups, out_per_group, size)
        ctx.save_for_backward(cols, unflipped)  # the bug: the correct backward is the flipped kernel's
        return _conv.Conv2dFunction.backward(ctx, grad)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv._convolve("conv2d", input, weight, bias, stride, padding, dilation, groups, dims=2,
                           function=ConvWithoutKernelFlip)


functional = types.ModuleType("conv_bug.nn.functional")
functional.__dict__.update(vars(tiny.nn.functional))
functional.conv2d = conv2d
nn = types.ModuleType("conv_bug.nn")  # noqa: F811  (tiny.nn with the buggy functional)
nn.__dict__.update(vars(tiny.nn))
nn.functional = functional
