"""Pairs for generation (tiny.generation.generate / filter_logits) against the torch twins in
reference/generation/.

- `generation.filter_logits`: the top-k / top-p rule (tiny/generation/sampling.py states it exactly) on
  random logits with many ties, ±300 extremes and -inf entries; the kept logits and the -inf positions
  must equal torch's (topk / sort / cumsum / scatter) exactly.
- `generation.generate`: a random small GPT (weights from a seed, O(1) activations as in the gpt pairs),
  a random prompt batch, greedy or seeded sampling with top-k/top-p, cached or not; the outputs are the
  generated tokens (must be equal) and the logits that chose each new token, compared with the twin's
  at every step. Bad arguments must raise what the twin raises (ValueError naming the argument, ...).

The step-by-step equality of cached and uncached logits inside one implementation, the KV cache itself,
seeded reproducibility and grad/train modes are scenarios: difftests/scenarios/generation.py.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from difftests import strategies as S
from difftests.cases import Case
from difftests.pairs.gpt import parameter_shapes, random_parameters
from difftests.registry import Pair, register

AREA = "generation"

COVERED_ELSEWHERE = {
    "generation.KVCache": "difftests/test_generation.py: buffer shapes/dtype, nbytes = formula = the buffers' "
                          "nbytes, prefill + append contents vs torch's cache, no reallocation, reset, overflow",
}


def arr(values, dtype) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


# ===== filter_logits ================================================================================
def _filter_call(lib, logits, top_k=None, top_p=None):
    return lib.generation.filter_logits(logits, top_k=top_k, top_p=top_p)


@st.composite
def _filter_case(draw, dtype):
    vocab = draw(st.integers(1, 12))
    lead = draw(S.shapes(max_dims=2, max_side=3))
    # Few distinct values: ties are common, as they are in real logits after quantized training.
    palette = draw(st.lists(st.floats(-5, 5, allow_nan=False, allow_subnormal=False), min_size=1, max_size=4))
    if draw(st.booleans()):
        palette += draw(st.sampled_from([[300.0], [-300.0], [-np.inf], [300.0, -300.0]]))
    picks = draw(S.values(lead + (vocab,), "float64", 0, len(palette) - 1e-9)).astype(int)
    logits = np.asarray(palette, dtype=np.float64)[picks].astype(dtype)
    top_k = draw(st.one_of(st.none(), st.integers(1, vocab + 2)))
    top_p = draw(st.one_of(st.none(), st.sampled_from([0.05, 0.3, 0.5, 0.75, 0.9, 0.999, 1.0]),
                           st.floats(0.01, 1.0, allow_subnormal=False)))
    return Case((logits,), {"top_k": top_k, "top_p": top_p}, grad=(False,))


def _filter_examples(dtype):
    ties = arr([[1.0, 3.0, 3.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0, 0.0]], dtype)
    extremes = arr([[300.0, -300.0, 0.0, 299.0, -np.inf], [1e4, -1e4, 1e4, 0.0, 1.0]], dtype)
    ramp = np.linspace(-2, 2, 24).reshape(2, 3, 4).astype(dtype)

    def case(label, x, **kwargs):
        return Case((x,), kwargs, grad=(False,), label=label)

    return [
        case("top_k=2 with a 3-way tie at the k-th value keeps all ties", ties, top_k=2),
        case("top_k=1 on ties", ties, top_k=1),
        case("top_k > vocabulary keeps everything", ties, top_k=9),
        case("top_k = vocabulary", ties, top_k=5),
        case("top_p=0.5 on 5 equal logits: cumulative 0.4 < 0.5 keeps a 3rd", ties, top_p=0.5),
        case("top_p=0.4 on 5 equal logits: exactly 0.4 after two tokens", ties, top_p=0.4),
        case("top_p tiny: only the most likely token", ties, top_p=1e-9),
        case("top_p=1 keeps everything", extremes, top_p=1.0),
        case("±300, ±1e4, -inf with top_k=2", extremes, top_k=2),
        case("±300, ±1e4, -inf with top_p=0.9", extremes, top_p=0.9),
        case("-inf entries count for top_k (k-th largest is -inf)", extremes[:1], top_k=5),
        case("top_k then top_p", ramp, top_k=3, top_p=0.6),
        case("3-d logits (B, T, V)", ramp, top_p=0.8),
        case("1-d logits", ramp[0, 0], top_k=2),
        case("vocabulary of 1", arr([[0.5], [-3.0]], dtype), top_k=1, top_p=0.1),
        case("empty batch (0, V)", np.zeros((0, 4), dtype), top_k=2, top_p=0.5),
        case("no filtering", ramp, top_k=None, top_p=None),
        case("top_k=0 (error)", ties, top_k=0),
        case("top_k=-1 (error)", ties, top_k=-1),
        case("top_k=2.5 (error)", ties, top_k=2.5),
        case("top_p=0 (error)", ties, top_p=0.0),
        case("top_p=1.5 (error)", ties, top_p=1.5),
        case("top_p=-0.1 (error)", ties, top_p=-0.1),
        case("0-d logits (error)", arr(1.0, dtype), top_k=1),
        case("empty vocabulary (error)", np.zeros((2, 0), dtype), top_k=1),
        case("integer logits (error)", np.arange(6).reshape(2, 3), top_k=1),
    ]


register(Pair("generation.filter_logits", AREA, call=_filter_call, ref="reference.generation.sampling:filter_logits",
              source="tiny.generation.sampling:filter_logits", strategy=_filter_case, examples=_filter_examples,
              requires=("generation.filter_logits",), differentiable=False, max_examples=60))


# ===== generate =====================================================================================
def generate_call(lib, idx, *params, config, names, dtype, max_new_tokens, **options):
    """A GPT of `config` in `dtype` loaded with `params`, then generate(..., return_logits=True)."""
    model = lib.models.GPT(lib.models.GPTConfig(**config))
    model.to(getattr(lib, dtype))
    state = dict(zip(names, params))
    if config.get("tie_weights", True):
        state["head.weight"] = state["tok_emb.weight"]
    model.load_state_dict(state)
    return lib.generation.generate(model, idx, max_new_tokens, return_logits=True, **options)


def make_case(config: dict, idx: np.ndarray, max_new_tokens, dtype: str, weight_seed: int = 0, label: str = "",
              **options) -> Case:
    """options: temperature, top_k, top_p, use_cache, seed (of the sampler)."""
    params = random_parameters(config, weight_seed, dtype)
    names = [name for name, _ in parameter_shapes(config)]
    kwargs = {"config": config, "names": names, "dtype": dtype, "max_new_tokens": max_new_tokens, **options}
    return Case((idx, *params), kwargs, grad=(False,) * (1 + len(params)), label=label)


@st.composite
def _generate_case(draw, dtype):
    n_head = draw(st.integers(1, 3))
    config = {"vocab_size": draw(st.integers(5, 30)), "context_length": draw(st.integers(2, 16)),
              "n_layer": draw(st.integers(0, 2)), "n_head": n_head, "d_model": n_head * draw(st.integers(2, 6)),
              "dropout": 0.0, "bias": draw(st.booleans()), "tie_weights": draw(st.booleans())}
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    prompt_length = draw(st.integers(1, config["context_length"]))
    idx = rng.integers(0, config["vocab_size"], (draw(st.integers(1, 3)), prompt_length))
    new_tokens = draw(st.integers(0, config["context_length"] - prompt_length))
    options = {"use_cache": draw(st.booleans())}
    if draw(st.booleans()):
        options["temperature"] = 0.0
        label = "greedy"
    else:
        options.update(temperature=draw(st.sampled_from([0.5, 1.0, 2.0])), seed=draw(st.integers(0, 1000)),
                       top_k=draw(st.one_of(st.none(), st.integers(1, config["vocab_size"]))),
                       top_p=draw(st.one_of(st.none(), st.sampled_from([0.3, 0.8, 1.0]))))
        label = "sampled"
    label += ", cached" if options["use_cache"] else ", uncached"
    return make_case(config, idx, new_tokens, dtype, seed, label, **options)


BASE = {"vocab_size": 13, "context_length": 12, "n_layer": 2, "n_head": 2, "d_model": 8, "dropout": 0.0,
        "bias": True, "tie_weights": True}


def _generate_examples(dtype):
    rng = np.random.default_rng(11)
    idx = rng.integers(0, 13, (2, 4))

    def case(label, idx=idx, max_new_tokens=8, config=None, **options):
        return make_case({**BASE, **(config or {})}, idx, max_new_tokens, dtype, 7, label, **options)

    greedy = {"temperature": 0.0}
    sampled = {"temperature": 0.8, "top_k": 5, "top_p": 0.9, "seed": 3}
    cases = []
    for use_cache in (True, False):
        mode = "cached" if use_cache else "uncached"
        cases += [
            case(f"greedy, {mode}", use_cache=use_cache, **greedy),
            case(f"seeded top-k/top-p sampling, {mode}", use_cache=use_cache, **sampled),
            case(f"prompt length 1, {mode}", idx=idx[:, :1], max_new_tokens=11, use_cache=use_cache, **greedy),
            case(f"prompt length context-1, one new token, {mode}", idx=rng.integers(0, 13, (2, 11)),
                 max_new_tokens=1, use_cache=use_cache, **greedy),
        ]
    return cases + [
        case("max_new_tokens=0 returns the prompt", max_new_tokens=0, **greedy),
        case("batch 3, untied, no bias", idx=rng.integers(0, 13, (3, 5)), config={"bias": False, "tie_weights": False},
             **sampled),
        case("no layers", config={"n_layer": 0}, **greedy),
        case("top_k=1 sampling (greedy by another road)", temperature=1.5, top_k=1, seed=0),
        case("high temperature, no filtering", temperature=5.0, seed=1),
        case("int32 prompt", idx=idx.astype(np.int32), **greedy),
        case("max_new_tokens=-1 (error)", max_new_tokens=-1, **greedy),
        case("prompt + max_new_tokens > context_length (error)", max_new_tokens=9, **greedy),
        case("prompt longer than the context (error)", idx=rng.integers(0, 13, (1, 13)), max_new_tokens=0),
        case("temperature=-1 (error)", temperature=-1.0),
        case("top_k=0 (error)", top_k=0, seed=0),
        case("top_p=0 (error)", top_p=0.0, seed=0),
        case("top_p=1.5 (error)", top_p=1.5, seed=0),
        case("1-D prompt (error)", idx=idx[0], **greedy),
        case("float prompt (error)", idx=idx.astype(dtype), **greedy),
        case("token id = vocab_size (error)", idx=np.full((1, 3), 13), **greedy),
    ]


register(Pair("generation.generate", AREA, call=generate_call, ref="reference.generation.generate:generate_pair",
              source="tiny.generation.generate:generate", strategy=_generate_case, examples=_generate_examples,
              requires=("generation.generate", "models.GPT", "models.GPTConfig", "float32"), differentiable=False,
              max_examples=20))
