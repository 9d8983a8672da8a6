"""Pairs for the losses: the functional forms (tiny.nn.functional) and the loss Modules (tiny.nn).

Functional cases pass `weight` / `pos_weight` as array arguments (None when absent), so each side turns
them into tensors; Module cases pass the same arrays to the Module's constructor (buffers: no gradient).
Class-index targets are drawn in [0, C) and, in some cases, replaced by ignore_index.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from difftests import strategies as S
from difftests.cases import Case
from difftests.registry import Pair, register

AREA = "losses"
REDUCTIONS = ["mean", "sum", "none"]


def arr(values, dtype) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


def ramp(shape, dtype, scale: float = 1.0) -> np.ndarray:
    """Distinct, deterministic values in [-scale, scale]."""
    n = int(np.prod(shape))
    return (np.linspace(-scale, scale, n) if n else np.zeros(0)).reshape(shape).astype(dtype)


def unit(shape, dtype, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """Distinct, deterministic values in [low, high] (probabilities away from 0 and 1)."""
    n = int(np.prod(shape))
    return (np.linspace(low, high, n) if n else np.zeros(0)).reshape(shape).astype(dtype)


def labels(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def positive(shape, dtype, low: float = 0.0, high: float = 2.0) -> st.SearchStrategy:
    return S.values(shape, dtype, low, high)


def class_weights(n_classes: int, dtype) -> st.SearchStrategy:
    """Per-class weights: exact zeros (a class that does not count) or in [0.1, 2]. Not tiny positive
    values: dividing by a total weight of 1e-45 overflows, and where inf meets inf torch's nan or inf
    depends on its order of operations, not on the loss's definition."""
    elements = st.one_of(st.just(0.0), st.floats(0.1, 2.0))
    return hnp.arrays(np.float64, (n_classes,), elements=elements).map(lambda a: a.astype(dtype))


@st.composite
def maybe(draw, strategy) -> object:
    return draw(st.one_of(st.none(), strategy))


@st.composite
def broadcastable_to(draw, shape: tuple) -> tuple:
    """A shape that broadcasts to `shape` without growing it: a suffix of it, some dims set to 1."""
    keep = draw(st.integers(0, len(shape)))
    suffix = shape[len(shape) - keep:]
    return tuple(draw(st.sampled_from([size, 1])) for size in suffix)


# ----- class-index layouts (cross_entropy, nll_loss) ------------------------------------------
@st.composite
def class_layout(draw) -> tuple[tuple, tuple]:
    """(input shape, target shape): (N, C) -> (N,), unbatched (C,) -> (), (N, C, d1[, d2]) -> (N, d1[, d2])."""
    n_classes = draw(st.integers(1, 5))
    kind = draw(st.sampled_from(["batched", "batched", "unbatched", "spatial"]))
    if kind == "unbatched":
        return (n_classes,), ()
    batch = draw(st.integers(0, 4))
    spatial = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))) if kind == "spatial" else ()
    return (batch, n_classes) + spatial, (batch,) + spatial


@st.composite
def ignore_index_choice(draw, n_classes: int) -> int:
    """torch's default, another negative value, or a real class (whose targets are then ignored)."""
    return draw(st.one_of(st.just(-100), st.just(-1), st.integers(0, n_classes - 1)))


@st.composite
def class_targets(draw, shape: tuple, n_classes: int, ignore_index: int) -> np.ndarray:
    """int64 class indices in [0, C); in some draws, a random subset set to ignore_index."""
    classes = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, n_classes - 1)))
    if draw(st.booleans()):
        ignored = draw(hnp.arrays(np.bool_, shape, elements=st.sampled_from([False, False, True])))
        classes = np.where(ignored, ignore_index, classes).astype(np.int64)
    return classes


@st.composite
def class_index_case(draw, dtype: str, low: float, high: float, smoothing: bool) -> Case:
    """(input, target, weight) with ignore_index, reduction and (for cross_entropy) label_smoothing."""
    input_shape, target_shape = draw(class_layout())
    n_classes = input_shape[0 if len(input_shape) == 1 else 1]
    ignore_index = draw(ignore_index_choice(n_classes))
    scale = draw(st.sampled_from([1.0, 1.0, 30.0]))  # sometimes logits up to ±300: the stability range
    x = draw(S.values(input_shape, dtype, low * scale, high * scale))
    target = draw(class_targets(target_shape, n_classes, ignore_index))
    weight = draw(maybe(class_weights(n_classes, dtype)))
    kwargs = {"ignore_index": ignore_index, "reduction": draw(st.sampled_from(REDUCTIONS))}
    if smoothing:
        kwargs["label_smoothing"] = draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0)))
    return Case((x, target, weight), kwargs, grad=(True, False, False))


@st.composite
def probability_case(draw, dtype: str) -> Case:
    """cross_entropy with soft targets of the input's shape; weight and target get gradients too."""
    input_shape, _ = draw(class_layout())
    n_classes = input_shape[0 if len(input_shape) == 1 else 1]
    scale = draw(st.sampled_from([1.0, 1.0, 30.0]))
    x = draw(S.values(input_shape, dtype, -10.0 * scale, 10.0 * scale))
    target = draw(S.values(input_shape, dtype, 0.0, 1.0))
    weight = draw(maybe(class_weights(n_classes, dtype)))
    kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS)),
              "label_smoothing": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0)))}
    return Case((x, target, weight), kwargs, grad=(True, True, weight is not None))


def _ce(dtype, logits, target, weight=None, label="", **kwargs) -> Case:
    kwargs.setdefault("reduction", "mean")
    grad = (True, np.asarray(target).dtype.kind == "f", False)
    return Case((arr(logits, dtype), target, None if weight is None else arr(weight, dtype)), kwargs,
                grad=grad, label=label)


def cross_entropy_examples(dtype) -> list[Case]:
    x = ramp((3, 4), dtype, 3.0)
    y = labels([0, 3, 1])
    w = [0.5, 1.0, 2.0, 0.25]
    cases = [
        _ce(dtype, x, y, label="(N, C) class indices"),
        _ce(dtype, [[-300.0, 300.0, 0.0], [300.0, 300.0, -300.0]], labels([0, 2]), reduction="none",
            label="±300 logits"),
        _ce(dtype, [[-1e4, 1e4, 0.0], [1e4, -1e4, 1e4]], labels([0, 1]), label_smoothing=0.1,
            label="±1e4 logits, label smoothing"),
        _ce(dtype, [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]], labels([1, 2]), reduction="sum", label="ties"),
        _ce(dtype, ramp((3, 1), dtype), labels([0, 0, 0]), reduction="none", label="single class C=1"),
        _ce(dtype, np.zeros((0, 4)), labels([]).reshape(0), label="empty batch N=0, mean (nan)"),
        _ce(dtype, np.zeros((0, 4)), labels([]).reshape(0), reduction="sum", label="empty batch N=0, sum"),
        _ce(dtype, np.zeros((0, 4, 2)), labels([]).reshape(0, 2), reduction="none", label="empty N-d batch"),
        _ce(dtype, ramp((4,), dtype), labels(2), label="unbatched (C,), 0-d target"),
        _ce(dtype, ramp((4,), dtype), labels(2), reduction="none", label_smoothing=0.2, weight=w,
            label="unbatched, smoothing + weight"),
        _ce(dtype, ramp((4,), dtype), labels([2]), reduction="none", label="unbatched, target of shape (1,)"),
        _ce(dtype, ramp((4,), dtype), labels(-100), label="unbatched, ignored target (nan)"),
        _ce(dtype, ramp((2, 3, 4), dtype), labels([[0, 1, 2, 1], [2, -100, 0, 0]]), weight=[1.0, 2.0, 3.0],
            label="(N, C, d) with weight and ignore"),
        _ce(dtype, ramp((2, 3, 2, 2), dtype), labels([[[0, 1], [2, 1]], [[2, 0], [1, 1]]]), reduction="none",
            label_smoothing=0.3, label="(N, C, d1, d2), smoothing"),
        _ce(dtype, ramp((1, 3, 2, 1, 2), dtype), labels(np.arange(4).reshape(1, 2, 1, 2) % 3), label="5-d input"),
        _ce(dtype, x, labels([-100, -100, -100]), label="all ignored, mean (nan, zero gradient)"),
        _ce(dtype, x, labels([-100, -100, -100]), reduction="sum", label="all ignored, sum"),
        _ce(dtype, x, labels([-100, -100, -100]), label_smoothing=0.2, weight=w,
            label="all ignored, smoothing + weight (nan, zero gradient)"),
        _ce(dtype, x, y, ignore_index=3, label="ignore_index is a real class"),
        _ce(dtype, x, y, weight=w, label_smoothing=0.3, label="smoothing + weight, mean"),
        _ce(dtype, x, y, weight=w, label_smoothing=1.0, reduction="sum", label="label_smoothing=1"),
        _ce(dtype, x, y, label_smoothing=-0.5, label="negative label_smoothing (no smoothing)"),
        _ce(dtype, x, labels([0, 0, 0]), weight=[0.0, 1.0, 1.0, 1.0], label="zero total weight (nan)"),
        _ce(dtype, x, labels([0, 0, -100]), weight=[0.0, 1.0, 1.0, 1.0], label_smoothing=0.3,
            label="zero total weight with smoothing (nan, not inf)"),
        _ce(dtype, x, y.astype(np.uint8), label="uint8 class indices"),
        _ce(dtype, x, y, reduce=False, label="legacy reduce=False"),
        _ce(dtype, x, y, size_average=False, label="legacy size_average=False"),
    ]
    return cases + cross_entropy_probability_examples(dtype) + cross_entropy_error_examples(dtype)


def cross_entropy_probability_examples(dtype) -> list[Case]:
    x = ramp((3, 4), dtype, 3.0)
    probs = unit((3, 4), dtype)
    w = arr([0.5, 1.0, 2.0, 0.25], dtype)
    return [
        Case((x, probs, None), {"reduction": "none"}, label="probability targets"),
        Case((x, probs, w), {"label_smoothing": 0.2}, grad=(True, True, True),
             label="probabilities, smoothing + weight (weight gets a gradient)"),
        Case((arr([[-1e4, 1e4, 0.0], [300.0, -300.0, 0.0]], dtype), unit((2, 3), dtype), None),
             {"reduction": "sum"}, label="probabilities, ±1e4 and ±300 logits"),
        Case((ramp((4,), dtype), unit((4,), dtype), None), {}, label="probabilities, unbatched"),
        Case((ramp((2, 3, 2), dtype), unit((2, 3, 2), dtype), w[:3]), {"reduction": "none"},
             label="probabilities, (N, C, d)"),
        Case((np.zeros((0, 3), dtype), np.zeros((0, 3), dtype), None), {}, label="probabilities, N=0 (nan)"),
        Case((x, probs, None), {"ignore_index": -1}, label="probabilities, negative ignore_index allowed"),
        Case((arr(x, np.float32), arr(probs, np.float64), None), {}, label="float32 logits, float64 probabilities"),
    ]


def cross_entropy_error_examples(dtype) -> list[Case]:
    x = ramp((3, 4), dtype, 3.0)
    y = labels([0, 3, 1])
    return [
        _ce(dtype, x, labels([0, 4, 1]), label="target == C (error)"),
        _ce(dtype, x, labels([0, -1, 1]), label="negative target that is not ignore_index (error)"),
        _ce(dtype, x, labels([0, 4, 1]), reduction="none", label_smoothing=0.1, label="out of range, smoothing (error)"),
        _ce(dtype, ramp((2, 3, 2), dtype), labels([[0, 3], [1, 1]]), label="out of range, N-d (error)"),
        _ce(dtype, x, y.astype(np.int32), label="int32 targets (error)"),
        _ce(dtype, x, arr([0.0, 1.0, 2.0], dtype), label="float class targets (error)"),
        _ce(dtype, x, unit((3, 5), dtype), label="float targets of another shape (error)"),
        _ce(dtype, x, labels([0, 1]), label="target batch mismatch (error)"),
        _ce(dtype, x, labels([[0], [1], [2]]), label="2-d target for (N, C) input (error)"),
        _ce(dtype, x, labels(1), label="0-d target for (N, C) input (error)"),
        _ce(dtype, ramp((2, 3, 4), dtype), labels(np.zeros((2, 5))), label="N-d target shape mismatch (error)"),
        _ce(dtype, ramp((4,), dtype), labels([1, 2]), label="unbatched input, target of size 2 (error)"),
        _ce(dtype, x, y, weight=[1.0, 1.0, 1.0], label="weight of the wrong size (error)"),
        Case((x, y, arr([1.0, 1.0, 1.0, 1.0], np.float32 if dtype == "float64" else np.float64)), {},
             grad=(True, False, False), label="weight of another dtype (error)"),
        Case((x, y, arr([1.0, 2.0, 1.0, 1.0], dtype)), {}, grad=(True, False, True),
             label="weight requires grad with class indices (error)"),
        _ce(dtype, x, y, label_smoothing=1.5, label="label_smoothing > 1 (error)"),
        _ce(dtype, x, y, reduction="avg", label="unknown reduction (error)"),
        Case((x, unit((3, 4), dtype), None), {"ignore_index": 0}, label="probabilities with ignore_index >= 0 (error)"),
        Case((x, labels(np.zeros((3, 4))), None), {}, label="int64 target of the input's shape (error)"),
        Case((x, unit((3, 4), dtype), arr([1.0, 1.0], dtype)), {}, label="probabilities, wrong weight size (error)"),
        Case((arr(1.0, dtype), arr(0.5, dtype), None), {}, label="0-d input (error)"),
    ]


def nll_examples(dtype) -> list[Case]:
    x = ramp((3, 4), dtype, 3.0)
    y = labels([0, 3, 1])
    w = [0.5, 1.0, 2.0, 0.25]
    return [
        _ce(dtype, x, y, weight=w, label="(N, C) with weight"),
        _ce(dtype, [[-300.0, 300.0], [0.0, -300.0]], labels([0, 1]), reduction="none", label="±300 inputs"),
        _ce(dtype, [[1.0, 1.0], [1.0, 1.0]], labels([1, 1]), reduction="sum", label="ties"),
        _ce(dtype, ramp((2, 1), dtype), labels([0, 0]), label="single class C=1"),
        _ce(dtype, np.zeros((0, 4)), labels([]).reshape(0), label="empty batch N=0, mean (nan)"),
        _ce(dtype, np.zeros((0, 4)), labels([]).reshape(0), reduction="none", label="empty batch N=0, none"),
        _ce(dtype, ramp((4,), dtype), labels(3), reduction="none", label="unbatched (C,)"),
        _ce(dtype, ramp((4,), dtype), labels([3]), label="unbatched, target of shape (1,)"),
        _ce(dtype, ramp((2, 3, 2, 2), dtype), labels([[[0, 1], [2, -100]], [[2, 0], [1, 1]]]), weight=w[:3],
            label="(N, C, d1, d2) with weight and ignore"),
        _ce(dtype, ramp((2, 3, 2), dtype), labels([[0, 1], [2, 1]]), reduction="none", label="(N, C, d)"),
        _ce(dtype, x, labels([-100, -100, -100]), label="all ignored, mean (nan, zero gradient)"),
        _ce(dtype, x, labels([-100, -100, -100]), reduction="sum", label="all ignored, sum"),
        _ce(dtype, x, y, ignore_index=0, label="ignore_index is a real class"),
        _ce(dtype, x, labels([0, 0, 0]), weight=[0.0, 1.0, 1.0, 1.0], label="zero total weight (nan)"),
        _ce(dtype, x, y, reduce=False, label="legacy reduce=False"),
        _ce(dtype, arr(1.0, dtype), labels(0), label="0-d input (error)"),
        _ce(dtype, x, labels([0, 4, 1]), label="target == C (error)"),
        _ce(dtype, x, labels([-5, 0, 1]), label="negative target (error)"),
        _ce(dtype, ramp((2, 3, 2), dtype), labels([[0, 3], [1, 1]]), label="out of range, N-d (error)"),
        _ce(dtype, x, y.astype(np.int32), label="int32 targets (error)"),
        _ce(dtype, x, unit((3, 4), dtype), label="float targets (error)"),
        _ce(dtype, x, labels([0, 1]), label="target batch mismatch (error)"),
        _ce(dtype, ramp((2, 3, 4), dtype), labels(np.zeros((2, 3))), label="N-d target shape mismatch (error)"),
        _ce(dtype, ramp((4,), dtype), labels([1, 2]), label="unbatched input, target of size 2 (error)"),
        _ce(dtype, x, y, weight=[1.0, 1.0], label="weight of the wrong size (error)"),
        Case((x, y, arr(w, dtype)), {}, grad=(True, False, True), label="weight requires grad (error)"),
        _ce(dtype, x, y, reduction="elementwise_sum", label="unknown reduction (error)"),
    ]


# ----- binary cross entropy ------------------------------------------------------------------
@st.composite
def bce_case(draw, dtype: str) -> Case:
    shape = draw(S.shapes())
    x = draw(S.values(shape, dtype, 0.0, 1.0))
    target = draw(S.values(shape, dtype, 0.0, 1.0))
    weight = draw(maybe(broadcastable_to(shape).flatmap(lambda s: positive(s, dtype))))
    return Case((x, target, weight), {"reduction": draw(st.sampled_from(REDUCTIONS))}, grad=(True, True, False))


def bce_examples(dtype) -> list[Case]:
    p = unit((3, 4), dtype)
    t = unit((3, 4), dtype, 0.0, 1.0)[::-1].copy()
    w = arr([0.5, 1.0, 2.0, 0.25], dtype)

    def case(x, target, weight=None, label="", grad=(True, True, False), **kwargs):
        return Case((arr(x, dtype) if not isinstance(x, np.ndarray) else x, target, weight), kwargs, grad=grad,
                    label=label)
    return [
        case(p, t, w, label="(N, C) with a (C,) weight"),
        case([0.0, 1.0, 0.0, 1.0, 0.5], arr([0.0, 1.0, 1.0, 0.0, 0.5], dtype), reduction="none",
             label="inputs exactly 0 and 1 (log clamped to -100)"),
        case([1e-30, 1.0 - 1e-7, 0.5, 0.5], arr([1.0, 0.0, 0.5, 0.5], dtype), reduction="sum",
             label="near 0 and 1, ties"),
        case(np.zeros((0, 3), dtype), np.zeros((0, 3), dtype), label="empty (nan)"),
        case(0.3, arr(1.0, dtype), label="0-d"),
        case(p, t, w.reshape(1, 4), reduction="none", label="(1, C) weight"),
        case(p, t, size_average=False, label="legacy size_average=False"),
        case(p + 1, t, label="input above 1 (error)"),
        case(p * np.nan, t, label="nan input (error)"),
        case(p, t + 1, label="target above 1 (error)"),
        case(p, t[0], label="target shape mismatch (error)"),
        case(p, (t > 0.5).astype(np.int64), grad=(True, False, False), label="int64 target (error)"),
        case(p, t.astype(np.float32 if dtype == "float64" else np.float64), label="target of another dtype (error)"),
        case(p, t, arr([1.0, 2.0, 3.0], dtype), label="weight not broadcastable (error)"),
        case(p, t, np.ones((2, 3, 4), dtype), label="weight larger than the input (error)"),
        case(p, t, w, grad=(True, True, True), label="weight requires grad (error)"),
        case(p, t, reduction="mean ", label="unknown reduction (error)"),
    ]


@st.composite
def bce_logits_case(draw, dtype: str) -> Case:
    shape = draw(S.shapes())
    x = draw(S.values(shape, dtype, -20.0, 20.0))
    target = draw(S.values(shape, dtype, 0.0, 1.0))
    weight = draw(maybe(broadcastable_to(shape).flatmap(lambda s: positive(s, dtype))))
    pos_weight = draw(maybe(broadcastable_to(shape).flatmap(lambda s: positive(s, dtype, 0.0, 5.0))))
    return Case((x, target, weight, pos_weight), {"reduction": draw(st.sampled_from(REDUCTIONS))},
                grad=(True, True, False, False))


def bce_logits_examples(dtype) -> list[Case]:
    x = ramp((3, 4), dtype, 5.0)
    t = unit((3, 4), dtype, 0.0, 1.0)
    pw = arr([0.5, 1.0, 2.0, 4.0], dtype)
    extremes = arr([-1e4, 1e4, -300.0, 300.0, 0.0, -300.0], dtype)
    t_ext = arr([1.0, 0.0, 1.0, 0.0, 0.5, 0.3], dtype)

    def case(x, target, weight=None, pos_weight=None, label="", grad=(True, True, False, False), **kwargs):
        return Case((x, target, weight, pos_weight), kwargs, grad=grad, label=label)
    return [
        case(x, t, label="(N, C)"),
        case(x, t, None, pw, reduction="none", label="pos_weight over the class dim"),
        case(x, t, pw[::-1].copy(), pw, label="weight and pos_weight"),
        case(extremes, t_ext, reduction="none", label="±1e4 and ±300 logits"),
        case(extremes, t_ext, None, arr([3.0], dtype), reduction="none", label="extremes with pos_weight"),
        case(arr([0.0, 0.0, 0.0], dtype), arr([0.5, 0.5, 0.5], dtype), reduction="sum", label="ties at 0"),
        case(np.zeros((0, 4), dtype), np.zeros((0, 4), dtype), None, pw, label="empty (nan)"),
        case(arr(0.7, dtype), arr(1.0, dtype), label="0-d"),
        case(ramp((2, 3, 4), dtype), unit((2, 3, 4), dtype), None, arr(np.ones((3, 1)) * 2, dtype),
             label="pos_weight (C, 1) over 3-d input"),
        case(arr(x, np.float32), arr(t, np.float64), reduction="none", label="float32 logits, float64 target"),
        case(x, t, reduce=False, label="legacy reduce=False"),
        case(x, t[0], label="target shape mismatch (error)"),
        case(x, (t > 0.5).astype(np.int64), grad=(True, False, False, False), label="int64 target (error)"),
        case(x, t, None, arr([1.0, 2.0, 3.0], dtype), label="pos_weight not broadcastable (error)"),
        case(x, t, None, np.ones((2, 3, 4), dtype), label="pos_weight larger than the input (error)"),
        case(x, t, np.ones((2, 3, 4), dtype), label="weight larger than the input (error)"),
        case(x, t, pw, grad=(True, True, True, False), label="weight requires grad (error)"),
        case(x, t, None, pw, grad=(True, True, False, True), label="pos_weight requires grad (error)"),
        case(x, t, reduction="max", label="unknown reduction (error)"),
    ]


# ----- KL divergence -------------------------------------------------------------------------
@st.composite
def kl_div_case(draw, dtype: str) -> Case:
    input_shape, target_shape = draw(S.broadcast_shapes(2))
    log_target = draw(st.booleans())
    x = draw(S.values(input_shape, dtype, -10.0, 0.0))
    target = draw(S.values(target_shape, dtype, -10.0, 1.0) if log_target else S.values(target_shape, dtype, 0.0, 1.0))
    kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS + ["batchmean"])), "log_target": log_target}
    return Case((x, target), kwargs)


def kl_div_examples(dtype) -> list[Case]:
    log_q = np.log(unit((3, 4), dtype)).astype(dtype)
    p = unit((3, 4), dtype, 0.01, 0.3)[::-1].copy()

    def case(x, target, label="", **kwargs):
        kwargs.setdefault("reduction", "batchmean")
        return Case((x, target), kwargs, label=label)
    return [
        case(log_q, p, label="batchmean"),
        case(log_q, p, reduction="mean", label="mean over every element"),
        case(log_q, np.log(p).astype(dtype), reduction="none", log_target=True, label="log_target"),
        case(log_q, arr([[0.0, 0.5, 0.5, 0.0]] * 3, dtype), reduction="sum",
             label="zero targets: 0 * log 0 = 0 (target gradient nan, as torch)"),
        case(arr([-np.inf, -2.0], dtype), arr([0.0, 0.5], dtype), reduction="none", label="zero target, -inf input (nan)"),
        case(log_q, arr([[-0.1, 0.5, 0.5, 0.1]] * 3, dtype), reduction="none", label="negative target (nan)"),
        case(arr([-300.0, 0.0, -300.0], dtype), arr([1.0, 0.0, 0.5], dtype), label="-300 log-probs"),
        case(log_q, p[0], reduction="none", label="target broadcast over the batch"),
        case(log_q[0], p, label="input broadcast, batchmean by input.size(0)"),
        case(np.zeros((0, 2), dtype), arr([0.0, 0.5], dtype), reduction="sum",
             label="target broadcast over an empty batch (nan target gradient at 0, as torch)"),
        case(arr(-1.0, dtype), arr(0.3, dtype), label="0-d batchmean (sum)"),
        case(np.zeros((0, 3), dtype), np.zeros((0, 3), dtype), label="empty batchmean (nan)"),
        case(arr(log_q, np.float32), arr(p, np.float64), reduction="sum", label="float32 input, float64 target"),
        case(log_q, p, size_average=False, label="legacy size_average=False"),
        case(log_q, p[:, :3], label="not broadcastable (error)"),
        case(log_q, labels(np.ones((3, 4))), label="int64 target (error)"),
        case(log_q, p, reduction="batch_mean", label="unknown reduction (error)"),
    ]


# ----- regression losses -----------------------------------------------------------------------
@st.composite
def regression_case(draw, dtype: str, with_weight: bool) -> Case:
    input_shape, target_shape = draw(S.broadcast_shapes(2))
    x = draw(S.values(input_shape, dtype))
    target = draw(S.values(target_shape, dtype))
    kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    if not with_weight:
        return Case((x, target), kwargs)
    weight = draw(maybe(positive(input_shape, dtype, 0.1, 2.0)))
    return Case((x, target, weight), kwargs, grad=(True, True, weight is not None))


def regression_examples(with_weight: bool):
    def examples(dtype) -> list[Case]:
        x = ramp((3, 4), dtype, 3.0)
        y = ramp((3, 4), dtype, 2.0)[::-1].copy()

        def case(input, target, weight=None, label="", **kwargs):
            kwargs.setdefault("reduction", "mean")
            args = (input, target, weight) if with_weight else (input, target)
            grad = (True, np.asarray(target).dtype.kind == "f", weight is not None)[:len(args)]
            return Case(args, kwargs, grad=grad, label=label)
        cases = [
            case(x, y, label="(N, C)"),
            case(x, y[0], reduction="none", label="target broadcast (torch warns)"),
            case(x[0], y, reduction="sum", label="input broadcast to the target's shape"),
            case(arr([300.0, -300.0, 1.0], dtype), arr([-300.0, 300.0, 1.0], dtype), reduction="none",
                 label="±300, a tie"),
            case(np.zeros((0, 3), dtype), np.zeros((0, 3), dtype), label="empty (nan)"),
            case(arr(1.5, dtype), arr(-0.5, dtype), label="0-d"),
            case(x, labels(np.arange(12).reshape(3, 4) % 3), label="int64 target promotes"),
            case(arr(x, np.float32), arr(y, np.float64), label="float32 input, float64 target"),
            case(x, y, reduce=False, label="legacy reduce=False"),
            case(x, y, reduction="elementwise_mean", label="deprecated 'elementwise_mean'"),
            case(x, y[:, :3], label="not broadcastable (error)"),
            case(x, y, reduction="average", label="unknown reduction (error)"),
        ]
        if with_weight:
            w = unit((3, 4), dtype, 0.1, 2.0)
            cases += [
                case(x, y, w, label="weighted mean (divides by sum of weights)"),
                case(x, y, w, reduction="none", label="weighted, none"),
                case(arr(1.5, dtype), arr(-0.5, dtype), arr(0.7, dtype), label="0-d, weighted mean"),
                case(x, y[0], w, reduction="sum", label="weighted, broadcast target"),
                case(x, y, w[0], label="weight not of the input's size (error)"),
                case(x, y, w, reduction="average", label="weighted, unknown reduction (error)"),
            ]
        return cases
    return examples


# ----- registration ----------------------------------------------------------------------------
def _functional(name: str) -> str:
    return f"nn.functional.{name}"


FUNCTIONAL = [
    Pair("cross_entropy", AREA,
         call=lambda lib, x, target, weight, **kw: lib.nn.functional.cross_entropy(x, target, weight=weight, **kw),
         ref="reference.nn.loss:cross_entropy", source="tiny.nn.loss:CrossEntropy",
         strategy=lambda dtype: class_index_case(dtype, -10.0, 10.0, smoothing=True),
         examples=cross_entropy_examples, requires=(_functional("cross_entropy"),), max_examples=40),
    Pair("cross_entropy_probabilities", AREA,
         call=lambda lib, x, target, weight, **kw: lib.nn.functional.cross_entropy(x, target, weight=weight, **kw),
         ref="reference.nn.loss:cross_entropy", source="tiny.nn.loss:CrossEntropy",
         strategy=probability_case, examples=cross_entropy_probability_examples,
         requires=(_functional("cross_entropy"),), max_examples=30),
    Pair("nll_loss", AREA,
         call=lambda lib, x, target, weight, **kw: lib.nn.functional.nll_loss(x, target, weight=weight, **kw),
         ref="reference.nn.loss:nll_loss", source="tiny.nn.loss:NegativeLogLikelihood",
         strategy=lambda dtype: class_index_case(dtype, -10.0, 0.0, smoothing=False),
         examples=nll_examples, requires=(_functional("nll_loss"),), max_examples=30),
    Pair("binary_cross_entropy", AREA,
         call=lambda lib, x, target, weight, **kw: lib.nn.functional.binary_cross_entropy(
             x, target, weight=weight, **kw),
         ref="reference.nn.loss:binary_cross_entropy", source="tiny.nn.loss:BinaryCrossEntropy",
         strategy=bce_case, examples=bce_examples, requires=(_functional("binary_cross_entropy"),)),
    Pair("binary_cross_entropy_with_logits", AREA,
         call=lambda lib, x, target, weight, pos_weight, **kw: lib.nn.functional.binary_cross_entropy_with_logits(
             x, target, weight=weight, pos_weight=pos_weight, **kw),
         ref="reference.nn.loss:binary_cross_entropy_with_logits",
         source="tiny.nn.loss:BinaryCrossEntropyWithLogits", strategy=bce_logits_case,
         examples=bce_logits_examples, requires=(_functional("binary_cross_entropy_with_logits"),)),
    Pair("kl_div", AREA, call=lambda lib, x, target, **kw: lib.nn.functional.kl_div(x, target, **kw),
         ref="reference.nn.loss:kl_div", source="tiny.nn.loss:KLDivergence", strategy=kl_div_case,
         examples=kl_div_examples, requires=(_functional("kl_div"),)),
    Pair("mse_loss", AREA,
         call=lambda lib, x, target, weight, **kw: lib.nn.functional.mse_loss(x, target, weight=weight, **kw),
         ref="reference.nn.loss:mse_loss", source="tiny.nn.loss:SquaredError",
         strategy=lambda dtype: regression_case(dtype, with_weight=True), examples=regression_examples(True),
         requires=(_functional("mse_loss"),)),
    Pair("l1_loss", AREA,
         call=lambda lib, x, target, weight, **kw: lib.nn.functional.l1_loss(x, target, weight=weight, **kw),
         ref="reference.nn.loss:l1_loss", source="tiny.nn.loss:AbsoluteError",
         strategy=lambda dtype: regression_case(dtype, with_weight=True), examples=regression_examples(True),
         requires=(_functional("l1_loss"),)),
]
register(*FUNCTIONAL)


# ----- Modules: a thin call through the Module, the functional strategies and edge cases ------
def _as_buffers(case: Case) -> Case:
    """Module weights are buffers (no gradient): only input and a float target keep theirs."""
    grad = tuple(g if i < 2 else False for i, g in enumerate(case.requires_grad()))
    return Case(case.args, case.kwargs, grad=grad, label=case.label)


def _module_examples(examples):
    return lambda dtype: [_as_buffers(c) for c in examples(dtype) if "requires grad" not in c.label]


def _module_pair(name: str, call, functional: Pair, strategy=None, examples=None) -> Pair:
    strategy = strategy or functional.strategy
    return Pair(name, AREA, call=call, ref=f"reference.nn.loss:{name}", source=f"tiny.nn.loss:{name}",
                strategy=lambda dtype: strategy(dtype).map(_as_buffers),
                examples=_module_examples(examples or functional.examples), requires=(f"nn.{name}",),
                max_examples=15)


_BY_NAME = {p.name: p for p in FUNCTIONAL}

register(
    _module_pair("CrossEntropyLoss", lambda lib, x, target, weight, **config: lib.nn.CrossEntropyLoss(
        weight=weight, **config)(x, target), _BY_NAME["cross_entropy"]),
    _module_pair("NLLLoss", lambda lib, x, target, weight, **config: lib.nn.NLLLoss(
        weight=weight, **config)(x, target), _BY_NAME["nll_loss"]),
    _module_pair("BCELoss", lambda lib, x, target, weight, **config: lib.nn.BCELoss(
        weight=weight, **config)(x, target), _BY_NAME["binary_cross_entropy"]),
    _module_pair("BCEWithLogitsLoss", lambda lib, x, target, weight, pos_weight, **config: lib.nn.BCEWithLogitsLoss(
        weight=weight, pos_weight=pos_weight, **config)(x, target), _BY_NAME["binary_cross_entropy_with_logits"]),
    _module_pair("KLDivLoss", lambda lib, x, target, **config: lib.nn.KLDivLoss(**config)(x, target),
                 _BY_NAME["kl_div"]),
    _module_pair("MSELoss", lambda lib, x, target, **config: lib.nn.MSELoss(**config)(x, target),
                 _BY_NAME["mse_loss"], strategy=lambda dtype: regression_case(dtype, with_weight=False),
                 examples=regression_examples(False)),
    _module_pair("L1Loss", lambda lib, x, target, **config: lib.nn.L1Loss(**config)(x, target),
                 _BY_NAME["l1_loss"], strategy=lambda dtype: regression_case(dtype, with_weight=False),
                 examples=regression_examples(False)),
)


# ----- numerics: logits where a naive log(sigmoid(x)) overflows (±1000 in float64, ±100 in float32) -----------
def _bce_logits_extreme_examples(dtype) -> list[Case]:
    from difftests.pairs.nn import extreme_values
    x = extreme_values(dtype)
    ones, zeros, halves = np.ones_like(x), np.zeros_like(x), np.full_like(x, 0.5)
    return [Case((x, t, None, None), {"reduction": "none"}, grad=(True, True, False, False), label=f"target {name}")
            for name, t in (("1", ones), ("0", zeros), ("0.5", halves))] + [
        Case((x, halves, None, arr([3.0], dtype)), {"reduction": "sum"}, grad=(True, True, False, False),
             label="pos_weight 3, sum")]


register(Pair("binary_cross_entropy_with_logits.extremes", AREA,
              call=lambda lib, x, target, weight, pos_weight, **kw: lib.nn.functional.binary_cross_entropy_with_logits(
                  x, target, weight=weight, pos_weight=pos_weight, **kw),
              ref="reference.nn.loss:binary_cross_entropy_with_logits",
              source="tiny.nn.loss:BinaryCrossEntropyWithLogits",
              strategy=lambda dtype: st.sampled_from(_bce_logits_extreme_examples(dtype)),
              examples=_bce_logits_extreme_examples, requires=("nn.functional.binary_cross_entropy_with_logits",),
              max_examples=3))
