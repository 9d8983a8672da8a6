"""Attention behaviour the value pairs cannot compare (difftests/pairs/attention.py compares values):
dropout inside scaled_dot_product_attention draws from the implementation's generator, so it is tested by
its semantics — every weight is either dropped or scaled by 1/(1-p), the dropped fraction is binomial, and
the gradients are those of the very mask that was drawn; MultiHeadAttention drops only in training mode;
is_causal with an explicit mask is an error for every input rank; and is_causal with a scale <= 0 on 4-D
inputs follows the documented formula where torch's CPU flash kernel returns nan. The implementation side runs as
scenarios (difftests/scenarios/attention.py); torch runs here.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from reference.nn.attention import MultiHeadAttention

pytestmark = pytest.mark.area_attention

BATCH, LENGTH, EMBED = 4, 16, 4


def inputs(seed: int):
    """q, k small enough that no attention weight underflows; v = identity, so the output IS the weights."""
    rng = np.random.default_rng(seed)
    query, key = (rng.uniform(-1, 1, (BATCH, LENGTH, EMBED)) for _ in range(2))
    value = np.broadcast_to(np.eye(LENGTH), (BATCH, LENGTH, LENGTH)).copy()
    return query, key, value, rng.standard_normal((BATCH, LENGTH, LENGTH))


def attention_probs(query, key, is_causal: bool) -> np.ndarray:
    scores = torch.from_numpy(query) @ torch.from_numpy(key).mT / np.sqrt(EMBED)
    if is_causal:
        scores = scores.masked_fill(~torch.ones(LENGTH, LENGTH, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(scores, -1).numpy()


@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize("dropout_p", [0.1, 0.5, 0.9])
def test_sdpa_dropout_drops_or_rescales_each_weight(observe, dropout_p, is_causal):
    query, key, value, upstream = inputs(seed=int(dropout_p * 10) + is_causal)
    got = observe("attention.sdpa_dropout", query=query, key=key, value=value, upstream=upstream,
                  dropout_p=dropout_p, is_causal=is_causal, seed=7)
    probs = attention_probs(query, key, is_causal)
    out = got["out"]
    attended = probs > 0
    kept = out != 0
    assert not (kept & ~attended).any(), "a masked (causal) position got weight after dropout"
    np.testing.assert_allclose(out[kept], probs[kept] / (1 - dropout_p), rtol=1e-12, atol=0)
    # Dropped fraction of the attended weights: a 6-sigma binomial band around dropout_p.
    n = int(attended.sum())
    dropped = float((attended & ~kept).sum()) / n
    assert abs(dropped - dropout_p) < 6 * np.sqrt(dropout_p * (1 - dropout_p) / n), (dropped, dropout_p)
    # The gradients are those of attention with exactly this dropout mask.
    q, k, v = (torch.tensor(a, requires_grad=True) for a in (query, key, value))
    scores = q @ k.mT / np.sqrt(EMBED)
    if is_causal:
        scores = scores.masked_fill(~torch.ones(LENGTH, LENGTH, dtype=torch.bool).tril(), float("-inf"))
    weights = torch.softmax(scores, -1) * torch.from_numpy(kept) / (1 - dropout_p)
    (weights @ v).backward(torch.from_numpy(upstream))
    for name, tensor in (("grad_query", q), ("grad_key", k), ("grad_value", v)):
        np.testing.assert_allclose(got[name], tensor.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_sdpa_dropout_draws_new_masks_and_p_one_drops_everything(observe):
    query, key, value, upstream = inputs(seed=3)
    first, second = (observe("attention.sdpa_dropout", query=query, key=key, value=value, upstream=upstream,
                             dropout_p=0.5, seed=seed)["out"] for seed in (1, 2))
    assert ((first != 0) != (second != 0)).any(), "different seeds drew the same dropout mask"
    again = observe("attention.sdpa_dropout", query=query, key=key, value=value, upstream=upstream,
                    dropout_p=0.5, seed=1)["out"]
    np.testing.assert_array_equal(again, first)  # manual_seed makes it reproducible
    everything = observe("attention.sdpa_dropout", query=query, key=key, value=value, upstream=upstream,
                         dropout_p=1.0)
    torch_out = F.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (query, key, value)), dropout_p=1.0)
    np.testing.assert_array_equal(everything["out"], torch_out.numpy())   # zeros, not nan
    for name in ("grad_query", "grad_key", "grad_value"):
        np.testing.assert_array_equal(everything[name], np.zeros_like(everything[name]), err_msg=name)


def test_multi_head_attention_drops_only_in_training(observe):
    torch.manual_seed(0)
    twin = MultiHeadAttention(8, 2, dropout=0.5).double()
    state = {name: value.numpy() for name, value in twin.state_dict().items()}
    x = np.random.default_rng(0).standard_normal((2, 6, 8))
    got = observe("attention.mha_modes", x=x, state=state, embed_dim=8, num_heads=2, dropout=0.5)
    assert got["dropout"] == 0.5
    with torch.no_grad():
        want = twin.eval()(torch.from_numpy(x), is_causal=True).numpy()
    np.testing.assert_allclose(got["eval"], want, rtol=1e-9, atol=1e-12)
    first, second = got["train"]
    assert np.abs(first - got["eval"]).max() > 1e-3, "dropout had no effect in training mode"
    assert np.abs(first - second).max() > 1e-3, "two training forwards drew the same mask"


@pytest.mark.parametrize("rank", [3, 4])
def test_is_causal_with_an_explicit_mask_is_an_error(observe, rank):
    """torch documents an error; its math kernel (3-D here) raises RuntimeError. On 4-D inputs torch 2.13's
    CPU flash kernel instead combines both masks silently (checked below, so this note goes stale loudly if
    torch changes); tiny follows the documented contract for every rank."""
    rng = np.random.default_rng(rank)
    lead = (1,) * (rank - 2)
    query, key, value = (rng.standard_normal(lead + (3, 4)) for _ in range(3))
    mask = np.array([[True, False, True]] * 3)
    got = observe("attention.causal_with_mask", query=query, key=key, value=value, mask=mask)["result"]
    assert isinstance(got, dict) and got.get("__raised__", [None])[0] == "RuntimeError", got
    q, k, v, m = (torch.from_numpy(a) for a in (query, key, value, mask))
    if rank == 3:
        with pytest.raises(RuntimeError):
            F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=True)
    else:
        combined = F.scaled_dot_product_attention(q, k, v, attn_mask=m & torch.ones(3, 3, dtype=torch.bool).tril())
        torch.testing.assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=True), combined)


def test_is_causal_with_a_scale_of_zero_or_below_follows_the_documented_formula(observe):
    """torch documents softmax(q k^T * scale + bias) with bias -inf above the diagonal: finite for any scale,
    and its math kernel (3-D inputs) computes that. torch 2.13's CPU flash kernel (4-D inputs) scales the
    masked -inf too and returns nan for a scale <= 0 (checked below, so this note goes stale loudly
    if torch changes). tiny follows the formula for every rank; the value pair draws scale > 0 for causal
    cases and names a 3-D causal case with a negative scale."""
    rng = np.random.default_rng(0)
    query, key, value = (rng.standard_normal((1, 2, 3, 4)) for _ in range(3))
    q, k, v = (torch.from_numpy(a) for a in (query, key, value))
    causal = torch.ones(3, 3, dtype=torch.bool).tril()
    for scale in (-0.7, 0.0):
        got = observe("attention.causal_negative_scale", query=query, key=key, value=value, scale=scale)["result"]
        formula = torch.softmax((q @ k.mT * scale).masked_fill(~causal, float("-inf")), -1) @ v
        assert isinstance(got, np.ndarray), got
        np.testing.assert_allclose(got, formula.numpy(), rtol=1e-7, atol=1e-7)
        flash = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
        assert torch.isnan(flash[..., :-1, :]).all() and not torch.isnan(flash[..., -1, :]).any()  # rows with masked keys
