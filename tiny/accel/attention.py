"""Scaled dot-product attention softmax(Q K^T / sqrt(E)) V at three levels:

    naive     loops over batch and queries: one score row, its softmax and its weighted sum at a time
    unfused   tiny Tensor ops: Q @ K^T, a materialized (L, S) causal mask (masked_fill), softmax, @ V; autograd
              keeps every (*, L, S) intermediate
    fused     ONE pass over key blocks with an online softmax (running max m and sum l, FlashAttention's
              recurrence): the (*, L, S) score matrix never exists, nor does a mask — causality is an index
              comparison per (L, block) tile. Backward recomputes each tile from the saved log-sum-exp:
              P = exp(S - lse), dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dO * O)), dQ = dS K s, dK = dS^T Q s.
Queries attend to keys 0..i when causal (top-left aligned, as torch's is_causal).
"""
from __future__ import annotations

import math

import numpy as np

from tiny.accel.pointwise import softmax_unfused
from tiny.autograd import Function
from tiny.tensor import Tensor

__all__ = ["attention_naive", "attention_unfused", "fused_attention", "FusedAttention"]


def _check(op: str, q_shape, k_shape, v_shape) -> None:
    if min(len(q_shape), len(k_shape), len(v_shape)) < 2:
        raise RuntimeError(f"{op}: expected q (*, L, E), k (*, S, E), v (*, S, Ev); got {q_shape}, {k_shape}, {v_shape}")
    if q_shape[:-2] != k_shape[:-2] or k_shape[:-2] != v_shape[:-2]:
        raise RuntimeError(f"{op}: q, k and v need the same batch dims, got {q_shape}, {k_shape}, {v_shape}")
    if q_shape[-1] != k_shape[-1] or k_shape[-2] != v_shape[-2]:
        raise RuntimeError(f"{op}: q (*, L, E), k (*, S, E), v (*, S, Ev) do not fit: {q_shape}, {k_shape}, {v_shape}")


def attention_naive(q: np.ndarray, k: np.ndarray, v: np.ndarray, is_causal: bool = False) -> np.ndarray:
    """q (*, L, E), k (*, S, E), v (*, S, Ev) -> (*, L, Ev) with loops over batch and queries: one score row,
    its stable softmax and its weighted sum of values at a time; causal: query i sees keys 0..i.
    Task `attention_naive`."""
    _check("attention_naive", q.shape, k.shape, v.shape)
    # BEGIN SOLUTION
    scale = 1.0 / math.sqrt(q.shape[-1])
    qs, ks, vs = (a.reshape((-1,) + a.shape[-2:]) for a in (q, k, v))
    out = np.zeros(qs.shape[:-1] + (v.shape[-1],), dtype=q.dtype)
    for b in range(qs.shape[0]):
        for i in range(qs.shape[1]):
            keys = range(min(i + 1, ks.shape[1]) if is_causal else ks.shape[1])
            scores = [float(np.dot(qs[b, i], ks[b, j])) * scale for j in keys]
            top = max(scores, default=0.0)
            weights = [math.exp(s - top) for s in scores]
            total = sum(weights)
            for j, w in zip(keys, weights):
                out[b, i] += (w / total) * vs[b, j]
    return out.reshape(q.shape[:-1] + (v.shape[-1],))
    # END SOLUTION


def attention_unfused(q: Tensor, k: Tensor, v: Tensor, is_causal: bool = False) -> Tensor:
    """q (*, L, E), k (*, S, E), v (*, S, Ev) Tensors -> (*, L, Ev) composed of tiny's Tensor ops: scores
    q @ k^T / sqrt(E), a materialized causal mask (masked_fill with -inf) when is_causal, softmax_unfused, @ v.
    Task `attention_unfused`."""
    _check("attention_unfused", tuple(q.shape), tuple(k.shape), tuple(v.shape))
    # BEGIN SOLUTION
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))        # (*, L, S)
    if is_causal:
        allowed = np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=bool))       # the materialized mask
        scores = scores.masked_fill(Tensor(~allowed), float("-inf"))
    return softmax_unfused(scores) @ v
    # END SOLUTION


def _tiles(source: int, block: int):
    for start in range(0, source, block):
        yield start, min(start + block, source)


def _tile_scores(q_scaled, k_tile, start: int, is_causal: bool) -> np.ndarray:
    """(*, L, b) scores of one key tile, causal positions (key > query) set to -inf by index comparison."""
    scores = q_scaled @ np.swapaxes(k_tile, -1, -2)
    if is_causal:
        queries = np.arange(q_scaled.shape[-2])[:, None]
        keys = np.arange(start, start + k_tile.shape[-2])[None, :]
        scores = np.where(keys <= queries, scores, -np.inf)
    return scores


class FusedAttention(Function):
    """q (*, L, E), k (*, S, E), v (*, S, Ev) -> (*, L, Ev); see the module docstring."""

    @staticmethod
    def forward(ctx, q, k, v, is_causal, block):
        """q (*, L, E), k (*, S, E), v (*, S, Ev) arrays -> (*, L, Ev) in one pass over key tiles of `block` keys
        (_tiles, _tile_scores) with the online softmax: a running max m, a running sum l and an accumulator,
        rescaled by exp(m_old - m_new) at each tile. A query with no key (l = 0) gives 0. Save q scaled, k, v,
        the output and the log-sum-exp m + log(l) for backward. Task `FusedAttention.forward`."""
        # BEGIN SOLUTION
        q_scaled = q * np.asarray(1.0 / math.sqrt(q.shape[-1]), q.dtype)
        running_max = np.full(q.shape[:-1] + (1,), -np.inf, q.dtype)           # m (*, L, 1)
        running_sum = np.zeros(q.shape[:-1] + (1,), q.dtype)                   # l
        acc = np.zeros(q.shape[:-1] + (v.shape[-1],), q.dtype)                 # (*, L, Ev)
        for start, stop in _tiles(k.shape[-2], block):
            scores = _tile_scores(q_scaled, k[..., start:stop, :], start, is_causal)
            new_max = np.maximum(running_max, scores.max(axis=-1, keepdims=True))
            shift = np.where(np.isneginf(new_max), 0.0, new_max)
            probs = np.exp(scores - shift)
            correction = np.exp(np.where(np.isneginf(running_max), -np.inf, running_max - shift))
            running_sum = running_sum * correction + probs.sum(axis=-1, keepdims=True)
            acc = acc * correction + probs @ v[..., start:stop, :]
            running_max = new_max
        safe_sum = np.where(running_sum == 0, 1.0, running_sum)
        out = acc / safe_sum
        lse = np.where(running_sum == 0, np.inf, running_max + np.log(safe_sum))  # (*, L, 1)
        ctx.save_for_backward(q_scaled, k, v, out, lse)
        ctx.is_causal, ctx.block, ctx.scale = is_causal, block, 1.0 / math.sqrt(q.shape[-1])
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad (*, L, Ev): the upstream gradient. Return (dQ, dK, dV, None, None), recomputing each tile's
        probabilities from the saved log-sum-exp (the formulas of the module docstring).
        Task `FusedAttention.backward`."""
        # BEGIN SOLUTION
        q_scaled, k, v, out, lse = ctx.saved_tensors
        row_dot = np.sum(grad * out, axis=-1, keepdims=True)                    # rowsum(dO * O)
        grad_q, grad_k, grad_v = np.zeros_like(q_scaled), np.zeros_like(k), np.zeros_like(v)
        for start, stop in _tiles(k.shape[-2], ctx.block):
            k_tile, v_tile = k[..., start:stop, :], v[..., start:stop, :]
            probs = np.exp(_tile_scores(q_scaled, k_tile, start, ctx.is_causal) - lse)   # (*, L, b)
            grad_v[..., start:stop, :] = np.swapaxes(probs, -1, -2) @ grad
            grad_scores = probs * (grad @ np.swapaxes(v_tile, -1, -2) - row_dot)
            grad_q += grad_scores @ k_tile
            grad_k[..., start:stop, :] = np.swapaxes(grad_scores, -1, -2) @ q_scaled
        return grad_q * np.asarray(ctx.scale, grad.dtype), grad_k, grad_v, None, None
        # END SOLUTION


def fused_attention(q: Tensor, k: Tensor, v: Tensor, is_causal: bool = False, block_size: int = 64) -> Tensor:
    """torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=is_causal) in one fused pass."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, Tensor):
            raise TypeError(f"fused_attention: {name} must be a Tensor, got {type(t).__name__}")
    _check("fused_attention", tuple(q.shape), tuple(k.shape), tuple(v.shape))
    if len({q.data.dtype, k.data.dtype, v.data.dtype}) > 1 or q.data.dtype.kind != "f":
        raise RuntimeError(f"fused_attention: expected q, k, v of one floating dtype, got {q.data.dtype}, "
                           f"{k.data.dtype}, {v.data.dtype}")
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"fused_attention: block_size must be a positive int, got {block_size!r}")
    return FusedAttention.apply(q, k, v, bool(is_causal), block_size)
