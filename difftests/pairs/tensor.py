"""Pairs for the Tensor ops: arithmetic, math, reductions, shapes, indexing, joins, matmul, comparisons.

Each pair: how the implementation is called (contract API only), its torch twin, input strategies
(hypothesis) and named edge cases. See difftests/registry.py for the fields.
"""
from __future__ import annotations

import operator

import numpy as np
from hypothesis import strategies as st

from difftests import strategies as S
from difftests.cases import Case, IndexSpec, TensorSlot
from difftests.registry import Pair, register

AREA = "tensor"
EXTREMES = [-300.0, -1.0, -0.0, 0.0, 1.0, 300.0]


def arr(values, dtype) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


def ramp(shape, dtype, scale: float = 1.0) -> np.ndarray:
    """Distinct, deterministic values in roughly [-scale, scale]."""
    n = int(np.prod(shape))
    return (np.linspace(-scale, scale, n) if n else np.zeros(0)).reshape(shape).astype(dtype)


# ----- elementwise --------------------------------------------------------------------------
def unary_examples(low: float, high: float, extremes=EXTREMES):
    def examples(dtype):
        mid = (low + high) / 2
        return [
            Case((arr(mid, dtype),), label="0-d"),
            Case((np.zeros((0, 3), dtype),), label="empty dim"),
            Case((arr([[mid]], dtype),), label="size-1 dims"),
            Case((arr([mid, mid, mid], dtype),), label="ties"),
            Case((arr(extremes, dtype),), label="extremes"),
            Case((ramp((2, 3, 4), dtype, high),), label="3-d"),
        ]
    return examples


def binary_examples(low: float, high: float, rhs_low=None, rhs_high=None, int_ok: bool = True):
    rlow = low if rhs_low is None else rhs_low
    rhigh = high if rhs_high is None else rhs_high

    def examples(dtype):
        a = ramp((4, 1), dtype, high) * 0.5 + (low + high) / 2
        b = np.abs(ramp((1, 3), dtype, rhigh)) * 0.5 + (rlow + rhigh) / 2 + 0.25
        cases = [
            Case((a, b), label="broadcast (4,1) with (1,3)"),
            Case((arr(1.5, dtype), b), label="0-d with (1,3)"),
            Case((np.zeros((0, 3), dtype), arr([1.0, 2.0, 3.0], dtype)), label="empty dim"),
            Case((arr([-300.0, 300.0, 300.0], dtype), arr([300.0, 300.0, -300.0], dtype)), label="extremes"),
            Case((arr([2.0, 2.0], dtype), arr([2.0, 2.0], dtype)), label="ties"),
            Case((a, 2.5), label="tensor op float"), Case((3, b), label="int op tensor"),
            Case((np.zeros((2, 3), dtype), np.zeros((4,), dtype)), label="shape mismatch (error)"),
        ]
        if int_ok:
            cases += [
                Case((arr([1, 2, 3], np.int64), 2.5), label="int64 tensor op float -> float32"),
                Case((arr([1, -2, 3], np.int64), arr([2, 2, 2], np.int64)), label="int64 op int64"),
                Case((arr([1.0, 2.0], np.float32), arr([3.0, 4.0], np.float64)), label="float32 op float64"),
                Case((arr([1.0, 2.0], np.float32), arr(3.0, np.float64)), label="float32 op 0-d float64"),
                Case((arr([1, 2], np.int64), arr([0.5, 4.0], np.float32)), label="int64 op float32 -> float32"),
                Case((arr([1, 2], np.uint8), arr([3, 4], np.int8)), label="uint8 op int8 -> int16"),
            ]
        return cases
    return examples


def register_binary(name, op, ref, source, requires, low=-10.0, high=10.0, rhs_low=None, rhs_high=None,
                    **extra):
    register(Pair(name, AREA, call=op, ref=f"reference.ops.arithmetic:{ref}",
                  source=f"tiny.ops.arithmetic:{source}",
                  strategy=lambda dtype: S.binary(dtype, low, high, rhs_low, rhs_high),
                  examples=binary_examples(low, high, rhs_low, rhs_high), requires=requires, **extra))


register_binary("add", lambda lib, a, b: a + b, "add", "Add", ("Tensor.__add__", "Tensor.__radd__"))
register_binary("sub", lambda lib, a, b: a - b, "sub", "Sub", ("Tensor.__sub__", "Tensor.__rsub__"))
register_binary("mul", lambda lib, a, b: a * b, "mul", "Mul", ("Tensor.__mul__", "Tensor.__rmul__"))
register_binary("div", lambda lib, a, b: a / b, "div", "Div", ("Tensor.__truediv__", "Tensor.__rtruediv__"),
                rhs_low=0.5, rhs_high=10.0)
register_binary("pow", lambda lib, a, b: a ** b, "pow", "Pow", ("Tensor.__pow__", "Tensor.__rpow__"),
                low=0.1, high=4.0, rhs_low=-3.0, rhs_high=3.0)


def _pow_special(dtype):
    x = arr([-2.0, -0.5, 0.0, 0.5, 2.0], dtype)
    return [Case((x, e), label=f"x ** {e}") for e in (0, 1, 2, 3, -1, 0.5, -2)] + [
        Case((arr([0.0, 0.0, 2.0], dtype), arr([0.0, 2.0, 0.0], dtype)), label="0 ** 0 and 0 ** 2"),
        Case((2.0, arr([0.0, 1.0, -1.0], dtype)), label="2 ** tensor"),
        Case((0.0, arr([0.0, 1.0, 2.0], dtype)), label="0 ** tensor"),
        Case((arr([1, 2], np.int64), -1), label="int ** negative int (error)"),
    ]


register(Pair("pow_special", AREA, call=lambda lib, a, b: a ** b, ref="reference.ops.arithmetic:pow",
              source="tiny.ops.arithmetic:Pow", strategy=lambda dtype: st.sampled_from(_pow_special(dtype)),
              examples=_pow_special, requires=("Tensor.__pow__", "Tensor.__rpow__"), max_examples=10))

register(Pair("neg", AREA, call=lambda lib, x: -x, ref="reference.ops.arithmetic:neg",
              source="tiny.ops.arithmetic:Neg", strategy=lambda dtype: S.unary(dtype),
              examples=unary_examples(-10, 10), requires=("Tensor.__neg__",)))


def _to_examples(dtype):
    x = arr([-1.5, 0.0, 2.7], dtype)
    return [Case((x,), {"dtype": d}, label=f"to {d}") for d in ("float32", "float64")] + [
        Case((arr([1, 2], np.int64),), {"dtype": "float32"}, label="int64 to float32"),
        Case((x,), {"dtype": "int64"}, label="float to int64 (truncates)"),
    ]


register(Pair("to", AREA, call=lambda lib, x, dtype: x.to(getattr(lib, dtype)),
              ref="reference.ops.arithmetic:to_dtype", source="tiny.ops.arithmetic:Cast",
              strategy=lambda dtype: st.builds(lambda case, target: Case(case.args, {"dtype": target}),
                                               S.unary(dtype), st.sampled_from(["float32", "float64"])),
              examples=_to_examples, requires=("Tensor.to", "float32", "float64", "int64")))

# ----- elementwise math ---------------------------------------------------------------------
UNARY = [  # name and the value range hypothesis draws from (log needs positive inputs)
    ("exp", -10.0, 10.0), ("log", 0.01, 10.0), ("sqrt", 0.0, 10.0), ("abs", -10.0, 10.0),
    ("tanh", -10.0, 10.0), ("sigmoid", -10.0, 10.0), ("relu", -10.0, 10.0),
]
for _name, _low, _high in UNARY:
    register(Pair(_name, AREA, call=(lambda n: lambda lib, x: getattr(x, n)())(_name),
                  ref=f"reference.ops.unary:{_name}", source=f"tiny.ops.unary:{_name.capitalize()}",
                  strategy=(lambda lo, hi: lambda dtype: S.unary(dtype, lo, hi))(_low, _high),
                  examples=unary_examples(_low, _high), requires=(f"Tensor.{_name}",)))


@st.composite
def _clamp_case(draw, dtype):
    case = draw(S.unary(dtype))
    bound = st.one_of(st.none(), st.floats(-10, 10, allow_subnormal=False), st.integers(-5, 5))
    low, high = draw(bound), draw(bound)
    if low is None and high is None:
        low = 0.0
    return Case(case.args, {"min": low, "max": high})


def _clamp_examples(dtype):
    x = arr([-2.0, -1.0, 0.0, 1.0, 2.0, -300.0, 300.0], dtype)
    return [Case((x,), {"min": -1.0, "max": 1.0}, label="boundaries included"),
            Case((x,), {"min": 0.0, "max": None}, label="min only"),
            Case((x,), {"min": None, "max": 0.0}, label="max only"),
            Case((x,), {"min": 1.0, "max": -1.0}, label="min > max"),
            Case((x,), {"min": None, "max": None}, label="no bounds (error)"),
            Case((arr(0.5, dtype),), {"min": 0.0, "max": 1.0}, label="0-d")]


register(Pair("clamp", AREA, call=lambda lib, x, min, max: x.clamp(min=min, max=max),
              ref="reference.ops.unary:clamp", source="tiny.ops.unary:Clamp",
              strategy=_clamp_case, examples=_clamp_examples, requires=("Tensor.clamp",)))

# ----- reductions ---------------------------------------------------------------------------


def reduction_examples(extra=()):
    """Shared edge cases for reductions; `extra` holds functions dtype -> Case to add."""
    def examples(dtype):
        x = ramp((2, 3, 4), dtype, 5.0)
        ties = arr([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype)
        cases = [
            Case((x,), {"dim": None, "keepdim": False}, label="all dims"),
            Case((x,), {"dim": -1, "keepdim": True}, label="negative dim, keepdim"),
            Case((x,), {"dim": (0, -1), "keepdim": False}, label="tuple of dims"),
            Case((arr(2.5, dtype),), {"dim": 0, "keepdim": False}, label="0-d, dim 0"),
            Case((ties,), {"dim": 1, "keepdim": False}, label="ties"),
            Case((ties,), {"dim": None, "keepdim": False}, label="ties, all dims"),
            Case((arr([[-300.0, 300.0, 1.0]], dtype),), {"dim": -1, "keepdim": False}, label="extremes"),
            Case((x,), {"dim": 3, "keepdim": False}, label="dim out of range (error)"),
            Case((np.zeros((0, 3), dtype),), {"dim": 0, "keepdim": False}, label="empty reduced dim"),
            Case((np.zeros((0, 3), dtype),), {"dim": 1, "keepdim": False}, label="empty kept dim"),
        ]
        return cases + [make(dtype) for make in extra]
    return examples


register(Pair("sum", AREA, call=lambda lib, x, dim, keepdim: x.sum(dim=dim, keepdim=keepdim),
              ref="reference.ops.reduce:sum", source="tiny.ops.reduce:Sum",
              strategy=lambda dtype: S.reduction(dtype),
              examples=reduction_examples(extra=(
                  lambda dtype: Case((arr([[1, 2], [3, 4]], np.int64),), {"dim": 0, "keepdim": False},
                                     label="int64 sums to int64"),
                  lambda dtype: Case((arr([True, True, False], bool),), {"dim": None, "keepdim": False},
                                     label="bool sums to int64"))),
              requires=("Tensor.sum",)))
register(Pair("mean", AREA, call=lambda lib, x, dim, keepdim: x.mean(dim=dim, keepdim=keepdim),
              ref="reference.ops.reduce:mean", source="tiny.ops.reduce:Mean",
              strategy=lambda dtype: S.reduction(dtype), examples=reduction_examples(extra=(
                  lambda dtype: Case((arr([1, 2], np.int64),), {"dim": None, "keepdim": False},
                                     label="int64 mean (error)"),)),
              requires=("Tensor.mean",)))


@st.composite
def _var_case(draw, dtype):
    case = draw(S.reduction(dtype))
    return Case(case.args, {**case.kwargs, "correction": draw(st.sampled_from([0, 1, 2]))})


def _var_examples(dtype):
    base = [Case(c.args, {**c.kwargs, "correction": 1}, label=c.label) for c in reduction_examples()(dtype)]
    x = ramp((3, 4), dtype, 2.0)
    return base + [Case((x,), {"dim": 1, "keepdim": False, "correction": 0}, label="population (correction=0)"),
                   Case((arr([[1.0], [2.0]], dtype),), {"dim": 1, "keepdim": False, "correction": 1},
                        label="one element, correction=1 (nan)")]


register(Pair("var", AREA, call=lambda lib, x, dim, keepdim, correction: x.var(dim=dim, keepdim=keepdim,
                                                                                correction=correction),
              ref="reference.ops.reduce:var", source="tiny.ops.reduce:Var",
              strategy=_var_case, examples=_var_examples, requires=("Tensor.var",)))


def _extreme_pairs(kind: str):
    largest = kind == "max"
    register(Pair(kind, AREA, call=lambda lib, x: getattr(x, kind)(),
                  ref=f"reference.ops.reduce:{kind}", source="tiny.ops.reduce:Extreme",
                  strategy=lambda dtype: S.unary(dtype),
                  examples=lambda dtype: [
                      Case((arr([[1.0, 3.0], [3.0, 3.0]], dtype),), label="three-way tie shares the gradient"),
                      Case((arr(-1.5, dtype),), label="0-d"),
                      Case((arr([-300.0, 300.0], dtype),), label="extremes"),
                      Case((np.zeros((0, 2), dtype),), label="empty (error)")],
                  requires=(f"Tensor.{kind}",)))
    register(Pair(f"{kind}_dim", AREA, call=lambda lib, x, dim, keepdim: getattr(x, kind)(dim=dim, keepdim=keepdim),
                  ref=f"reference.ops.reduce:{kind}", source="tiny.ops.reduce:ExtremeDim",
                  strategy=lambda dtype: S.reduction(dtype, allow_none=False, allow_tuple=False),
                  examples=lambda dtype: [c for c in reduction_examples()(dtype)
                                          if c.kwargs["dim"] is not None and not isinstance(c.kwargs["dim"], tuple)],
                  requires=(f"Tensor.{kind}",)))
    arg = "argmax" if largest else "argmin"
    register(Pair(arg, AREA, call=lambda lib, x, dim, keepdim: getattr(x, arg)(dim=dim, keepdim=keepdim),
                  ref=f"reference.ops.reduce:{arg}", source=f"tiny.ops.reduce:{arg}",
                  strategy=lambda dtype: S.reduction(dtype, allow_tuple=False),
                  examples=lambda dtype: [c for c in reduction_examples()(dtype)
                                          if not isinstance(c.kwargs["dim"], tuple)],
                  requires=(f"Tensor.{arg}",), differentiable=False))


_extreme_pairs("max")
_extreme_pairs("min")

# ----- shapes -------------------------------------------------------------------------------


@st.composite
def _reshape_case(draw, dtype):
    shape = draw(S.shapes())
    size = int(np.prod(shape))
    target: list[int] = []
    remaining = size
    for _ in range(draw(st.integers(0, 4))):
        if remaining == 0:
            target.append(draw(st.integers(0, 3)))
            continue
        divisors = [d for d in range(1, remaining + 1) if remaining % d == 0]
        d = draw(st.sampled_from(divisors))
        target.append(d)
        remaining //= d
    if remaining != 1 or (size == 0 and 0 not in target):
        target.append(remaining if size else 0)
    if size and target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    target = draw(st.permutations(target))
    return Case((draw(S.values(shape, dtype)),), {"shape": tuple(target)})


def _reshape_examples(dtype):
    x = ramp((2, 3), dtype)
    return [Case((x,), {"shape": (3, 2)}), Case((x,), {"shape": (-1,)}, label="-1 inferred"),
            Case((x,), {"shape": (1, 6, 1)}), Case((arr(1.0, dtype),), {"shape": (1, 1)}, label="0-d to 2-d"),
            Case((ramp((1,), dtype),), {"shape": ()}, label="to 0-d"),
            Case((np.zeros((0, 3), dtype),), {"shape": (3, 0)}, label="empty"),
            Case((x,), {"shape": (4,)}, label="wrong size (error)"),
            Case((x,), {"shape": (-1, -1)}, label="two -1 (error)")]


for _name in ("reshape", "view"):
    register(Pair(_name, AREA, call=(lambda n: lambda lib, x, shape: getattr(x, n)(shape))(_name),
                  ref=f"reference.ops.shape:{_name}", source=f"tiny.ops.shape:{_name}",
                  strategy=_reshape_case, examples=_reshape_examples, requires=(f"Tensor.{_name}",)))


@st.composite
def _transpose_case(draw, dtype):
    shape = draw(S.shapes(min_dims=1))
    dim = st.integers(-len(shape), len(shape) - 1)
    return Case((draw(S.values(shape, dtype)),), {"dim0": draw(dim), "dim1": draw(dim)})


register(Pair("transpose", AREA, call=lambda lib, x, dim0, dim1: x.transpose(dim0, dim1),
              ref="reference.ops.shape:transpose", source="tiny.ops.shape:transpose", strategy=_transpose_case,
              examples=lambda dtype: [
                  Case((ramp((2, 3), dtype),), {"dim0": 0, "dim1": 1}, label="matrix"),
                  Case((ramp((2, 3, 4), dtype),), {"dim0": -1, "dim1": 0}, label="negative dim"),
                  Case((ramp((2, 3), dtype),), {"dim0": 0, "dim1": 2}, label="dim out of range (error)")],
              requires=("Tensor.transpose",)))


@st.composite
def _permute_case(draw, dtype):
    shape = draw(S.shapes())
    dims = draw(st.permutations(list(range(len(shape)))))
    dims = [d - len(shape) if draw(st.booleans()) else d for d in dims]
    return Case((draw(S.values(shape, dtype)),), {"dims": tuple(dims)})


register(Pair("permute", AREA, call=lambda lib, x, dims: x.permute(*dims),
              ref="reference.ops.shape:permute", source="tiny.ops.shape:Permute", strategy=_permute_case,
              examples=lambda dtype: [
                  Case((ramp((2, 3, 4), dtype),), {"dims": (2, 0, 1)}),
                  Case((ramp((2, 3, 4), dtype),), {"dims": (-1, -3, -2)}, label="negative dims"),
                  Case((ramp((2, 3), dtype),), {"dims": (0, 0)}, label="repeated dim (error)")],
              requires=("Tensor.permute",)))


@st.composite
def _unsqueeze_case(draw, dtype):
    shape = draw(S.shapes())
    return Case((draw(S.values(shape, dtype)),), {"dim": draw(st.integers(-len(shape) - 1, len(shape)))})


register(Pair("unsqueeze", AREA, call=lambda lib, x, dim: x.unsqueeze(dim),
              ref="reference.ops.shape:unsqueeze", source="tiny.ops.shape:unsqueeze", strategy=_unsqueeze_case,
              examples=lambda dtype: [Case((arr(1.0, dtype),), {"dim": -1}, label="0-d"),
                                      Case((ramp((3,), dtype),), {"dim": 2}, label="out of range (error)")],
              requires=("Tensor.unsqueeze",)))


@st.composite
def _squeeze_case(draw, dtype):
    shape = draw(S.shapes(max_side=2))
    dim = draw(S.dim_choice(len(shape), allow_none=True, allow_tuple=True))
    return Case((draw(S.values(shape, dtype)),), {"dim": dim})


register(Pair("squeeze", AREA, call=lambda lib, x, dim: x.squeeze() if dim is None else x.squeeze(dim),
              ref="reference.ops.shape:squeeze", source="tiny.ops.shape:squeeze", strategy=_squeeze_case,
              examples=lambda dtype: [Case((ramp((1, 3, 1), dtype),), {"dim": None}, label="all size-1"),
                                      Case((ramp((1, 3, 1), dtype),), {"dim": 1}, label="size is not 1: no-op"),
                                      Case((ramp((1, 3, 1), dtype),), {"dim": (0, -1)}, label="tuple"),
                                      Case((arr(2.0, dtype),), {"dim": 0}, label="0-d")],
              requires=("Tensor.squeeze",)))


@st.composite
def _flatten_case(draw, dtype):
    shape = draw(S.shapes())
    nd = max(len(shape), 1)
    start = draw(st.integers(-nd, nd - 1))
    end = draw(st.integers(start % nd, nd - 1))
    if draw(st.booleans()):
        end -= nd
    return Case((draw(S.values(shape, dtype)),), {"start_dim": start, "end_dim": end})


register(Pair("flatten", AREA, call=lambda lib, x, start_dim, end_dim: x.flatten(start_dim, end_dim),
              ref="reference.ops.shape:flatten", source="tiny.ops.shape:flatten", strategy=_flatten_case,
              examples=lambda dtype: [Case((arr(1.0, dtype),), {"start_dim": 0, "end_dim": -1}, label="0-d"),
                                      Case((arr(1.0, dtype),), {"start_dim": 1, "end_dim": -1},
                                           label="0-d, dim out of range (error)"),
                                      Case((ramp((2, 3, 4), dtype),), {"start_dim": 1, "end_dim": 0},
                                           label="start after end (error)")],
              requires=("Tensor.flatten",)))


@st.composite
def _expand_case(draw, dtype):
    shape = draw(S.shapes(max_dims=3, max_side=3))
    sizes = [draw(st.sampled_from([1, 2, 3, -1])) if s == 1 else draw(st.sampled_from([s, -1])) for s in shape]
    sizes = [draw(st.integers(0, 3)) for _ in range(draw(st.integers(0, 2)))] + sizes
    return Case((draw(S.values(shape, dtype)),), {"sizes": tuple(sizes)})


register(Pair("expand", AREA, call=lambda lib, x, sizes: x.expand(*sizes),
              ref="reference.ops.shape:expand", source="tiny.ops.shape:Expand", strategy=_expand_case,
              examples=lambda dtype: [Case((ramp((3, 1), dtype),), {"sizes": (2, 3, 4)}, label="new leading dim"),
                                      Case((arr(1.0, dtype),), {"sizes": (2, 2)}, label="0-d"),
                                      Case((ramp((2, 3), dtype),), {"sizes": (3, 3)}, label="non-singleton (error)")],
              requires=("Tensor.expand",)))

# ----- indexing -----------------------------------------------------------------------------


@st.composite
def _basic_index(draw, shape):
    """A tuple of slices, ints, None and at most one Ellipsis that is valid for `shape`."""
    parts: list = []
    dims = list(shape)
    used_ellipsis = False
    while dims:
        kind = draw(st.sampled_from(["slice", "slice", "int", "none", "ellipsis", "stop"]))
        if kind == "stop":
            break
        if kind == "none":
            parts.append(None)
        elif kind == "ellipsis" and not used_ellipsis:
            parts.append(Ellipsis)
            used_ellipsis = True
            dims = dims[draw(st.integers(0, len(dims))):]
        elif kind == "int" and dims[0] > 0:
            parts.append(draw(st.integers(-dims[0], dims[0] - 1)))
            dims.pop(0)
        else:
            bound = st.one_of(st.none(), st.integers(-dims[0] - 1, dims[0] + 1))
            parts.append(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2]))))
            dims.pop(0)
    return tuple(parts)


@st.composite
def _getitem_case(draw, dtype):
    shape = draw(S.shapes(min_dims=1, max_dims=3))
    x = draw(S.values(shape, dtype))
    kind = draw(st.sampled_from(["basic", "int array", "int array", "bool mask"]))
    if kind == "basic":
        return Case((x,), {"spec": IndexSpec(draw(_basic_index(shape)))}, label="basic")
    if kind == "bool mask":
        k = draw(st.integers(1, len(shape)))
        mask = draw(S.hnp.arrays(bool, shape[:k]))
        return Case((x, mask), {"spec": IndexSpec((TensorSlot(0),))}, label="bool mask")
    if shape[0] == 0:
        return Case((x,), {"spec": IndexSpec((slice(None),))})
    index_shape = draw(S.shapes(min_dims=1, max_dims=2, max_side=5))
    index = draw(S.hnp.arrays(np.int64, index_shape, elements=st.integers(-shape[0], shape[0] - 1)))
    template = (TensorSlot(0),) if draw(st.booleans()) else (TensorSlot(0), Ellipsis)
    return Case((x, index), {"spec": IndexSpec(template)}, label="int array (repeats accumulate)")


def _getitem_examples(dtype):
    x = ramp((3, 4), dtype)
    rows, cols = arr([0, 2, 2], np.int64), arr([1, 1, 3], np.int64)
    return [
        Case((x,), {"spec": IndexSpec((1,))}, label="int"),
        Case((x,), {"spec": IndexSpec((slice(None), -1))}, label="negative int"),
        Case((x,), {"spec": IndexSpec((None, Ellipsis, slice(1, None, 2)))}, label="None, ..., step"),
        Case((x, rows, cols), {"spec": IndexSpec((TensorSlot(0), TensorSlot(1)))}, label="two int arrays"),
        Case((x, arr([0, 0, 0], np.int64)), {"spec": IndexSpec((TensorSlot(0),))}, label="repeated rows"),
        Case((x, x > 0), {"spec": IndexSpec((TensorSlot(0),))}, label="bool mask"),
        Case((x, cols), {"spec": IndexSpec((slice(None), TensorSlot(0)))}, label="slice then int array"),
        Case((x,), {"spec": IndexSpec((3,))}, label="out of bounds (error)"),
        Case((x, arr([0.0], dtype)), {"spec": IndexSpec((TensorSlot(0),))}, label="float index (error)"),
    ]


register(Pair("getitem", AREA, call=lambda lib, x, *parts, spec: x[spec.build(parts)],
              ref="reference.ops.index:getitem", source="tiny.ops.index:GetItem", strategy=_getitem_case,
              examples=_getitem_examples, requires=("Tensor.__getitem__",)))


@st.composite
def _where_case(draw, dtype):
    sc, sx, sy = draw(S.broadcast_shapes(3))
    cond = draw(S.hnp.arrays(bool, sc))
    x = draw(st.one_of(S.values(sx, dtype), st.floats(-5, 5)))
    y = draw(S.values(sy, dtype))
    return Case((cond, x, y))


register(Pair("where", AREA, call=lambda lib, c, x, y: lib.where(c, x, y), ref="reference.ops.index:where",
              source="tiny.ops.index:Where", strategy=_where_case,
              examples=lambda dtype: [
                  Case((arr([True, False, True], bool), ramp((2, 3), dtype), arr(0.5, dtype)), label="broadcast"),
                  Case((arr([1.0, 0.0], dtype), ramp((2,), dtype), ramp((2,), dtype)),
                       label="float condition (error)")],
              requires=("where",)))


@st.composite
def _masked_fill_case(draw, dtype):
    shape = draw(S.shapes())
    mask_shape = tuple(s if draw(st.booleans()) else 1 for s in shape[draw(st.integers(0, len(shape))):])
    value = draw(st.sampled_from([0.0, -1e9, float("-inf"), 2.5]))
    return Case((draw(S.values(shape, dtype)), draw(S.hnp.arrays(bool, mask_shape))), {"value": value})


register(Pair("masked_fill", AREA, call=lambda lib, x, mask, value: x.masked_fill(mask, value),
              ref="reference.ops.index:masked_fill", source="tiny.ops.index:masked_fill",
              strategy=_masked_fill_case,
              examples=lambda dtype: [
                  Case((ramp((2, 3), dtype), arr([[True], [False]], bool)), {"value": float("-inf")},
                       label="-inf (attention masks)"),
                  Case((ramp((2, 3), dtype), arr([1, 0, 1], np.int64)), {"value": 0.0}, label="int mask (error)"),
                  Case((ramp((2, 3), dtype), np.ones((4, 3), bool)), {"value": 0.0}, label="wrong shape (error)")],
              requires=("Tensor.masked_fill",)))

# ----- joining ------------------------------------------------------------------------------


@st.composite
def _cat_case(draw, dtype, new_dim: bool):
    shape = list(draw(S.shapes(min_dims=1, max_dims=3)))
    n = draw(st.integers(1, 3))
    if new_dim:
        dim = draw(st.integers(-len(shape) - 1, len(shape)))
        arrays = [draw(S.values(tuple(shape), dtype)) for _ in range(n)]
    else:
        dim = draw(st.integers(-len(shape), len(shape) - 1))
        arrays = []
        for _ in range(n):
            shape[dim] = draw(st.integers(0, 3))
            arrays.append(draw(S.values(tuple(shape), dtype)))
    return Case(tuple(arrays), {"dim": dim})


register(Pair("cat", AREA, call=lambda lib, *xs, dim: lib.cat(list(xs), dim=dim), ref="reference.ops.join:cat",
              source="tiny.ops.join:Cat", strategy=lambda dtype: _cat_case(dtype, False),
              examples=lambda dtype: [
                  Case((ramp((2, 3), dtype), ramp((2, 1), dtype)), {"dim": -1}, label="negative dim"),
                  Case((ramp((2, 3), dtype), np.zeros((0,), dtype)), {"dim": 0}, label="1-D empty is skipped"),
                  Case((ramp((2, 3), dtype), arr([[1.0, 2.0]], np.float64)), {"dim": 0}, label="mismatch (error)"),
                  Case((ramp((2, 3), np.float32), ramp((1, 3), np.float64)), {"dim": 0}, label="dtype promotion")],
              requires=("cat",)))
register(Pair("stack", AREA, call=lambda lib, *xs, dim: lib.stack(list(xs), dim=dim),
              ref="reference.ops.join:stack", source="tiny.ops.join:stack",
              strategy=lambda dtype: _cat_case(dtype, True),
              examples=lambda dtype: [
                  Case((arr(1.0, dtype), arr(2.0, dtype)), {"dim": 0}, label="0-d"),
                  Case((ramp((2, 3), dtype), ramp((2, 3), dtype)), {"dim": -1}, label="negative dim"),
                  Case((ramp((2, 3), dtype), ramp((3, 2), dtype)), {"dim": 0}, label="unequal shapes (error)")],
              requires=("stack",)))

# ----- matmul -------------------------------------------------------------------------------


@st.composite
def _matmul_case(draw, dtype):
    n, k, m = draw(st.integers(0, 4)), draw(st.integers(0, 4)), draw(st.integers(0, 4))
    form = draw(st.sampled_from(["1d@1d", "2d@1d", "1d@2d", "2d@2d", "batched", "batched", "batched@1d"]))
    if form == "batched" or form == "batched@1d":
        ba, bb = draw(S.hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)).input_shapes
        sa = ba + (n, k)
        sb = (k,) if form == "batched@1d" else bb + (k, m)
    else:
        left, right = form.split("@")
        sa = (k,) if left == "1d" else (n, k)
        sb = (k,) if right == "1d" else (k, m)
    return Case((draw(S.values(sa, dtype, -3, 3)), draw(S.values(sb, dtype, -3, 3))))


register(Pair("matmul", AREA, call=lambda lib, a, b: a @ b, ref="reference.ops.matmul:matmul",
              source="tiny.ops.matmul:MatMul", strategy=_matmul_case,
              examples=lambda dtype: [
                  Case((ramp((2, 3), dtype), ramp((3, 4), dtype)), label="2-d"),
                  Case((ramp((3, 3), dtype), ramp((3, 3), dtype, 2.0)), label="square (catches transposes)"),
                  Case((ramp((2, 1, 2, 3), dtype), ramp((4, 3, 2), dtype)), label="broadcast batch"),
                  Case((ramp((2, 3), dtype), ramp((4, 5), dtype)), label="inner dims differ (error)"),
                  Case((arr(1.0, dtype), ramp((2,), dtype)), label="0-d (error)")],
              requires=("Tensor.__matmul__",)))

# ----- comparisons --------------------------------------------------------------------------
COMPARISONS = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}


@st.composite
def _comparison_case(draw, dtype):
    """Rounded values, so equal elements are common."""
    case = draw(S.binary(dtype, -3, 3))
    return Case(tuple(np.round(a) if isinstance(a, np.ndarray) else a for a in case.args), label=case.label)


for _name, _dunder in COMPARISONS.items():
    register(Pair(_name, AREA, call=(lambda fn: lambda lib, a, b: fn(a, b))(getattr(operator, _name)),
                  ref=f"reference.ops.compare:{_name}", source="tiny.ops.compare:_compare",
                  strategy=_comparison_case,
                  examples=lambda dtype: [Case((arr([1.0, 2.0, 3.0], dtype), arr([2.0, 2.0, 2.0], dtype)),
                                               label="equal elements"),
                                          Case((arr([1, 2, 3], np.int64), 2.0), label="int64 vs float")],
                  requires=(f"Tensor.{_dunder}",), differentiable=False))

# ----- constructors -------------------------------------------------------------------------


def _dtype_arg(lib, dtype):
    return None if dtype is None else getattr(lib, dtype)


@st.composite
def _constructor_case(draw, dtype):
    return Case((), {"size": draw(S.shapes()), "dtype": draw(st.sampled_from([None, dtype, "int64"]))})


for _name in ("zeros", "ones"):
    register(Pair(_name, AREA, call=(lambda n: lambda lib, size, dtype: getattr(lib, n)(
                      *size, dtype=_dtype_arg(lib, dtype)))(_name),
                  ref=f"reference.creation:{_name}", source=f"tiny.creation:{_name}",
                  strategy=_constructor_case, requires=(_name, "float32", "int64"), differentiable=False,
                  max_examples=10,
                  examples=lambda dtype: [Case((), {"size": (2, 3), "dtype": None}, label="default float32"),
                                          Case((), {"size": (), "dtype": "int64"}, label="0-d int64"),
                                          Case((), {"size": (0, 2), "dtype": dtype}, label="empty")]))


@st.composite
def _full_case(draw, dtype):
    fill = draw(st.one_of(st.floats(-5, 5, allow_subnormal=False), st.integers(-5, 5), st.booleans()))
    return Case((), {"size": draw(S.shapes()), "fill_value": fill})


register(Pair("full", AREA, call=lambda lib, size, fill_value: lib.full(size, fill_value),
              ref="reference.creation:full", source="tiny.creation:full", strategy=_full_case,
              examples=lambda dtype: [Case((), {"size": (2,), "fill_value": 1.5}, label="float -> float32"),
                                      Case((), {"size": (2,), "fill_value": 3}, label="int -> int64"),
                                      Case((), {"size": (), "fill_value": True}, label="bool -> bool")],
              requires=("full",), differentiable=False, max_examples=10))


@st.composite
def _arange_case(draw, dtype):
    number = st.one_of(st.integers(-6, 6), st.floats(-6, 6, allow_subnormal=False).map(lambda v: round(v, 2)))
    start, end = draw(number), draw(number)
    step = draw(st.sampled_from([1, 2, -1, 0.5, -0.75]))
    if (end - start) * step < 0:
        start, end = end, start
    return Case((), {"start": start, "end": end, "step": step})


register(Pair("arange", AREA, call=lambda lib, start, end, step: lib.arange(start, end, step),
              ref="reference.creation:arange", source="tiny.creation:arange", strategy=_arange_case,
              examples=lambda dtype: [Case((), {"start": 0, "end": 5, "step": 1}, label="ints give int64"),
                                      Case((), {"start": 0, "end": 1, "step": 0.1}, label="floats give float32"),
                                      Case((), {"start": 0, "end": 5, "step": 0}, label="zero step (error)")],
              requires=("arange",), differentiable=False, max_examples=20))


@st.composite
def _tensor_case(draw, dtype):
    kind = draw(st.sampled_from(["float", "int", "bool", "nested"]))
    if kind == "nested":
        data = draw(st.lists(st.lists(st.integers(-3, 3), min_size=2, max_size=2), min_size=1, max_size=3))
    else:
        element = {"float": st.floats(-5, 5, allow_subnormal=False), "int": st.integers(-5, 5),
                   "bool": st.booleans()}[kind]
        data = draw(st.one_of(element, st.lists(element, max_size=4)))
    return Case((), {"data": data})


register(Pair("tensor", AREA, call=lambda lib, data: lib.tensor(data), ref="reference.creation:tensor",
              source="tiny.creation:tensor", strategy=_tensor_case,
              examples=lambda dtype: [Case((), {"data": [1, 2.5]}, label="mixed int/float -> float32"),
                                      Case((), {"data": []}, label="empty list -> float32")],
              requires=("tensor",), differentiable=False, max_examples=15))

# ----- the same ops through their other spellings: tiny.sum(x) and x.add(y) ------------------


def _first_is_tensor(case: Case) -> bool:
    return bool(case.args) and isinstance(case.args[0], np.ndarray)


def register_variant(base_name: str, name: str, call, requires: tuple) -> None:
    """Reuse a pair's twin, strategy and edge cases with another spelling of the same op."""
    from difftests.registry import REGISTRY

    base = REGISTRY[base_name]
    register(Pair(name, AREA, call=call, ref=base.ref, source=base.source,
                  strategy=lambda dtype: base.strategy(dtype).filter(_first_is_tensor),
                  examples=lambda dtype: [c for c in base.examples(dtype) if _first_is_tensor(c)],
                  requires=requires, differentiable=base.differentiable, tolerance=base.tolerance,
                  tolerance_reason=base.tolerance_reason, max_examples=10))


BINARY_FUNCTIONS = ["add", "sub", "mul", "div", "pow", "eq", "ne", "lt", "le", "gt", "ge"]
for _name in BINARY_FUNCTIONS:
    register_variant(_name, f"fn_{_name}", (lambda n: lambda lib, a, b: getattr(lib, n)(a, b))(_name), (_name,))
    register_variant(_name, f"method_{_name}", (lambda n: lambda lib, a, b: getattr(a, n)(b))(_name),
                     (f"Tensor.{_name}",))
register_variant("matmul", "fn_matmul", lambda lib, a, b: lib.matmul(a, b), ("matmul",))
register_variant("matmul", "method_matmul", lambda lib, a, b: a.matmul(b), ("Tensor.matmul",))
register_variant("neg", "fn_neg", lambda lib, x: lib.neg(x), ("neg",))
register_variant("neg", "method_neg", lambda lib, x: x.neg(), ("Tensor.neg",))

for _name, _low, _high in UNARY:
    register_variant(_name, f"fn_{_name}", (lambda n: lambda lib, x: getattr(lib, n)(x))(_name), (_name,))
register_variant("clamp", "fn_clamp", lambda lib, x, min, max: lib.clamp(x, min=min, max=max), ("clamp",))
for _name in ("sum", "mean", "argmax", "argmin"):
    register_variant(_name, f"fn_{_name}", (lambda n: lambda lib, x, dim, keepdim: getattr(lib, n)(
        x, dim=dim, keepdim=keepdim))(_name), (_name,))
for _name in ("max", "min"):
    register_variant(f"{_name}_dim", f"fn_{_name}", (lambda n: lambda lib, x, dim, keepdim: getattr(lib, n)(
        x, dim=dim, keepdim=keepdim))(_name), (_name,))
register_variant("var", "fn_var", lambda lib, x, dim, keepdim, correction: lib.var(
    x, dim=dim, keepdim=keepdim, correction=correction), ("var",))
register_variant("reshape", "fn_reshape", lambda lib, x, shape: lib.reshape(x, shape), ("reshape",))
register_variant("transpose", "fn_transpose", lambda lib, x, dim0, dim1: lib.transpose(x, dim0, dim1),
                 ("transpose",))
register_variant("permute", "fn_permute", lambda lib, x, dims: lib.permute(x, dims), ("permute",))
register_variant("unsqueeze", "fn_unsqueeze", lambda lib, x, dim: lib.unsqueeze(x, dim), ("unsqueeze",))
register_variant("squeeze", "fn_squeeze", lambda lib, x, dim: lib.squeeze(x) if dim is None else
                 lib.squeeze(x, dim), ("squeeze",))
register_variant("flatten", "fn_flatten", lambda lib, x, start_dim, end_dim: lib.flatten(x, start_dim, end_dim),
                 ("flatten",))
register_variant("masked_fill", "fn_masked_fill", lambda lib, x, mask, value: lib.masked_fill(x, mask, value),
                 ("masked_fill",))


@st.composite
def _matrix_case(draw, dtype, min_dims: int):
    return Case((draw(S.values(draw(S.shapes(min_dims=min_dims, max_dims=min_dims + 1)), dtype)),))


register(Pair("T", AREA, call=lambda lib, x: x.T, ref="reference.ops.shape:matrix_T",
              source="tiny.tensor:Tensor.T", strategy=lambda dtype: _matrix_case(dtype, 2).filter(
                  lambda c: c.args[0].ndim == 2),
              examples=lambda dtype: [Case((ramp((2, 3), dtype),))], requires=("Tensor.T",)))
register(Pair("mT", AREA, call=lambda lib, x: x.mT, ref="reference.ops.shape:batch_mT",
              source="tiny.tensor:Tensor.mT", strategy=lambda dtype: _matrix_case(dtype, 2),
              examples=lambda dtype: [Case((ramp((2, 3, 4), dtype),))], requires=("Tensor.mT",)))
register(Pair("clone", AREA, call=lambda lib, x: x.clone(), ref="reference.ops.arithmetic:clone",
              source="tiny.tensor:Tensor.clone", strategy=lambda dtype: S.unary(dtype),
              examples=unary_examples(-10, 10), requires=("Tensor.clone",)))

# Public names whose behaviour is not a value to compare op by op; each is tested elsewhere.
_API = "difftests/test_tensor_api.py: compared with torch"
_AUTOGRAD = "difftests/test_autograd.py: engine behaviour compared with torch.autograd"
COVERED_ELSEWHERE = {
    **{f"Tensor.{n}": _API for n in ["shape", "size", "dim", "ndim", "numel", "dtype", "tolist", "item",
                                     "numpy", "is_floating_point", "float", "double", "long", "bool",
                                     "is_leaf", "requires_grad_", "fill_", "zero_", "data", "grad_fn",
                                     "requires_grad", "contiguous"]},
    **{n: _API for n in ["randn", "rand", "randint", "manual_seed", "empty", "zeros_like", "ones_like",
                         "full_like", "randn_like", "rand_like", "set_grad_enabled", "enable_grad",
                         "is_grad_enabled", "grad_enabled", "DType", "float32", "float64", "int64", "int32",
                         "int16", "int8", "uint8", "bool"]},
    "Tensor": _API,
    **{n: _AUTOGRAD for n in ["Tensor.backward", "Tensor.detach", "Tensor.grad", "no_grad",
                              "autograd.Function", "autograd.no_grad", "autograd.grad_enabled"]},
    **{f"autograd.{n}": _API for n in ["enable_grad", "is_grad_enabled", "set_grad_enabled"]},
}


# ----- overloads torch accepts that the pairs above never call (found with torch's OpInfo samples) ---------
@st.composite
def _clamp_tensors_case(draw, dtype):
    """x, min, max broadcastable; either bound may be a number or None (not both None)."""
    x_shape, low_shape, high_shape = draw(S.broadcast_shapes(3))
    x = draw(S.values(x_shape, dtype))
    low = draw(st.one_of(S.values(low_shape, dtype), st.none(), st.floats(-5, 5, allow_subnormal=False)))
    high = draw(st.one_of(S.values(high_shape, dtype), st.none()))
    if low is None and high is None:
        high = draw(S.values(high_shape, dtype))
    return Case((x, low, high))


def _clamp_tensors_examples(dtype):
    x = arr([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 1.5, -300.0, 300.0], dtype)
    low = arr([1.0, 1.0, 1.0, 3.0, 5.0, 6.0, 2.0, -1.0, 1.0], dtype)
    high = arr([3.0, 3.0, 1.0, 3.0, 4.0, 2.0, 1.0, 1.0, 1.0], dtype)
    grid = ramp((2, 3, 4), dtype, 3.0)
    return [Case((x, low, high), label="ties at both bounds, min > max"),
            Case((grid, arr([[-1.0], [0.0], [1.0]], dtype), arr([2.0, 0.5, 1.0, 3.0], dtype)),
                 label="bounds broadcast against x"),
            Case((arr([0.5, 2.0], dtype), ramp((3, 1), dtype), None), label="min enlarges x's shape"),
            Case((grid, arr(-1.0, dtype), 1.5), label="0-d Tensor min, number max"),
            Case((grid, None, ramp((3, 4), dtype)), label="max only"),
            Case((arr([1, 5, 9], np.int64), arr(2.5, dtype), None), label="int64 x, float bound: promoted"),
            Case((grid, np.ones((5,), dtype), None), label="shapes not broadcastable (error)")]


register(Pair("clamp_tensor_bounds", AREA, call=lambda lib, x, min, max: x.clamp(min, max),
              ref="reference.ops.unary:clamp", source="tiny.ops.unary:Clamp",
              strategy=_clamp_tensors_case, examples=_clamp_tensors_examples, requires=("Tensor.clamp",)))
register_variant("clamp_tensor_bounds", "fn_clamp_tensor_bounds", lambda lib, x, min, max: lib.clamp(x, min, max),
                 ("clamp",))


@st.composite
def _one_bound_case(draw, dtype):
    x_shape, bound_shape = draw(S.broadcast_shapes(2))
    bound = draw(st.one_of(S.values(bound_shape, dtype), st.floats(-5, 5, allow_subnormal=False),
                           st.integers(-5, 5)))
    return Case((draw(S.values(x_shape, dtype)), bound))


def _one_bound_examples(dtype):
    x = arr([-2.0, -1.0, 0.0, 1.0, 2.0, -300.0, 300.0], dtype)
    return [Case((x, arr([-1.0, -1.0, 0.0, 2.0, 1.0, 0.0, 0.0], dtype)), label="ties with a Tensor bound"),
            Case((x, 0.0), label="number bound"),
            Case((ramp((2, 1), dtype), ramp((3,), dtype)), label="bound enlarges x's shape"),
            Case((arr(0.5, dtype), arr(1.0, dtype)), label="0-d"),
            Case((x, None), label="None (error)")]


for _kind in ("min", "max"):
    register(Pair(f"clamp_{_kind}", AREA, call=(lambda k: lambda lib, x, bound: getattr(x, f"clamp_{k}")(bound))(_kind),
                  ref=f"reference.ops.unary:clamp_{_kind}", source="tiny.ops.unary:Clamp",
                  strategy=_one_bound_case, examples=_one_bound_examples, requires=(f"Tensor.clamp_{_kind}",)))


def _masked_fill_broadcast_examples(dtype):
    return [Case((ramp((3,), dtype), arr([[True, False, True], [False, False, True]], bool)), {"value": -1.5},
                 label="mask (2, 3) enlarges input (3,)"),
            Case((ramp((2, 1), dtype), arr([True, False, True], bool)), {"value": 0.0},
                 label="input (2, 1) and mask (3,) broadcast to (2, 3)"),
            Case((arr(2.0, dtype), arr([[True], [False]], bool)), {"value": float("-inf")}, label="0-d input"),
            Case((ramp((2, 3), dtype), np.ones((2, 2), bool)), {"value": 0.0}, label="not broadcastable (error)")]


@st.composite
def _masked_fill_broadcast_case(draw, dtype):
    x_shape, mask_shape = draw(S.broadcast_shapes(2))
    return Case((draw(S.values(x_shape, dtype)), draw(S.hnp.arrays(bool, mask_shape))),
                {"value": draw(st.sampled_from([0.0, -1e9, 2.5]))})


register(Pair("masked_fill_broadcast_input", AREA, call=lambda lib, x, mask, value: x.masked_fill(mask, value),
              ref="reference.ops.index:masked_fill", source="tiny.ops.index:masked_fill",
              strategy=_masked_fill_broadcast_case, examples=_masked_fill_broadcast_examples,
              requires=("Tensor.masked_fill",)))


def _std_examples(dtype):
    """var's cases, plus constant groups whose mean is exact: std is exactly 0 on both sides, so the gradient is
    torch's 0 (grad / (2 std) is defined as 0 where std == 0)."""
    return [*_var_examples(dtype),
            Case((arr([[5.0, 5.0, 5.0], [1.0, 2.0, 4.0]], dtype),), {"dim": 1, "keepdim": False, "correction": 1},
                 label="a constant row: std 0, gradient 0"),
            Case((arr([-0.5, -0.5, -0.5, -0.5], dtype),), {"dim": None, "keepdim": False, "correction": 0},
                 label="constant input, full reduction")]


def without_constant_groups(x: np.ndarray, dim) -> np.ndarray:
    """x with the first element of every constant group of >= 2 values (along `dim`; None: all) raised by 1.

    std is not differentiable where it is 0: torch's gradient there is 0 when its std rounds to exactly 0
    and rounding noise of order 1 when it does not (3 x 0.1 has a mean of 0.10000000000000002), depending
    on its reduction path. Property inputs keep their ties but never a whole constant group; the named
    examples cover constant groups whose mean is exact."""
    if x.ndim == 0 or x.size == 0:
        return x
    axes = tuple(range(x.ndim)) if dim is None else tuple(d % x.ndim for d in (dim if isinstance(dim, tuple) else (dim,)))
    if int(np.prod([x.shape[a] for a in axes])) < 2:
        return x
    constant = x.max(axis=axes, keepdims=True) == x.min(axis=axes, keepdims=True)
    first = np.zeros(x.shape, bool)
    first[tuple(slice(0, 1) if a in axes else slice(None) for a in range(x.ndim))] = True
    return np.where(constant & first, x + 1, x).astype(x.dtype)


@st.composite
def _std_case(draw, dtype):
    case = draw(_var_case(dtype))
    return Case((without_constant_groups(case.args[0], case.kwargs.get("dim")),), case.kwargs)


register(Pair("std", AREA, call=lambda lib, x, dim, keepdim, correction: x.std(dim=dim, keepdim=keepdim,
                                                                                correction=correction),
              ref="reference.ops.reduce:std", source="tiny.ops.reduce:std",
              strategy=_std_case, examples=_std_examples, requires=("Tensor.std",)))
register_variant("std", "fn_std", lambda lib, x, dim, keepdim, correction: lib.std(
    x, dim=dim, keepdim=keepdim, correction=correction), ("std",))


def _bare_examples(dtype):
    """A student who divides by N by default fails every case here (torch divides by N - 1)."""
    return [Case((ramp((3, 4), dtype, 2.0),), label="(3, 4)"), Case((arr([1.0, 2.0, 4.0], dtype),), label="3 values"),
            Case((arr([[1.5]], dtype),), label="one element (nan)"), Case((arr(2.0, dtype),), label="0-d (nan)")]


def _unbiased_examples(dtype):
    x = ramp((3, 4), dtype, 2.0)
    return [Case((x, True), label="var(True)"), Case((x, False), label="var(False): population"),
            Case((arr([[1.5]], dtype), True), label="one element, unbiased (nan)")]


@st.composite
def _unbiased_case(draw, dtype, kind: str):
    x = draw(S.values(draw(S.shapes()), dtype))
    return Case((without_constant_groups(x, None) if kind == "std" else x, draw(st.booleans())))


@st.composite
def _bare_case(draw, dtype, kind: str):
    x = draw(S.values(draw(S.shapes()), dtype))
    return Case((without_constant_groups(x, None) if kind == "std" else x,))


for _kind in ("var", "std"):
    register(Pair(f"{_kind}_bare", AREA, call=(lambda k: lambda lib, x: getattr(x, k)())(_kind),
                  ref=f"reference.ops.reduce:{_kind}_bare", source=f"tiny.ops.reduce:{_kind}",
                  strategy=(lambda k: lambda dtype: _bare_case(dtype, k))(_kind), examples=_bare_examples,
                  requires=(f"Tensor.{_kind}",)))
    register(Pair(f"{_kind}_unbiased_positional", AREA,
                  call=(lambda k: lambda lib, x, unbiased: getattr(x, k)(unbiased))(_kind),
                  ref=f"reference.ops.reduce:{_kind}_unbiased", source=f"tiny.ops.reduce:{_kind}",
                  strategy=(lambda k: lambda dtype: _unbiased_case(dtype, k))(_kind), examples=_unbiased_examples,
                  requires=(f"Tensor.{_kind}",)))


def _extremum_examples(dtype):
    return [Case((arr([1.0, 2.0, 3.0, -300.0], dtype), arr([1.0, 3.0, 2.0, 300.0], dtype)),
                 label="tie splits the gradient in half"),
            Case((ramp((2, 1, 3), dtype), ramp((4, 1), dtype)), label="broadcast"),
            Case((arr(1.0, dtype), ramp((3,), dtype)), label="0-d against 1-d"),
            Case((ramp((2, 3), dtype), np.ones((4,), dtype)), label="not broadcastable (error)")]


@st.composite
def _two_tensors_case(draw, dtype):
    sa, sb = draw(S.broadcast_shapes(2))
    return Case((draw(S.values(sa, dtype)), draw(S.values(sb, dtype))))


for _kind in ("max", "min"):
    register(Pair(f"{_kind}_binary", AREA, call=(lambda k: lambda lib, a, b: getattr(a, k)(b))(_kind),
                  ref=f"reference.ops.reduce:{_kind}_binary", source="tiny.ops.extremum:Extremum",
                  strategy=_two_tensors_case, examples=_extremum_examples, requires=(f"Tensor.{_kind}",)))
    register_variant(f"{_kind}_binary", f"fn_{_kind}_binary", (lambda k: lambda lib, a, b: getattr(lib, k)(a, b))(_kind),
                     (_kind,))


@st.composite
def _rounded_div_case(draw, dtype):
    case = draw(S.binary(dtype, rhs_low=0.5, rhs_high=10.0))
    return Case(case.args, {"rounding_mode": draw(st.sampled_from(["trunc", "floor"]))}, label=case.label)


def _rounded_div_examples(dtype):
    a, b = arr([5.0, -5.0, 7.0, -7.5, 0.0, 300.0], dtype), arr([2.0, 2.0, -2.0, 2.5, 3.0, -7.0], dtype)
    ints_a, ints_b = arr([5, -5, 7, -7, 0], np.int64), arr([2, 2, -2, 3, 3], np.int64)
    return [Case((a, b), {"rounding_mode": mode}, label=f"{mode}: signs") for mode in ("trunc", "floor")] + [
        Case((ints_a, ints_b), {"rounding_mode": mode}, label=f"{mode}: int64 stays int64")
        for mode in ("trunc", "floor")] + [
        Case((a, 2.0), {"rounding_mode": "floor"}, label="number divisor"),
        Case((a, b), {"rounding_mode": "round"}, label="unknown rounding_mode (error)")]


register(Pair("div_rounding_mode", AREA,
              call=lambda lib, a, b, rounding_mode: (a if hasattr(a, "div") else lib.tensor(a)).div(
                  b, rounding_mode=rounding_mode) if hasattr(a, "div") else lib.div(a, b, rounding_mode=rounding_mode),
              ref="reference.ops.arithmetic:div_rounded", source="tiny.ops.arithmetic:RoundedDiv",
              strategy=_rounded_div_case, examples=_rounded_div_examples, requires=("Tensor.div", "div")))


def _dtype_examples(dtype):
    return [Case((arr([[1, 2, 3], [4, 5, 6]], np.int64),), {"dim": 0, "dtype": "float64"}, label="int64 -> float64"),
            Case((ramp((2, 3), dtype),), {"dim": None, "dtype": "float64"}, label="upcast before the reduction"),
            Case((ramp((2, 3), dtype),), {"dim": 1, "dtype": "float32"}, label="cast to float32")]


@st.composite
def _dtype_case(draw, dtype):
    x = draw(S.values(draw(S.shapes()), dtype))
    return Case((x,), {"dim": None, "dtype": draw(st.sampled_from(["float32", "float64"]))})


for _kind in ("sum", "mean"):
    register(Pair(f"{_kind}_dtype", AREA,
                  call=(lambda k: lambda lib, x, dim, dtype: getattr(x, k)(dim, dtype=getattr(lib, dtype)))(_kind),
                  ref=f"reference.ops.reduce:{_kind}_dtype", source=f"tiny.ops.reduce:{_kind}",
                  strategy=_dtype_case, examples=_dtype_examples,
                  requires=(f"Tensor.{_kind}", "float32", "float64")))


@st.composite
def _condition_case(draw, dtype):
    return Case((draw(S.hnp.arrays(bool, draw(S.shapes()))),))


register(Pair("where_indices", AREA, call=lambda lib, condition: lib.where(condition),
              ref="reference.ops.index:where_indices", source="tiny.ops.index:where", strategy=_condition_case,
              examples=lambda dtype: [Case((arr([[True, False, True], [False, False, True]], bool),), label="2-D"),
                                      Case((arr(True, bool),), label="0-d"),
                                      Case((np.zeros((0, 2), bool),), label="empty")],
              differentiable=False, requires=("where",)))
