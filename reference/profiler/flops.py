"""torch twin of tiny/profiler/flops.py: torch.utils.flop_counter.FlopCounterMode, with one addition.

On the CPU torch runs 4-D attention in `_scaled_dot_product_flash_attention_for_cpu`, an op FlopCounterMode
has no formula for (it would count 0 FLOPs for every attention). `custom_mapping` gives that op and its
backward torch's own fused-attention formulas (sdpa_flop_count, sdpa_backward_flop_count — what
FlopCounterMode uses for the flash/efficient/cudnn kernels on CUDA). Nothing else is changed.
"""
import torch
from torch.utils.flop_counter import FlopCounterMode, sdpa_backward_flop_count, sdpa_flop_count

aten = torch.ops.aten


def _flash_cpu_flop(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs):
    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _flash_cpu_backward_flop(grad_out_shape, query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs):
    return sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape, value_shape)


CPU_ATTENTION = {aten._scaled_dot_product_flash_attention_for_cpu: _flash_cpu_flop,
                 aten._scaled_dot_product_flash_attention_for_cpu_backward: _flash_cpu_backward_flop}


def flop_counter():
    return FlopCounterMode(display=False, custom_mapping=CPU_ATTENTION)


def count_flops(model, *inputs, backward=False, loss_fn=None, **kwargs):
    with flop_counter() as counter:
        output = model(*inputs, **kwargs)
        if backward:
            root = loss_fn(output) if loss_fn is not None else output
            if isinstance(root, (tuple, list)):
                root = next(t for t in root if isinstance(t, torch.Tensor))
            root.backward(None if root.ndim == 0 else torch.ones_like(root))
    return counter.get_total_flops()


# ----- the twins of the profiler pairs (difftests/pairs/profiler.py): a model built from the case's config,
# ----- its FLOPs (forward, or forward + backward) as a 0-d int64 tensor. Weights do not change a FLOP count.
def _count(model, *inputs, backward, loss_fn=None, **kwargs):
    return torch.tensor(count_flops(model, *inputs, backward=backward, loss_fn=loss_fn, **kwargs), dtype=torch.int64)


def linear_flops(x, *, in_features, out_features, bias, backward):
    model = torch.nn.Linear(in_features, out_features, bias=bias).to(x.dtype)
    return _count(model, x, backward=backward)


def matmul_flops(a, b, *, backward):
    return _count(torch.matmul, a, b, backward=backward)


def sdpa_flops(query, key, value, *, is_causal, backward):
    import torch.nn.functional as F
    return _count(F.scaled_dot_product_attention, query, key, value, is_causal=is_causal, backward=backward)


def mha_flops(x, *, embed_dim, num_heads, bias, is_causal, backward):
    from reference.nn.attention import MultiHeadAttention
    model = MultiHeadAttention(embed_dim, num_heads, bias=bias).to(x.dtype)
    return _count(model, x, is_causal=is_causal, backward=backward)


def gpt_flops(idx, targets, *, config, dtype, backward):
    from reference.models.gpt import GPT, GPTConfig
    model = GPT(GPTConfig(**config)).to(getattr(torch, dtype)).eval()
    return _count(model, idx, targets, backward=backward, loss_fn=(lambda out: out[1]) if targets is not None else None)


def model_flops(x, *, module, name, config, backward):
    """A model class `name` of reference module `module` (the twins of tiny.nn / tiny.models), built with
    `config` and cast to x's dtype."""
    import importlib
    model = getattr(importlib.import_module(module), name)(**config).to(x.dtype).eval()
    return _count(model, x, backward=backward)


def conv2d_flops(x, *, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, backward):
    model = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                            groups=groups, bias=bias).to(x.dtype)
    return _count(model, x, backward=backward)


def parameter_count(*, model, config, frozen, trainable_only):
    """count_parameters of a GPT (model "gpt") or a MultiHeadAttention ("mha") with the named parameters frozen."""
    if model == "gpt":
        from reference.models.gpt import GPT, GPTConfig
        module = GPT(GPTConfig(**config))
    else:
        from reference.nn.attention import MultiHeadAttention
        module = MultiHeadAttention(**config)
    for name, p in module.named_parameters():
        if name in frozen:
            p.requires_grad_(False)
    from reference.profiler.parameters import count_parameters
    return torch.tensor(count_parameters(module, trainable_only=trainable_only), dtype=torch.int64)
