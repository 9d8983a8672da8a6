"""Choosing the next token from logits: greedy, temperature, top-k, top-p (nucleus) and seeded sampling.

The rules, stated exactly (reference/generation/sampling.py implements the same rules with torch, and
difftests/pairs/generation.py proves the masks equal):

- temperature == 0: greedy — the index of the largest logit (the first one on ties, like torch.argmax);
  top_k and top_p are then ignored. Otherwise the logits are divided by the temperature.
- top_k = k: keeps every token whose logit is >= the k-th largest logit, so tokens tied with the k-th
  one are all kept (more than k may survive; this is `logits < topk(logits, k).values[..., -1:]`, the
  usual torch idiom). k larger than the vocabulary keeps everything.
- top_p = p (applied after top_k): the tokens are ordered by logit, largest first, ties by lower index
  (a stable sort); with w = exp(logit - max) (float64), token i in that order is kept iff the sum of w
  over the tokens before it is < p * sum(w). That is the smallest prefix whose probability is >= p, and
  the most likely token is always kept. p == 1 keeps everything (no rounding can drop a token).
- Removed tokens get logit -inf. Sampling then draws one uniform u in [0, 1) per row from the
  np.random.Generator and returns the first token whose cumulative weight exceeds u * (total weight)
  (inverse-CDF sampling over w = exp(filtered - max), in float64): a removed token is never drawn.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from tiny.tensor import Tensor

__all__ = ["filter_logits"]


# ----- argument checks (shared by generate and filter_logits) ------------------------------------
def check_top_k(top_k) -> int | None:
    if top_k is None:
        return None
    if isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral) or top_k <= 0:
        raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
    return int(top_k)


def check_top_p(top_p) -> float | None:
    if top_p is None:
        return None
    if isinstance(top_p, bool) or not isinstance(top_p, numbers.Real) or not 0 < top_p <= 1:
        raise ValueError(f"top_p must be a number in (0, 1] or None, got {top_p!r}")
    return float(top_p)


def check_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) \
            or math.isnan(temperature) or temperature < 0:
        raise ValueError(f"temperature must be a number >= 0 (0 means greedy), got {temperature!r}")
    return float(temperature)


# ----- the filtering rules on arrays ---------------------------------------------------------
def top_k_mask(logits: np.ndarray, top_k: int) -> np.ndarray:
    """Bool (..., V): True for the tokens top-k keeps (ties with the k-th largest are kept)."""
    vocab = logits.shape[-1]
    if top_k >= vocab:
        return np.ones(logits.shape, bool)
    kth_largest = np.partition(logits, vocab - top_k, axis=-1)[..., vocab - top_k:vocab - top_k + 1]
    return logits >= kth_largest


def top_p_mask(logits: np.ndarray, top_p: float) -> np.ndarray:
    """Bool (..., V): True for the smallest highest-probability set whose probability is >= top_p."""
    if top_p >= 1.0:
        return np.ones(logits.shape, bool)
    x = logits.astype(np.float64)
    order = np.argsort(-x, axis=-1, kind="stable")                # largest first, ties by index
    x_sorted = np.take_along_axis(x, order, axis=-1)
    weights = np.exp(x_sorted - x_sorted[..., :1])                 # (..., V), the max is first
    cumulative = np.cumsum(weights, axis=-1)
    before = np.concatenate([np.zeros_like(cumulative[..., :1]), cumulative[..., :-1]], axis=-1)
    keep_sorted = before < top_p * cumulative[..., -1:]
    keep = np.empty_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    return keep


def filter_logits_array(logits: np.ndarray, top_k: int | None, top_p: float | None) -> np.ndarray:
    """logits (..., V) with the tokens top-k and then top-p remove set to -inf (same dtype)."""
    if top_k is not None:
        logits = np.where(top_k_mask(logits, top_k), logits, -np.inf).astype(logits.dtype, copy=False)
    if top_p is not None and top_p < 1.0:
        logits = np.where(top_p_mask(logits, top_p), logits, -np.inf).astype(logits.dtype, copy=False)
    return logits


def filter_logits(logits: Tensor, top_k: int | None = None, top_p: float | None = None) -> Tensor:
    """logits (..., V) -> (..., V): removed tokens set to -inf, kept ones unchanged (module docstring).

    Not differentiable (sampling is not); the result does not require grad.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"filter_logits: expected a Tensor of logits, got {type(logits).__name__}")
    if logits.data.dtype.kind != "f":
        raise TypeError(f"filter_logits: expected floating-point logits, got dtype {logits.data.dtype}")
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise ValueError(f"filter_logits: logits need a non-empty last (vocabulary) dim, got shape "
                         f"{tuple(logits.shape)}")
    top_k, top_p = check_top_k(top_k), check_top_p(top_p)
    return Tensor(np.array(filter_logits_array(logits.data, top_k, top_p), copy=True))


# ----- choosing the next token -----------------------------------------------------------------
def next_tokens(logits: np.ndarray, temperature: float, top_k: int | None, top_p: float | None,
                rng: np.random.Generator) -> np.ndarray:
    """logits (B, V) of the last position -> the next token of every row (B,) int64."""
    if temperature == 0:
        return np.argmax(logits, axis=-1).astype(np.int64)
    scaled = filter_logits_array(logits.astype(np.float64) / temperature, top_k, top_p)  # (B, V)
    weights = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    cumulative = np.cumsum(weights, axis=-1)
    threshold = rng.random(logits.shape[0]) * cumulative[:, -1]           # (B,)
    # The first token whose cumulative weight exceeds the threshold; clip guards a row of NaN logits.
    chosen = np.count_nonzero(cumulative <= threshold[:, None], axis=-1)
    return np.minimum(chosen, logits.shape[-1] - 1).astype(np.int64)
