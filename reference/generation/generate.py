"""torch twin of tiny/generation/generate.py, for reference.models.GPT (same weights, same rules).

use_cache=True: the prompt's keys/values are written into a preallocated KVCache of torch tensors in one
prefill pass, then each new token runs the model's own modules (ln1, q/k/v/out_proj, mlp, ...) on one
position, attending with F.scaled_dot_product_attention over the cache — idiomatic eager torch under
torch.no_grad(). use_cache=False: the model's full forward for every new token. The same errors, context
rule (prompt + max_new_tokens must fit the context) and sampling rules as tiny; the uniforms come from
np.random.default_rng(seed) so seeded sampling can be compared token for token.
`laps` (a list or None) collects (stage, time) pairs for perf's per-stage profile.
"""
import numbers
from time import perf_counter

import numpy as np
import torch
import torch.nn.functional as F

from reference.generation.kv_cache import KVCache
from reference.generation.sampling import check_temperature, check_top_k, check_top_p, next_tokens


def _lap(laps, name):
    if laps is not None:
        laps.append((name, perf_counter()))


def _block_cached(block, cache, layer, x, laps):
    """x (B, T, C) at positions [cache.length, cache.length + T) -> (B, T, C)."""
    attn, steps = block.attn, x.shape[1]
    h = block.ln1(x)
    q, k, v = attn.split_heads(attn.q_proj(h)), attn.split_heads(attn.k_proj(h)), attn.split_heads(attn.v_proj(h))
    _lap(laps, "ln1+qkv")
    keys, values = cache.append(layer, k, v)                                   # (B, H, S, D)
    mask = None
    if steps > 1:  # the new position at past + t sees keys 0 .. past + t
        mask = torch.ones(steps, keys.shape[2], dtype=torch.bool).tril(diagonal=cache.length)
    attended = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)  # (B, H, T, D)
    _lap(laps, "attention")
    x = x + attn.out_proj(attn.merge_heads(attended))
    _lap(laps, "out_proj+residual")
    hidden = block.mlp.fc(block.ln2(x))
    _lap(laps, "ln2+fc")
    hidden = block.mlp.act(hidden)
    _lap(laps, "act")
    x = x + block.mlp.proj(hidden)
    _lap(laps, "proj+residual")
    return x


def forward_cached(model, cache, tokens, laps=None):
    """tokens (B, T) -> logits of the last position (B, V); writes T positions into the cache."""
    start, steps = cache.length, tokens.shape[1]
    x = model.tok_emb(tokens) + model.pos_emb.weight[start:start + steps]      # (B, T, C)
    _lap(laps, "embedding")
    for layer, block in enumerate(model.blocks):
        x = _block_cached(block, cache, layer, x, laps)
    cache.advance(steps)
    logits = model.head(model.ln_f(x[:, -1]))                                  # (B, V)
    _lap(laps, "ln_f+head")
    return logits


def new_cache(model, batch, max_len):
    config = model.config
    return KVCache(config.n_layer, batch, config.n_head, max_len, config.d_model // config.n_head,
                   model.tok_emb.weight.dtype)


def _check(model, idx, max_new_tokens):
    config = model.config
    if not isinstance(idx, torch.Tensor):
        raise TypeError(f"generate: idx must be a Tensor of token ids (B, T), got {type(idx).__name__}")
    if idx.is_floating_point() or idx.dtype == torch.bool:
        raise TypeError(f"generate: idx must hold integer token ids, got dtype {idx.dtype}")
    if idx.ndim != 2 or idx.numel() == 0:
        raise ValueError(f"generate: idx must be a non-empty (B, T) batch of prompts, got shape {tuple(idx.shape)}")
    if idx.shape[1] > config.context_length:
        raise ValueError(f"generate: the prompt idx has {idx.shape[1]} tokens, more than the model's "
                         f"context_length={config.context_length}")
    if int(idx.min()) < 0 or int(idx.max()) >= config.vocab_size:
        raise IndexError(f"generate: token ids in idx must be in [0, {config.vocab_size})")
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, numbers.Integral) or max_new_tokens < 0:
        raise ValueError(f"generate: max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
    if idx.shape[1] + max_new_tokens > config.context_length:
        raise ValueError(f"generate: prompt length {idx.shape[1]} + max_new_tokens {max_new_tokens} exceeds "
                         f"the model's context_length={config.context_length}")


def _step_logits(model, tokens, prompt_length, total, use_cache):
    if not use_cache:
        for length in range(prompt_length, total):
            yield model(tokens[:, :length])[0][:, -1]
        return
    cache = new_cache(model, tokens.shape[0], total)
    yield forward_cached(model, cache, tokens[:, :prompt_length])
    for position in range(prompt_length, total - 1):
        yield forward_cached(model, cache, tokens[:, position:position + 1])


def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None, use_cache=True, seed=None,
             return_logits=False):
    _check(model, idx, max_new_tokens)
    temperature, top_k, top_p = check_temperature(temperature), check_top_k(top_k), check_top_p(top_p)
    rng = np.random.default_rng(seed)
    batch, prompt_length = idx.shape
    total = prompt_length + max_new_tokens
    tokens = torch.empty((batch, total), dtype=torch.int64)
    tokens[:, :prompt_length] = idx
    chosen_by = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for position, logits in zip(range(prompt_length, total),
                                        _step_logits(model, tokens, prompt_length, total, use_cache)):
                tokens[:, position] = next_tokens(logits, temperature, top_k, top_p, rng)
                if return_logits:
                    chosen_by.append(logits.clone())
    finally:
        model.train(was_training)
    if not return_logits:
        return tokens
    vocab = model.config.vocab_size
    logits = torch.stack(chosen_by, dim=1) if chosen_by else torch.zeros((batch, 0, vocab),
                                                                          dtype=model.tok_emb.weight.dtype)
    return tokens, logits


def generate_pair(idx, *params, config, names, dtype, max_new_tokens, **options):
    """The twin of the generation pair's call: reference.models.GPT of `config` in `dtype` loaded with
    `params` (named by `names`; head.weight is tok_emb.weight when tied), then generate with return_logits."""
    from reference.models.gpt import GPT, GPTConfig

    model = GPT(GPTConfig(**config)).to(getattr(torch, dtype))
    state = dict(zip(names, params))
    if config.get("tie_weights", True):
        state["head.weight"] = state["tok_emb.weight"]
    model.load_state_dict(state)
    return generate(model, idx, max_new_tokens, return_logits=True, **options)
