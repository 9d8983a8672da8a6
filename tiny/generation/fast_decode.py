"""The cached forward pass of the GPT on plain NumPy arrays: no Tensor, no autograd, few NumPy calls.

On small models a decode step is mostly per-call overhead (a NumPy call costs ~0.5-3 us whatever the
size of a (1, 64) row), so this module does the same arithmetic as tiny.models.GPT with as few calls
as it can:

- the weights are re-arranged once per generate call (`DecodeWeights`): each LayerNorm's affine
  (gamma, beta) is folded into the Linear that follows it (LN(x) @ W^T + b = x_hat @ (gamma W^T) +
  (beta W^T + b)), the attention scale 1/sqrt(head_dim) is folded into the query projection, and the
  q, k, v projections are fused into one (C, 3C) matrix: one matmul and one bias add instead of three;
- activations are 2-D (B*T, C) so every projection is a single 2-D np.dot (cheaper to dispatch than
  the @ operator), and updates are in place;
- the means of LayerNorm are products with a (C, 1) column of 1/C (a BLAS call is cheaper than
  np.mean's Python wrapper);
- GELU is x * Phi(x) with Phi from SciPy's ndtr (one ufunc call; SciPy is allowed where NumPy lacks a
  function, as for tiny.nn.activation's erf); without SciPy, Phi comes from a from-scratch table of Taylor
  polynomials with one gather and a short Horner loop (`normal_cdf` below);
- keys and values go straight into the preallocated KVCache (an O(1) slice write per token).

The results equal the Tensor forward up to rounding (the folds reorder a few products); the difftests
check it at every step, in float64 and float32. `laps` (a list, or None) collects a (stage, time)
pair after each stage: perf/generation.py uses it for the per-stage profile of a decode step.
"""
from __future__ import annotations

import math
from time import perf_counter

import numpy as np

from tiny.generation.kv_cache import KVCache

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
    from scipy.special import ndtr as _scipy_ndtr
except ImportError:  # pragma: no cover - the pinned setup installs SciPy; the table is the fallback
    _scipy_ndtr = None


def gelu_(x: np.ndarray) -> np.ndarray:
    """Exact GELU, x * Phi(x), overwriting x (which must not be needed again)."""
    x *= normal_cdf(x) if _scipy_ndtr is None else _scipy_ndtr(x)
    return x


# ----- the weights, arranged for decoding ------------------------------------------------------------
def _array(parameter) -> np.ndarray | None:
    return None if parameter is None else parameter.data


def _folded(norm, linears: list) -> tuple[np.ndarray, np.ndarray]:
    """LayerNorm `norm` followed by `linears` (sharing the input) -> one (C, out) matrix and (out,) bias
    acting on the normalized-but-not-affine x_hat."""
    gamma, beta = _array(norm.weight), _array(norm.bias)
    weight_t = np.concatenate([_array(lin.weight).T for lin in linears], axis=1)  # (C, out)
    dtype = weight_t.dtype
    bias = np.concatenate([_array(lin.bias) if lin.bias is not None else np.zeros(lin.weight.shape[0], dtype)
                           for lin in linears])
    if beta is not None:
        bias = bias + beta @ weight_t
    if gamma is not None:
        weight_t = gamma[:, None] * weight_t
    return np.ascontiguousarray(weight_t), bias


def _transposed(linear) -> tuple[np.ndarray, np.ndarray]:
    weight = _array(linear.weight)
    bias = _array(linear.bias)
    return np.ascontiguousarray(weight.T), bias if bias is not None else np.zeros(weight.shape[0], weight.dtype)


class LayerWeights:
    """One block's weights: qkv (C, 3C) with LN1 and the attention scale folded in, out (C, C),
    fc (C, 4C) with LN2 folded in, proj (4C, C); each with its bias."""

    def __init__(self, block) -> None:
        attn = block.attn
        self.qkv_weight, self.qkv_bias = _folded(block.ln1, [attn.q_proj, attn.k_proj, attn.v_proj])
        width = self.qkv_weight.shape[0]
        scale = self.qkv_weight.dtype.type(1.0 / math.sqrt(attn.head_dim))
        self.qkv_weight[:, :width] *= scale
        self.qkv_bias[:width] *= scale
        self.out_weight, self.out_bias = _transposed(attn.out_proj)
        self.fc_weight, self.fc_bias = _folded(block.ln2, [block.mlp.fc])
        self.proj_weight, self.proj_bias = _transposed(block.mlp.proj)
        self.eps1, self.eps2 = block.ln1.eps, block.ln2.eps


class DecodeWeights:
    """The whole model's weights as arrays (copies: later changes to the model are not seen)."""

    def __init__(self, model) -> None:
        config = model.config
        self.n_head, self.head_dim = config.n_head, config.d_model // config.n_head
        self.d_model, self.context_length = config.d_model, config.context_length
        self.tok_emb = _array(model.tok_emb.weight)                  # (V, C), read only
        self.pos_emb = _array(model.pos_emb.weight)                  # (T_ctx, C)
        self.dtype = self.tok_emb.dtype
        self.layers = [LayerWeights(block) for block in model.blocks]
        self.head_weight, self.head_bias = _folded(model.ln_f, [model.head])  # (C, V), (V,)
        self.eps_f = model.ln_f.eps
        self.mean_column = np.full((self.d_model, 1), 1.0 / self.d_model, self.dtype)  # (C, 1)

    def new_cache(self, batch: int, max_len: int) -> KVCache:
        return KVCache(len(self.layers), batch, self.n_head, max_len, self.head_dim, self.dtype)


# ----- the stages of a block ---------------------------------------------------------------------
def normalized(x: np.ndarray, mean_column: np.ndarray, eps: float) -> np.ndarray:
    """(N, C) -> (x - mean) / sqrt(var + eps) per row (LayerNorm without its affine, which is folded)."""
    centered = x - np.dot(x, mean_column)              # (N, C)
    variance = np.dot(centered * centered, mean_column)  # (N, 1), biased
    variance += eps
    centered /= np.sqrt(variance, out=variance)
    return centered


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


def block_forward(w: DecodeWeights, cache: KVCache, layer: int, x: np.ndarray, batch: int, steps: int,
                  laps: list | None) -> np.ndarray:
    """x (B*T, C) -> x after one pre-LN block (updated in place)."""
    lw = w.layers[layer]
    qkv = np.dot(normalized(x, w.mean_column, lw.eps1), lw.qkv_weight)
    qkv += lw.qkv_bias
    if laps is not None:
        laps.append(("ln1+qkv", perf_counter()))
    attended = attend(w, cache, layer, qkv, batch, steps)
    if laps is not None:
        laps.append(("attention", perf_counter()))
    x += np.dot(attended, lw.out_weight)
    x += lw.out_bias
    if laps is not None:
        laps.append(("out_proj+residual", perf_counter()))
    hidden = np.dot(normalized(x, w.mean_column, lw.eps2), lw.fc_weight)   # (B*T, 4C)
    hidden += lw.fc_bias
    if laps is not None:
        laps.append(("ln2+fc", perf_counter()))
    gelu_(hidden)
    if laps is not None:
        laps.append(("gelu", perf_counter()))
    x += np.dot(hidden, lw.proj_weight)
    x += lw.proj_bias
    if laps is not None:
        laps.append(("proj+residual", perf_counter()))
    return x


def forward_cached(w: DecodeWeights, cache: KVCache, tokens: np.ndarray, laps: list | None = None) -> np.ndarray:
    """tokens (B, T) at positions [cache.length, cache.length + T) -> logits of the last position (B, V).

    T = the prompt length for the prefill (one pass over the whole prompt), T = 1 per generated token.
    """
    batch, steps = tokens.shape
    start = cache.length
    x = w.tok_emb[tokens.reshape(-1)]                                   # (B*T, C), a new array
    x += np.tile(w.pos_emb[start:start + steps], (batch, 1)) if steps > 1 else w.pos_emb[start]
    if laps is not None:
        laps.append(("embedding", perf_counter()))
    for layer in range(len(w.layers)):
        x = block_forward(w, cache, layer, x, batch, steps, laps)
    cache.advance(steps)
    last = x if steps == 1 else x.reshape(batch, steps, -1)[:, -1]     # (B, C)
    logits = np.dot(normalized(last, w.mean_column, w.eps_f), w.head_weight)
    logits += w.head_bias
    if laps is not None:
        laps.append(("ln_f+head", perf_counter()))
    return logits                                                      # (B, V)
