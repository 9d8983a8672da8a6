"""Scaled dot-product attention (one fused Function) and MultiHeadAttention.

    attention(Q, K, V) = softmax(Q K^T * scale + bias) V        Q (*, L, E), K (*, S, E), V (*, S, Ev)

with torch's semantics (torch.nn.functional.scaled_dot_product_attention):
- the batch dims `*` of Q, K and V broadcast against each other;
- a bool `attn_mask` says which positions TAKE PART (True = attend; False becomes a -inf bias), a float
  `attn_mask` is added to the scaled scores; it broadcasts to the scores (*, L, S) but may not enlarge them;
- `is_causal=True` lets query i attend to keys 0..i: the lower triangle of an L x S matrix, aligned at the
  top-left corner as in torch (so with L > S the last queries see every key). Setting it together with
  `attn_mask` raises RuntimeError, the documented contract (torch's CPU flash kernel, picked for some 4-D
  inputs, instead combines both; tiny always raises);
- a row that can attend to nothing (every score -inf) outputs zeros and passes back zero gradients, as
  torch 2.x does on CPU (its "safe softmax"), instead of softmax's NaN;
- `scale` defaults to 1/sqrt(E); `dropout_p` drops attention weights (kept ones scaled by 1/(1-p)) whenever
  it is > 0, as the functional form in torch does — MultiHeadAttention passes its `dropout` only in training;
- `enable_gqa=True`: grouped-query attention, K and V may have fewer heads (dim -3) than Q; each is repeated
  to Q's head count (the head count must divide Q's).

The Function works on arrays: the forward keeps the softmax probabilities (and the dropout mask), and the
backward runs matmul, dropout and softmax backward in one place:
    dV = W^T dO,   dW = dO V^T,   dP = dW * keep,   dS = P * (dP - sum(dP * P)),   dQ = dS K * scale,
    dK = dS^T (Q * scale),   d(float mask) = dS
(W = the weights after dropout, P the softmax probabilities, keep the scaled dropout mask).
"""
from __future__ import annotations

import math

import numpy as np

from tiny import dtypes
from tiny.autograd import Function
from tiny.nn.linear import Linear
from tiny.nn.module import Module
from tiny.ops._util import broadcast_shape
from tiny.random import default_generator
from tiny.tensor import Tensor

__all__ = ["MultiHeadAttention"]
__functional__ = ["scaled_dot_product_attention"]

OP = "scaled_dot_product_attention"


# ----- array helpers (the Function's building blocks) -------------------------------------------
def _last_two_swapped(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _masked_scores(scores: np.ndarray, mask: np.ndarray | None, is_causal: bool) -> np.ndarray:
    """Scores with the bias applied: bool False / the causal upper triangle become -inf, floats add."""
    if is_causal:
        length, source = scores.shape[-2:]
        allowed = np.tril(np.ones((length, source), dtype=bool))  # (L, S), top-left aligned
        return np.where(allowed, scores, -np.inf)
    if mask is None:
        return scores
    if mask.dtype == np.bool_:
        return np.where(mask, scores, -np.inf)
    return scores + mask


def _safe_softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last dim; a row whose scores are all -inf (or an empty row) gives zeros."""
    row_max = np.max(scores, axis=-1, keepdims=True, initial=-np.inf)  # (*, L, 1)
    row_max[np.isneginf(row_max)] = 0.0  # exp(-inf - 0) = 0 for a fully masked row, not exp(nan)
    with np.errstate(invalid="ignore", over="ignore"):  # +inf or nan scores give nan rows, as torch
        exps = np.exp(scores - row_max)
        sums = np.sum(exps, axis=-1, keepdims=True)
        sums[sums == 0] = 1.0
        return exps / sums


def _dropout_keep(shape: tuple, p: float, dtype: np.dtype) -> np.ndarray | None:
    """The scaled keep mask (0 or 1/(1-p) per weight), or None when nothing is dropped."""
    if p <= 0.0:
        return None
    if p >= 1.0:
        return np.zeros(shape, dtype)
    keep = default_generator().random(shape) >= p  # each weight kept with probability 1 - p
    return keep.astype(dtype) * np.asarray(1.0 / (1.0 - p), dtype)


def _repeat_heads(x: np.ndarray, heads: int) -> np.ndarray:
    """(*, h, S, D) -> (*, heads, S, D), each head repeated heads // h times in place (repeat_interleave)."""
    return x if x.shape[-3] == heads else np.repeat(x, heads // x.shape[-3], axis=-3)


def _fold_heads(grad: np.ndarray, heads: int) -> np.ndarray:
    """The backward of _repeat_heads: sum the gradients of the copies of each head."""
    if grad.shape[-3] == heads:
        return grad
    groups = grad.shape[-3] // heads
    return grad.reshape(grad.shape[:-3] + (heads, groups) + grad.shape[-2:]).sum(axis=-3)


class ScaledDotProductAttentionFunction(Function):
    """query (*, L, E), key (*, S, E), value (*, S, Ev), mask broadcastable to (*, L, S) or None
    -> (*, L, Ev). Arguments are checked by `scaled_dot_product_attention`."""

    @staticmethod
    def forward(ctx, query, key, value, mask, dropout_p, is_causal, scale, enable_gqa):
        """softmax(query @ key^T * scale + mask) @ value. query (*, L, E), key (*, S, E), value (*, S, Ev) ->
        (*, L, Ev). mask: None, bool (True = attend; False becomes -inf) or float (added), broadcastable to
        (*, L, S); is_causal masks the upper triangle; a fully masked row gives zeros (_safe_softmax).
        dropout_p drops attention weights (_dropout_keep); enable_gqa repeats key/value heads
        (_repeat_heads). Scale the query, not the scores. Task `ScaledDotProductAttentionFunction.forward`."""
        # BEGIN SOLUTION
        key_heads, value_heads = (key.shape[-3], value.shape[-3]) if enable_gqa else (None, None)
        if enable_gqa:
            key, value = _repeat_heads(key, query.shape[-3]), _repeat_heads(value, query.shape[-3])
        # Scale Q, not the scores (torch's math kernel scales Q and K): with E = 0 the scores stay 0, not 0 * inf.
        scaled_query = query * np.asarray(scale, query.dtype)            # (*, L, E)
        scores = _masked_scores(scaled_query @ _last_two_swapped(key), mask, is_causal)  # (*, L, S)
        probs = _safe_softmax(scores)                                       # (*, L, S)
        keep = _dropout_keep(probs.shape, dropout_p, probs.dtype)
        weights = probs if keep is None else probs * keep                   # (*, L, S)
        ctx.save_for_backward(scaled_query, key, value, probs, keep)
        ctx.scale, ctx.key_heads, ctx.value_heads = scale, key_heads, value_heads
        return weights @ value                                              # (*, L, Ev)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output (*, L, Ev). Return 8 gradients in forward's
        order: (grad_query, grad_key, grad_value, grad_mask or None, None, None, None, None); softmax
        backward fused; with enable_gqa fold the repeated heads back (_fold_heads). Task
        `ScaledDotProductAttentionFunction.backward`."""
        # BEGIN SOLUTION
        scaled_query, key, value, probs, keep = ctx.saved_tensors
        needs_query, needs_key, needs_value, needs_mask = ctx.needs_input_grad[:4]
        weights = probs if keep is None else probs * keep
        grad_value = _last_two_swapped(weights) @ grad if needs_value else None   # (*, S, Ev)
        grad_weights = grad @ _last_two_swapped(value)                              # (*, L, S)
        grad_probs = grad_weights if keep is None else grad_weights * keep
        # softmax backward, fused: fully masked rows have probs 0, so their gradient is 0 too.
        grad_scores = probs * (grad_probs - np.sum(grad_probs * probs, axis=-1, keepdims=True))
        grad_query = (grad_scores @ key) * np.asarray(ctx.scale, grad.dtype) if needs_query else None
        grad_key = _last_two_swapped(grad_scores) @ scaled_query if needs_key else None  # (*, S, E)
        if ctx.key_heads is not None:
            grad_key = None if grad_key is None else _fold_heads(grad_key, ctx.key_heads)
            grad_value = None if grad_value is None else _fold_heads(grad_value, ctx.value_heads)
        grad_mask = grad_scores if needs_mask else None  # the engine sums it to the mask's shape
        return grad_query, grad_key, grad_value, grad_mask, None, None, None, None
        # END SOLUTION


# ----- argument checks ------------------------------------------------------------------------------
def _check_inputs(query, key, value) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{OP}: {name} must be a Tensor, got {type(t).__name__}")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(f"{OP}: expected query, key and value to be at least 2-D (*, L, E), (*, S, E), "
                           f"(*, S, Ev); got shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    kinds = {t.data.dtype for t in (query, key, value)}
    if len(kinds) > 1:
        raise RuntimeError(f"{OP}: expected query, key and value to have the same dtype, got {query.data.dtype}, "
                           f"{key.data.dtype} and {value.data.dtype}")
    if query.data.dtype.kind != "f":
        raise RuntimeError(f"{OP}: expected floating-point query, key and value, got {query.data.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"{OP}: query (*, L, E) and key (*, S, E) must share E; got query {tuple(query.shape)} "
                           f"and key {tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{OP}: key (*, S, E) and value (*, S, Ev) must share S; got key {tuple(key.shape)} "
                           f"and value {tuple(value.shape)}")


def _gqa_shapes(query, key, value) -> tuple[tuple, tuple]:
    """Key and value shapes once their heads (dim -3) are repeated to query's head count."""
    if min(query.ndim, key.ndim, value.ndim) < 3:
        raise IndexError(f"{OP}(enable_gqa=True): heads are dim -3, but the inputs have shapes "
                         f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    heads = query.shape[-3]
    if 0 in (key.shape[-3], value.shape[-3]) or heads % key.shape[-3] or heads % value.shape[-3]:
        raise RuntimeError(f"{OP}: number of heads in key ({key.shape[-3]}) and value ({value.shape[-3]}) must "
                           f"divide the number of heads in query ({heads})")
    return tuple(key.shape[:-3]) + (heads,) + tuple(key.shape[-2:]), \
        tuple(value.shape[:-3]) + (heads,) + tuple(value.shape[-2:])


def _check_mask(attn_mask, query: Tensor, scores_shape: tuple, is_causal: bool) -> None:
    if attn_mask is None:
        return
    if not isinstance(attn_mask, Tensor):
        raise TypeError(f"{OP}: attn_mask must be a Tensor or None, got {type(attn_mask).__name__}")
    if is_causal:
        raise RuntimeError(f"{OP}: an explicit attn_mask must not be set when is_causal=True "
                           "(is_causal already is the mask)")
    mask_dtype = attn_mask.data.dtype
    if mask_dtype not in (np.bool_, np.float32, query.data.dtype):
        raise RuntimeError(f"{OP}: expected attn_mask of dtype bool, float32 or the query's dtype "
                           f"({query.data.dtype}), got {mask_dtype}")
    if broadcast_shape(OP, scores_shape, attn_mask.shape) != scores_shape:
        raise RuntimeError(f"{OP}: attn_mask of shape {tuple(attn_mask.shape)} must broadcast to the attention "
                           f"scores' shape {scores_shape} (*, L, S) without enlarging it")


def _check_numbers(dropout_p, scale) -> None:
    for name, number in (("dropout_p", dropout_p), ("scale", scale)):
        if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float, np.number))):
            raise TypeError(f"{OP}: {name} must be a float, got {type(number).__name__}")
    if dropout_p > 1.0:  # a negative dropout_p drops nothing, as in torch
        raise RuntimeError(f"{OP}: dropout probability has to be between 0 and 1, but got {dropout_p}")


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value.

    query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev), the batch dims broadcast. attn_mask:
    bool (True = attend) or float (added), broadcastable to (*, L, S). See the module docstring.
    """
    _check_inputs(query, key, value)
    _check_numbers(dropout_p, scale)
    key_shape, value_shape = _gqa_shapes(query, key, value) if enable_gqa else (key.shape, value.shape)
    scores_batch = broadcast_shape(OP, query.shape[:-2], key_shape[:-2])  # (*) of the scores (*, L, S)
    broadcast_shape(OP, scores_batch, value_shape[:-2])
    _check_mask(attn_mask, query, scores_batch + (query.shape[-2], key.shape[-2]), is_causal)
    embed = query.shape[-1]
    scale = (1.0 / math.sqrt(embed) if embed else math.inf) if scale is None else float(scale)
    return ScaledDotProductAttentionFunction.apply(query, key, value, attn_mask, float(dropout_p), bool(is_causal),
                                                   scale, bool(enable_gqa))


# ----- Module ---------------------------------------------------------------------------------------
class MultiHeadAttention(Module):
    """Batch-first multi-head attention: query (*, T, C), key/value (*, S, C) -> (*, T, C), C = embed_dim.

    Four Linear(C, C) projections `q_proj`, `k_proj`, `v_proj`, `out_proj`; each head attends over
    C / num_heads channels. forward(query) is self-attention; forward(query, key, value) cross-attention
    (value defaults to key). attn_mask broadcasts to the per-head scores (*, num_heads, T, S), e.g. (T, S)
    or (B, 1, T, S). `dropout` applies to the attention weights in training mode only.
    Linear layers keep torch's default init (uniform in ±1/sqrt(C)).
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True, dropout: float = 0.0,
                 dtype=None) -> None:
        super().__init__()
        if num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiHeadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiHeadAttention: dropout probability has to be between 0 and 1, but got {dropout}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout = dropout
        dtype = dtypes.float32 if dtype is None else dtype
        self.q_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.k_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.v_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)

    def split_heads(self, x: Tensor) -> Tensor:
        """(*, T, C) -> (*, num_heads, T, head_dim)."""
        *lead, length, _ = x.shape
        return x.reshape(*lead, length, self.num_heads, self.head_dim).transpose(-3, -2)

    def merge_heads(self, x: Tensor) -> Tensor:
        """(*, num_heads, T, head_dim) -> (*, T, C)."""
        *lead, _, length, _ = x.shape
        return x.transpose(-3, -2).reshape(*lead, length, self.embed_dim)

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None,
                attn_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        key = query if key is None else key
        value = key if value is None else value
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor) or t.ndim < 2 or t.shape[-1] != self.embed_dim:
                shape = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
                raise ValueError(f"MultiHeadAttention: {name} must be a Tensor (*, T, embed_dim={self.embed_dim}), "
                                 f"got {shape}")
        heads = [self.split_heads(proj(x)) for proj, x in
                 ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value))]  # (*, H, T|S, D) each
        dropout_p = self.dropout if self.training else 0.0
        attended = scaled_dot_product_attention(*heads, attn_mask=attn_mask, dropout_p=dropout_p,
                                                is_causal=is_causal)  # (*, H, T, D)
        return self.out_proj(self.merge_heads(attended))

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"
