"""generate(model, idx, max_new_tokens, ...): autoregressive decoding of a tiny.models.GPT.

use_cache=True (the default): one prefill pass writes the whole prompt's keys and values into a
preallocated KVCache, then each new token costs one single-position pass (tiny/generation/fast_decode.py,
on the parameters' NumPy arrays, with no Tensor and no autograd bookkeeping).
use_cache=False: the baseline — the full model forward over the whole sequence for every new token.
Both give the same logits up to rounding and so, greedily, the same tokens.

The context: the returned sequence (prompt + max_new_tokens) must fit in the model's context_length,
otherwise generate raises ValueError before doing any work (it never crops or slides the window).
The model runs in eval mode (no dropout) during the call; its previous mode is restored afterwards.
Sampling rules (temperature, top_k, top_p, seed): tiny/generation/sampling.py.
"""
from __future__ import annotations

import numbers

import numpy as np

from tiny.autograd import no_grad
from tiny.generation.fast_decode import DecodeWeights, forward_cached
from tiny.generation.sampling import check_temperature, check_top_k, check_top_p, next_tokens
from tiny.random import default_generator
from tiny.tensor import Tensor

__all__ = ["generate"]


def _prompt(idx, vocab_size: int, context_length: int) -> np.ndarray:
    """The prompt as a (B, T) int64 array, checked."""
    if not isinstance(idx, Tensor):
        raise TypeError(f"generate: idx must be a Tensor of token ids (B, T), got {type(idx).__name__}")
    if idx.data.dtype.kind not in "iu":
        raise TypeError(f"generate: idx must hold integer token ids, got dtype {idx.data.dtype}")
    if idx.ndim != 2 or 0 in idx.shape:
        raise ValueError(f"generate: idx must be a non-empty (B, T) batch of prompts, got shape {tuple(idx.shape)}")
    if idx.shape[1] > context_length:
        raise ValueError(f"generate: the prompt idx has {idx.shape[1]} tokens, more than the model's "
                         f"context_length={context_length}")
    prompt = idx.data.astype(np.int64)
    if prompt.min() < 0 or prompt.max() >= vocab_size:
        raise IndexError(f"generate: token ids in idx must be in [0, {vocab_size}), got values from "
                         f"{prompt.min()} to {prompt.max()}")
    return prompt


def _check_length(max_new_tokens, prompt_length: int, context_length: int) -> int:
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, numbers.Integral) or max_new_tokens < 0:
        raise ValueError(f"generate: max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
    if prompt_length + max_new_tokens > context_length:
        raise ValueError(f"generate: prompt length {prompt_length} + max_new_tokens {max_new_tokens} exceeds "
                         f"the model's context_length={context_length}; generate never crops the context")
    return int(max_new_tokens)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"generate: seed must be an int or None, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"generate: seed must be >= 0, got {seed}")
    return int(seed)


def _cached_logits(model, tokens: np.ndarray, prompt_length: int, total: int):
    """Yields the logits (B, V) that choose tokens[:, t] for t = prompt_length .. total-1; reads each
    token the caller wrote into `tokens` before asking for the next logits."""
    weights = DecodeWeights(model)
    cache = weights.new_cache(tokens.shape[0], total)
    yield forward_cached(weights, cache, tokens[:, :prompt_length])      # prefill: the whole prompt
    for position in range(prompt_length, total - 1):
        yield forward_cached(weights, cache, tokens[:, position:position + 1])


def _uncached_logits(model, tokens: np.ndarray, prompt_length: int, total: int):
    """The baseline: the whole model forward over everything so far, for every new token."""
    for length in range(prompt_length, total):
        logits, _ = model(Tensor(tokens[:, :length]))                    # (B, length, V)
        yield logits.data[:, -1]


def generate(model, idx: Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, use_cache: bool = True, seed: int | None = None,
             return_logits: bool = False):
    """idx (B, T) int token ids -> (B, T + max_new_tokens) int64: the prompts followed by the new tokens.

    temperature 0 is greedy; otherwise tokens are sampled (see sampling.py) from np.random.default_rng(seed),
    or from tiny's global generator (tiny.manual_seed) when seed is None. return_logits=True also returns
    the logits that chose each new token, (B, max_new_tokens, V) in the model's dtype.
    Raises ValueError for max_new_tokens < 0, temperature < 0, top_k <= 0, top_p outside (0, 1], or a
    prompt (plus max_new_tokens) longer than the context.
    """
    config = model.config
    prompt = _prompt(idx, config.vocab_size, config.context_length)
    batch, prompt_length = prompt.shape
    new_tokens = _check_length(max_new_tokens, prompt_length, config.context_length)
    temperature, top_k, top_p = check_temperature(temperature), check_top_k(top_k), check_top_p(top_p)
    rng = np.random.default_rng(_check_seed(seed)) if seed is not None else default_generator()
    if not isinstance(use_cache, (bool, np.bool_)):
        raise TypeError(f"generate: use_cache must be a bool, got {type(use_cache).__name__} {use_cache!r}")
    total = prompt_length + new_tokens
    tokens = np.empty((batch, total), np.int64)
    tokens[:, :prompt_length] = prompt
    chosen_by = []
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            steps = (_cached_logits if use_cache else _uncached_logits)(model, tokens, prompt_length, total)
            for position, logits in zip(range(prompt_length, total), steps):
                tokens[:, position] = next_tokens(logits, temperature, top_k, top_p, rng)
                if return_logits:
                    chosen_by.append(np.array(logits, copy=True))
    finally:
        model.train(was_training)
    result = Tensor(tokens)
    if not return_logits:
        return result
    vocab_dtype = model.tok_emb.weight.data.dtype
    logits = np.stack(chosen_by, axis=1) if chosen_by else np.zeros((batch, 0, config.vocab_size), vocab_dtype)
    return result, Tensor(logits)
