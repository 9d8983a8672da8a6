"""The cached forward pass of a GPT on plain NumPy arrays, built from the model's own modules.

`DecodeWeights(model)` compiles the decode step once per generate call by walking the model: GPT.forward's
embeddings and final LayerNorm + head, and per Block the two pre-LN residual branches
x + attn(ln1(x)) and x + mlp(ln2(x)). Every module on the way contributes its array kernel
(tiny/generation/module_kernels.py: Linear, LayerNorm, GELU both forms, ReLU, Dropout in eval and Identity
as nothing, Sequential as its children); a module without a kernel runs its own forward on the positions, so
the cached path computes whatever the model computes (swap the blocks' GELU for a ReLU, drop the biases,
untie the head: cached == uncached). What a per-position step cannot follow is refused with a TypeError
naming the module: a GPT or Block subclass that overrides forward, an attention other than
MultiHeadAttention, or projections that are not Linear.

On small models a decode step is mostly per-call overhead (a NumPy call costs ~0.5-3 us whatever the
size of a (1, 64) row), so the plan does the arithmetic with as few calls as it can:

- each LayerNorm's affine (gamma, beta) is folded into the Linear that follows it (LN(x) @ W^T + b =
  x_hat @ (gamma W^T) + (beta W^T + b)), the attention scale 1/sqrt(head_dim) is folded into the query
  projection, and the q, k, v projections are fused into one (C, 3C) matrix;
- activations are 2-D (B*T, C) so every projection is a single 2-D np.dot, and updates are in place;
- GELU is x * Phi(x) with Phi from SciPy's ndtr (one ufunc call; SciPy is allowed where NumPy lacks a
  function, as for tiny.nn.activation's erf); without SciPy, Phi comes from a from-scratch table of Taylor
  polynomials with one gather and a short Horner loop (`normal_cdf` below);
- keys and values go straight into the preallocated KVCache (an O(1) slice write per token).

The results equal the Tensor forward up to rounding (the folds reorder a few products); the difftests
check it at every step, in float64 and float32, for several module compositions. `laps` (a list, or None)
collects a (stage, time) pair after each stage (labels from the module names: "ln1+qkv", "attention",
"out_proj+residual", "ln2+fc", "act", "proj+residual", "ln_f+head"): perf/generation.py's per-stage profile.
"""
from __future__ import annotations

import math
from time import perf_counter

import numpy as np

from tiny.generation.kv_cache import KVCache
from tiny.generation.module_kernels import compile_chain, folded_linear, is_plain, linear_arrays, normalized

# ----- GELU: the normal CDF from a table of Taylor polynomials ------------------------------------
# GELU(x) = x * Phi(x). Phi is tabulated around the centres k/64 for |k| <= 544 (|x| <= 8.5); a value is
# at most 1/128 from its centre, so degree 3 is exact to ~2e-10 (below float32's 6e-8) and degree 6 to
# ~2e-18 (below float64's 1.1e-16). Beyond 8.5, Phi rounds to exactly 1 (or 0) in float64.
_PHI_STEPS_PER_UNIT = 64
_PHI_LAST = 544                               # 8.5 * 64
_PHI_DEGREE = {np.dtype(np.float32): 3, np.dtype(np.float64): 6}


def _phi_table(degree: int) -> np.ndarray:
    """(degree + 1, 2 * 544 + 1): column k (k = 0..544) and column -k (counted from the end, as
    ndarray.take reads negative indices) hold Phi's Taylor coefficients at the centre k/64 and -k/64,
    each times (1/64)^j so that the polynomial's variable is the offset in steps, in [-1/2, 1/2].

    Phi^(j)(c) = (-1)^(j-1) He_{j-1}(c) phi(c) for j >= 1, phi the normal density and He the
    probabilists' Hermite polynomials (He_{n+1} = x He_n - n He_{n-1}). The two end columns are exactly
    (1, 0, ...) and (0, 0, ...): saturated inputs give exactly 1 and 0.
    """
    table = np.zeros((degree + 1, 2 * _PHI_LAST + 1))
    width = 1.0 / _PHI_STEPS_PER_UNIT
    for k in range(-_PHI_LAST + 1, _PHI_LAST):
        c = k * width
        density = math.exp(-c * c / 2) / math.sqrt(2 * math.pi)
        table[0, k] = 0.5 * (1 + math.erf(c / math.sqrt(2)))
        hermite_prev, hermite = 0.0, 1.0  # He_{-1}, He_0 at c
        for j in range(1, degree + 1):
            table[j, k] = (-1) ** (j - 1) * hermite * density / math.factorial(j) * width ** j
            hermite_prev, hermite = hermite, c * hermite - (j - 1) * hermite_prev
    table[0, _PHI_LAST] = 1.0
    return table


_PHI_TABLES = {dtype: _phi_table(degree).astype(dtype) for dtype, degree in _PHI_DEGREE.items()}
# Scalars of the array's own dtype: a Python float operand costs NumPy an extra conversion per call.
_PHI_CONSTANTS = {dtype: (dtype.type(-8.5), dtype.type(8.5), dtype.type(_PHI_STEPS_PER_UNIT)) for dtype in _PHI_DEGREE}


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) of a float32/float64 array with at least one dim (activations (N, 4C)), in its dtype; NaN maps
    to 0 (GELU's x * Phi(x) stays NaN)."""
    table = _PHI_TABLES[x.dtype]
    low, high, steps_per_unit = _PHI_CONSTANTS[x.dtype]
    degree = table.shape[0] - 1
    steps = np.fmax(x, low)                        # fmax/fmin ignore NaN, so the index stays valid
    np.fmin(steps, high, out=steps)
    steps *= steps_per_unit                        # exact: a power of two
    nearest = np.rint(steps)
    steps -= nearest                               # the offset from the centre, in [-1/2, 1/2]: exact
    coefficients = table.take(nearest.astype(np.intp), axis=1)   # (degree + 1, *x.shape)
    result = coefficients[degree] * steps
    for j in range(degree - 1, 0, -1):             # Horner's rule
        result += coefficients[j]
        result *= steps
    result += coefficients[0]
    return result


try:  # SciPy's ndtr is Phi in one ufunc call (2.6 us on 256 floats vs 8.8 us for the table above)
    from scipy.special import ndtr as scipy_ndtr
except ImportError:  # pragma: no cover - the pinned setup installs SciPy; the table is the fallback
    scipy_ndtr = None




# ----- the plan: the model's structure, checked, with each module's kernel ---------------------------------
def _refuse(name: str, module, why: str) -> TypeError:
    return TypeError(f"generate(use_cache=True): {name} ({type(module).__name__}) {why}; the cached decode step "
                     f"cannot follow it one position at a time (use_cache=False runs the model's own forward)")


def _embedding_lookup(name: str, module):
    """Embedding -> its weight (V, C) (rows are looked up directly); another module -> a kernel on the ids."""
    from tiny.nn.embedding import Embedding
    if is_plain(module, Embedding):
        return module.weight.data
    if not callable(module):
        raise _refuse(name, module, "is not a module")
    from tiny.autograd import no_grad
    from tiny.tensor import Tensor

    def own_forward(ids: np.ndarray) -> np.ndarray:                   # (N,) int64 -> (N, C)
        with no_grad():
            return np.array(module(Tensor(ids)).data, copy=True)
    return own_forward


class AttentionWeights:
    """One MultiHeadAttention: the fused q|k|v (C, 3C) projection (the LayerNorm before it and the scale folded
    in when it is a plain LayerNorm), and the stages before it (a LayerNorm that cannot fold, or others)."""

    def __init__(self, name: str, norm_name: str, norm, attn, dtype: np.dtype) -> None:
        from tiny.nn.attention import MultiHeadAttention
        from tiny.nn.linear import Linear
        from tiny.nn.normalization import LayerNorm
        if not (is_plain(attn, MultiHeadAttention) and type(attn).split_heads is MultiHeadAttention.split_heads):
            raise _refuse(name, attn, "is not a tiny.nn.MultiHeadAttention with its own forward")
        for proj in ("q_proj", "k_proj", "v_proj"):
            if not is_plain(getattr(attn, proj), Linear):
                raise _refuse(f"{name}.{proj}", getattr(attn, proj), "is not a plain Linear")
        foldable = is_plain(norm, LayerNorm) and len(norm.normalized_shape) == 1
        self.before = [] if foldable else compile_chain([(norm_name, norm)], False, dtype)
        self.qkv_label = f"{norm_name}+qkv" if foldable else "qkv"
        projections = [linear_arrays(getattr(attn, p)) for p in ("q_proj", "k_proj", "v_proj")]
        weight_t = np.concatenate([w for w, _ in projections], axis=1)                     # (C, 3C)
        bias = np.concatenate([np.zeros(w.shape[1], dtype) if b is None else b for w, b in projections])  # (3C,)
        self.qkv_weight, qkv_bias = folded_linear(norm if foldable else None, weight_t, bias)
        self.qkv_bias = np.array(qkv_bias, dtype=dtype)
        width = attn.embed_dim
        scale = self.qkv_weight.dtype.type(1.0 / math.sqrt(attn.head_dim))
        self.qkv_weight[:, :width] *= scale
        self.qkv_bias[:width] *= scale
        self.mean_column = np.full((width, 1), 1.0 / width, dtype) if foldable else None
        self.eps = norm.eps if foldable else None
        self.after = Branch(compile_chain([(f"{name}.out_proj", attn.out_proj)], True, dtype))


class LayerWeights:
    """One Block: the attention branch (AttentionWeights) and the MLP branch's stages (ln2, then mlp's)."""

    def __init__(self, name: str, block, dtype: np.dtype) -> None:
        from tiny.models.gpt import Block
        if not is_plain(block, Block):
            raise _refuse(name, block, "is not a tiny.models.Block with Block's own forward")
        self.attention = AttentionWeights(f"{name}.attn", "ln1", block.ln1, block.attn, dtype)
        self.mlp = Branch(compile_chain([("ln2", block.ln2), ("mlp", block.mlp)], False, dtype))


class DecodeWeights:
    """The decode step of one model, compiled from its modules (copies of the weights: later changes to the
    model are not seen). Raises TypeError naming a module the cached step cannot follow."""

    def __init__(self, model) -> None:
        from tiny.models.gpt import GPT
        if not is_plain(model, GPT):
            raise _refuse("the model", model, "is not a tiny.models.GPT with GPT's own forward")
        config = model.config
        self.n_head, self.head_dim = config.n_head, config.d_model // config.n_head
        self.d_model, self.context_length = config.d_model, config.context_length
        self.tok_emb = _embedding_lookup("tok_emb", model.tok_emb)       # (V, C) array, or a kernel
        self.pos_emb = _embedding_lookup("pos_emb", model.pos_emb)       # (T_ctx, C) array, or a kernel
        self.dtype = np.dtype(model.tok_emb.weight.data.dtype)
        self.embedding_stages = compile_chain([("drop", model.drop)], True, self.dtype)
        self.layers = [LayerWeights(f"blocks.{i}", block, self.dtype) for i, block in enumerate(model.blocks)]
        for i, block in enumerate(model.blocks):
            if (block.attn.num_heads, block.attn.head_dim) != (self.n_head, self.head_dim):
                raise _refuse(f"blocks.{i}.attn", block.attn, f"has {block.attn.num_heads} heads of "
                              f"{block.attn.head_dim}, not the config's {self.n_head} of {self.head_dim}")
        self.final_stages = compile_chain([("ln_f", model.ln_f), ("head", model.head)], False, self.dtype)

    def new_cache(self, batch: int, max_len: int) -> KVCache:
        return KVCache(len(self.layers), batch, self.n_head, max_len, self.head_dim, self.dtype)


# ----- the step ---------------------------------------------------------------------------------------
def attend(w: DecodeWeights, cache: KVCache, layer: int, qkv: np.ndarray, batch: int, steps: int) -> np.ndarray:
    """qkv (B*T, 3C) of T new positions -> attention output (B*T, C); writes their keys and values."""
    heads, head_dim, width = w.n_head, w.head_dim, w.d_model
    split = qkv.reshape(batch, steps, 3, heads, head_dim)
    query = split[:, :, 0].transpose(0, 2, 1, 3)                      # (B, H, T, D), already scaled
    keys, values = cache.append(layer, split[:, :, 1].transpose(0, 2, 1, 3),
                                split[:, :, 2].transpose(0, 2, 1, 3))  # (B, H, S, D), S = past + T
    scores = query @ keys.swapaxes(-1, -2)                             # (B, H, T, S)
    if steps > 1:  # the new position at past + t sees keys 0 .. past + t
        future = np.arange(keys.shape[2]) > cache.length + np.arange(steps)[:, None]   # (T, S)
        np.copyto(scores, -np.inf, where=future)
    scores -= np.maximum.reduce(scores, axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= np.add.reduce(scores, axis=-1, keepdims=True)
    attended = scores @ values                                         # (B, H, T, D)
    if steps > 1:
        attended = attended.transpose(0, 2, 1, 3)
    return attended.reshape(batch * steps, width)


def _through(stages: list, h: np.ndarray, laps: list | None) -> np.ndarray:
    for label, kernel in stages:
        h = kernel(h)
        if laps is not None:
            laps.append((label, perf_counter()))
    return h


class Branch:
    """A residual branch's stages, split as the step runs them: `body` then `last`, whose output is added to
    the residual stream (its lap label says so); `last` is None for a branch without stages (x += x)."""

    def __init__(self, stages: list) -> None:
        self.body = stages[:-1]
        self.last = (f"{stages[-1][0]}+residual", stages[-1][1]) if stages else None


def _residual(branch: Branch, x: np.ndarray, h: np.ndarray, laps: list | None) -> None:
    """x += the branch applied to h (in place)."""
    for label, kernel in branch.body:
        h = kernel(h)
        if laps is not None:
            laps.append((label, perf_counter()))
    if branch.last is None:
        x += h
        return
    x += branch.last[1](h)
    if laps is not None:
        laps.append((branch.last[0], perf_counter()))


def block_forward(w: DecodeWeights, cache: KVCache, layer: int, x: np.ndarray, batch: int, steps: int,
                  laps: list | None) -> np.ndarray:
    """x (B*T, C) -> x after one pre-LN block (updated in place)."""
    lw = w.layers[layer]
    aw = lw.attention
    h = normalized(x, aw.mean_column, aw.eps) if aw.eps is not None else _through(aw.before, x, laps)
    qkv = np.dot(h, aw.qkv_weight)
    qkv += aw.qkv_bias                                                 # (B*T, 3C)
    if laps is not None:
        laps.append((aw.qkv_label, perf_counter()))
    attended = attend(w, cache, layer, qkv, batch, steps)              # (B*T, C)
    if laps is not None:
        laps.append(("attention", perf_counter()))
    _residual(aw.after, x, attended, laps)
    _residual(lw.mlp, x, x, laps)
    return x


def _embedded(w: DecodeWeights, tokens: np.ndarray, start: int) -> np.ndarray:
    """tokens (B, T) at positions [start, start + T) -> (B*T, C), a new array."""
    batch, steps = tokens.shape
    ids = tokens.reshape(-1)
    x = w.tok_emb[ids] if isinstance(w.tok_emb, np.ndarray) else w.tok_emb(ids)
    if isinstance(w.pos_emb, np.ndarray):
        x += np.tile(w.pos_emb[start:start + steps], (batch, 1)) if steps > 1 else w.pos_emb[start]
    else:
        x += np.tile(w.pos_emb(np.arange(start, start + steps)), (batch, 1))
    return x


def forward_cached(w: DecodeWeights, cache: KVCache, tokens: np.ndarray, laps: list | None = None) -> np.ndarray:
    """tokens (B, T) at positions [cache.length, cache.length + T) -> logits of the last position (B, V).

    T = the prompt length for the prefill (one pass over the whole prompt), T = 1 per generated token.
    """
    batch, steps = tokens.shape
    x = _through(w.embedding_stages, _embedded(w, tokens, cache.length), None)   # (B*T, C)
    if laps is not None:
        laps.append(("embedding", perf_counter()))
    for layer in range(len(w.layers)):
        x = block_forward(w, cache, layer, x, batch, steps, laps)
    cache.advance(steps)
    last = x if steps == 1 else x.reshape(batch, steps, -1)[:, -1]     # (B, C)
    logits = _through(w.final_stages, last, None)
    if laps is not None:
        laps.append(("ln_f+head", perf_counter()))
    return logits if logits is not x else logits.copy()                # (B, V)
