"""torch twins of tiny/nn/attention.py.

`MultiHeadAttention` is NOT torch.nn.MultiheadAttention (which packs q/k/v into one in_proj_weight): it is
a torch module with tiny's layout — Linear `q_proj`, `k_proj`, `v_proj`, `out_proj` — calling torch's
F.scaled_dot_product_attention, so state dicts load both ways unchanged.
"""
import torch
import torch.nn.functional as F


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    return F.scaled_dot_product_attention(query, key, value, attn_mask=attn_mask, dropout_p=dropout_p,
                                          is_causal=is_causal, scale=scale, enable_gqa=enable_gqa)


class MultiHeadAttention(torch.nn.Module):
    """Batch-first: query (*, T, C), key/value (*, S, C) -> (*, T, C)."""

    def __init__(self, embed_dim, num_heads, bias=True, dropout=0.0, dtype=None):
        super().__init__()
        if num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiHeadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiHeadAttention: dropout probability has to be between 0 and 1, but got {dropout}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout = dropout
        self.q_proj = torch.nn.Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.k_proj = torch.nn.Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.v_proj = torch.nn.Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.out_proj = torch.nn.Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)

    def split_heads(self, x):
        *lead, length, _ = x.shape
        return x.reshape(*lead, length, self.num_heads, self.head_dim).transpose(-3, -2)

    def merge_heads(self, x):
        *lead, _, length, _ = x.shape
        return x.transpose(-3, -2).reshape(*lead, length, self.embed_dim)

    def forward(self, query, key=None, value=None, attn_mask=None, is_causal=False):
        key = query if key is None else key
        value = key if value is None else value
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, torch.Tensor) or t.ndim < 2 or t.shape[-1] != self.embed_dim:
                shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
                raise ValueError(f"MultiHeadAttention: {name} must be a Tensor (*, T, embed_dim={self.embed_dim}), "
                                 f"got {shape}")
        if attn_mask is not None and is_causal:
            # torch's CPU flash kernel (chosen for these 4-D per-head inputs) would silently combine both;
            # the documented contract, which tiny follows, is an error.
            raise RuntimeError("scaled_dot_product_attention: an explicit attn_mask must not be set when "
                               "is_causal=True")
        q, k, v = (self.split_heads(proj(x)) for proj, x in
                   ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal,
                                                  dropout_p=self.dropout if self.training else 0.0)
        return self.out_proj(self.merge_heads(attended))


def multi_head_attention_module(query, key, value, attn_mask, *params, embed_dim, num_heads, bias, is_causal=False):
    """MultiHeadAttention loaded with `params` (in state-dict order), one forward: the module pair's twin."""
    module = MultiHeadAttention(embed_dim, num_heads, bias=bias).to(query.dtype)
    module.load_state_dict(dict(zip(module.state_dict(), params)))
    out = module(query, key, value, attn_mask=attn_mask, is_causal=is_causal)
    return {"out": out, "params": dict(module.named_parameters())}
