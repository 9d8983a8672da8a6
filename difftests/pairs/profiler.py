"""Pairs for tiny.profiler: FLOP counts and parameter counts EQUAL to torch's (reference/profiler/).

Each pair builds the same model on both sides from the case's config (weights do not change a count),
runs `profiler.count_flops(model, *inputs, backward=...)` on the implementation and FlopCounterMode on the
torch twin, and compares the two integers exactly (a 0-d int64 tensor each; not differentiable). Inputs
vary the shapes (batch included), which inputs need a gradient (a backward only computes what is needed:
the input data of a Linear costs no grad_x product) and forward vs forward + backward.

Attention counts torch's fused-SDPA formulas on both sides (see tiny/profiler/flops.py: FlopCounterMode
alone reports 0 for torch's CPU flash kernel, so the twin maps that kernel to torch's own formula). The
pairs draw attention inputs torch runs in that kernel (4-D, one batch shape, dropout 0, Ev = E); on other
inputs torch's math kernel counts 4 backward products instead of 5 (the one documented difference).

Conv2d, the MLP and LeNet-5 pairs register only when their torch twins (reference/nn/conv.py,
reference/models/{mlp,lenet}.py) exist in this tree.
"""
from __future__ import annotations


import numpy as np
from hypothesis import strategies as st

from difftests.cases import Case
from difftests.registry import Pair, register

AREA = "profiler"
REF = "reference.profiler.flops"
COVERED_ELSEWHERE = {
    "profiler": "the tiny.profiler module: its names are paired below and in difftests/test_profiler.py",
}


def _flops(lib, n) -> object:
    return lib.tensor(np.asarray(n, dtype=np.int64))


def _cast(lib, model, x):
    model.to(x.dtype)
    return model


def _rng(draw) -> np.random.Generator:
    return np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))


# ===== Linear =====================================================================================
def linear_call(lib, x, *, in_features, out_features, bias, backward):
    model = _cast(lib, lib.nn.Linear(in_features, out_features, bias=bias), x)
    return _flops(lib, lib.profiler.count_flops(model, x, backward=backward))


def _linear_case(dtype, batch, in_features, out_features, bias=True, backward=True, x_grad=False, label=""):
    x = np.ones(tuple(batch) + (in_features,), dtype)
    return Case((x,), {"in_features": in_features, "out_features": out_features, "bias": bias, "backward": backward},
                grad=(x_grad,), label=label)


@st.composite
def _linear_strategy(draw, dtype):
    batch = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    return _linear_case(dtype, batch, draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.booleans()),
                        draw(st.booleans()), draw(st.booleans()))


def _linear_examples(dtype):
    return [
        _linear_case(dtype, (32,), 784, 128, label="batch 32, 784 -> 128, data input (no grad_x)"),
        _linear_case(dtype, (32,), 784, 128, backward=False, label="forward only"),
        _linear_case(dtype, (4, 7), 16, 8, x_grad=True, label="3-D input that needs a gradient"),
        _linear_case(dtype, (), 5, 3, x_grad=True, label="1-D input"),
        _linear_case(dtype, (0,), 5, 3, label="empty batch"),
        _linear_case(dtype, (2, 3), 5, 3, bias=False, label="no bias"),
        Case((np.ones((2, 4), dtype),), {"in_features": 5, "out_features": 3, "bias": True, "backward": False},
             grad=(False,), label="in_features != the input's last dim (error)"),
    ]


# ===== matmul (the @ operator): torch's mm / bmm / mv / dot decomposition ===========================
def matmul_call(lib, a, b, *, backward):
    return _flops(lib, lib.profiler.count_flops(lambda p, q: p @ q, a, b, backward=backward))


@st.composite
def _matmul_strategy(draw, dtype):
    rng = _rng(draw)
    n, k, m = (int(v) for v in rng.integers(1, 5, 3))
    batch_a = tuple(int(v) for v in rng.choice([1, 2, 3], rng.integers(0, 3)))
    batch_b = tuple(int(v) for v in rng.choice([1, 2, 3], rng.integers(0, 3)))
    if batch_a and batch_b:  # broadcastable: where both have a dim, one of them may be 1
        common = min(len(batch_a), len(batch_b))
        batch_b = batch_b[:len(batch_b) - common] + tuple(
            1 if rng.random() < 0.3 else a for a in batch_a[len(batch_a) - common:])
    shape_a = (k,) if rng.random() < 0.2 else batch_a + (n, k)
    shape_b = (k,) if rng.random() < 0.2 else batch_b + (k, m)
    grads = (bool(rng.random() < 0.5), bool(rng.random() < 0.7))
    return Case((np.ones(shape_a, dtype), np.ones(shape_b, dtype)), {"backward": draw(st.booleans())}, grad=grads,
                label=f"grads {grads}")


def _matmul_examples(dtype):
    def case(a, b, grads=(True, True), backward=True, label=""):
        return Case((np.ones(a, dtype), np.ones(b, dtype)), {"backward": backward}, grad=grads, label=label)
    return [
        case((3,), (3,), label="dot: not counted by torch"),
        case((2, 3), (3,), label="mv: not counted"),
        case((3,), (3, 4), label="vector @ matrix: an mm"),
        case((2, 3), (3, 4), label="mm"),
        case((5, 2, 3), (3, 4), label="batch folded into one mm"),
        case((5, 2, 3), (3,), label="batch folded into an mv: not counted"),
        case((3,), (5, 3, 4), label="vector @ batch, vector needs a grad: folded mv"),
        case((3,), (5, 3, 4), grads=(False, True), label="vector @ batch, no grad for the vector: bmm"),
        case((1,), (5, 1, 4), grads=(False, True), label="vector @ batch with k = 1: folded mv"),
        case((2, 3), (5, 3, 4), grads=(False, True), label="matrix @ batch: bmm"),
        case((1, 2, 3), (5, 3, 4), label="batch of 1 @ batch of 5"),
        case((5, 1, 2, 3), (4, 3, 4), label="broadcast batch: bmm over 20"),
        case((0, 2, 3), (3, 4), label="empty batch"),
        case((5, 2, 3), (5, 3, 4), grads=(False, False), label="nothing needs a grad: no backward"),
        case((2, 3), (4, 4), backward=False, label="inner dims differ (error)"),
    ]


# ===== scaled_dot_product_attention (4-D, torch's fused kernel) =====================================
def sdpa_call(lib, query, key, value, *, is_causal, backward):
    sdpa = lib.nn.functional.scaled_dot_product_attention
    return _flops(lib, lib.profiler.count_flops(sdpa, query, key, value, is_causal=is_causal, backward=backward))


def _sdpa_case(dtype, batch, heads, length, source, embed, is_causal=False, backward=True, grads=(True,) * 3,
               label=""):
    q = np.ones((batch, heads, length, embed), dtype)
    kv = np.ones((batch, heads, source, embed), dtype)
    return Case((q, kv, kv.copy()), {"is_causal": is_causal, "backward": backward}, grad=grads, label=label)


@st.composite
def _sdpa_strategy(draw, dtype):
    rng = _rng(draw)
    b, h, length, source, embed = (int(v) for v in rng.integers(1, 5, 5))
    grads = tuple(bool(g) for g in rng.random(3) < 0.6)
    return _sdpa_case(dtype, b, h, length, source, embed, bool(rng.random() < 0.5), draw(st.booleans()), grads,
                      f"grads {grads}")


def _sdpa_examples(dtype):
    return [
        _sdpa_case(dtype, 2, 4, 16, 16, 8, label="self-attention, B 2, H 4, T 16, D 8"),
        _sdpa_case(dtype, 2, 4, 16, 16, 8, is_causal=True, label="causal: torch counts the full square too"),
        _sdpa_case(dtype, 1, 2, 3, 7, 4, label="L != S"),
        _sdpa_case(dtype, 2, 2, 5, 5, 4, grads=(False, False, True), label="only V needs a grad"),
        _sdpa_case(dtype, 2, 2, 5, 5, 4, backward=False, label="forward only"),
    ]


# ===== MultiHeadAttention =========================================================================
def mha_call(lib, x, *, embed_dim, num_heads, bias, is_causal, backward):
    model = _cast(lib, lib.nn.MultiHeadAttention(embed_dim, num_heads, bias=bias), x)
    return _flops(lib, lib.profiler.count_flops(model, x, is_causal=is_causal, backward=backward))


def _mha_case(dtype, batch, length, embed_dim, num_heads, bias=True, is_causal=False, backward=True, x_grad=False,
              label=""):
    return Case((np.ones((batch, length, embed_dim), dtype),),
                {"embed_dim": embed_dim, "num_heads": num_heads, "bias": bias, "is_causal": is_causal,
                 "backward": backward}, grad=(x_grad,), label=label)


@st.composite
def _mha_strategy(draw, dtype):
    rng = _rng(draw)
    heads, head_dim = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    return _mha_case(dtype, int(rng.integers(1, 4)), int(rng.integers(1, 7)), heads * head_dim, heads,
                     bool(rng.random() < 0.5), bool(rng.random() < 0.5), draw(st.booleans()), bool(rng.random() < 0.5))


def _mha_examples(dtype):
    return [
        _mha_case(dtype, 4, 32, 64, 4, is_causal=True, label="B 4, T 32, C 64, 4 heads, causal"),
        _mha_case(dtype, 4, 32, 64, 4, backward=False, label="forward only"),
        _mha_case(dtype, 2, 5, 8, 2, x_grad=True, bias=False, label="input needs a gradient, no bias"),
        _mha_case(dtype, 1, 1, 4, 1, label="one token, one head"),
    ]


# ===== GPT ========================================================================================
def gpt_call(lib, idx, targets, *, config, dtype, backward):
    model = lib.models.GPT(lib.models.GPTConfig(**config))
    model.to(getattr(lib, dtype))
    model.eval()
    loss_fn = (lambda out: out[1]) if targets is not None else None
    return _flops(lib, lib.profiler.count_flops(model, idx, targets, backward=backward, loss_fn=loss_fn))


def _gpt_case(dtype, config, batch, length, with_targets, backward, seed=0, label=""):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, config["vocab_size"], (batch, length))
    targets = rng.integers(0, config["vocab_size"], (batch, length)) if with_targets else None
    return Case((idx, targets), {"config": config, "dtype": dtype, "backward": backward}, grad=(False, False),
                label=label)


@st.composite
def _gpt_strategy(draw, dtype):
    rng = _rng(draw)
    heads = int(rng.integers(1, 4))
    config = {"vocab_size": int(rng.integers(5, 30)), "context_length": int(rng.integers(4, 12)),
              "n_layer": int(rng.integers(0, 3)), "n_head": heads, "d_model": heads * int(rng.integers(2, 6)),
              "dropout": 0.0, "bias": bool(rng.random() < 0.5), "tie_weights": bool(rng.random() < 0.5)}
    with_targets = draw(st.booleans())
    return _gpt_case(dtype, config, int(rng.integers(1, 4)), int(rng.integers(1, config["context_length"] + 1)),
                     with_targets, draw(st.booleans()), int(rng.integers(0, 1000)),
                     f"{'loss' if with_targets else 'logits'}, {config['n_layer']} layers")


GPT_BASE = {"vocab_size": 65, "context_length": 32, "n_layer": 2, "n_head": 4, "d_model": 64, "dropout": 0.0,
            "bias": True, "tie_weights": True}


def _gpt_examples(dtype):
    return [
        _gpt_case(dtype, GPT_BASE, 8, 32, True, True, label="d 64, 2 layers, B 8, T 32: forward + backward of the loss"),
        _gpt_case(dtype, GPT_BASE, 8, 32, True, False, label="forward only"),
        _gpt_case(dtype, {**GPT_BASE, "tie_weights": False, "bias": False}, 2, 16, False, True,
                  label="untied, no bias, backward from the logits"),
        _gpt_case(dtype, {**GPT_BASE, "n_layer": 0}, 2, 8, True, True, label="no layers"),
        _gpt_case(dtype, GPT_BASE, 1, 1, True, True, label="one token"),
        _gpt_case(dtype, {**GPT_BASE, "context_length": 4}, 1, 8, False, False, label="T > context_length (error)"),
    ]


# ===== count_parameters ===========================================================================
def parameters_call(lib, *, model, config, frozen, trainable_only):
    module = lib.models.GPT(lib.models.GPTConfig(**config)) if model == "gpt" else lib.nn.MultiHeadAttention(**config)
    for name, p in module.named_parameters():
        if name in frozen:
            p.requires_grad_(False)
    return _flops(lib, lib.profiler.count_parameters(module, trainable_only=trainable_only))


def _parameters_case(model, config, frozen=(), trainable_only=False, label=""):
    return Case((), {"model": model, "config": config, "frozen": list(frozen), "trainable_only": trainable_only},
                label=label)


@st.composite
def _parameters_strategy(draw, dtype):
    heads = draw(st.integers(1, 3))
    config = {**GPT_BASE, "n_layer": draw(st.integers(0, 2)), "n_head": heads, "d_model": heads * draw(st.integers(1, 4)),
              "bias": draw(st.booleans()), "tie_weights": draw(st.booleans())}
    frozen = draw(st.lists(st.sampled_from(["tok_emb.weight", "pos_emb.weight", "ln_f.weight", "head.weight"]),
                           unique=True, max_size=3))
    return _parameters_case("gpt", config, frozen, draw(st.booleans()))


def _parameters_examples(dtype):
    return [
        _parameters_case("gpt", GPT_BASE, label="tied GPT: the shared weight counted once"),
        _parameters_case("gpt", {**GPT_BASE, "tie_weights": False}, label="untied GPT"),
        _parameters_case("gpt", GPT_BASE, ["tok_emb.weight", "pos_emb.weight"], True, label="frozen embeddings"),
        _parameters_case("gpt", GPT_BASE, ["tok_emb.weight"], False, label="frozen but counted"),
        _parameters_case("mha", {"embed_dim": 16, "num_heads": 4, "bias": False}, label="MultiHeadAttention"),
    ]


register(
    Pair("profiler.count_flops[Linear]", AREA, call=linear_call, ref=f"{REF}:linear_flops",
         source="tiny.profiler.flops:linear_flops", strategy=_linear_strategy, examples=_linear_examples,
         requires=("profiler.count_flops", "nn.Linear"), covers=("profiler.FlopCounter",), differentiable=False),
    Pair("profiler.count_flops[matmul]", AREA, call=matmul_call, ref=f"{REF}:matmul_flops",
         source="tiny.profiler.flops:matmul_flops", strategy=_matmul_strategy, examples=_matmul_examples,
         requires=("profiler.count_flops", "Tensor.__matmul__"), differentiable=False, max_examples=60),
    Pair("profiler.count_flops[sdpa]", AREA, call=sdpa_call, ref=f"{REF}:sdpa_flops",
         source="tiny.profiler.flops:sdpa_flops", strategy=_sdpa_strategy, examples=_sdpa_examples,
         requires=("profiler.count_flops", "nn.functional.scaled_dot_product_attention"), differentiable=False),
    Pair("profiler.count_flops[MultiHeadAttention]", AREA, call=mha_call, ref=f"{REF}:mha_flops",
         source="tiny.profiler.flops:sdpa_flops", strategy=_mha_strategy, examples=_mha_examples,
         requires=("profiler.count_flops", "nn.MultiHeadAttention"), differentiable=False),
    Pair("profiler.count_flops[GPT]", AREA, call=gpt_call, ref=f"{REF}:gpt_flops",
         source="tiny.profiler.flops:count_flops", strategy=_gpt_strategy, examples=_gpt_examples,
         requires=("profiler.count_flops", "models.GPT", "models.GPTConfig", "float32"), differentiable=False,
         max_examples=15),
    Pair("profiler.count_parameters", AREA, call=parameters_call, ref=f"{REF}:parameter_count",
         source="tiny.profiler.parameters:count_parameters", strategy=_parameters_strategy,
         examples=_parameters_examples,
         requires=("profiler.count_parameters", "Tensor.requires_grad_", "models.GPT", "models.GPTConfig",
                   "nn.MultiHeadAttention"), differentiable=False,
         max_examples=15),
)


# ===== Conv2d, MLP, LeNet-5 ===================================================================
def conv2d_call(lib, x, *, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, backward):
    model = _cast(lib, lib.nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                                     dilation=dilation, groups=groups, bias=bias), x)
    return _flops(lib, lib.profiler.count_flops(model, x, backward=backward))


def _conv_case(dtype, n, c_in, c_out, hw, kernel, stride=1, padding=0, dilation=1, groups=1, bias=True,
               backward=True, x_grad=False, label=""):
    shape = (c_in,) + hw if n is None else (n, c_in) + hw
    return Case((np.ones(shape, dtype),), {"in_channels": c_in, "out_channels": c_out, "kernel_size": kernel,
                                           "stride": stride, "padding": padding, "dilation": dilation,
                                           "groups": groups, "bias": bias, "backward": backward},
                grad=(x_grad,), label=label)


@st.composite
def _conv_strategy(draw, dtype):
    rng = _rng(draw)
    groups = int(rng.choice([1, 1, 2]))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    kernel, stride, dilation = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
    padding = int(rng.integers(0, 2))
    side = dilation * (kernel - 1) + 1 + int(rng.integers(0, 4))
    return _conv_case(dtype, int(rng.integers(1, 3)), c_in, c_out, (side, side + int(rng.integers(0, 2))), kernel,
                      stride, padding, dilation, groups, bool(rng.random() < 0.5), draw(st.booleans()),
                      bool(rng.random() < 0.5))


def _conv_examples(dtype):
    return [
        _conv_case(dtype, 8, 1, 6, (28, 28), 5, padding=2, label="LeNet's first conv, batch 8"),
        _conv_case(dtype, 2, 4, 4, (6, 6), 3, groups=2, x_grad=True, label="groups 2: torch's grad_W formula"),
        _conv_case(dtype, None, 3, 2, (5, 5), 3, label="unbatched input"),
        _conv_case(dtype, 2, 3, 2, (7, 7), 3, stride=2, dilation=2, backward=False, label="stride and dilation"),
    ]


def model_call(lib, x, *, module, name, config, backward):
    """The implementation's class `name` of the tiny module mirroring `module` (reference.X -> lib.X)."""
    owner = lib
    for part in module.split(".")[1:-1]:
        owner = getattr(owner, part)
    model = _cast(lib, getattr(owner, name)(**config), x)
    model.eval()
    return _flops(lib, lib.profiler.count_flops(model, x, backward=backward))


def _model_examples(module, name, shapes, config):
    def examples(dtype):
        return [Case((np.ones(shape, dtype),), {"module": module, "name": name, "config": config,
                                                 "backward": backward}, grad=(False,),
                     label=f"batch {shape[0]}, {'forward + backward' if backward else 'forward'}")
                for shape in shapes for backward in (False, True)]
    return examples


register(Pair("profiler.count_flops[Conv2d]", AREA, call=conv2d_call, ref=f"{REF}:conv2d_flops",
              source="tiny.profiler.flops:conv2d_flops", strategy=_conv_strategy, examples=_conv_examples,
              requires=("profiler.count_flops", "nn.Conv2d"), differentiable=False))
for _module, _name, _shapes, _config in (
        ("reference.models.mlp", "MLP", [(1, 784), (32, 784)], {"sizes": [784, 256, 128, 10]}),
        ("reference.models.lenet", "LeNet5", [(1, 1, 28, 28), (8, 1, 28, 28)], {})):
    _examples = _model_examples(_module, _name, _shapes, _config)
    register(Pair(f"profiler.count_flops[{_name}]", AREA, call=model_call, ref=f"{REF}:model_flops",
                  source="tiny.profiler.flops:count_flops", strategy=lambda dtype, e=_examples: st.sampled_from(e(dtype)),
                  examples=_examples, requires=("profiler.count_flops", f"models.{_name}"), differentiable=False,
                  max_examples=4))
