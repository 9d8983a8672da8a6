"""Pairs for the vision ops (area "conv"): F.conv1d/conv2d, max/avg/adaptive pooling, F.pad, their Modules.

Functional pairs compare forward values and every input gradient (input, weight, bias). Module pairs load
the same weight and bias on both sides and compare the parameter gradients too. Edge cases: odd sizes,
stride > kernel, 1x1 kernels, kernel == input, depthwise (groups = channels), dilation, 'same' padding
(asymmetric for even kernels), ceil_mode, ties in max pooling (the gradient goes to the first maximum of
the window, as torch's), empty batches, unbatched inputs; error parity for wrong ranks, channel counts,
kernels larger than the padded input, groups that do not divide the channels.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from difftests import strategies as S
from difftests.cases import Case
from difftests.registry import Pair, register

AREA = "conv"


def ramp(shape, dtype, scale: float = 1.0) -> np.ndarray:
    """Distinct, deterministic values in [-scale, scale], shuffled so neighbours are not monotone."""
    n = int(np.prod(shape))
    values = np.linspace(-scale, scale, n) if n else np.zeros(0)
    return np.random.default_rng(n).permutation(values).reshape(shape).astype(dtype)


def effective(kernel: int, dilation: int) -> int:
    return dilation * (kernel - 1) + 1


# ----- conv1d / conv2d ----------------------------------------------------------------------------------------
@st.composite
def _conv_case(draw, dtype, dims=2):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]),
                             st.tuples(*[st.integers(0, 2)] * dims)))
    stride = (1,) * dims if padding == "same" else tuple(draw(st.integers(1, 3)) for _ in range(dims))
    pads = (0,) * dims if isinstance(padding, str) else padding
    spatial = tuple(draw(st.integers(max(1, effective(k, d) - 2 * p), effective(k, d) - 2 * p + 4))
                    for k, d, p in zip(kernel, dilation, pads))
    batch = draw(st.integers(0, 2))
    x = draw(S.values((batch, groups * cg) + spatial, dtype, -2, 2))
    weight = draw(S.values((groups * og, cg) + kernel, dtype, -1, 1))
    bias = draw(st.one_of(st.none(), S.values((groups * og,), dtype, -1, 1)))
    as_int = draw(st.booleans()) and len(set(stride)) == 1 and len(set(dilation)) == 1
    kwargs = {"stride": stride[0] if as_int else stride, "padding": padding, "dilation": dilation[0] if as_int
              else dilation, "groups": groups}
    return Case((x, weight, bias), kwargs, label=f"groups={groups}")


def _conv2d_examples(dtype):
    x, w, b = ramp((2, 3, 7, 5), dtype, 2.0), ramp((4, 3, 3, 3), dtype), ramp((4,), dtype, 0.5)
    return [
        Case((x, w, b), {}, label="odd sizes 7x5, 3x3 kernel"),
        Case((x, ramp((4, 3, 2, 2), dtype), b), {"stride": 3}, label="stride 3 > kernel 2"),
        Case((x, ramp((4, 3, 1, 1), dtype), b), {}, label="1x1 kernel"),
        Case((x, ramp((4, 3, 7, 5), dtype), b), {}, label="kernel == input (1x1 output)"),
        Case((ramp((2, 4, 6, 6), dtype), ramp((8, 1, 3, 3), dtype), None), {"groups": 4, "padding": 1},
             label="depthwise: groups = channels, 2 filters each"),
        Case((ramp((2, 4, 6, 5), dtype), ramp((6, 2, 2, 3), dtype), ramp((6,), dtype)),
             {"groups": 2, "stride": (2, 1), "padding": (1, 2)}, label="groups 2, stride (2, 1), padding (1, 2)"),
        Case((x, w, b), {"dilation": 2, "padding": 2}, label="dilation 2"),
        Case((x, w, b), {"dilation": (1, 2), "stride": (2, 1)}, label="dilation (1, 2), stride (2, 1)"),
        Case((x, ramp((4, 3, 4, 2), dtype), b), {"padding": "same"}, label="padding 'same', even kernel (asymmetric)"),
        Case((x, w, b), {"padding": "same", "dilation": 2}, label="padding 'same' with dilation"),
        Case((x, w, b), {"padding": "valid"}, label="padding 'valid'"),
        Case((np.zeros((0, 3, 7, 5), dtype), w, b), {}, label="empty batch"),
        Case((x[0], w, b), {"padding": 1}, label="unbatched (C, H, W) input"),
        Case((x, w, None), {"stride": 2}, label="no bias"),
        Case((ramp((1, 3, 4, 4), dtype, 300.0), w, b), {"padding": 1}, label="extremes ±300"),
        Case((x[0, 0], w, b), {}, label="2-D input (error)"),
        Case((x[None], w, b), {}, label="5-D input (error)"),
        Case((x, ramp((4, 2, 3, 3), dtype), b), {}, label="input channels != weight's (error)"),
        Case((x, ramp((4, 3, 9, 3), dtype), b), {}, label="kernel larger than the input (error)"),
        Case((x, ramp((4, 3, 10, 3), dtype), b), {"padding": 1}, label="kernel larger than padded input (error)"),
        Case((x, ramp((4, 3, 9, 3), dtype), b), {"padding": 1}, label="kernel == padded input"),
        Case((ramp((2, 6, 5, 5), dtype), ramp((5, 3, 3, 3), dtype), None), {"groups": 2},
             label="groups not dividing out channels (error)"),
        Case((ramp((2, 4, 5, 5), dtype), ramp((6, 1, 3, 3), dtype), None), {"groups": 3},
             label="groups not dividing input channels (error)"),
        Case((x, w, b), {"padding": "same", "stride": 2}, label="padding 'same' with stride 2 (error)"),
        Case((x, w, b), {"padding": "full"}, label="unknown padding string (error)"),
        Case((x, w, b), {"padding": -1}, label="negative padding (error)"),
        Case((x, w, b), {"stride": 0}, label="stride 0 (error)"),
        Case((x, ramp((4,), dtype), b), {}, label="1-D weight (error)"),
        Case((x, w, ramp((5,), dtype)), {}, label="bias of the wrong size (error)"),
        Case((x.astype(np.float32), w.astype(np.float64), None), {}, label="dtype mismatch (error)"),
    ]


def _conv1d_examples(dtype):
    x, w, b = ramp((2, 3, 9), dtype, 2.0), ramp((4, 3, 3), dtype), ramp((4,), dtype, 0.5)
    return [
        Case((x, w, b), {}, label="odd length 9, kernel 3"),
        Case((x, ramp((4, 3, 2), dtype), b), {"stride": 3}, label="stride 3 > kernel 2"),
        Case((x, ramp((4, 3, 1), dtype), b), {}, label="kernel 1"),
        Case((x, ramp((4, 3, 9), dtype), b), {}, label="kernel == input"),
        Case((ramp((2, 4, 8), dtype), ramp((4, 1, 3), dtype), None), {"groups": 4, "padding": 1}, label="depthwise"),
        Case((x, w, b), {"dilation": 3, "padding": (2,)}, label="dilation 3, padding as a 1-tuple"),
        Case((x, ramp((4, 3, 4), dtype), b), {"padding": "same"}, label="padding 'same', even kernel"),
        Case((np.zeros((0, 3, 9), dtype), w, b), {}, label="empty batch"),
        Case((x[0], w, b), {}, label="unbatched (C, L) input"),
        Case((ramp((2, 3, 4, 4), dtype), w, b), {}, label="4-D input (error)"),
        Case((x, ramp((4, 2, 3), dtype), b), {}, label="input channels != weight's (error)"),
        Case((x, ramp((4, 3, 12), dtype), b), {"padding": 1}, label="kernel larger than padded input (error)"),
        Case((ramp((2, 6, 5), dtype), ramp((5, 3, 3), dtype), None), {"groups": 2},
             label="groups not dividing out channels (error)"),
    ]


def _conv_call(name):
    return lambda lib, x, weight, bias, **kw: getattr(lib.nn.functional, name)(x, weight, bias, **kw)


register(Pair("nn.functional.conv2d", AREA, call=_conv_call("conv2d"), ref="reference.nn.conv:conv2d",
              source="tiny.nn.conv:Conv2dFunction", strategy=_conv_case, examples=_conv2d_examples,
              requires=("nn.functional.conv2d",), max_examples=40))
register(Pair("nn.functional.conv1d", AREA, call=_conv_call("conv1d"), ref="reference.nn.conv:conv1d",
              source="tiny.nn.conv:conv1d", strategy=lambda dtype: _conv_case(dtype, dims=1),
              examples=_conv1d_examples, requires=("nn.functional.conv1d",), max_examples=25))


def _conv_module(lib, x, weight, bias, module="Conv2d", in_channels=None, **config):
    """nn.Conv2d / nn.Conv1d built from the weight's shape (or an explicit in_channels) and loaded."""
    out_channels, in_per_group = weight.shape[:2]
    in_channels = in_per_group * config.get("groups", 1) if in_channels is None else in_channels
    layer = getattr(lib.nn, module)(in_channels, out_channels, tuple(weight.shape[2:]), bias=bias is not None,
                                    dtype=weight.dtype, **config)
    layer.load_state_dict({"weight": weight} if bias is None else {"weight": weight, "bias": bias})
    return {"out": layer(x), "params": dict(layer.named_parameters())}


def _as_module(module):
    def convert(case: Case) -> Case:
        return Case(case.args, {"module": module, **case.kwargs}, grad=(True, False, False), label=case.label)
    return convert


MODULE_ONLY_ERRORS = {  # argument checks the Module makes at construction (torch raises ValueError)
    "Conv2d": lambda dtype: [
        Case((ramp((2, 4, 5, 5), dtype), ramp((6, 1, 3, 3), dtype), None), {"groups": 3, "in_channels": 4},
             label="in_channels not divisible by groups (error)"),
        Case((ramp((2, 3, 5, 5), dtype), ramp((4, 1, 3, 3), dtype), None), {"groups": 3},
             label="out_channels not divisible by groups (error)"),
        Case((ramp((2, 3, 5, 5), dtype), ramp((4, 3, 3, 3), dtype), None), {"padding": "same", "stride": 2},
             label="padding 'same' with stride 2 (error)"),
        Case((ramp((2, 3, 5, 5), dtype), ramp((4, 3, 3, 3), dtype), None), {"padding_mode": "mirror"},
             label="unknown padding_mode (error)"),
    ],
    "Conv1d": lambda dtype: [
        Case((ramp((2, 4, 5), dtype), ramp((6, 1, 3), dtype), None), {"groups": 3, "in_channels": 4},
             label="in_channels not divisible by groups (error)"),
    ],
}
MODULE_EXAMPLES = {"Conv2d": _conv2d_examples, "Conv1d": _conv1d_examples}
FUNCTIONAL_ONLY = ("1-D weight", "bias of the wrong size", "dtype mismatch", "groups not dividing",
                   "padding 'same' with stride", "unknown padding string", "negative padding", "stride 0")

for _module, _dims in (("Conv2d", 2), ("Conv1d", 1)):
    register(Pair(f"nn.{_module}", AREA, call=_conv_module, ref="reference.nn.conv:conv_module",
                  source=f"tiny.nn.conv:{_module}",
                  strategy=(lambda m, d: lambda dtype: _conv_case(dtype, dims=d).map(_as_module(m)))(_module, _dims),
                  examples=(lambda m: lambda dtype: [_as_module(m)(c) for c in MODULE_EXAMPLES[m](dtype)
                                                     if not c.label.startswith(FUNCTIONAL_ONLY)]
                            + [_as_module(m)(c) for c in MODULE_ONLY_ERRORS[m](dtype)])(_module),
                  requires=(f"nn.{_module}",), max_examples=15))


# ----- pooling ------------------------------------------------------------------------------------------------
def _pool_values(draw, shape, dtype):
    """Either continuous values or a coarse grid of integers (many exact ties within a window)."""
    if draw(st.booleans()):
        return draw(S.values(shape, dtype, -3, 3))
    return draw(S.hnp.arrays(np.int64, shape, elements=st.integers(-2, 2))).astype(dtype)


def _windows_touch_input(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> bool:
    """Whether every pooling window holds at least one input element. With dilation a window can fall
    entirely in the padding; torch's max_pool2d then returns -inf with index -1 and its backward aborts
    the process (writes out of bounds; seen with kernel 2, dilation 2, padding 1 on a size-1 input), so
    such inputs are not drawn."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return all(any(0 <= o * stride - pad + i * dilation < size for i in range(kernel)) for o in range(out))


@st.composite
def _max_pool_case(draw, dtype):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    spatial = tuple(draw(st.integers(max(1, effective(k, d) - 2 * p), effective(k, d) - 2 * p + 4))
                    for k, d, p in zip(kernel, dilation, padding))
    x = _pool_values(draw, (draw(st.integers(0, 2)), draw(st.integers(1, 3))) + spatial, dtype)
    ceil_mode = draw(st.booleans())
    if not all(_windows_touch_input(*args, ceil_mode) for args in zip(spatial, kernel, stride or kernel, padding,
                                                                       dilation)):
        padding = (0, 0)
    kwargs = {"kernel_size": kernel, "stride": stride, "padding": padding, "dilation": dilation,
              "ceil_mode": ceil_mode, "return_indices": draw(st.booleans())}
    return Case((x,), kwargs)


def _ties(dtype):
    return np.array([[[[1, 1, 0, 2], [1, 0, 2, 2], [0, 0, 0, 0], [3, 3, 3, 3]]]], dtype)  # (1, 1, 4, 4)


def _max_pool_examples(dtype):
    x = ramp((2, 3, 7, 5), dtype, 3.0)
    return [
        Case((x, 2), {}, label="2x2, odd sizes 7x5 (last row dropped)"),
        Case((x, 2), {"ceil_mode": True}, label="ceil_mode keeps the partial windows"),
        Case((x, 3), {"stride": 2, "padding": 1, "ceil_mode": True}, label="3x3, stride 2, padding 1, ceil_mode"),
        Case((x, 2), {"stride": 3}, label="stride 3 > kernel 2"),
        Case((x, 1), {}, label="1x1 kernel"),
        Case((x, (7, 5)), {}, label="kernel == input"),
        Case((x, (2, 3)), {"stride": 1, "dilation": 2, "padding": 1}, label="dilation 2, padding 1"),
        Case((_ties(dtype), 2), {"stride": 1}, label="ties: overlapping windows, gradient to the first max"),
        Case((_ties(dtype), 2), {"return_indices": True}, label="ties: indices of the first max"),
        Case((np.zeros((1, 2, 4, 4), dtype), 3), {"stride": 1, "padding": 1, "return_indices": True},
             label="all equal with padding (padding never wins)"),
        Case((-ramp((1, 1, 4, 4), dtype, 3.0) - 5, 2), {"padding": 1, "return_indices": True},
             label="all negative with padding"),
        Case((x, 3), {"stride": 2, "padding": 1, "dilation": 2, "return_indices": True},
             label="indices with padding and dilation"),
        Case((np.zeros((0, 3, 4, 4), dtype), 2), {}, label="empty batch"),
        Case((x[0], 2), {"return_indices": True}, label="unbatched (C, H, W) input"),
        Case((ramp((1, 1, 4, 4), dtype, 300.0), 2), {}, label="extremes ±300"),
        Case((x[0, 0], 2), {}, label="2-D input (error)"),
        Case((x, 2), {"padding": 2}, label="padding > kernel / 2 (error)"),
        Case((x, 8), {}, label="kernel larger than input (error)"),
        Case((x, 2), {"stride": 0}, label="stride 0 (error)"),
    ]


@st.composite
def _avg_pool_case(draw, dtype):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    spatial = tuple(draw(st.integers(max(1, k - 2 * p), k - 2 * p + 4)) for k, p in zip(kernel, padding))
    x = draw(S.values((draw(st.integers(0, 2)), draw(st.integers(1, 3))) + spatial, dtype, -3, 3))
    kwargs = {"kernel_size": kernel, "stride": stride, "padding": padding, "ceil_mode": draw(st.booleans()),
              "count_include_pad": draw(st.booleans()),
              "divisor_override": draw(st.one_of(st.none(), st.integers(1, 5)))}
    return Case((x,), kwargs)


def _avg_pool_examples(dtype):
    x = ramp((2, 3, 7, 5), dtype, 3.0)
    return [
        Case((x, 2), {}, label="2x2, odd sizes 7x5"),
        Case((x, 3), {"stride": 2, "padding": 1}, label="padding counted in the divisor"),
        Case((x, 3), {"stride": 2, "padding": 1, "count_include_pad": False}, label="count_include_pad=False"),
        Case((x, 2), {"ceil_mode": True}, label="ceil_mode: partial windows divide by their size"),
        Case((x, 3), {"stride": 2, "padding": 1, "ceil_mode": True}, label="ceil_mode with padding"),
        Case((x, 3), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
             label="ceil_mode, padding, count_include_pad=False"),
        Case((x, (2, 3)), {"divisor_override": 4}, label="divisor_override"),
        Case((x, 2), {"stride": 3}, label="stride 3 > kernel 2"),
        Case((x, 1), {}, label="1x1 kernel"),
        Case((x, (7, 5)), {}, label="kernel == input"),
        Case((np.zeros((0, 3, 4, 4), dtype), 2), {}, label="empty batch"),
        Case((x[0], 2), {}, label="unbatched (C, H, W) input"),
        Case((x, 2), {"padding": 2}, label="padding > kernel / 2 (error)"),
        Case((x, 8), {}, label="kernel larger than input (error)"),
        Case((x, 2), {"divisor_override": 0}, label="divisor_override 0 (error)"),
    ]


@st.composite
def _adaptive_case(draw, dtype):
    x = draw(S.values((draw(st.integers(0, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 7)),
                       draw(st.integers(1, 7))), dtype, -3, 3))
    size = draw(st.one_of(st.integers(1, 8), st.tuples(st.one_of(st.none(), st.integers(1, 8)),
                                                       st.one_of(st.none(), st.integers(1, 8)))))
    return Case((x,), {"output_size": size})


def _adaptive_examples(dtype):
    x = ramp((2, 3, 7, 5), dtype, 3.0)
    return [
        Case((x, 1), {}, label="global average (output 1x1)"),
        Case((x, (3, 2)), {}, label="overlapping uneven windows 7->3, 5->2"),
        Case((x, (7, 5)), {}, label="output == input (identity)"),
        Case((x, (9, 8)), {}, label="output larger than input (repeats)"),
        Case((x, (None, 2)), {}, label="None keeps the input size"),
        Case((np.zeros((0, 3, 4, 4), dtype), 2), {}, label="empty batch"),
        Case((x[0], 2), {}, label="unbatched (C, H, W) input"),
        Case((x[0, 0], 2), {}, label="2-D input (error)"),
        Case((np.zeros((2, 3, 0, 4), dtype), 2), {}, label="empty spatial dim (error)"),
    ]


def _functional(name):
    return lambda lib, x, *args, **kw: getattr(lib.nn.functional, name)(x, *args, **kw)


register(Pair("nn.functional.max_pool2d", AREA, call=_functional("max_pool2d"), ref="reference.nn.pooling:max_pool2d",
              source="tiny.nn.pooling:MaxPool2dFunction", strategy=_max_pool_case, examples=_max_pool_examples,
              requires=("nn.functional.max_pool2d",), max_examples=40))
register(Pair("nn.functional.avg_pool2d", AREA, call=_functional("avg_pool2d"), ref="reference.nn.pooling:avg_pool2d",
              source="tiny.nn.pooling:AvgPool2dFunction", strategy=_avg_pool_case, examples=_avg_pool_examples,
              requires=("nn.functional.avg_pool2d",), max_examples=40))
register(Pair("nn.functional.adaptive_avg_pool2d", AREA, call=_functional("adaptive_avg_pool2d"),
              ref="reference.nn.pooling:adaptive_avg_pool2d", source="tiny.nn.pooling:AdaptiveAvgPool2dFunction",
              strategy=_adaptive_case, examples=_adaptive_examples, requires=("nn.functional.adaptive_avg_pool2d",)))


def _pool_module(lib, x, module, **config):
    return getattr(lib.nn, module)(**config)(x)


def _pool_module_case(module, case: Case, positional: str) -> Case:
    """A functional case as a Module case: positional args become constructor keywords."""
    kwargs = dict(case.kwargs)
    if len(case.args) > 1:
        kwargs[positional] = case.args[1]
    return Case(case.args[:1], {"module": module, **kwargs}, label=case.label)


for _module, _fn, _positional, _strategy, _examples in (
        ("MaxPool2d", "max_pool2d", "kernel_size", _max_pool_case, _max_pool_examples),
        ("AvgPool2d", "avg_pool2d", "kernel_size", _avg_pool_case, _avg_pool_examples),
        ("AdaptiveAvgPool2d", "adaptive_avg_pool2d", "output_size", _adaptive_case, _adaptive_examples)):
    register(Pair(f"nn.{_module}", AREA, call=_pool_module, ref="reference.nn.pooling:pool_module",
                  source=f"tiny.nn.pooling:{_module}",
                  strategy=(lambda m, p, s: lambda dtype: s(dtype).map(lambda c: _pool_module_case(m, c, p)))(
                      _module, _positional, _strategy),
                  examples=(lambda m, p, e: lambda dtype: [_pool_module_case(m, c, p) for c in e(dtype)])(
                      _module, _positional, _examples),
                  requires=(f"nn.{_module}",), max_examples=10))


# ----- F.pad --------------------------------------------------------------------------------------------------
@st.composite
def _pad_case(draw, dtype):
    shape = draw(S.shapes(min_dims=1, max_dims=4))
    pairs = draw(st.integers(1, len(shape)))
    amounts = []
    for dim in range(len(shape) - 1, len(shape) - 1 - pairs, -1):
        before = draw(st.integers(-shape[dim], 3))
        after = draw(st.integers(-(shape[dim] + min(before, 0)), 3))  # torch crops before it pads
        amounts += [before, after]
    value = draw(st.one_of(st.none(), st.floats(-5, 5, allow_nan=False)))
    return Case((draw(S.values(shape, dtype)), tuple(amounts)), {"value": value})


def _pad_examples(dtype):
    x = ramp((2, 3, 4, 5), dtype)
    return [
        Case((x, (1, 2)), {}, label="last dim (left, right)"),
        Case((x, (1, 2, 3, 0)), {"value": 1.5}, label="W and H, value 1.5"),
        Case((x, (0, 1, 1, 0, 2, 2, 1, 1)), {}, label="all four dims"),
        Case((x, (-1, -2)), {}, label="negative amounts crop"),
        Case((x, (-1, 2, 1, -3)), {"value": -2.0}, label="crop one side, pad the other"),
        Case((x, (-2, -3)), {}, label="crop to size 0"),
        Case((ramp((3,), dtype), (2, 1)), {"value": 7.0}, label="1-D"),
        Case((np.zeros((0, 3), dtype), (1, 1)), {}, label="empty dim"),
        Case((np.asarray(1.5, dtype), ()), {}, label="0-d, no padding"),
        Case((x, (1, 2, 3)), {}, label="odd padding length (error)"),
        Case((x, (1,) * 10), {}, label="more pairs than dims (error)"),
        Case((x, (-3, -3)), {}, label="crop below size 0 (error)"),
        Case((np.zeros((2, 0), dtype), (1, -1)), {}, label="pad 1 then crop 1 of an empty dim (error)"),
    ]


register(Pair("nn.functional.pad", AREA, call=lambda lib, x, amounts, **kw: lib.nn.functional.pad(x, amounts, **kw),
              ref="reference.nn.padding:pad", source="tiny.nn.padding:ConstantPadFunction", strategy=_pad_case,
              examples=_pad_examples, requires=("nn.functional.pad",), max_examples=30))
