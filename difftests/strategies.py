"""Hypothesis strategies for difftest inputs: shapes (broadcasting, size-1, empty, 0-d) and values."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from difftests.cases import Case

MAX_DIMS = 4
MAX_SIDE = 4


def shapes(min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 0,
           max_side: int = MAX_SIDE) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def values(shape, dtype: str, low: float = -10.0, high: float = 10.0) -> st.SearchStrategy:
    """Float arrays drawn in float64 then cast; hypothesis repeats values often, which gives ties."""
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return hnp.arrays(np.float64, shape, elements=elements).map(lambda a: a.astype(dtype))


def broadcast_shapes(n: int, min_dims: int = 0, min_side: int = 0) -> st.SearchStrategy:
    return hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=min_dims, max_dims=MAX_DIMS,
                                             min_side=min_side, max_side=MAX_SIDE).map(lambda r: r.input_shapes)


@st.composite
def unary(draw, dtype: str, low: float = -10.0, high: float = 10.0, **kwargs) -> Case:
    x = draw(values(draw(shapes()), dtype, low, high))
    return Case((x,), dict(kwargs))


@st.composite
def binary(draw, dtype: str, low: float = -10.0, high: float = 10.0, rhs_low: float | None = None,
           rhs_high: float | None = None) -> Case:
    """Two broadcastable arrays, or an array and a Python number on either side (reflected ops)."""
    rlow = low if rhs_low is None else rhs_low
    rhigh = high if rhs_high is None else rhs_high
    form = draw(st.sampled_from(["tensors", "tensors", "tensors", "scalar_right", "scalar_left"]))
    if form == "tensors":
        sa, sb = draw(broadcast_shapes(2))
        return Case((draw(values(sa, dtype, low, high)), draw(values(sb, dtype, rlow, rhigh))))
    number = st.floats(rlow if form == "scalar_right" else low, rhigh if form == "scalar_right" else high,
                       allow_nan=False, allow_subnormal=False)
    scalar = draw(st.one_of(number, number.map(round)))
    if form == "scalar_right":
        return Case((draw(values(draw(shapes()), dtype, low, high)), scalar), label="tensor op number")
    return Case((scalar, draw(values(draw(shapes()), dtype, rlow, rhigh))), label="number op tensor")


def dim_choice(ndim: int, allow_none: bool = True, allow_tuple: bool = True) -> st.SearchStrategy:
    """None, an int in [-ndim, ndim), or a tuple of distinct dims (negative allowed)."""
    options = []
    if allow_none:
        options.append(st.none())
    if ndim == 0:
        options.append(st.sampled_from([0, -1]))
    else:
        single = st.integers(-ndim, ndim - 1)
        options.append(single)
        if allow_tuple:
            options.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
                lambda ds: st.tuples(*[st.sampled_from([d, d - ndim]) for d in ds])))
    return st.one_of(*options)


@st.composite
def reduction(draw, dtype: str, allow_none: bool = True, allow_tuple: bool = True,
              nonempty: bool = False) -> Case:
    shape = draw(shapes(min_side=1 if nonempty else 0))
    x = draw(values(shape, dtype))
    dim = draw(dim_choice(len(shape), allow_none, allow_tuple))
    kwargs = {"dim": dim, "keepdim": draw(st.booleans())}
    return Case((x,), kwargs)


def as_dtype(arrays: tuple, dtype: str) -> tuple:
    return tuple(np.asarray(a, dtype=dtype) if isinstance(a, (list, float, np.ndarray)) and
                 np.asarray(a).dtype.kind == "f" else a for a in arrays)
