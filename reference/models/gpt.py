"""torch twin of tiny/models/gpt.py: the same modules under the same names, so the state-dict keys and
shapes are identical and state dicts load both ways. Same init: Linear/Embedding weights ~ N(0, 0.02),
Linear biases 0, LayerNorm 1/0; tie_weights makes head.weight the token embedding's Parameter."""
from collections import OrderedDict
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from reference.nn.attention import MultiHeadAttention

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


def _check_config(config):
    for name in ("vocab_size", "context_length", "n_layer", "n_head", "d_model"):
        value = getattr(config, name)
        minimum = 0 if name == "n_layer" else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"GPT: config.{name} must be an int >= {minimum}, got {value!r}")
    if config.d_model % config.n_head:
        raise ValueError(f"GPT: d_model ({config.d_model}) must be divisible by n_head ({config.n_head})")


class Block(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        d_model, bias = config.d_model, config.bias
        self.ln1 = torch.nn.LayerNorm(d_model, bias=bias)
        self.attn = MultiHeadAttention(d_model, config.n_head, bias=bias, dropout=config.dropout)
        self.ln2 = torch.nn.LayerNorm(d_model, bias=bias)
        self.mlp = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(d_model, 4 * d_model, bias=bias)),
                                                    ("act", torch.nn.GELU()),
                                                    ("proj", torch.nn.Linear(4 * d_model, d_model, bias=bias))]))

    def forward(self, x):
        x = x + self.attn(self.ln1(x), is_causal=True)
        return x + self.mlp(self.ln2(x))


class GPT(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        _check_config(config)
        self.config = config
        self.tok_emb = torch.nn.Embedding(config.vocab_size, config.d_model)
        self.pos_emb = torch.nn.Embedding(config.context_length, config.d_model)
        self.drop = torch.nn.Dropout(config.dropout)
        self.blocks = torch.nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = torch.nn.LayerNorm(config.d_model, bias=config.bias)
        self.head = torch.nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.apply(_init_weights)
        if config.tie_weights:
            self.head.weight = self.tok_emb.weight

    def _check_idx(self, idx):
        if idx.is_floating_point() or idx.dtype == torch.bool:
            raise RuntimeError(f"GPT: idx must hold integer token ids (int64), got dtype {idx.dtype}")
        if idx.ndim != 2:
            raise ValueError(f"GPT: idx must be (B, T), got shape {tuple(idx.shape)}")
        if idx.shape[1] > self.config.context_length:
            raise ValueError(f"GPT: sequence length {idx.shape[1]} exceeds context_length "
                             f"{self.config.context_length}")
        if idx.numel():
            low, high = int(idx.min()), int(idx.max())
            if low < 0 or high >= self.config.vocab_size:
                raise IndexError(f"GPT: token id {low if low < 0 else high} is out of range for vocab_size "
                                 f"{self.config.vocab_size}")

    def forward(self, idx, targets=None):
        self._check_idx(idx)
        batch, length = idx.shape
        positions = torch.arange(length, dtype=torch.int64)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(positions))
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        if targets is None:
            return logits, None
        if tuple(targets.shape) != (batch, length):
            raise ValueError(f"GPT: targets must be (B, T) = {(batch, length)} like idx, got {tuple(targets.shape)}")
        return logits, F.cross_entropy(logits.reshape(batch * length, -1), targets.reshape(batch * length))


def _init_weights(module):
    if isinstance(module, (torch.nn.Linear, torch.nn.Embedding)):
        torch.nn.init.normal_(module.weight, 0.0, INIT_STD)
    if isinstance(module, torch.nn.Linear) and module.bias is not None:
        torch.nn.init.zeros_(module.bias)


def gpt_module(idx, targets, *params, config, dtype, output="logits"):
    """The twin of the gpt pair's call: a GPT cast to `dtype` and loaded with `params` (its distinct
    parameters in state-dict order; head.weight is tok_emb.weight when tied), forward on idx/targets;
    out = the logits or the loss."""
    model = GPT(GPTConfig(**config)).to(getattr(torch, dtype))
    tied = config.get("tie_weights", True)
    state = dict(zip([key for key in model.state_dict() if not (tied and key == "head.weight")], params))
    if tied:
        state["head.weight"] = state["tok_emb.weight"]
    model.load_state_dict(state)
    logits, loss = model(idx, targets)
    return {"out": logits if output == "logits" else loss, "params": dict(model.named_parameters())}
