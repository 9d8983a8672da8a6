"""Pairs for tiny.nn: layers, activations, normalization, embedding, and the deterministic initializers.

Functional pairs compare forward values and every input gradient. Module pairs load the same state dict
on both sides and return {"out": ..., "params": dict(named_parameters())}, so parameter gradients are
compared too. Dropout and the random initializers cannot be compared by value (tiny's and torch's RNG
streams differ): see COVERED_ELSEWHERE.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from difftests import strategies as S
from difftests.cases import Case
from difftests.registry import Pair, register

AREA = "nn"

COVERED_ELSEWHERE = {
    "nn.Dropout": "difftests/test_dropout.py: RNG streams differ; identity/zeros/eval/scaling/mask-gradient/"
                  "binomial frequency semantics tested",
    "nn.functional.dropout": "difftests/test_dropout.py: RNG streams differ; semantics tested",
    **{f"nn.init.{name}": "difftests/test_init.py: RNG streams differ; bounds/std equal torch's formulas and "
                          "sample statistics lie in a binomial/normal confidence band"
       for name in ("uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                    "kaiming_normal_")},
    **{f"nn.{name}": "difftests/test_nn_module.py: parameter/state_dict keys and order, load_state_dict errors, "
                     "train/eval, zero_grad, and a Sequential forward/backward compared with torch.nn"
       for name in ("Module", "Parameter", "Sequential", "ModuleList", "ModuleDict")},
}


def arr(values, dtype) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


def ramp(shape, dtype, scale: float = 1.0) -> np.ndarray:
    """Distinct, deterministic values in [-scale, scale]."""
    n = int(np.prod(shape))
    return (np.linspace(-scale, scale, n) if n else np.zeros(0)).reshape(shape).astype(dtype)


def grid(shape, dtype, low: float, high: float, step: float = 0.25) -> st.SearchStrategy:
    """Multiples of `step` in [low, high]: sums of a few of them are exact in float32, so batch and
    layer statistics are not ill-conditioned by near-equal values (which no float32 code resolves)."""
    elements = st.integers(int(np.ceil(low / step)), int(np.floor(high / step)))
    return S.hnp.arrays(np.int64, shape, elements=elements).map(lambda a: (a * step).astype(dtype))


def spread_groups(x: np.ndarray, group_axes: tuple, step: float = 0.25) -> np.ndarray:
    """Move the first element of every constant group (the elements one mean/variance is taken over)
    by one grid step. A zero-variance group scales gradients by 1/sqrt(eps) ~ 316, which amplifies
    float32 rounding past any fair tolerance; the variance-0 case has its own named examples."""
    if x.size == 0:
        return x
    kept = [d for d in range(x.ndim) if d not in group_axes]
    groups = np.moveaxis(x, kept, list(range(len(kept)))).reshape(int(np.prod([x.shape[d] for d in kept])), -1)
    if groups.shape[1] > 1:
        groups = groups.copy()
        constant = np.ptp(groups, axis=1) == 0
        groups[constant, 0] += np.asarray(step, x.dtype)
    shape = [x.shape[d] for d in kept] + [x.shape[d] for d in group_axes]
    return np.moveaxis(groups.reshape(shape), list(range(len(kept))), kept)


def center_groups(x: np.ndarray, group_axes: tuple, step: float = 0.25) -> np.ndarray:
    """Subtract each group's mean rounded to the grid, so |mean| <= step / 2 stays small next to the
    spread. torch's float32 LayerNorm backward (dX = a*dy*w + b*x + c) loses ~|mean|/std * 2^-24 to
    cancellation (measured: 1.2e-5 off the float64 truth for a row with mean/std ~ 7), more than the
    float32 tolerance; large offsets are checked in float64 by a named example instead."""
    if x.size == 0:
        return x
    offset = np.round(x.astype(np.float64).mean(axis=group_axes, keepdims=True) / step) * step
    return (x - offset).astype(x.dtype)


def extremes(dtype) -> np.ndarray:
    return arr([-1e4, -300.0, -30.0, -1.0, -0.0, 0.0, 1.0, 30.0, 300.0, 1e4], dtype)


# ----- activations ----------------------------------------------------------------------------
def activation_examples(**kwargs):
    def examples(dtype):
        return [
            Case((arr(0.5, dtype),), dict(kwargs), label="0-d"),
            Case((np.zeros((0, 3), dtype),), dict(kwargs), label="empty dim"),
            Case((arr([[-1.5]], dtype),), dict(kwargs), label="size-1 dims"),
            Case((arr([0.0, 0.0, -0.0, 1.0, 1.0], dtype),), dict(kwargs), label="ties, kink at 0"),
            Case((extremes(dtype),), dict(kwargs), label="extremes ±300, ±1e4"),
            Case((ramp((2, 3, 4), dtype, 6.0),), dict(kwargs), label="3-d"),
            Case((ramp((4001,), dtype, 12.0),), dict(kwargs), label="dense grid on [-12, 12]"),
        ]
    return examples


def with_kwargs(strategy, **choices):
    """Cases of `strategy` with each keyword drawn from its list of choices."""
    return st.builds(lambda case, kw: Case(case.args, {**case.kwargs, **kw}, label=case.label),
                     strategy, st.fixed_dictionaries({k: st.sampled_from(v) for k, v in choices.items()}))


SLOPES = [0.01, 0.2, 0.0, 1.0, -0.5, 2.0]
ACTIVATIONS = [  # (functional name, Module name, reference, Function, keyword choices)
    ("relu", "ReLU", "relu", "tiny.ops.unary:Relu", {}),
    ("leaky_relu", "LeakyReLU", "leaky_relu", "tiny.nn.activation:LeakyReluFunction",
     {"negative_slope": SLOPES}),
    ("sigmoid", "Sigmoid", "sigmoid", "tiny.ops.unary:Sigmoid", {}),
    ("tanh", "Tanh", "tanh", "tiny.ops.unary:Tanh", {}),
    ("gelu", "GELU", "gelu", "tiny.nn.activation:GeluFunction", {"approximate": ["none", "tanh"]}),
    ("silu", "SiLU", "silu", "tiny.nn.activation:SiluFunction", {}),
]


def _functional_call(name):
    return lambda lib, x, **kw: getattr(lib.nn.functional, name)(x, **kw)


def _module_call(lib, x, module, **config):
    return getattr(lib.nn, module)(**config)(x)


def _activation_strategy(choices):
    return lambda dtype: with_kwargs(S.unary(dtype, -8.0, 8.0), **choices) if choices else S.unary(dtype, -8, 8)


def _activation_edge_cases(name, choices):
    def examples(dtype):
        variants = [dict(zip(choices, values)) for values in zip(*choices.values())] if choices else [{}]
        if name == "leaky_relu":
            variants = [{"negative_slope": s} for s in (0.01, 0.2, -0.5)]
        cases = [c for kw in variants for c in activation_examples(**kw)(dtype)]
        if name == "gelu":
            cases.append(Case((ramp((3,), dtype),), {"approximate": "sigmoid"}, label="bad approximate (error)"))
        return cases
    return examples


def _module_strategy(module, choices):
    return lambda dtype: with_kwargs(S.unary(dtype, -8.0, 8.0), module=[module], **choices)


def _module_edge_cases(module, name, choices):
    """The functional form's valid edge cases, run through the Module (config as constructor kwargs)."""
    def examples(dtype):
        return [Case(case.args, {"module": module, **case.kwargs}, label=case.label)
                for case in _activation_edge_cases(name, choices)(dtype) if "error" not in case.label]
    return examples


for _fn, _module, _ref, _source, _choices in ACTIVATIONS:
    register(Pair(f"nn.functional.{_fn}", AREA, call=_functional_call(_fn),
                  ref=f"reference.nn.activation:{_ref}", source=_source,
                  strategy=_activation_strategy(_choices), examples=_activation_edge_cases(_fn, _choices),
                  requires=(f"nn.functional.{_fn}",)))
    register(Pair(f"nn.{_module}", AREA, call=_module_call, ref="reference.nn.activation:activation_module",
                  source=_source, strategy=_module_strategy(_module, _choices),
                  examples=_module_edge_cases(_module, _fn, _choices), requires=(f"nn.{_module}",),
                  max_examples=10))


# ----- softmax / log_softmax ------------------------------------------------------------------
@st.composite
def _softmax_case(draw, dtype):
    shape = draw(S.shapes())
    scale = draw(st.sampled_from([1.0, 30.0, 300.0, 1e4]))
    x = np.asarray(draw(S.values(shape, "float64", -1.0, 1.0)) * scale, dtype=dtype)
    bound = max(len(shape), 1)
    kwargs = {"dim": draw(st.integers(-bound, bound - 1))}
    if draw(st.integers(0, 3)) == 0:
        kwargs["dtype"] = "float64"
    return Case((x,), kwargs, label=f"scale {scale:g}")


def _softmax_examples(dtype):
    rows = arr([[-300.0, 0.0, 300.0], [1e4, -1e4, 1e4], [1.0, 1.0, 1.0]], dtype)
    masked = arr([[0.5, -np.inf, 1.5], [-np.inf, 2.0, -np.inf]], dtype)
    return [
        Case((rows,), {"dim": 1}, label="±300, ±1e4, ties"),
        Case((rows,), {"dim": 0}, label="dim 0 across extremes"),
        Case((ramp((2, 3, 4), dtype, 5.0),), {"dim": -2}, label="negative dim"),
        Case((arr(2.5, dtype),), {"dim": 0}, label="0-d, dim 0"),
        Case((arr(2.5, dtype),), {"dim": -1}, label="0-d, dim -1"),
        Case((ramp((3, 1), dtype),), {"dim": 1}, label="size-1 dim"),
        Case((np.zeros((2, 0), dtype),), {"dim": 1}, label="size-0 dim"),
        Case((np.zeros((0, 3), dtype),), {"dim": 1}, label="empty batch"),
        Case((masked,), {"dim": -1}, label="-inf entries (attention masks)"),
        Case((arr([[-np.inf, -np.inf]], dtype),), {"dim": 1}, label="all -inf row (nan)"),
        Case((ramp((2, 3), np.float32),), {"dim": 1, "dtype": "float64"}, label="dtype=float64 casts first"),
        Case((ramp((2, 3), dtype),), {"dim": 2}, label="dim out of range (error)"),
    ]


def _softmax_module_strategy(module):
    return lambda dtype: _softmax_case(dtype).map(lambda c: Case(c.args, {"module": module, "dim": c.kwargs["dim"]}))


def _softmax_module_examples(module):
    def examples(dtype):
        return [Case((ramp((2, 3, 4), dtype, 300.0),), {"module": module, "dim": -1}, label="±300"),
                Case((ramp((2, 3), dtype, 4.0),), {"module": module, "dim": 0}, label="dim 0"),
                Case((ramp((2, 3), dtype, 4.0),), {"module": module}, label="dim=None: legacy implicit dim 1"),
                Case((ramp((2, 3, 4), dtype, 4.0),), {"module": module}, label="dim=None on 3-d: dim 0")]
    return examples


for _name, _module in (("softmax", "Softmax"), ("log_softmax", "LogSoftmax")):
    register(Pair(f"nn.functional.{_name}", AREA,
                  call=(lambda n: lambda lib, x, dim, dtype=None: getattr(lib.nn.functional, n)(
                      x, dim, dtype=None if dtype is None else getattr(lib, dtype)))(_name),
                  ref=f"reference.nn.activation:{_name}", source=f"tiny.nn.activation:{_module}Function",
                  strategy=_softmax_case, examples=_softmax_examples,
                  requires=(f"nn.functional.{_name}", "float32", "float64"),
                  max_examples=30))
    register(Pair(f"nn.{_module}", AREA, call=_module_call, ref="reference.nn.activation:activation_module",
                  source=f"tiny.nn.activation:{_module}", strategy=_softmax_module_strategy(_module),
                  examples=_softmax_module_examples(_module), requires=(f"nn.{_module}",), max_examples=10))


# ----- linear ---------------------------------------------------------------------------------
@st.composite
def _linear_case(draw, dtype):
    batch = draw(S.shapes(max_dims=2, max_side=3))
    in_features, out_features = draw(st.integers(0, 4)), draw(st.integers(1, 4))
    x = draw(S.values(batch + (in_features,), dtype, -3, 3))
    weight = draw(S.values((out_features, in_features), dtype, -1, 1))
    bias = draw(st.one_of(st.none(), S.values((out_features,), dtype, -1, 1)))
    return Case((x, weight, bias))


def _linear_examples(dtype):
    x, w, b = ramp((2, 3), dtype, 2.0), ramp((4, 3), dtype, 1.0), ramp((4,), dtype, 0.5)
    return [
        Case((x, w, b), label="2-d"),
        Case((ramp((3,), dtype), w, b), label="1-d input"),
        Case((ramp((2, 2, 3), dtype), w, b), label="3-d input (batch dims)"),
        Case((np.zeros((0, 3), dtype), w, b), label="empty batch"),
        Case((np.zeros((2, 0), dtype), np.zeros((4, 0), dtype), b), label="in_features = 0"),
        Case((x, w, None), label="no bias"),
        Case((arr([[300.0, -300.0, 1.0]], dtype), w, b), label="extremes ±300"),
        Case((x, w, ramp((2, 4), dtype)), label="bias (2, 4) broadcast to the output"),
        Case((x, ramp((4, 5), dtype), b), label="wrong in_features (error)"),
        Case((arr(1.0, dtype), ramp((4, 1), dtype), b), label="0-d input (error)"),
        Case((x.astype(np.float32), w.astype(np.float64), None), label="dtype mismatch (error)"),
        Case((x, w, ramp((5,), dtype)), label="bias of the wrong size (error)"),
    ]


register(Pair("nn.functional.linear", AREA, call=lambda lib, x, w, b: lib.nn.functional.linear(x, w, b),
              ref="reference.nn.linear:linear", source="tiny.nn.linear:LinearFunction", strategy=_linear_case,
              examples=_linear_examples, requires=("nn.functional.linear",)))


def _linear_module(lib, x, weight, bias):
    out_features, in_features = weight.shape
    m = lib.nn.Linear(in_features, out_features, bias=bias is not None, dtype=weight.dtype)
    m.load_state_dict({"weight": weight} if bias is None else {"weight": weight, "bias": bias})
    return {"out": m(x), "params": dict(m.named_parameters())}


def _as_module_case(case: Case) -> Case:
    return Case(case.args, case.kwargs, grad=(True, False, False), label=case.label)


register(Pair("nn.Linear", AREA, call=_linear_module, ref="reference.nn.linear:linear_module",
              source="tiny.nn.linear:Linear",
              strategy=lambda dtype: _linear_case(dtype).map(_as_module_case),
              examples=lambda dtype: [_as_module_case(c) for c in _linear_examples(dtype)
                                      if "bias (2, 4)" not in c.label and "bias of the wrong" not in c.label
                                      and "dtype" not in c.label],
              requires=("nn.Linear",)))

register(Pair("nn.Identity", AREA, call=lambda lib, x: lib.nn.Identity(54, unused="ignored")(x),
              ref="reference.nn.linear:identity_module", source="tiny.nn.linear:Identity",
              strategy=lambda dtype: S.unary(dtype), requires=("nn.Identity",), max_examples=5,
              examples=lambda dtype: [Case((arr(1.5, dtype),), label="0-d"),
                                      Case((np.zeros((0, 3), dtype),), label="empty"),
                                      Case((ramp((2, 3, 4), dtype),), label="3-d")]))


# ----- flatten --------------------------------------------------------------------------------
@st.composite
def _flatten_case(draw, dtype):
    shape = draw(S.shapes(min_dims=1))
    bound = len(shape)
    return Case((draw(S.values(shape, dtype)),), {"start_dim": draw(st.integers(-bound, bound - 1)),
                                                   "end_dim": draw(st.integers(-bound, bound - 1))})


register(Pair("nn.Flatten", AREA, call=lambda lib, x, start_dim, end_dim: lib.nn.Flatten(start_dim, end_dim)(x),
              ref="reference.nn.flatten:flatten_module", source="tiny.nn.flatten:Flatten", strategy=_flatten_case,
              examples=lambda dtype: [
                  Case((ramp((2, 3, 4, 5), dtype),), {"start_dim": 1, "end_dim": -1}, label="default (N, C*H*W)"),
                  Case((ramp((2, 3, 4), dtype),), {"start_dim": -2, "end_dim": -1}, label="negative dims"),
                  Case((np.zeros((0, 3, 2), dtype),), {"start_dim": 1, "end_dim": -1}, label="empty batch"),
                  Case((ramp((3,), dtype),), {"start_dim": 1, "end_dim": -1}, label="1-d input (error)"),
                  Case((arr(1.0, dtype),), {"start_dim": 1, "end_dim": -1}, label="0-d input (error)"),
                  Case((ramp((2, 3, 4), dtype),), {"start_dim": 2, "end_dim": 1}, label="start after end (error)")],
              requires=("nn.Flatten",)))


# ----- embedding ------------------------------------------------------------------------------
@st.composite
def _embedding_case(draw, dtype):
    rows, dim = draw(st.integers(1, 6)), draw(st.integers(1, 3))
    index_shape = draw(S.shapes(max_dims=3, max_side=4))
    index_dtype = draw(st.sampled_from([np.int64, np.int64, np.int32]))
    indices = draw(S.hnp.arrays(index_dtype, index_shape, elements=st.integers(0, rows - 1)))
    weight = draw(S.values((rows, dim), dtype, -3, 3))
    padding_idx = draw(st.one_of(st.none(), st.integers(-rows, rows - 1)))
    return Case((indices, weight), {"padding_idx": padding_idx})


def _embedding_examples(dtype):
    weight = ramp((5, 3), dtype, 2.0)
    repeated = arr([[0, 1, 1], [4, 1, 0]], np.int64)
    return [
        Case((repeated, weight), {"padding_idx": None}, label="repeated indices accumulate"),
        Case((repeated, weight), {"padding_idx": 1}, label="padding_idx row gets no gradient"),
        Case((repeated, weight), {"padding_idx": -1}, label="negative padding_idx"),
        Case((arr(3, np.int64), weight), {"padding_idx": None}, label="0-d index"),
        Case((np.zeros((0,), np.int64), weight), {"padding_idx": None}, label="empty index"),
        Case((arr([[[0, 4]], [[2, 2]]], np.int32), weight), {"padding_idx": None}, label="3-d int32 index"),
        Case((arr([0, 5], np.int64), weight), {"padding_idx": None}, label="index out of range (error)"),
        Case((arr([-1], np.int64), weight), {"padding_idx": None}, label="negative index (error)"),
        Case((arr([1.0], dtype), weight), {"padding_idx": None}, label="float indices (error)"),
        Case((arr([0], np.int64), ramp((5,), dtype)), {"padding_idx": None}, label="1-d weight (error)"),
        Case((arr([0], np.int64), weight), {"padding_idx": 5}, label="padding_idx out of range (error)"),
    ]


register(Pair("nn.functional.embedding", AREA,
              call=lambda lib, idx, weight, padding_idx: lib.nn.functional.embedding(idx, weight, padding_idx),
              ref="reference.nn.embedding:embedding", source="tiny.nn.embedding:EmbeddingFunction",
              strategy=_embedding_case, examples=_embedding_examples, requires=("nn.functional.embedding",)))


def _embedding_module(lib, indices, weight, padding_idx=None):
    m = lib.nn.Embedding(*weight.shape, padding_idx=padding_idx, dtype=weight.dtype)
    m.load_state_dict({"weight": weight})
    return {"out": m(indices), "params": dict(m.named_parameters())}


def _embedding_module_case(case: Case) -> Case:
    return Case(case.args, case.kwargs, grad=(False, False), label=case.label)


register(Pair("nn.Embedding", AREA, call=_embedding_module, ref="reference.nn.embedding:embedding_module",
              source="tiny.nn.embedding:Embedding",
              strategy=lambda dtype: _embedding_case(dtype).map(_embedding_module_case),
              examples=lambda dtype: [_embedding_module_case(c) for c in _embedding_examples(dtype)
                                      if "weight (error)" not in c.label],
              requires=("nn.Embedding",)))


# ----- batch norm -----------------------------------------------------------------------------
def _values_per_channel(shape) -> int:
    return int(np.prod(shape)) // shape[1]


@st.composite
def _batch_norm_input(draw, dtype, min_dims=2, max_dims=4):
    ndim = draw(st.integers(min_dims, max_dims))
    shape = (draw(st.integers(0, 4)), draw(st.integers(1, 3))) + tuple(
        draw(st.integers(1, 3)) for _ in range(ndim - 2))
    return spread_groups(draw(grid(shape, dtype, -5, 5)), (0,) + tuple(range(2, ndim)))


@st.composite
def _channel_state(draw, dtype, channels):
    """weight, bias, running_mean, running_var (C,) each."""
    return (draw(grid((channels,), dtype, -2, 2)), draw(grid((channels,), dtype, -2, 2)),
            draw(grid((channels,), dtype, -2, 2)), draw(grid((channels,), dtype, 0.25, 3)))


@st.composite
def _batch_norm_case(draw, dtype, stats_outputs=False):
    x = draw(_batch_norm_input(dtype))
    training = True if stats_outputs else draw(st.booleans())
    if training and _values_per_channel(x.shape) == 1:
        x = np.concatenate([x, x + 1])  # two values per channel: batch statistics exist
    weight, bias, mean, var = draw(_channel_state(dtype, x.shape[1]))
    affine = draw(st.sampled_from(["weight and bias", "weight only", "none"]))
    weight = None if affine == "none" else weight
    bias = bias if affine == "weight and bias" else None
    tracked = stats_outputs or not training or draw(st.booleans())
    args = (x, mean if tracked else None, var if tracked else None, weight, bias)
    kwargs = {"training": training, "momentum": draw(st.sampled_from([0.1, 0.5, 1.0, 0.0])),
              "eps": draw(st.sampled_from([1e-5, 1e-3]))}
    grad = (not stats_outputs, False, False, weight is not None and not stats_outputs,
            bias is not None and not stats_outputs)
    return Case(args, kwargs, grad=grad, label=f"training={training}, affine: {affine}")


def _batch_norm_examples(dtype):
    x = ramp((4, 3), dtype, 3.0)
    w, b, mean, var = arr([1.5, -0.5, 2.0], dtype), arr([0.1, 0.2, -0.3], dtype), \
        arr([0.5, -1.0, 0.0], dtype), arr([2.0, 0.5, 1.0], dtype)
    constant = np.full((3, 2), 7.0, dtype)
    train = {"training": True, "momentum": 0.1, "eps": 1e-5}
    evaluate = {"training": False, "momentum": 0.1, "eps": 1e-5}
    return [
        Case((x, mean, var, w, b), train, label="(N, C) training"),
        Case((x, mean, var, w, b), evaluate, label="(N, C) eval: running statistics"),
        Case((ramp((2, 3, 5), dtype, 2.0), mean, var, w, b), train, label="(N, C, L) training"),
        Case((ramp((2, 3, 2, 2), dtype, 2.0), mean, var, w, b), train, label="(N, C, H, W) training"),
        Case((ramp((2, 3, 2, 2), dtype, 2.0), mean, var, w, b), evaluate, label="(N, C, H, W) eval"),
        Case((x, None, None, None, None), train, label="no running stats, no affine"),
        Case((arr([[300.0, -300.0], [-300.0, 300.0], [0.0, 1.0]], dtype), mean[:2], var[:2], w[:2], b[:2]),
             train, label="extremes ±300"),
        Case((constant, mean[:2], var[:2], w[:2], b[:2]), train, label="constant channel (variance 0)"),
        Case((ramp((1, 3, 2), dtype), mean, var, w, b), train, label="batch of 1 with L = 2 is fine"),
        Case((np.zeros((0, 3), dtype), mean, var, w, b), train, label="empty batch"),
        Case((ramp((1, 3), dtype), mean, var, w, b), evaluate, label="batch of 1 in eval"),
        Case((ramp((1, 3), dtype), mean, var, w, b), train,
             label="batch of 1 in training (ValueError: more than 1 value per channel)"),
        Case((ramp((4, 2), dtype), mean, var, w, b), train, label="wrong channel count (error)"),
        Case((x, None, None, w, b), evaluate, label="eval without running stats (error)"),
        Case((x.astype(np.float32), mean.astype(np.float64), var.astype(np.float64), None, None), train,
             label="mixed dtypes (error)"),
    ]


def _grad_flags(case: Case) -> Case:
    x, _, _, w, b = case.args
    return Case(case.args, case.kwargs, grad=(True, False, False, w is not None, b is not None), label=case.label)


def _batch_norm_call(lib, x, running_mean, running_var, weight, bias, training, momentum, eps):
    return lib.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training=training,
                                        momentum=momentum, eps=eps)


register(Pair("nn.functional.batch_norm", AREA, call=_batch_norm_call, ref="reference.nn.normalization:batch_norm",
              source="tiny.nn.normalization:BatchNormFunction", strategy=_batch_norm_case,
              examples=lambda dtype: [_grad_flags(c) for c in _batch_norm_examples(dtype)],
              requires=("nn.functional.batch_norm",), max_examples=40))


def _batch_norm_stats_call(lib, x, running_mean, running_var, weight, bias, training, momentum, eps):
    out = lib.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training=training,
                                       momentum=momentum, eps=eps)
    return out, running_mean, running_var


register(Pair("nn.functional.batch_norm.running_stats", AREA, call=_batch_norm_stats_call,
              ref="reference.nn.normalization:batch_norm_running_stats",
              source="tiny.nn.normalization:_update_running",
              strategy=lambda dtype: _batch_norm_case(dtype, stats_outputs=True),
              examples=lambda dtype: [Case(c.args, c.kwargs, grad=(False,) * 5, label=c.label)
                                      for c in _batch_norm_examples(dtype)
                                      if c.kwargs["training"] and c.args[1] is not None],
              requires=("nn.functional.batch_norm",), differentiable=False, max_examples=30))


def _batch_norm_module(lib, dtype, weight, bias, running_mean, running_var, module, num_features, momentum, eps,
                       affine, track_running_stats):
    m = getattr(lib.nn, module)(num_features, eps=eps, momentum=momentum, affine=affine,
                                track_running_stats=track_running_stats, dtype=dtype)
    state = {}
    if affine:
        state.update(weight=weight, bias=bias)
    if track_running_stats:
        state.update(running_mean=running_mean, running_var=running_var, num_batches_tracked=lib.tensor(0))
    m.load_state_dict(state)
    return m


def _batch_norm_module_call(lib, x, weight, bias, running_mean, running_var, *, module, num_features,
                            mode="train", momentum=0.1, eps=1e-5, affine=True, track_running_stats=True):
    m = _batch_norm_module(lib, x.dtype, weight, bias, running_mean, running_var, module, num_features,
                           momentum, eps, affine, track_running_stats)
    if mode == "eval":
        m.eval()
    return {"out": m(x), "params": dict(m.named_parameters())}


def _batch_norm_module_steps_call(lib, first, second, evaluated, weight, bias, running_mean, running_var, *,
                                  module, num_features, momentum=0.1, eps=1e-5, affine=True,
                                  track_running_stats=True):
    m = _batch_norm_module(lib, first.dtype, weight, bias, running_mean, running_var, module, num_features,
                           momentum, eps, affine, track_running_stats)
    with lib.no_grad():
        outputs = [m(first), m(second)]
        m.eval()
        outputs.append(m(evaluated))
    if track_running_stats:
        outputs += [m.running_mean, m.running_var, m.num_batches_tracked]
    return tuple(outputs)


@st.composite
def _module_config(draw, module, channels):
    return {"module": module, "num_features": channels, "momentum": draw(st.sampled_from([0.1, 0.3, None])),
            "eps": draw(st.sampled_from([1e-5, 1e-3])), "affine": draw(st.booleans()),
            "track_running_stats": draw(st.booleans())}


def _module_dims(module):
    return (2, 3) if module == "BatchNorm1d" else (4, 4)


@st.composite
def _batch_norm_module_case(draw, dtype, module):
    low, high = _module_dims(module)
    x = draw(_batch_norm_input(dtype, low, high))
    config = {**draw(_module_config(module, x.shape[1])), "mode": draw(st.sampled_from(["train", "eval"]))}
    if config["mode"] == "train" and _values_per_channel(x.shape) == 1:
        x = np.concatenate([x, x - 1])
    state = draw(_channel_state(dtype, x.shape[1]))
    return Case((x,) + state, config, grad=(True, False, False, False, False), label=config["mode"])


@st.composite
def _batch_norm_steps_case(draw, dtype, module):
    low, high = _module_dims(module)
    first = draw(_batch_norm_input(dtype, low, high))
    if _values_per_channel(first.shape) == 1:
        first = np.concatenate([first, first + 1])
    second = (spread_groups(draw(grid(first.shape, dtype, -5, 5)), (0,) + tuple(range(2, first.ndim))) * 2
              + 1).astype(dtype)
    evaluated = draw(grid(first.shape, dtype, -5, 5))
    config = draw(_module_config(module, first.shape[1]))
    state = draw(_channel_state(dtype, first.shape[1]))
    return Case((first, second, evaluated) + state, config, grad=(False,) * 7)


def _batch_norm_module_examples(module):
    def examples(dtype):
        shape = (4, 3) if module == "BatchNorm1d" else (2, 3, 2, 2)
        x = ramp(shape, dtype, 3.0)
        state = (arr([1.5, -0.5, 2.0], dtype), arr([0.1, 0.2, -0.3], dtype), arr([0.5, -1.0, 0.0], dtype),
                 arr([2.0, 0.5, 1.0], dtype))
        grad = (True, False, False, False, False)
        base = {"module": module, "num_features": 3, "momentum": 0.1, "eps": 1e-5, "affine": True,
                "track_running_stats": True}
        cases = [
            Case((x,) + state, {**base, "mode": "train"}, grad=grad, label="train"),
            Case((x,) + state, {**base, "mode": "eval"}, grad=grad, label="eval: running statistics"),
            Case((x,) + state, {**base, "mode": "eval", "track_running_stats": False}, grad=grad,
                 label="eval without running stats: batch statistics"),
            Case((x,) + state, {**base, "mode": "train", "affine": False}, grad=grad, label="affine=False"),
            Case((x,) + state, {**base, "mode": "train", "num_features": 4}, grad=grad,
                 label="wrong channel count (error)"),
            Case((ramp((1, 3) + shape[2:], dtype) if module == "BatchNorm1d" else ramp((1, 3, 1, 1), dtype),)
                 + state, {**base, "mode": "train"}, grad=grad, label="batch of 1 in training (ValueError)"),
            Case((ramp((3,), dtype),) + state, {**base, "mode": "train"}, grad=grad,
                 label="1-d input (ValueError: wrong number of dims)"),
        ]
        if module == "BatchNorm1d":
            cases.append(Case((ramp((2, 3, 5), dtype),) + state, {**base, "mode": "train"}, grad=grad,
                              label="(N, C, L)"))
        else:
            cases.append(Case((ramp((2, 3, 4), dtype),) + state, {**base, "mode": "train"}, grad=grad,
                              label="3-d input to BatchNorm2d (ValueError)"))
        return cases
    return examples


def _batch_norm_steps_examples(module):
    def examples(dtype):
        shape = (4, 3) if module == "BatchNorm1d" else (2, 3, 2, 2)
        first, second, evaluated = ramp(shape, dtype, 3.0), ramp(shape, dtype, 1.0) ** 2, ramp(shape, dtype, 5.0)
        state = (arr([1.5, -0.5, 2.0], dtype), arr([0.1, 0.2, -0.3], dtype), arr([0.5, -1.0, 0.0], dtype),
                 arr([2.0, 0.5, 1.0], dtype))
        base = {"module": module, "num_features": 3, "eps": 1e-5, "affine": True, "track_running_stats": True}
        return [Case((first, second, evaluated) + state, {**base, "momentum": m}, grad=(False,) * 7,
                     label=f"momentum={m}") for m in (0.1, None)]
    return examples


for _module in ("BatchNorm1d", "BatchNorm2d"):
    register(Pair(f"nn.{_module}", AREA, call=_batch_norm_module_call,
                  ref="reference.nn.normalization:batch_norm_module", source=f"tiny.nn.normalization:{_module}",
                  strategy=(lambda m: lambda dtype: _batch_norm_module_case(dtype, m))(_module),
                  examples=_batch_norm_module_examples(_module), requires=(f"nn.{_module}",)))
    register(Pair(f"nn.{_module}.running_stats", AREA, call=_batch_norm_module_steps_call,
                  ref="reference.nn.normalization:batch_norm_module_steps", source=f"tiny.nn.normalization:{_module}",
                  strategy=(lambda m: lambda dtype: _batch_norm_steps_case(dtype, m))(_module),
                  examples=_batch_norm_steps_examples(_module), requires=(f"nn.{_module}", "no_grad"),
                  differentiable=False, max_examples=20))


# ----- layer norm -----------------------------------------------------------------------------
@st.composite
def _layer_norm_case(draw, dtype):
    batch = draw(S.shapes(max_dims=2, max_side=3))
    normalized = draw(S.shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    if dtype == "float32" and int(np.prod(normalized)) == 1:
        normalized = normalized[:-1] + (2,)  # one element has variance 0: see center_groups
    normalized_axes = tuple(range(len(batch), len(batch) + len(normalized)))
    x = center_groups(spread_groups(draw(grid(batch + normalized, dtype, -5, 5)), normalized_axes),
                      normalized_axes)
    weight = draw(st.one_of(st.none(), grid(normalized, dtype, -2, 2)))
    bias = draw(st.one_of(st.none(), grid(normalized, dtype, -2, 2)))
    as_list = draw(st.booleans())
    kwargs = {"normalized_shape": list(normalized) if as_list else tuple(normalized),
              "eps": draw(st.sampled_from([1e-5, 1e-3]))}
    return Case((x, weight, bias), kwargs, grad=(True, weight is not None, bias is not None))


def _layer_norm_examples(dtype):
    x = ramp((2, 3, 4), dtype, 3.0)
    w, b = ramp((3, 4), dtype, 1.5) + 1, ramp((3, 4), dtype, 0.5)
    grad = (True, True, True)
    return [
        Case((x, w[0], b[0]), {"normalized_shape": (4,), "eps": 1e-5}, grad=grad, label="last dim"),
        Case((x, w, b), {"normalized_shape": (3, 4), "eps": 1e-5}, grad=grad, label="last two dims"),
        Case((x, None, None), {"normalized_shape": (2, 3, 4), "eps": 1e-5}, grad=(True, False, False),
             label="every dim, no affine"),
        Case((arr([[300.0, -300.0, 1.0], [1e4, -1e4, 0.0]], dtype), w[0, :3], b[0, :3]),
             {"normalized_shape": (3,), "eps": 1e-5}, grad=grad, label="extremes"),
        Case((np.zeros((0, 4), dtype), w[0], b[0]), {"normalized_shape": (4,), "eps": 1e-5}, grad=grad,
             label="empty batch"),
        Case((x, w[0], b[0]), {"normalized_shape": (3,), "eps": 1e-5}, grad=grad,
             label="normalized_shape does not match the input (error)"),
        Case((x, w, b[0]), {"normalized_shape": (4,), "eps": 1e-5}, grad=grad,
             label="weight shape != normalized_shape (error)"),
        Case((x, None, None), {"normalized_shape": (), "eps": 1e-5}, grad=(True, False, False),
             label="empty normalized_shape (error)"),
        Case((x, None, None), {"normalized_shape": 4, "eps": 1e-5}, grad=(True, False, False),
             label="int normalized_shape in the functional form (TypeError)"),
    ] + ([  # float64 only: in float32 torch's own backward is off by more than the tolerance here
        # (cancellation amplified by |mean|/std, or by 1/sqrt(eps) ~ 316 when the variance is 0)
        Case((ramp((3, 5), dtype, 1.0) + 100.0, w[0, :1].repeat(5), b[0, :1].repeat(5)),
             {"normalized_shape": (5,), "eps": 1e-5}, grad=grad, label="rows offset by 100 (mean/std ~ 150)"),
        Case((np.full((2, 4), 3.0, dtype), w[0], b[0]), {"normalized_shape": (4,), "eps": 1e-5}, grad=grad,
             label="constant rows (variance 0)"),
        Case((ramp((2, 1), dtype), w[0, :1], b[0, :1]), {"normalized_shape": (1,), "eps": 1e-5}, grad=grad,
             label="size-1 normalized dim (variance 0)"),
    ] if dtype == "float64" else [])


register(Pair("nn.functional.layer_norm", AREA,
              call=lambda lib, x, weight, bias, normalized_shape, eps: lib.nn.functional.layer_norm(
                  x, normalized_shape, weight, bias, eps),
              ref="reference.nn.normalization:layer_norm", source="tiny.nn.normalization:LayerNormFunction",
              strategy=_layer_norm_case, examples=_layer_norm_examples, requires=("nn.functional.layer_norm",),
              max_examples=40))


def _layer_norm_module(lib, x, weight, bias, *, normalized_shape, elementwise_affine=True, use_bias=True,
                       eps=1e-5):
    m = lib.nn.LayerNorm(normalized_shape, eps=eps, elementwise_affine=elementwise_affine, bias=use_bias,
                         dtype=x.dtype)
    state = {}
    if elementwise_affine:
        state["weight"] = weight
        if use_bias:
            state["bias"] = bias
    m.load_state_dict(state)
    return {"out": m(x), "params": dict(m.named_parameters())}


@st.composite
def _layer_norm_module_case(draw, dtype):
    case = draw(_layer_norm_case(dtype))
    x, _, _ = case.args
    shape = tuple(case.kwargs["normalized_shape"])
    weight, bias = draw(grid(shape, dtype, -2, 2)), draw(grid(shape, dtype, -2, 2))
    as_int = len(shape) == 1 and draw(st.booleans())
    kwargs = {"normalized_shape": shape[0] if as_int else shape, "eps": case.kwargs["eps"],
              "elementwise_affine": draw(st.booleans()), "use_bias": draw(st.booleans())}
    return Case((x, weight, bias), kwargs, grad=(True, False, False))


register(Pair("nn.LayerNorm", AREA, call=_layer_norm_module, ref="reference.nn.normalization:layer_norm_module",
              source="tiny.nn.normalization:LayerNorm", strategy=_layer_norm_module_case,
              examples=lambda dtype: [
                  Case((ramp((2, 3, 4), dtype, 3.0), ramp((4,), dtype) + 1, ramp((4,), dtype)),
                       {"normalized_shape": 4}, grad=(True, False, False), label="int normalized_shape"),
                  Case((ramp((2, 3, 4), dtype, 3.0), ramp((3, 4), dtype) + 1, ramp((3, 4), dtype)),
                       {"normalized_shape": (3, 4), "use_bias": False}, grad=(True, False, False),
                       label="(3, 4), bias=False"),
                  Case((ramp((2, 3), dtype), ramp((4,), dtype), ramp((4,), dtype)), {"normalized_shape": 4},
                       grad=(True, False, False), label="mismatched normalized_shape (error)")],
              requires=("nn.LayerNorm",)))


# ----- init (the deterministic parts) ---------------------------------------------------------
def _gain_cases():
    names = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
             "sigmoid", "tanh", "relu", "selu"]
    cases = [Case((), {"nonlinearity": n, "param": None}, label=n) for n in names]
    cases += [Case((), {"nonlinearity": "leaky_relu", "param": p}, label=f"leaky_relu {p!r}")
              for p in (None, 0, 0.2, 1, -0.5, 3)]
    cases += [Case((), {"nonlinearity": "leaky_relu", "param": True}, label="bool slope (error)"),
              Case((), {"nonlinearity": "leaky_relu", "param": "0.1"}, label="string slope (error)"),
              Case((), {"nonlinearity": "softplus", "param": None}, label="unsupported (error)")]
    return cases


register(Pair("nn.init.calculate_gain", AREA,
              call=lambda lib, nonlinearity, param: lib.tensor(lib.nn.init.calculate_gain(nonlinearity, param),
                                                               dtype=lib.float64),
              ref="reference.nn.init:calculate_gain", source="tiny.nn.init:calculate_gain",
              strategy=lambda dtype: st.sampled_from(_gain_cases()), examples=lambda dtype: _gain_cases(),
              requires=("nn.init.calculate_gain", "float64"), differentiable=False, max_examples=5))


def _fill_call(lib, size, dtype, initializer, value=None):
    tensor = lib.full(size, 7.0, dtype=getattr(lib, dtype))
    fn = getattr(lib.nn.init, initializer)
    return fn(tensor) if value is None else fn(tensor, value)


@st.composite
def _fill_case(draw, dtype):
    initializer = draw(st.sampled_from(["constant_", "zeros_", "ones_"]))
    value = draw(st.sampled_from([2.5, -1.75, 0.0, 3])) if initializer == "constant_" else None
    target = draw(st.sampled_from([dtype, dtype, "int64"]))
    return Case((), {"size": draw(S.shapes()), "dtype": target, "initializer": initializer, "value": value})


register(Pair("nn.init.constant_", AREA, call=_fill_call, ref="reference.nn.init:fill", source="tiny.nn.init:_fill",
              strategy=_fill_case,
              examples=lambda dtype: [Case((), {"size": (2, 3), "dtype": "int64", "initializer": "constant_",
                                                "value": -2.7}, label="int64 truncates toward zero")],
              requires=("nn.init.constant_", "nn.init.zeros_", "nn.init.ones_", "full", "float32", "float64",
                        "int64"),
              covers=("nn.init.zeros_", "nn.init.ones_"), differentiable=False, max_examples=10))


# ----- numerics: the extremes where a naive exp overflows (±1000 in float64, ±100 in float32) ----------------
def extreme_values(dtype) -> np.ndarray:
    """exp overflows past 709.8 (float64) and 88.7 (float32): an unstable formula warns (and may give nan)
    here, while torch computes finite values; the runner reports its RuntimeWarnings as "numerical warning"."""
    if np.dtype(dtype) == np.float64:
        return arr([-1000.0, -745.0, -710.0, -40.0, -1.0, 0.0, 1.0, 40.0, 710.0, 745.0, 1000.0], dtype)
    return arr([-100.0, -89.0, -88.0, -20.0, -1.0, 0.0, 1.0, 20.0, 88.0, 89.0, 100.0], dtype)


def _extreme_activation_examples(choices):
    def examples(dtype):
        x = extreme_values(dtype)
        variants = [dict(zip(choices, values)) for values in zip(*choices.values())] if choices else [{}]
        return [Case((x,), kw, label=f"±{abs(x[0]):g} {kw}".strip()) for kw in variants] + \
            [Case((x.reshape(1, -1)[:, ::-1].copy(),), variants[-1], label="reversed, (1, N)")]
    return examples


for _fn, _choices in (("sigmoid", {}), ("silu", {}), ("gelu", {"approximate": ["none", "tanh"]})):
    _examples = _extreme_activation_examples(_choices)
    register(Pair(f"nn.functional.{_fn}.extremes", AREA, call=_functional_call(_fn),
                  ref=f"reference.nn.activation:{_fn}", source=dict((a[0], a[3]) for a in ACTIVATIONS)[_fn],
                  strategy=(lambda ex: lambda dtype: st.sampled_from(ex(dtype)))(_examples), examples=_examples,
                  requires=(f"nn.functional.{_fn}",), max_examples=3))


def _extreme_softmax_examples(dtype):
    x = extreme_values(dtype)
    return [Case((x,), {"dim": 0}, label=f"±{abs(x[0]):g} in one row"),
            Case((np.stack([x, x[::-1], np.zeros_like(x)]),), {"dim": 1}, label="rows of extremes"),
            Case((np.stack([x, x[::-1]]),), {"dim": 0}, label="pairs of opposite extremes")]


register(Pair("nn.functional.log_softmax.extremes", AREA,
              call=lambda lib, x, dim: lib.nn.functional.log_softmax(x, dim),
              ref="reference.nn.activation:log_softmax", source="tiny.nn.activation:LogSoftmaxFunction",
              strategy=lambda dtype: st.sampled_from(_extreme_softmax_examples(dtype)),
              examples=_extreme_softmax_examples, requires=("nn.functional.log_softmax",), max_examples=3))
