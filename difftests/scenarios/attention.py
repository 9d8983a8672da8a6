"""Scenarios of the attention area (torch-free); see difftests/scenarios/__init__.py. The trusted side is
difftests/test_attention.py: dropout inside attention (random, so tested by its semantics), the modes of
MultiHeadAttention, the is_causal + attn_mask convention on 4-D inputs, and is_causal with a negative scale.
"""
from __future__ import annotations

import numpy as np

from difftests.scenarios import array, attempt, raised, scenario  # noqa: F401


@scenario("attention.sdpa_dropout")
def sdpa_dropout(lib, query: np.ndarray, key: np.ndarray, value: np.ndarray, upstream: np.ndarray,
                 dropout_p: float, is_causal: bool = False, seed: int = 0) -> dict:
    """One forward with dropout and its backward from `upstream`: the output and the input gradients."""
    lib.manual_seed(seed)
    q, k, v = (lib.tensor(a, requires_grad=True) for a in (query, key, value))
    out = lib.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=is_causal)
    out.backward(lib.tensor(upstream))
    return {"out": array(out.detach()), "grad_query": array(q.grad), "grad_key": array(k.grad),
            "grad_value": array(v.grad)}


@scenario("attention.mha_modes")
def mha_modes(lib, x: np.ndarray, state: dict, embed_dim: int, num_heads: int, dropout: float) -> dict:
    """MultiHeadAttention(dropout=...) in eval mode, then twice in training mode (causal self-attention)."""
    module = lib.nn.MultiHeadAttention(embed_dim, num_heads, dropout=dropout)
    module.to(lib.float64)
    module.load_state_dict({name: lib.tensor(value) for name, value in state.items()})
    module.eval()
    evaluated = array(module(lib.tensor(x), is_causal=True).detach())
    module.train()
    trained = [array(module(lib.tensor(x), is_causal=True).detach()) for _ in range(2)]
    return {"eval": evaluated, "train": trained, "dropout": float(module.dropout)}


@scenario("attention.causal_with_mask")
def causal_with_mask(lib, query: np.ndarray, key: np.ndarray, value: np.ndarray, mask: np.ndarray) -> dict:
    """What scaled_dot_product_attention does with is_causal=True and an explicit mask."""
    q, k, v, m = (lib.tensor(a) for a in (query, key, value, mask))
    return {"result": attempt(lambda: array(lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=m, is_causal=True)))}


@scenario("attention.causal_negative_scale")
def causal_negative_scale(lib, query: np.ndarray, key: np.ndarray, value: np.ndarray, scale: float) -> dict:
    """scaled_dot_product_attention(is_causal=True, scale=scale) on (B, H, L, E) inputs."""
    q, k, v = (lib.tensor(a) for a in (query, key, value))
    return {"result": attempt(lambda: array(lib.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=True, scale=scale)))}
