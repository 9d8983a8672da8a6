"""torch twin of tiny/generation/sampling.py: the same rules, written with torch ops (topk, sort, cumsum,
scatter). See tiny/generation/sampling.py for their exact statement."""
import math
import numbers

import numpy as np
import torch


def check_top_k(top_k):
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral) or top_k <= 0):
        raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
    return top_k


def check_top_p(top_p):
    if top_p is not None and (isinstance(top_p, bool) or not isinstance(top_p, numbers.Real) or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be a number in (0, 1] or None, got {top_p!r}")
    return top_p


def check_temperature(temperature):
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) or math.isnan(temperature) \
            or temperature < 0:
        raise ValueError(f"temperature must be a number >= 0 (0 means greedy), got {temperature!r}")
    return float(temperature)


def top_k_mask(logits, top_k):
    if top_k >= logits.shape[-1]:
        return torch.ones(logits.shape, dtype=torch.bool)
    kth_largest = torch.topk(logits, top_k, dim=-1).values[..., -1:]
    return logits >= kth_largest


def top_p_mask(logits, top_p):
    if top_p >= 1.0:
        return torch.ones(logits.shape, dtype=torch.bool)
    x_sorted, order = torch.sort(logits.double(), dim=-1, descending=True, stable=True)
    weights = torch.exp(x_sorted - x_sorted[..., :1])
    cumulative = torch.cumsum(weights, dim=-1)
    before = torch.cat([torch.zeros_like(cumulative[..., :1]), cumulative[..., :-1]], dim=-1)
    keep_sorted = before < top_p * cumulative[..., -1:]
    return torch.empty_like(keep_sorted).scatter_(-1, order, keep_sorted)


def filter_logits(logits, top_k=None, top_p=None):
    if not logits.is_floating_point():
        raise TypeError(f"filter_logits: expected floating-point logits, got dtype {logits.dtype}")
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise ValueError(f"filter_logits: logits need a non-empty last (vocabulary) dim, got shape "
                         f"{tuple(logits.shape)}")
    top_k, top_p = check_top_k(top_k), check_top_p(top_p)
    logits = logits.detach()
    if top_k is not None:
        logits = logits.masked_fill(~top_k_mask(logits, top_k), -math.inf)
    if top_p is not None and top_p < 1.0:
        logits = logits.masked_fill(~top_p_mask(logits, top_p), -math.inf)
    return logits


def next_tokens(logits, temperature, top_k, top_p, rng: np.random.Generator):
    """logits (B, V) -> (B,) int64; the uniforms come from the same NumPy Generator as tiny's."""
    if temperature == 0:
        return torch.argmax(logits, dim=-1)
    scaled = filter_logits(logits.double() / temperature, top_k, top_p)
    weights = torch.exp(scaled - scaled.max(dim=-1, keepdim=True).values)
    cumulative = torch.cumsum(weights, dim=-1)
    threshold = torch.from_numpy(rng.random(logits.shape[0])) * cumulative[:, -1]
    chosen = (cumulative <= threshold[:, None]).sum(dim=-1)
    return chosen.clamp(max=logits.shape[-1] - 1)
