"""Pairs for tiny.accel: each level of each computation (naive loops, vectorized / op-by-op, fused / tiled)
against the same torch twin (reference/accel/kernels.py). Naive levels are forward-only on small inputs (they
work on arrays); the others are Tensor ops whose gradients are compared too."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from difftests import strategies as S
from difftests.cases import Case
from difftests.registry import Pair, register

AREA = "accel"
REF = "reference.accel.kernels"


def _rng(draw) -> np.random.Generator:
    return np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))


def _arr(rng, shape, dtype, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(dtype)


def _naive(name):
    """A call that runs the array-level function lib.accel.<name> on the tensors' data."""
    def call(lib, *tensors, **kwargs):
        arrays = [t.data if isinstance(t, lib.Tensor) else t for t in tensors]
        return lib.tensor(getattr(lib.accel, name)(*arrays, **kwargs))
    return call


def _tensor(name):
    def call(lib, *tensors, **kwargs):
        return getattr(lib.accel, name)(*tensors, **kwargs)
    return call


def _register_levels(op, levels, ref, strategies: dict, extra: dict | None = None):
    """levels: (level, function name, differentiable); strategies: {level: (strategy, examples)};
    extra: {level: more Pair fields (a tolerance with its reason)}."""
    for level, name, differentiable in levels:
        naive = level == "naive"
        strategy, examples = strategies[level]
        register(Pair(f"accel.{name}", AREA, call=_naive(name) if naive else _tensor(name), ref=f"{REF}:{ref}",
                      source=f"tiny.accel.{op}:{name}", strategy=strategy, examples=examples,
                      requires=(f"accel.{name}",), differentiable=differentiable, max_examples=10 if naive else 25,
                      **(extra or {}).get(level, {})))


# ----- matmul ----------------------------------------------------------------------------------------------
@st.composite
def _matmul(draw, dtype, max_side=12):
    rng = _rng(draw)
    n, k, m = (int(v) for v in rng.integers(1, max_side, 3))
    tile = int(draw(st.sampled_from([1, 2, 3, 8, 64])))
    return Case((_arr(rng, (n, k), dtype), _arr(rng, (k, m), dtype)), {"tile": tile}, label=f"tile {tile}")


def _matmul_examples(dtype, naive=False):
    rng = np.random.default_rng(0)
    kw = {} if naive else {"tile": 4}
    cases = [Case((_arr(rng, (9, 7), dtype), _arr(rng, (7, 10), dtype)), kw, label="ragged tiles"),
             Case((_arr(rng, (1, 1), dtype), _arr(rng, (1, 1), dtype)), kw, label="1x1"),
             Case((_arr(rng, (0, 3), dtype), _arr(rng, (3, 2), dtype)), kw, label="empty rows"),
             Case((_arr(rng, (2, 3), dtype), _arr(rng, (4, 2), dtype)), kw, label="inner dims differ (error)")]
    if not naive:
        cases.append(Case((_arr(rng, (70, 65), dtype), _arr(rng, (65, 66), dtype)), {"tile": 64}, label="one full tile + edge"))
    return cases


register(Pair("accel.matmul_naive", AREA, call=_naive("matmul_naive"), ref=f"{REF}:matmul",
              source="tiny.accel.matmul:matmul_naive", strategy=lambda d: _matmul(d, 6).map(lambda c: Case(c.args, {})),
              examples=lambda d: _matmul_examples(d, naive=True), requires=("accel.matmul_naive",),
              differentiable=False, max_examples=10),
         Pair("accel.matmul_vectorized", AREA, call=_naive("matmul_vectorized"), ref=f"{REF}:matmul",
              source="tiny.accel.matmul:matmul_vectorized", strategy=lambda d: _matmul(d).map(lambda c: Case(c.args, {})),
              examples=lambda d: _matmul_examples(d, naive=True), requires=("accel.matmul_vectorized",),
              differentiable=False),
         Pair("accel.tiled_matmul", AREA, call=_tensor("tiled_matmul"), ref=f"{REF}:matmul",
              source="tiny.accel.matmul:TiledMatMul", strategy=_matmul, examples=_matmul_examples,
              requires=("accel.tiled_matmul",)))


# ----- conv2d ----------------------------------------------------------------------------------------------
@st.composite
def _conv(draw, dtype, small=False):
    rng = _rng(draw)
    n, c, o = (int(v) for v in rng.integers(1, 3 if small else 4, 3))
    kernel, stride, padding = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(0, 3))
    side = max(kernel - 2 * padding, 1) + int(rng.integers(0, 4 if small else 6))
    bias = _arr(rng, (o,), dtype) if rng.random() < 0.7 else None
    return Case((_arr(rng, (n, c, side, side + 1), dtype), _arr(rng, (o, c, kernel, kernel), dtype), bias),
                {"stride": stride, "padding": padding}, label=f"k {kernel}, stride {stride}, pad {padding}")


def _conv_examples(dtype):
    rng = np.random.default_rng(1)
    x, w, b = _arr(rng, (2, 3, 7, 7), dtype), _arr(rng, (4, 3, 3, 3), dtype), _arr(rng, (4,), dtype)
    return [Case((x, w, b), {"stride": 1, "padding": 1}, label="same-size output"),
            Case((x, w, None), {"stride": 2, "padding": 0}, label="stride 2, no bias"),
            Case((x[:, :, :3, :3], w, b), {"stride": 1, "padding": 0}, label="1x1 output"),
            Case((x, _arr(rng, (4, 2, 3, 3), dtype), b), {"stride": 1, "padding": 0}, label="channel mismatch (error)")]


register(Pair("accel.conv2d_naive", AREA, call=_naive("conv2d_naive"), ref=f"{REF}:conv2d",
              source="tiny.accel.conv:conv2d_naive", strategy=lambda d: _conv(d, small=True), examples=_conv_examples,
              requires=("accel.conv2d_naive",), differentiable=False, max_examples=8),
         Pair("accel.conv2d_im2col", AREA, call=_tensor("conv2d_im2col"), ref=f"{REF}:conv2d",
              source="tiny.accel.conv:Im2colConv2d", strategy=_conv, examples=_conv_examples,
              requires=("accel.conv2d_im2col",)))


# ----- GELU, LayerNorm, softmax ---------------------------------------------------------------------------
@st.composite
def _rows(draw, dtype, with_affine=False, small=False):
    rng = _rng(draw)
    shape = tuple(int(v) for v in rng.integers(1, 4 if small else 6, int(rng.integers(1, 4))))
    if with_affine and dtype == "float32" and shape[-1] < 3:  # LayerNorm over 1 or 2 channels: the input gradient
        shape = shape[:-1] + (3,)  # is analytically ~0 (eps/var) and float32 rounding noise on both sides (gpt.py)
    # LayerNorm rows keep a spread of O(1): its backward divides by the row's std, and at std ~ 0.05 torch's OWN
    # float32 gradient was 1.4e-5 off its float64 one (more than the tolerance; tiny's: 8e-6). See nn.py's center_groups.
    scales = [1.0, 3.0] if with_affine else [0.1, 1.0, 3.0]
    x = _arr(rng, shape, dtype, scale=float(draw(st.sampled_from(scales))))
    if not with_affine:
        return Case((x,))
    return Case((x, _arr(rng, shape[-1:], dtype) + 1.0, _arr(rng, shape[-1:], dtype)))


def _pointwise_examples(kind):
    def examples(dtype):
        rng = np.random.default_rng(2)
        big = np.array([[300.0, -300.0, 0.0, 299.0]], dtype)
        ties = np.array([[1.0, 1.0, 1.0], [-2.0, 5.0, 5.0]], dtype)
        cases = [("values of +-300", big), ("ties", ties), ("4-D", _arr(rng, (2, 2, 3, 4), dtype))]
        if kind != "layer_norm" or dtype == "float64":  # LayerNorm of one element: variance 0 (see _rows)
            cases.append(("one element per row", _arr(rng, (3, 1), dtype)))
        if kind == "layer_norm":
            return [Case((x, np.linspace(0.5, 1.5, x.shape[-1]).astype(dtype), np.linspace(-1, 1, x.shape[-1]).astype(dtype)),
                         label=label) for label, x in cases if label != "values of +-300"] + [
                Case((big / 300, np.ones(4, dtype), np.zeros(4, dtype)), label="unit weight")]
        return [Case((x,), label=label) for label, x in cases]
    return examples


for _op, _ref, _affine in (("gelu", "gelu", False), ("layer_norm", "layer_norm", True), ("softmax", "softmax", False)):
    _register_levels("pointwise", [("naive", f"{_op}_naive", False), ("unfused", f"{_op}_unfused", True),
                                   ("fused", f"fused_{_op}", True)], _ref,
                     {"naive": (lambda d, a=_affine: _rows(d, with_affine=a, small=True), _pointwise_examples(_op)),
                      "unfused": (lambda d, a=_affine: _rows(d, with_affine=a), _pointwise_examples(_op)),
                      "fused": (lambda d, a=_affine: _rows(d, with_affine=a), _pointwise_examples(_op))})


# ----- attention -------------------------------------------------------------------------------------------
@st.composite
def _attention(draw, dtype, small=False, blocks=True):
    rng = _rng(draw)
    batch = tuple(int(v) for v in rng.integers(1, 3, int(rng.integers(0, 3))))
    length, source = int(rng.integers(1, 6 if small else 12)), int(rng.integers(1, 6 if small else 12))
    embed, value_embed = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    causal = bool(rng.random() < 0.5)
    kwargs = {"is_causal": causal, "block_size": int(rng.choice([1, 2, 3, 64]))} if blocks else {"is_causal": causal}
    return Case((_arr(rng, batch + (length, embed), dtype), _arr(rng, batch + (source, embed), dtype),
                 _arr(rng, batch + (source, value_embed), dtype)), kwargs, label=str(kwargs))


def _attention_examples(blocks):
    def examples(dtype):
        rng = np.random.default_rng(3)
        q, k, v = _arr(rng, (2, 2, 7, 4), dtype), _arr(rng, (2, 2, 7, 4), dtype), _arr(rng, (2, 2, 7, 3), dtype)
        extra = {"block_size": 3} if blocks else {}
        return [Case((q, k, v), {"is_causal": True, **extra}, label="causal, ragged blocks"),
                Case((q, k, v), {"is_causal": False, **extra}, label="full"),
                Case((q * 100, k, v), {"is_causal": True, **extra}, label="large scores (online max)"),
                Case((q[..., :3, :], k, v), {"is_causal": True, **extra}, label="L < S causal"),
                Case((q, k[..., :3, :], v[..., :3, :]), {"is_causal": True, **extra}, label="L > S causal"),
                Case((q, k[..., :3], v), {"is_causal": False, **extra}, label="E mismatch (error)")]
    return examples


_register_levels("attention", [("naive", "attention_naive", False), ("unfused", "attention_unfused", True),
                               ("fused", "fused_attention", True)], "attention",
                 {"naive": (lambda d: _attention(d, small=True, blocks=False), _attention_examples(False)),
                  "unfused": (lambda d: _attention(d, blocks=False), _attention_examples(False)),
                  "fused": (_attention, _attention_examples(True))},
                 {"fused": {"tolerance": {"float32": (1.3e-6, 5e-5)}, "tolerance_reason":
                            "the backward recomputes P = exp(S - lse) tile by tile (FlashAttention's recurrence); with "
                            "scores |S| ~ 300 (the 'large scores' case) float32 rounding of S - lse is ~|S| 2^-24 "
                            "relative. Measured against torch's float64 gradients there: dK off by 2.1e-5 (torch's own "
                            "float32 dK: 1.7e-5), dV by 7.8e-6; elsewhere within the default"}})

COVERED_ELSEWHERE = {"accel": "the tiny.accel module: every function of it is a pair above"}
