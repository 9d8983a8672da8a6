"""Pairs for tiny.quant against torch (reference/quant/): codes, scales and zero points must be EQUAL.

- `quant.quantize_per_tensor` / `quant.quantize_per_channel`: the int codes (int_repr), the dequantized values
  and the stored scale(s) / zero point(s), exactly (tolerance 0): ties rounded half to even after the zero point
  is added, clamping at the dtype's range, qint8 / quint8 / qint32, constant tensors, 0-d, empty dims.
- `quant.observer`: MinMaxObserver / MovingAverageMinMaxObserver / PerChannelMinMaxObserver fed a sequence of
  tensors; min_val, max_val, scale and zero point exactly (dtypes included: torch's zero point is int32 for
  affine and int64 for symmetric schemes), with reduce_range, custom quant_min/quant_max, all-zero channels.
- Bad input raises what the twin raises: a float64 or integer tensor (RuntimeError, torch quantizes float32
  only), a zero point outside the dtype's range (RuntimeError), scale <= 0, NaN/±inf (ValueError; the twin adds
  these checks, torch would return arbitrary codes), a bad quantization range (AssertionError).

torch quantizes float32 tensors only, so the float64 run of the quantize pairs checks the error on float64
input; the float32 run checks the codes. Observers accept any dtype (torch converts to float32 first).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from difftests import strategies as S
from difftests.cases import Case
from difftests.registry import Pair, register

AREA = "quant"
EXACT = {"float32": (0.0, 0.0), "float64": (0.0, 0.0)}
RANGES = {"qint8": (-128, 127), "quint8": (0, 255), "qint32": (-2 ** 31, 2 ** 31 - 1)}
COVERED_ELSEWHERE = {
    "quant.QDType": "the dtype objects qint8/quint8/qint32 are exercised by every quant pair",
    "quant.QScheme": "the qscheme objects are exercised by the observer pair (qscheme=...)",
    "quant.QuantizedTensor": "returned by the quantize pairs; its int_repr/dequantize/q_* are compared",
    "quant.ObserverConfigError": "raised by the observer pair's bad-range cases (torch: AssertionError)",
    "quant.calculate_qmin_qmax": "used by every observer of the observer pair (reduce_range, custom ranges)",
    "quant.quantize_dynamic": "difftests/test_quant.py: a nested MLP vs torch.ao quantize_dynamic (outputs, state_dict "
                              "int8, tree walk, original untouched)",
    "quant.quantize_static": "difftests/test_quant.py: calibrated qparams equal torch's observers; outputs vs a "
                             "float64 torch computation of the same integer model",
    "quant.QuantizedLinear": "difftests/test_quant.py (built by quantize_static)",
    "quant.model_size_bytes": "difftests/test_quant.py: equal to the bytes of codes, biases, scales and zero points",
}


def arr(values, dtype) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


# ===== quantize_per_tensor ==========================================================================
def _per_tensor_call(lib, x, scale, zero_point, dtype):
    q = lib.quantize_per_tensor(x, scale, zero_point, getattr(lib, dtype))
    return (lib.quant.int_repr(q), lib.quant.dequantize(q), lib.tensor(np.array([q.q_scale()], np.float64)),
            lib.tensor(np.array([q.q_zero_point()], np.int64)))


def _ties(scale: float, n: int = 12) -> np.ndarray:
    """(k + 1/2) * scale for k in [-n/2, n/2): exact halves when scale is a power of two."""
    return ((np.arange(n) - n // 2 + 0.5) * scale).astype(np.float32)


def _pt(label, x, scale, zero_point, dtype):
    return Case((x, scale, zero_point, dtype), grad=(False,) * 4, label=label)


def _per_tensor_examples(dtype):
    f = dtype
    if dtype == "float64":
        return [_pt("float64 input (error: torch quantizes float32 only)", arr([0.5, 1.5], f), 0.5, 0, "qint8"),
                _pt("float64 0-d input (error)", arr(1.0, f), 0.1, 3, "quint8"),
                _pt("int64 input (error)", np.arange(4), 0.5, 0, "qint8")]
    return [
        _pt("ties half to even, zero point 0", _ties(0.5), 0.5, 0, "qint8"),
        _pt("ties half to even, odd zero point 3 (added before rounding)", _ties(0.5), 0.5, 3, "qint8"),
        _pt("ties, quint8 zero point 128", _ties(0.25, 20), 0.25, 128, "quint8"),
        _pt("ties, quint8 odd zero point 7", _ties(0.25, 20), 0.25, 7, "quint8"),
        _pt("ties, qint32", _ties(2.0 ** -3, 16), 2.0 ** -3, -5, "qint32"),
        _pt("near tie made by float32 rounding: fused multiply-add path (qint8)", arr([-29.648438, 29.648438], f),
            1.796875, 1, "qint8"),
        _pt("the same near tie, qint32: unfused path", arr([-29.648438, 29.648438], f), 1.796875, 1, "qint32"),
        _pt("clamping at both ends, qint8", arr([-1e6, -300, -16.1, 0, 15.9, 300, 1e6], f), 0.125, -3, "qint8"),
        _pt("clamping, quint8", arr([-50.0, -0.01, 0.0, 254.6, 255.5, 1e4], f), 1.0, 0, "quint8"),
        _pt("clamping, qint32", arr([-3e38, -1.0, 0.0, 1.0, 3e38], f), 1.0, 0, "qint32"),
        _pt("zero point at the edges of qint8", arr([-1.0, 0.0, 1.0], f), 0.01, 127, "qint8"),
        _pt("zero point -128", arr([-1.0, 0.0, 1.0], f), 0.01, -128, "qint8"),
        _pt("constant tensor", np.full((3, 4), 0.7, f), 0.1, 10, "quint8"),
        _pt("non-power-of-two scale 0.1", np.linspace(-3, 3, 61).astype(f), 0.1, 0, "qint8"),
        _pt("scale 1/3", np.linspace(-10, 10, 41).astype(f), 1 / 3, 1, "qint8"),
        _pt("0-d", arr(1.5, f), 0.5, 3, "qint8"),
        _pt("empty dim", np.zeros((0, 3), f), 0.5, 0, "qint8"),
        _pt("3-d", np.linspace(-1, 1, 24).reshape(2, 3, 4).astype(f), 0.01, 0, "qint8"),
        _pt("large scale", arr([-1e4, -300, 300, 1e4], f), 100.0, 0, "qint8"),
        _pt("scale 0 (error)", arr([1.0, 2.0], f), 0.0, 0, "qint8"),
        _pt("negative scale (error)", arr([1.0, 2.0], f), -0.5, 0, "qint8"),
        _pt("NaN scale (error)", arr([1.0, 2.0], f), float("nan"), 0, "qint8"),
        _pt("infinite scale (error)", arr([1.0, 2.0], f), float("inf"), 0, "qint8"),
        _pt("scale so small 1/scale overflows float32 (error)", arr([1.0, 2.0], f), 1e-39, 0, "qint8"),
        _pt("zero point 128 above qint8 (error)", arr([1.0], f), 0.5, 128, "qint8"),
        _pt("zero point -1 below quint8 (error)", arr([1.0], f), 0.5, -1, "quint8"),
        _pt("zero point 2**31 above qint32 (error)", arr([1.0], f), 0.5, 2 ** 31, "qint32"),
        _pt("NaN in input (error)", arr([1.0, np.nan], f), 0.5, 0, "qint8"),
        _pt("+inf in input (error)", arr([np.inf, 1.0], f), 0.5, 0, "qint8"),
        _pt("-inf in input (error)", arr([-np.inf], f), 0.5, 0, "quint8"),
        _pt("int64 input (error)", np.arange(4), 0.5, 0, "qint8"),
    ]


@st.composite
def _per_tensor_case(draw, dtype):
    qdtype = draw(st.sampled_from(["qint8", "quint8", "qint32"]))
    low, high = RANGES[qdtype]
    scale = draw(st.one_of(st.sampled_from([2.0 ** -4, 0.5, 0.1, 1 / 3, 0.007]),
                           st.floats(1e-4, 10.0, allow_subnormal=False)))
    zero_point = draw(st.integers(max(low, -300), min(high, 300)))
    shape = draw(S.shapes(max_dims=3, max_side=5))
    steps = draw(S.values(shape, "float64", -200.0, 200.0))
    halves = draw(st.booleans())   # many exact (k + 1/2) * scale values: ties
    steps = np.round(steps) + 0.5 if halves else steps
    return Case(((steps * scale).astype(dtype), scale, zero_point, qdtype), grad=(False,) * 4)


register(Pair("quant.quantize_per_tensor", AREA, call=_per_tensor_call,
              ref="reference.quant.qtensor:per_tensor_outputs", source="tiny.quant.qtensor:quantize_codes",
              strategy=_per_tensor_case, examples=_per_tensor_examples, differentiable=False, tolerance=EXACT,
              tolerance_reason="integer codes and their dequantized values must be bit-identical",
              requires=("quantize_per_tensor", "quant.int_repr", "quant.dequantize", "qint8", "quint8", "qint32"),
              # torch.dequantize is top-level too
              covers=("quant.quantize_per_tensor", "quant.qint8", "quant.quint8", "quant.qint32", "dequantize"),
              max_examples=60))


# ===== quantize_per_channel =========================================================================
def _per_channel_call(lib, x, scales, zero_points, axis, dtype):
    q = lib.quantize_per_channel(x, scales, zero_points, axis, getattr(lib, dtype))
    return q.int_repr(), q.dequantize(), q.q_per_channel_scales(), q.q_per_channel_zero_points()


def _pc(label, x, scales, zero_points, axis, dtype):
    return Case((x, arr(scales, np.float64), arr(zero_points, np.int64), axis, dtype), grad=(False,) * 5,
                label=label)


def _per_channel_examples(dtype):
    f = dtype
    grid = np.linspace(-2, 2, 24).reshape(4, 6).astype(f)
    if dtype == "float64":
        return [_pc("float64 input (error)", grid, [0.5] * 4, [0] * 4, 0, "qint8")]
    return [
        _pc("ties per row, odd and even zero points", np.stack([_ties(0.5, 6)] * 3), [0.5, 0.5, 0.5], [0, 3, -2], 0,
            "qint8"),
        _pc("axis 1, ties with power-of-two scales", np.stack([_ties(0.25, 4)] * 2).T.copy(), [0.25, 0.5],
            [1, 0], 1, "qint8"),
        _pc("near tie made by float32 rounding: per channel is unfused", arr([[-29.648438, 29.648438]], f),
            [1.796875], [1], 0, "qint8"),
        _pc("clamping per channel", grid * 100, [0.1, 1.0, 0.5, 0.01], [0, 5, -5, 100], 0, "qint8"),
        _pc("quint8 per channel", grid, [0.01, 0.02, 0.03, 0.04], [128, 0, 255, 7], 0, "quint8"),
        _pc("qint32 per channel", grid, [1e-3, 1e-4, 0.1, 1.0], [0, -7, 2 ** 20, -(2 ** 20)], 0, "qint32"),
        _pc("all-zero channel", np.concatenate([np.zeros((1, 6), f), grid[1:]]), [1.0, 0.1, 0.1, 0.1], [0] * 4, 0,
            "qint8"),
        _pc("3-d, axis 2", np.linspace(-1, 1, 24).reshape(2, 3, 4).astype(f), [0.01, 0.02, 0.05, 0.1], [0, 1, 2, 3],
            2, "qint8"),
        _pc("empty other dim", np.zeros((3, 0), f), [0.5, 0.5, 0.5], [0, 0, 0], 0, "qint8"),
        _pc("negative axis (error, as torch)", grid, [0.5] * 6, [0] * 6, -1, "qint8"),
        _pc("axis out of range (error)", grid, [0.5] * 4, [0] * 4, 2, "qint8"),
        _pc("wrong number of scales (error)", grid, [0.5] * 3, [0] * 3, 0, "qint8"),
        _pc("a scale of 0 (error)", grid, [0.5, 0.0, 0.5, 0.5], [0] * 4, 0, "qint8"),
        _pc("a negative scale (error)", grid, [0.5, -0.5, 0.5, 0.5], [0] * 4, 0, "qint8"),
        _pc("zero point 300 outside qint8 (error)", grid, [0.5] * 4, [0, 300, 0, 0], 0, "qint8"),
        _pc("NaN in input (error)", np.where(grid > 1.9, np.nan, grid).astype(f), [0.5] * 4, [0] * 4, 0, "qint8"),
        _pc("0-d input (error)", arr(1.0, f), [0.5], [0], 0, "qint8"),
    ]


@st.composite
def _per_channel_case(draw, dtype):
    qdtype = draw(st.sampled_from(["qint8", "quint8"]))
    low, high = RANGES[qdtype]
    shape = draw(S.shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    axis = draw(st.integers(0, len(shape) - 1))
    channels = shape[axis]
    scales = np.array(draw(st.lists(st.sampled_from([2.0 ** -3, 0.5, 0.1, 0.03, 1.7]), min_size=channels,
                                    max_size=channels)))
    zero_points = np.array(draw(st.lists(st.integers(low, high), min_size=channels, max_size=channels)), np.int64)
    steps = draw(S.values(shape, "float64", -150.0, 150.0))
    if draw(st.booleans()):
        steps = np.round(steps) + 0.5
    view = [1] * len(shape)
    view[axis] = channels
    return Case(((steps * scales.reshape(view)).astype(dtype), scales, zero_points, axis, qdtype), grad=(False,) * 5)


register(Pair("quant.quantize_per_channel", AREA, call=_per_channel_call,
              ref="reference.quant.qtensor:per_channel_outputs", source="tiny.quant.qtensor:quantize_per_channel",
              strategy=_per_channel_case, examples=_per_channel_examples, differentiable=False, tolerance=EXACT,
              tolerance_reason="integer codes and their dequantized values must be bit-identical",
              requires=("quantize_per_channel", "qint8", "quint8", "qint32"), covers=("quant.quantize_per_channel",), max_examples=40))


# ===== observers ====================================================================================
QSCHEME_NAMES = ("dtype", "qscheme")


def _observer_call(lib, *inputs, observer, **config):
    for key in QSCHEME_NAMES:
        if key in config and isinstance(config[key], str) and hasattr(lib, config[key]):
            config[key] = getattr(lib, config[key])
    obs = getattr(lib.quant, observer)(**config)
    for x in inputs:
        obs(x)
    scale, zero_point = obs.calculate_qparams()
    return obs.min_val, obs.max_val, scale, zero_point


def _obs(label, observer, inputs, **config):
    return Case(tuple(inputs), {"observer": observer, **config}, grad=(False,) * len(inputs), label=label)


def _observer_examples(dtype):
    f = dtype
    ramp = np.linspace(-3, 5, 17).astype(f)
    w = np.linspace(-1, 2, 12).reshape(3, 4).astype(f)
    mm, ma, pc = "MinMaxObserver", "MovingAverageMinMaxObserver", "PerChannelMinMaxObserver"
    return [
        _obs("default quint8 affine", mm, [ramp]),
        _obs("qint8 symmetric (the weight observer)", mm, [ramp], dtype="qint8", qscheme="per_tensor_symmetric"),
        _obs("quint8 symmetric: zero point 128", mm, [ramp], dtype="quint8", qscheme="per_tensor_symmetric"),
        _obs("reduce_range quint8 [0, 127]", mm, [ramp], reduce_range=True),
        _obs("reduce_range qint8 [-64, 63]", mm, [ramp], dtype="qint8", reduce_range=True),
        _obs("custom range qint8 [-100, 100]", mm, [ramp], dtype="qint8", qscheme="per_tensor_symmetric",
             quant_min=-100, quant_max=100),
        _obs("custom range quint8 symmetric: zero point (qmin+qmax)//2", mm, [ramp], dtype="quint8",
             qscheme="per_tensor_symmetric", quant_min=0, quant_max=101),
        _obs("custom range with reduce_range (floor-halved)", mm, [ramp], quant_min=0, quant_max=101,
             reduce_range=True),
        _obs("running min/max over three tensors", mm, [ramp, ramp * 3, arr([-7.5], f)], dtype="qint8"),
        _obs("all positive: min clamps to 0", mm, [ramp + 10]),
        _obs("all negative: max clamps to 0", mm, [ramp - 10]),
        _obs("constant tensor", mm, [np.full(5, 0.7, f)]),
        _obs("all zeros: scale = eps", mm, [np.zeros(4, f)]),
        _obs("custom eps", mm, [np.zeros(4, f)], eps=2.0 ** -12),
        _obs("0-d input", mm, [arr(-2.0, f)]),
        _obs("empty input is ignored", mm, [np.zeros((0, 3), f), ramp]),
        _obs("nothing observed: defaults scale 1, zero point 0", mm, [np.zeros((0,), f)]),
        _obs("±300 and ±1e4", mm, [arr([-1e4, -300, 0, 300, 1e4], f)], dtype="qint8"),
        _obs("qint32", mm, [ramp], dtype="qint32"),
        _obs("moving average, c = 0.01", ma, [ramp, ramp * 2, ramp - 4]),
        _obs("moving average, c = 0.5, symmetric qint8", ma, [ramp, ramp * 3, -ramp], averaging_constant=0.5,
             dtype="qint8", qscheme="per_tensor_symmetric"),
        _obs("moving average, c = 1", ma, [ramp, ramp + 1], averaging_constant=1.0),
        _obs("per channel axis 0", pc, [w]),
        _obs("per channel axis 1, qint8 symmetric", pc, [w], ch_axis=1, dtype="qint8",
             qscheme="per_channel_symmetric"),
        _obs("per channel axis -1", pc, [w], ch_axis=-1),
        _obs("per channel: running over two tensors", pc, [w, w[::-1] * 2], dtype="qint8"),
        _obs("per channel: an all-zero channel", pc, [np.concatenate([np.zeros((1, 4), f), w])], dtype="qint8",
             qscheme="per_channel_symmetric"),
        _obs("per channel: all-zero channels affine", pc, [np.zeros((2, 3), f)]),
        _obs("per channel: reduce_range", pc, [w], reduce_range=True),
        _obs("per channel 3-d, axis 1", pc, [np.linspace(-1, 1, 24).reshape(2, 3, 4).astype(f)], ch_axis=1),
        _obs("NaN observed (error)", mm, [arr([1.0, np.nan], f)]),
        _obs("+inf observed (error)", mm, [arr([1.0, np.inf], f)]),
        _obs("NaN observed per channel (error)", pc, [np.where(w > 1.5, np.nan, w).astype(f)]),
        _obs("range without 0 (error)", mm, [ramp], quant_min=1, quant_max=100),
        _obs("quant_min >= quant_max (error)", mm, [ramp], quant_min=0, quant_max=0),
        _obs("qint8 range wider than 256 codes (error)", mm, [ramp], dtype="qint8", quant_min=-200, quant_max=100),
        _obs("float dtype (error)", mm, [ramp], dtype="float32"),
        _obs("per-channel qscheme for MinMaxObserver (error)", mm, [ramp], qscheme="per_channel_affine"),
        _obs("reduce_range with symmetric quint8 (error)", mm, [ramp], qscheme="per_tensor_symmetric",
             reduce_range=True),
    ]


@st.composite
def _observer_case(draw, dtype):
    observer = draw(st.sampled_from(["MinMaxObserver", "MovingAverageMinMaxObserver", "PerChannelMinMaxObserver"]))
    per_channel = observer == "PerChannelMinMaxObserver"
    config = {"dtype": draw(st.sampled_from(["qint8", "quint8"])), "reduce_range": draw(st.booleans())}
    symmetric = draw(st.booleans()) and not (config["dtype"] == "quint8" and config["reduce_range"])
    config["qscheme"] = ("per_channel_" if per_channel else "per_tensor_") + ("symmetric" if symmetric else "affine")
    shape = draw(S.shapes(min_dims=1 if per_channel else 0, max_dims=3, min_side=1, max_side=4))
    if per_channel:
        config["ch_axis"] = draw(st.integers(-len(shape), len(shape) - 1))
    if observer == "MovingAverageMinMaxObserver":
        config["averaging_constant"] = draw(st.sampled_from([0.01, 0.1, 0.5, 1.0]))
    count = draw(st.integers(1, 3))
    inputs = [draw(S.values(shape, dtype, -50.0, 50.0)) for _ in range(count)]
    return Case(tuple(inputs), {"observer": observer, **config}, grad=(False,) * count)


register(Pair("quant.observer", AREA, call=_observer_call, ref="reference.quant.observer:observe",
              source="tiny.quant.observer:calculate_qparams", strategy=_observer_case, examples=_observer_examples,
              differentiable=False, tolerance=EXACT, tolerance_reason="min/max and qparams must be bit-identical",
              requires=("quant.MinMaxObserver", "quant.MovingAverageMinMaxObserver", "quant.PerChannelMinMaxObserver",
                        "float32", "qint8", "quint8", "qint32", "per_tensor_symmetric", "per_channel_affine",
                        "per_channel_symmetric"),
              covers=("quant.calculate_qparams", "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
                      "per_channel_symmetric", "quant.per_tensor_affine", "quant.per_tensor_symmetric",
                      "quant.per_channel_affine", "quant.per_channel_symmetric"),
              max_examples=50))


# ===== choose_qparams_per_tensor (dynamic activation qparams) ====================================
def _choose_call(lib, x, reduce_range=False):
    scale, zero_point = lib.quant.choose_qparams_per_tensor(x, reduce_range=reduce_range)
    return lib.tensor(np.array([scale], np.float64)), lib.tensor(np.array([zero_point], np.int64))


def _choose_examples(dtype):
    f = dtype
    cases = [("float64 input (error)", arr([1.0, 2.0], f), False)] if dtype == "float64" else [
        ("mixed signs", arr([-0.3, 0.77], f), False), ("mixed signs, reduce_range", arr([-0.3, 0.77], f), True),
        ("all positive: min extended to 0", arr([0.5, 3.0], f), False),
        ("all negative: max extended to 0", arr([-4.0, -0.25], f), True),
        ("all zeros: scale 0.1", np.zeros(4, f), False),
        ("tiny range: scale raised to 6.1e-5", arr([-1e-7, 3e-7], f), False),
        ("tiny positive range", arr([1e-8, 2e-7], f), True),
        ("tiny negative range", arr([-2e-7, -1e-9], f), False),
        ("±300, ±1e4", arr([-1e4, -300, 300, 1e4], f), True),
        ("zero point from the max end", arr([-1000.0, 0.001], f), False),
        ("0-d", arr(2.5, f), False),
        ("empty (error: no min/max)", np.zeros((0, 2), f), False),
    ]
    return [Case((x,), {"reduce_range": rr}, grad=(False,), label=label) for label, x, rr in cases]


@st.composite
def _choose_case(draw, dtype):
    shape = draw(S.shapes(min_dims=1, max_dims=2, min_side=1, max_side=6))
    magnitude = draw(st.sampled_from([1e-7, 1e-5, 1e-3, 1.0, 100.0, 1e5]))
    x = draw(S.values(shape, "float64", -10.0, 10.0)) * magnitude
    if draw(st.booleans()):
        x = np.abs(x) * draw(st.sampled_from([1, -1]))
    return Case((x.astype(dtype),), {"reduce_range": draw(st.booleans())}, grad=(False,))


register(Pair("quant.choose_qparams_per_tensor", AREA, call=_choose_call,
              ref="reference.quant.choose_qparams:choose_qparams_outputs",
              source="tiny.quant.choose_qparams:choose_qparams", strategy=_choose_case, examples=_choose_examples,
              differentiable=False, tolerance=EXACT, tolerance_reason="qparams must be bit-identical",
              requires=("quant.choose_qparams_per_tensor",), max_examples=60))


# ===== DynamicQuantizedLinear ======================================================================
# Output tolerance: 1 float32 ulp (rtol 2^-23 ~ 1.2e-7, atol 0). The integer accumulator and the activation codes
# are exact; the last step is fbgemm's fma(float32(acc), float32(s_x * s_w), bias), which tiny emulates in
# float64 then rounds to float32: a double rounding can move the result by 1 ulp (measured: bit-identical on 300
# random layers of up to 1500 inputs). Weight codes, scales and zero points must be equal.
DYNAMIC_TOLERANCE = {"float32": (1.2e-7, 0.0), "float64": (0.0, 0.0)}


def _dynamic_call(lib, x, weight, bias=None, per_channel=False):
    out_features, in_features = weight.shape
    linear = lib.nn.Linear(in_features, out_features, bias=bias is not None)
    linear.load_state_dict({"weight": weight} if bias is None else {"weight": weight, "bias": bias})
    layer = lib.quant.DynamicQuantizedLinear.from_float(linear, per_channel=per_channel)
    out = layer(x)
    qweight = layer.weight()
    if per_channel:
        scales, zero_points = qweight.q_per_channel_scales(), qweight.q_per_channel_zero_points()
    else:
        scales = lib.tensor(np.array([qweight.q_scale()], np.float64))
        zero_points = lib.tensor(np.array([qweight.q_zero_point()], np.int64))
    return out, qweight.int_repr(), scales, zero_points


def _dyn(label, x, weight, bias, per_channel=False):
    args = (x, weight) if bias is None else (x, weight, bias)
    return Case(args, {"per_channel": per_channel}, grad=(False,) * len(args), label=label)


def _dynamic_examples(dtype):
    rng = np.random.default_rng(7)
    f = "float32"   # the layer's weights are float32 in both dtype runs; the input carries the run's dtype

    def w(n, k, scale=0.1):
        return (rng.standard_normal((n, k)) * scale).astype(f)

    def x(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(dtype)

    if dtype == "float64":
        return [_dyn("float64 input (error: float32 only)", x(2, 4), w(3, 4), w(3, 1)[:, 0])]
    bias = (rng.standard_normal(5) * 0.1).astype(f)
    return [
        _dyn("per tensor", x(4, 8), w(5, 8), bias),
        _dyn("per channel", x(4, 8), w(5, 8) * np.arange(1, 6, dtype=f)[:, None], bias, True),
        _dyn("no bias", x(3, 8), w(5, 8), None),
        _dyn("batch 1", x(1, 8), w(5, 8), bias),
        _dyn("3-d input (B, T, in)", x(2, 3, 8), w(5, 8), bias),
        _dyn("all-positive input (ReLU output)", np.abs(x(4, 8)), w(5, 8), bias),
        _dyn("all-zero input", np.zeros((2, 8), dtype), w(5, 8), bias),
        _dyn("constant input", np.full((2, 8), 3.0, dtype), w(5, 8), bias),
        _dyn("large activations ±300", x(4, 8, scale=300.0), w(5, 8), bias),
        _dyn("tiny activations (scale floor 6.1e-5)", x(4, 8, scale=1e-6), w(5, 8), bias),
        _dyn("an all-zero weight row, per channel", x(4, 8), np.concatenate([np.zeros((1, 8), f), w(4, 8)]),
             bias, True),
        _dyn("all-zero weight", x(2, 8), np.zeros((5, 8), f), bias),
        _dyn("784 inputs (accumulator bound near 2^24)", np.abs(x(2, 784)), w(4, 784), bias[:4]),
        _dyn("1500 inputs (float64 accumulation path)", np.abs(x(2, 1500, scale=10.0)), w(3, 1500), bias[:3]),
        _dyn("empty batch", np.zeros((0, 8), dtype), w(5, 8), bias),
        _dyn("1-d input (error, as torch)", x(8), w(5, 8), bias),
        _dyn("wrong in_features (error)", x(2, 7), w(5, 8), bias),
        _dyn("NaN input (error)", np.where(x(2, 8) > 1.0, np.nan, 0.5).astype(dtype), w(5, 8), bias),
    ]


@st.composite
def _dynamic_case(draw, dtype):
    in_features, out_features = draw(st.integers(1, 40)), draw(st.integers(1, 12))
    lead = draw(S.shapes(min_dims=1, max_dims=2, min_side=1, max_side=5))
    # Continuous activations (a NumPy normal from a drawn seed), not hypothesis' grid values: on inputs that land
    # on exact rounding ties tiny's activation codes differ from fbgemm's by one code in some layers — a known
    # gap, recorded by tests/test_quant_known_gaps.py::test_known_gap_exact_tie_activations (strict xfail).
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.standard_normal(lead + (in_features,)) * draw(st.sampled_from([1e-3, 1.0, 50.0]))
    weight = draw(S.values((out_features, in_features), "float64", -1.0, 1.0)).astype(np.float32)
    bias = draw(st.one_of(st.none(), S.values((out_features,), "float64", -1.0, 1.0).map(
        lambda b: b.astype(np.float32))))
    return _dyn("", x.astype(dtype), weight, bias, draw(st.booleans()))


register(Pair("quant.DynamicQuantizedLinear", AREA, call=_dynamic_call,
              ref="reference.quant.linear:dynamic_linear_outputs", source="tiny.quant.linear:DynamicQuantizedLinear",
              strategy=_dynamic_case, examples=_dynamic_examples, differentiable=False,
              tolerance=DYNAMIC_TOLERANCE, tolerance_reason="1 float32 ulp: see DYNAMIC_TOLERANCE",
              requires=("quant.DynamicQuantizedLinear", "nn.Linear"), max_examples=40))
