"""A GPT: token + learned position embeddings, pre-LayerNorm transformer blocks with causal
self-attention, a final LayerNorm and a linear head over the vocabulary (optionally tied to the token
embedding).

    x = drop(tok_emb(idx) + pos_emb(0..T-1))                      # (B, T, C)
    for each block:  x = x + attn(ln1(x), is_causal=True)          # pre-LN residual branches
                     x = x + mlp(ln2(x))                           # mlp = fc (C -> 4C), exact GELU, proj (4C -> C)
    logits = head(ln_f(x))                                         # (B, T, vocab_size)

Module names (and so state-dict keys) are the torch twin's (reference/models/gpt.py): tok_emb, pos_emb, drop,
blocks.<i>.{ln1, attn.{q,k,v,out}_proj, ln2, mlp.{fc, act, proj}}, ln_f, head.

Init: Linear and Embedding weights ~ N(0, 0.02), Linear biases 0, LayerNorm weight 1 and bias 0.
With tie_weights the head's weight IS the token embedding's Parameter: named_parameters lists it once (as
tok_emb.weight), the state dict holds it under both keys (as torch does), and its gradient sums both uses.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from tiny.nn import init
from tiny.nn.activation import GELU
from tiny.nn.attention import MultiHeadAttention
from tiny.nn.container import ModuleList, Sequential
from tiny.nn.dropout import Dropout
from tiny.nn.embedding import Embedding
from tiny.nn.linear import Linear
from tiny.nn.loss import cross_entropy
from tiny.nn.module import Module
from tiny.nn.normalization import LayerNorm
from tiny.tensor import Tensor

__all__ = ["GPTConfig", "GPT", "Block"]

INIT_STD = 0.02


@dataclass
class GPTConfig:
    vocab_size: int
    context_length: int
    n_layer: int
    n_head: int
    d_model: int
    dropout: float = 0.0
    bias: bool = True
    tie_weights: bool = True


def _check_config(config: GPTConfig) -> None:
    for name in ("vocab_size", "context_length", "n_layer", "n_head", "d_model"):
        value = getattr(config, name)
        minimum = 0 if name == "n_layer" else 1
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"GPT: config.{name} must be an int >= {minimum}, got {value!r}")
    if config.d_model % config.n_head:
        raise ValueError(f"GPT: d_model ({config.d_model}) must be divisible by n_head ({config.n_head})")


class Block(Module):
    """Pre-LN transformer block: (B, T, C) -> (B, T, C)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        d_model, bias = config.d_model, config.bias
        self.ln1 = LayerNorm(d_model, bias=bias)
        self.attn = MultiHeadAttention(d_model, config.n_head, bias=bias, dropout=config.dropout)
        self.ln2 = LayerNorm(d_model, bias=bias)
        self.mlp = Sequential(OrderedDict([("fc", Linear(d_model, 4 * d_model, bias=bias)),
                                           ("act", GELU()),
                                           ("proj", Linear(4 * d_model, d_model, bias=bias))]))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x), is_causal=True)
        return x + self.mlp(self.ln2(x))


class GPT(Module):
    """forward(idx (B, T) int64, targets (B, T) int64 or None) -> (logits (B, T, vocab_size), loss or None)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        _check_config(config)
        self.config = config
        self.tok_emb = Embedding(config.vocab_size, config.d_model)
        self.pos_emb = Embedding(config.context_length, config.d_model)
        self.drop = Dropout(config.dropout)
        self.blocks = ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = LayerNorm(config.d_model, bias=config.bias)
        self.head = Linear(config.d_model, config.vocab_size, bias=False)
        self.apply(_init_weights)
        if config.tie_weights:
            self.head.weight = self.tok_emb.weight  # one Parameter, used twice

    def _check_idx(self, idx: Tensor) -> None:
        if not isinstance(idx, Tensor):
            raise TypeError(f"GPT: idx must be a Tensor of token ids, got {type(idx).__name__}")
        if idx.data.dtype.kind not in "iu":
            raise RuntimeError(f"GPT: idx must hold integer token ids (int64), got dtype {idx.data.dtype}")
        if idx.ndim != 2:
            raise ValueError(f"GPT: idx must be (B, T), got shape {tuple(idx.shape)}")
        if idx.shape[1] > self.config.context_length:
            raise ValueError(f"GPT: sequence length {idx.shape[1]} exceeds context_length "
                             f"{self.config.context_length}")
        if idx.data.size:
            low, high = int(idx.data.min()), int(idx.data.max())
            if low < 0 or high >= self.config.vocab_size:
                bad = low if low < 0 else high
                raise IndexError(f"GPT: token id {bad} is out of range for vocab_size {self.config.vocab_size} "
                                 f"(ids must be in [0, {self.config.vocab_size - 1}])")

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        self._check_idx(idx)
        batch, length = idx.shape
        positions = Tensor(np.arange(length, dtype=np.int64))                   # (T,)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(positions))              # (B, T, C)
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))                                        # (B, T, V)
        if targets is None:
            return logits, None
        if not isinstance(targets, Tensor) or tuple(targets.shape) != (batch, length):
            shape = tuple(targets.shape) if isinstance(targets, Tensor) else type(targets).__name__
            raise ValueError(f"GPT: targets must be (B, T) = {(batch, length)} like idx, got {shape}")
        loss = cross_entropy(logits.reshape(batch * length, self.config.vocab_size), targets.reshape(batch * length))
        return logits, loss


def _init_weights(module: Module) -> None:
    if isinstance(module, (Linear, Embedding)):
        init.normal_(module.weight, 0.0, INIT_STD)
    if isinstance(module, Linear) and module.bias is not None:
        init.zeros_(module.bias)
