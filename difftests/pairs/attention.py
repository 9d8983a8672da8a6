"""Pairs for attention: F.scaled_dot_product_attention, nn.MultiHeadAttention and the sinusoidal positional
encodings (functional and Module).

scaled_dot_product_attention is compared on forward values and the gradients of query, key, value and of a
float mask (torch differentiates the mask too) over broadcast batch dims, L != S, Ev != E, bool and float
masks of every broadcastable shape, is_causal, custom scales and grouped-query attention. Dropout draws
from tiny's generator, so values are compared with dropout_p <= 0 only; difftests/test_attention.py checks
the dropout semantics.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from difftests import strategies as S
from difftests.cases import Case
from difftests.registry import Pair, register

AREA = "attention"
INF = np.inf


def arr(values, dtype) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


def ramp(shape, dtype, scale: float = 1.0, phase: float = 0.0) -> np.ndarray:
    """Deterministic, distinct values in [-scale, scale] (a sine, so neighbours are not collinear)."""
    n = int(np.prod(shape))
    return (scale * np.sin(np.arange(n) * 1.7 + 0.3 + phase)).reshape(shape).astype(dtype)


# ===== scaled_dot_product_attention ==============================================================
SCALES = [None, None, None, 0.5, 2.0, -1.0, 0.0]
FLOAT_BIASES = [0.0, 0.0, -1.5, 2.0, 0.25, -INF, -INF]


@st.composite
def _mask(draw, scores_shape: tuple, dtype: str, kind: str) -> np.ndarray:
    """A mask that broadcasts to scores_shape (*, L, S): a suffix of its dims, some of them set to 1.

    With 4-D scores torch runs its CPU flash kernel, which raises IndexError for a 0-d or 1-D mask (its math
    kernel, used for other ranks, broadcasts them like any other shape, as tiny does): such masks are drawn
    for the other ranks only (and named examples cover them with 3-D inputs)."""
    kept = draw(st.integers(2 if len(scores_shape) == 4 else 0, len(scores_shape)))
    suffix = scores_shape[len(scores_shape) - kept:]
    shape = tuple(draw(st.sampled_from([side, side, 1])) for side in suffix)
    # Values from a seeded generator: a quarter of the positions masked, so some rows (not most) are fully
    # masked; hypothesis' own booleans lean to False and would mask most rows entirely.
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    if kind == "bool":
        return rng.random(shape) < 0.75
    return rng.choice(FLOAT_BIASES, shape).astype(dtype)


@st.composite
def _sdpa_case(draw, dtype):
    choice = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))  # even odds (hypothesis leans to the first)
    gqa = choice.random() < 0.15
    if gqa:  # (B, H, L, E) with key/value heads dividing the query heads
        batch = (draw(st.integers(1, 2)),)
        heads = draw(st.sampled_from([2, 4, 6]))
        batch_q = batch + (heads,)
        batch_k = batch + (draw(st.sampled_from([h for h in (1, 2, 3) if heads % h == 0])),)
        batch_v = batch + (draw(st.sampled_from([h for h in (1, 2, 3) if heads % h == 0])),)
    else:
        batch_q, batch_k, batch_v = draw(S.hnp.mutually_broadcastable_shapes(
            num_shapes=3, min_dims=0, max_dims=2, min_side=1, max_side=3)).input_shapes
    length, source = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    embed, value_embed = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    query = draw(S.values(batch_q + (length, embed), dtype, -3, 3))
    key = draw(S.values(batch_k + (source, embed), dtype, -3, 3))
    value = draw(S.values(batch_v + (source, value_embed), dtype, -3, 3))
    kind = str(choice.choice(["bool", "float", "causal", "none"], p=[0.3, 0.3, 0.2, 0.2]))
    scores_batch = batch_q if gqa else np.broadcast_shapes(batch_q, batch_k)  # the scores' batch dims
    mask_dtype = draw(st.sampled_from([dtype, "float32"]))  # a float32 mask is allowed with float64 q
    mask = draw(_mask(scores_batch + (length, source), mask_dtype, kind)) if kind in ("bool", "float") else None
    # torch's CPU flash kernel (4-D inputs) returns nan for is_causal with a scale <= 0 (it scales the
    # masked -inf too); the documented formula, torch's math kernel and tiny give finite values: a
    # convention, tested in difftests/test_attention.py. Causal property cases draw scale > 0.
    scales = [s for s in SCALES if s is None or s > 0] if kind == "causal" else SCALES
    kwargs = {"is_causal": kind == "causal", "scale": draw(st.sampled_from(scales))}
    if gqa:
        kwargs["enable_gqa"] = True
    return Case((query, key, value, mask), kwargs, grad=(True, True, True, kind == "float"), label=kind)


def _sdpa_examples(dtype):
    q, k, v = ramp((2, 3, 4), dtype, 2.0), ramp((2, 5, 4), dtype, 2.0, 1.0), ramp((2, 5, 6), dtype, 1.5, 2.0)
    rows_off = np.ones((3, 5), bool)
    rows_off[1] = False
    float_off = np.zeros((3, 5), dtype)
    float_off[1] = -INF
    float_off[2, :3] = -INF
    grads = (True, True, True, True)

    def case(args, label, grad=None, **kwargs):
        mask = args[3] if len(args) > 3 else None
        grad = grad or (True, True, True, isinstance(mask, np.ndarray) and mask.dtype.kind == "f")
        return Case(tuple(args[:3]) + (mask,), kwargs, grad=grad, label=label)

    extremes = arr([[[300.0, -300.0, 1.0, 0.0], [-300.0, 300.0, 0.0, 0.5]]], dtype)
    cases = [
        case((q, k, v), "no mask"),
        case((q, k, v, rows_off), "bool mask with a fully masked row: zeros, zero gradients"),
        case((q, k, v, float_off), "float mask: a -inf row and a partly -inf row"),
        case((q, k, v, np.zeros((3, 5), bool)), "every position masked: all zeros"),
        case((q, k, v, arr([True, False, True, True, False], bool)), "bool mask (S,) broadcast over rows"),
        case((q, k, v, arr(True, bool)), "0-d bool mask"),
        case((q, k, v, ramp((1, 5), dtype)), "float mask (1, S): its gradient sums over rows"),
        case((q, k, v, ramp((2, 1, 5), dtype)), "float mask (B, 1, S)"),
        case((q, k, v, np.full((3, 5), -1e30, dtype)), "a huge finite bias on every position: uniform rows"),
        case((q, k, v), "is_causal, L < S (top-left aligned)", is_causal=True),
        case((ramp((2, 5, 4), dtype), k[:, :3], v[:, :3]), "is_causal, L > S", is_causal=True),
        case((ramp((1, 2, 4, 3), dtype), ramp((1, 2, 4, 3), dtype, 1.0, 1.0), ramp((1, 2, 4, 2), dtype)),
             "is_causal, 4-D square", is_causal=True),
        case((q, k, v), "scale=0: uniform weights", scale=0.0),
        case((q, k, v), "negative scale", scale=-0.7),
        case((q, k, v), "negative scale, is_causal, 3-D (torch's math kernel)", scale=-0.7, is_causal=True),
        case((q, k, v), "dropout_p < 0 drops nothing (torch)", dropout_p=-0.5),
        case((ramp((1, 3, 4), dtype), ramp((3, 5, 4), dtype), ramp((1, 5, 2), dtype)), "batch dims broadcast"),
        case((ramp((2, 1, 3, 4), dtype), ramp((3, 5, 4), dtype), ramp((2, 3, 5, 2), dtype)),
             "different ranks broadcast"),
        case((ramp((3, 4), dtype), ramp((5, 4), dtype), ramp((5, 6), dtype)), "2-D inputs (no batch)"),
        case((ramp((2, 1, 2, 3, 2), dtype), ramp((2, 1, 2, 4, 2), dtype), ramp((2, 1, 2, 4, 3), dtype)), "5-D"),
        case((ramp((1, 1, 1), dtype), ramp((1, 1, 1), dtype), ramp((1, 1, 1), dtype)), "size-1 L, S, E, Ev"),
        case((np.zeros((2, 0, 4), dtype), k, v), "L = 0"),
        case((q, np.zeros((2, 0, 4), dtype), np.zeros((2, 0, 6), dtype)), "S = 0: zeros"),
        case((np.zeros((2, 3, 0), dtype), np.zeros((2, 5, 0), dtype), v), "E = 0: the mean of value"),
        case((q, k, np.zeros((2, 5, 0), dtype)), "Ev = 0"),
        case((np.zeros((0, 3, 4), dtype), np.zeros((0, 5, 4), dtype), np.zeros((0, 5, 6), dtype)), "batch 0"),
        case((extremes, extremes, extremes), "extremes ±300: saturated softmax"),
        case((arr([[[1.0, 1.0]]], dtype), arr([[[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]]], dtype), v[:1, :3, :2]),
             "exact ties between scores"),
        case((ramp((1, 4, 3, 4), dtype), ramp((1, 2, 5, 4), dtype), ramp((1, 1, 5, 2), dtype)),
             "enable_gqa: 4 query heads, 2 key heads, 1 value head", enable_gqa=True),
        case((ramp((4, 3, 4), dtype), ramp((2, 5, 4), dtype), ramp((2, 5, 4), dtype)),
             "enable_gqa on 3-D inputs (dim -3 is the batch)", enable_gqa=True),
        # ----- errors
        case((q, ramp((2, 5, 3), dtype), v), "query and key embed dims differ (error)"),
        case((q, k, ramp((2, 6, 6), dtype)), "key and value lengths differ (error)"),
        case((q, ramp((3, 5, 4), dtype), ramp((3, 5, 6), dtype)), "batch dims do not broadcast (error)"),
        case((ramp((4,), dtype), ramp((4,), dtype), ramp((4,), dtype)), "1-D inputs (error)"),
        case((q, k, v, np.ones((3, 4), bool)), "mask of the wrong shape (error)"),
        case((q, k, v, np.ones((3, 2, 3, 5), bool)), "mask enlarging the batch (error)"),
        case((q, k, v, np.ones((1, 1, 3, 5), bool)), "mask with an extra leading 1 (error)"),
        case((q, k, v, rows_off), "is_causal with an explicit mask (error)", is_causal=True),
        case((q, k, v, np.ones((3, 5), np.int64)), "integer mask (error)"),
        case((q.astype(np.float32), k.astype(np.float64), v.astype(np.float32)), "dtypes differ (error)"),
        case((np.ones((2, 3, 4), np.int64), np.ones((2, 5, 4), np.int64), np.ones((2, 5, 6), np.int64)),
             "integer inputs (error)", grad=(False, False, False, False)),
        case((q, k, v), "dropout_p > 1 (error)", dropout_p=1.5),
        case((ramp((1, 4, 3, 4), dtype), ramp((1, 3, 5, 4), dtype), ramp((1, 3, 5, 4), dtype)),
             "enable_gqa: key heads do not divide query heads (error)", enable_gqa=True),
        case((ramp((3, 4), dtype), ramp((5, 4), dtype), ramp((5, 4), dtype)), "enable_gqa on 2-D (error)",
             enable_gqa=True),
    ]
    if dtype == "float64":
        cases += [case((q, k, v, float_off.astype(np.float32)), "float32 mask with float64 inputs"),
                  case((q, k, v, arr([[0.0, INF, 0.0, 0.0, 0.0], [0.0] * 5, [0.0] * 5], dtype)),
                       "+inf in a float mask: a nan row (as torch)")]
    else:
        cases.append(case((q, k, v, float_off.astype(np.float64)), "float64 mask with float32 inputs (error)"))
    return cases


def _sdpa_call(lib, query, key, value, attn_mask, **kwargs):
    return lib.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=attn_mask, **kwargs)


register(Pair("nn.functional.scaled_dot_product_attention", AREA, call=_sdpa_call,
              ref="reference.nn.attention:scaled_dot_product_attention",
              source="tiny.nn.attention:ScaledDotProductAttentionFunction", strategy=_sdpa_case,
              examples=_sdpa_examples, requires=("nn.functional.scaled_dot_product_attention",), max_examples=60))


# ===== MultiHeadAttention =========================================================================
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "out_proj")


def mha_parameter_names(bias: bool) -> list[str]:
    """The state-dict keys of MultiHeadAttention, in order."""
    return [f"{p}.{kind}" for p in PROJECTIONS for kind in (("weight", "bias") if bias else ("weight",))]


def mha_parameters(embed_dim: int, bias: bool, seed: int, dtype: str) -> list[np.ndarray]:
    """Weights ~ U(±1.5/sqrt(C)) and biases ~ U(±0.5), in mha_parameter_names order."""
    rng = np.random.default_rng(seed)
    bound = 1.5 / np.sqrt(embed_dim)
    arrays = []
    for name in mha_parameter_names(bias):
        shape = (embed_dim, embed_dim) if name.endswith("weight") else (embed_dim,)
        arrays.append(rng.uniform(-bound if name.endswith("weight") else -0.5,
                                  bound if name.endswith("weight") else 0.5, shape).astype(dtype))
    return arrays


def _mha_call(lib, query, key, value, attn_mask, *params, embed_dim, num_heads, bias, is_causal=False):
    module = lib.nn.MultiHeadAttention(embed_dim, num_heads, bias=bias)
    module.to(query.dtype)
    module.load_state_dict(dict(zip(mha_parameter_names(bias), params)))
    out = module(query, key, value, attn_mask=attn_mask, is_causal=is_causal)
    return {"out": out, "params": dict(module.named_parameters())}


@st.composite
def _mha_case(draw, dtype):
    num_heads, head_dim = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    embed_dim = num_heads * head_dim
    lead = draw(st.sampled_from([(), (1,), (2,), (3,), (2, 2)]))
    length = draw(st.integers(1, 5))
    query = draw(S.values(lead + (length, embed_dim), dtype, -2, 2))
    form = draw(st.sampled_from(["self", "self", "cross", "cross key only"]))
    key = value = None
    source = length
    if form != "self":
        source = draw(st.integers(1, 5))
        key = draw(S.values(lead + (source, embed_dim), dtype, -2, 2))
        value = draw(S.values(lead + (source, embed_dim), dtype, -2, 2)) if form == "cross" else None
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    mask = draw(_mask(lead + (num_heads, length, source), dtype, kind)) if kind in ("bool", "float") else None
    bias = draw(st.booleans())
    params = mha_parameters(embed_dim, bias, draw(st.integers(0, 2 ** 32 - 1)), dtype)
    kwargs = {"embed_dim": embed_dim, "num_heads": num_heads, "bias": bias, "is_causal": kind == "causal"}
    grad = (True, key is not None, value is not None, False) + (False,) * len(params)
    return Case((query, key, value, mask, *params), kwargs, grad=grad, label=f"{form}, mask {kind}")


def _mha_examples(dtype):
    def case(query, key, value, mask, label, embed_dim=6, num_heads=2, bias=True, is_causal=False):
        params = mha_parameters(embed_dim, bias, 7, dtype) if embed_dim % max(num_heads, 1) == 0 else []
        kwargs = {"embed_dim": embed_dim, "num_heads": num_heads, "bias": bias, "is_causal": is_causal}
        grad = (True, key is not None, value is not None, False) + (False,) * len(params)
        return Case((query, key, value, mask, *params), kwargs, grad=grad, label=label)

    x, memory = ramp((2, 4, 6), dtype, 1.5), ramp((2, 3, 6), dtype, 1.5, 1.0)
    causal = np.tril(np.ones((4, 4), bool))
    return [
        case(x, None, None, None, "self-attention"),
        case(x, None, None, None, "causal self-attention", is_causal=True),
        case(x, None, None, causal, "bool (T, T) causal mask = is_causal"),
        case(x, memory, ramp((2, 3, 6), dtype, 1.0, 2.0), None, "cross-attention (S != T)"),
        case(x, memory, None, None, "cross-attention, value defaults to key"),
        case(x, memory, None, ramp((2, 1, 4, 3), dtype), "cross-attention with a float (B, 1, T, S) mask"),
        case(x, None, None, None, "no bias", bias=False),
        case(x, None, None, None, "one head", num_heads=1),
        case(x, None, None, None, "head_dim 1", num_heads=6),
        case(ramp((4, 6), dtype), None, None, None, "unbatched (T, C)"),
        case(ramp((1, 1, 6), dtype), None, None, None, "T = 1"),
        case(x, None, None, None, "embed_dim not divisible by num_heads (error)", num_heads=4),
        case(ramp((2, 4, 5), dtype), None, None, None, "input's last dim != embed_dim (error)"),
        case(x, None, None, causal, "is_causal with a mask (error)", is_causal=True),
    ]


register(Pair("nn.MultiHeadAttention", AREA, call=_mha_call,
              ref="reference.nn.attention:multi_head_attention_module", source="tiny.nn.attention:MultiHeadAttention",
              strategy=_mha_case, examples=_mha_examples, requires=("nn.MultiHeadAttention",), max_examples=30))


# ===== sinusoidal positional encodings ==============================================================
def _pe_call(lib, length, d_model, dtype):
    return lib.nn.functional.sinusoidal_positional_encoding(length, d_model, dtype=getattr(lib, dtype))


def _pe_examples(dtype):
    def case(length, d_model, label):
        return Case((), {"length": length, "d_model": d_model, "dtype": dtype}, label=label)
    return [case(8, 6, "even d_model"), case(7, 5, "odd d_model ends with a sin channel"),
            case(3, 1, "d_model 1: sin only"), case(0, 4, "length 0"),
            case(2048, 64, "2048 positions: large angles"), case(1, 2, "position 0 only: sin 0, cos 1"),
            case(4, 0, "d_model 0 (error)"), case(-1, 4, "negative length (error)"),
            case(4.0, 4, "float length (error)")]


register(Pair("nn.functional.sinusoidal_positional_encoding", AREA, call=_pe_call,
              ref="reference.nn.positional:sinusoidal_positional_encoding",
              source="tiny.nn.positional:sinusoidal_positional_encoding",
              strategy=lambda dtype: st.builds(lambda length, d_model: Case(
                  (), {"length": length, "d_model": d_model, "dtype": dtype}),
                  st.integers(0, 300), st.integers(1, 40)),
              examples=_pe_examples, requires=("nn.functional.sinusoidal_positional_encoding", "float32"),
              differentiable=False, max_examples=15))


def _pe_module_call(lib, x, d_model, max_len):
    return lib.nn.SinusoidalPositionalEncoding(d_model, max_len, dtype=x.dtype)(x)


@st.composite
def _pe_module_case(draw, dtype):
    d_model, max_len = draw(st.integers(1, 8)), draw(st.integers(1, 12))
    lead = draw(S.shapes(max_dims=2, max_side=3))
    x = draw(S.values(lead + (draw(st.integers(0, max_len)), d_model), dtype, -3, 3))
    return Case((x,), {"d_model": d_model, "max_len": max_len})


register(Pair("nn.SinusoidalPositionalEncoding", AREA, call=_pe_module_call,
              ref="reference.nn.positional:sinusoidal_module", source="tiny.nn.positional:SinusoidalPositionalEncoding",
              strategy=_pe_module_case,
              examples=lambda dtype: [
                  Case((ramp((2, 5, 6), dtype),), {"d_model": 6, "max_len": 16}, label="(B, T, C), T < max_len"),
                  Case((ramp((5, 7), dtype),), {"d_model": 7, "max_len": 5}, label="(T, C), T = max_len, odd C"),
                  Case((ramp((2, 6, 4), dtype),), {"d_model": 4, "max_len": 5}, label="T > max_len (error)"),
                  Case((ramp((2, 3, 5), dtype),), {"d_model": 4, "max_len": 8}, label="last dim != d_model (error)")],
              requires=("nn.SinusoidalPositionalEncoding",), max_examples=10))
