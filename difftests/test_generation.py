"""Generation, compared with the torch twins in reference/generation/ (same weights, same rules).

- At every decoding step the logits of the cached implementation equal its uncached logits (float64:
  1e-9, i.e. rounding; float32: torch's assert_close defaults) and torch's; greedy tokens are identical
  across implementation-cached, implementation-uncached, torch-cached and torch-uncached. In float32 a
  greedy token may differ only at a near tie (the two largest logits within the tolerance); the
  comparison then stops at that step — float64 must agree everywhere.
- Seeded sampling: cached == uncached == torch (the uniforms come from np.random.default_rng(seed)),
  reproducible, and another seed gives other tokens.
- The KV cache: buffers (B, H, T_max, D), nbytes = 2 * n_layer * B * H * T_max * D * itemsize = the
  buffers' nbytes, prefill + append contents equal torch's cache, no buffer moves (O(1) append), reset,
  overflow; prompt lengths 1, middle and T_max - 1.
- Bad arguments raise the twin's exception class, and ValueError messages name the argument.
- Module compositions: the cached path follows the model it is given (activations swapped, no biases, untied
  head, dropout in eval mode, LayerNorms replaced, a module without an array kernel), cached == uncached ==
  torch; a block whose forward is not Block's is refused by the cached path with a TypeError naming it.
- Modes: dropout off during generate and train mode restored, grad mode restored, seed=None reproducible
  through manual_seed.
The implementation side of each test is a scenario in difftests/scenarios/generation.py.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from difftests.pairs.gpt import parameter_shapes, random_parameters
from difftests.scenarios.generation import customize
from reference.generation import KVCache as TorchKVCache
from reference.generation import generate as torch_generate
from reference.models.gpt import GPT as TorchGPT
from reference.models.gpt import GPTConfig as TorchGPTConfig

pytestmark = pytest.mark.area_generation

CONFIGS = {
    "tied+bias": {"vocab_size": 13, "context_length": 12, "n_layer": 2, "n_head": 2, "d_model": 8, "dropout": 0.0,
                  "bias": True, "tie_weights": True},
    "untied, no bias, 3 heads": {"vocab_size": 17, "context_length": 10, "n_layer": 3, "n_head": 3, "d_model": 12,
                                 "dropout": 0.0, "bias": False, "tie_weights": False},
}
# Cached vs uncached inside one implementation: float64 differs by rounding only (measured 1e-14 on logits
# up to 27); float32 uses torch's assert_close defaults (measured 5.7e-6 at |logit| 23).
TIGHT = {"float64": (1e-9, 1e-9), "float32": (1.3e-6, 1e-5)}
VS_TORCH = {"float64": (1e-7, 1e-7), "float32": (1.3e-6, 1e-5)}


def model_state(config: dict, dtype: str, seed: int = 0) -> dict:
    """Random weights with O(1) activations (the gpt pairs' recipe), as a state dict of arrays."""
    state = dict(zip([name for name, _ in parameter_shapes(config)], random_parameters(config, seed, dtype)))
    if config["tie_weights"]:
        state["head.weight"] = state["tok_emb.weight"]
    return state


def torch_model(config: dict, state: dict, dtype: str) -> TorchGPT:
    model = TorchGPT(TorchGPTConfig(**config)).to(getattr(torch, dtype))
    model.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in state.items()})
    return model


def torch_runs(model, idx: np.ndarray, max_new_tokens: int, runs: list) -> list:
    observed = []
    for options in runs:
        tokens, logits = torch_generate(model, torch.from_numpy(idx), max_new_tokens, return_logits=True, **options)
        observed.append({"tokens": tokens.numpy(), "logits": logits.numpy()})
    return observed


def agreeing_steps(got: dict, want: dict, prompt_length: int, dtype: str, what: str) -> int:
    """The number of new tokens over which `got` may be compared with `want`: all of them, unless a greedy
    float32 token differs at a near tie of want's logits (then up to and including that step)."""
    new_got, new_want = got["tokens"][:, prompt_length:], want["tokens"][:, prompt_length:]
    assert got["tokens"].shape == want["tokens"].shape, f"{what}: tokens of shape {got['tokens'].shape}, " \
                                                        f"expected {want['tokens'].shape}"
    np.testing.assert_array_equal(got["tokens"][:, :prompt_length], want["tokens"][:, :prompt_length],
                                  err_msg=f"{what}: the prompt must be returned unchanged")
    differing = np.nonzero((new_got != new_want).any(axis=0))[0]
    if differing.size == 0:
        return new_want.shape[1]
    step = int(differing[0])
    top_two = np.sort(want["logits"][:, step].astype(np.float64), axis=-1)[:, -2:]
    margin = float(np.min(top_two[:, 1] - top_two[:, 0]))
    rtol, atol = TIGHT[dtype]
    allowed = 2 * (atol + rtol * float(np.abs(top_two).max()))
    assert dtype == "float32" and margin <= allowed, (
        f"{what}: greedy tokens differ at new token {step} ({new_got[:, step]} vs {new_want[:, step]}) although "
        f"the two largest logits are {margin:.3g} apart (a near tie would be <= {allowed:.3g})")
    return step + 1


def assert_logits_close(got: np.ndarray, want: np.ndarray, steps: int, tolerance: tuple, what: str) -> None:
    rtol, atol = tolerance
    assert got.shape == want.shape, f"{what}: logits of shape {got.shape}, expected {want.shape}"
    np.testing.assert_allclose(got[:, :steps], want[:, :steps], rtol=rtol, atol=atol,
                               err_msg=f"{what}: the logits that chose the new tokens differ")


# ----- cached == uncached == torch, at every step ----------------------------------------------------
PROMPTS = {"prompt 1": 1, "prompt 4": 4, "prompt context-1": -1}


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("prompt", list(PROMPTS))
@pytest.mark.parametrize("config_name", list(CONFIGS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_greedy_cached_equals_uncached_and_torch(observe, dtype, config_name, prompt, batch):
    config = CONFIGS[config_name]
    state = model_state(config, dtype)
    prompt_length = PROMPTS[prompt] % config["context_length"]
    new_tokens = config["context_length"] - prompt_length
    idx = np.random.default_rng(1).integers(0, config["vocab_size"], (batch, prompt_length))
    runs = [{"temperature": 0.0, "use_cache": True}, {"temperature": 0.0, "use_cache": False}]
    got = observe("generation.runs", config=config, state=state, dtype=dtype, idx=idx, max_new_tokens=new_tokens,
                  runs=runs)["runs"]
    want = torch_runs(torch_model(config, state, dtype), idx, new_tokens, runs)
    cached, uncached = got
    for run in got:
        assert run["token_dtype"].endswith("int64"), f"tokens must be int64, got {run['token_dtype']}"
        assert run["logits_dtype"].endswith(dtype), f"logits must be {dtype}, got {run['logits_dtype']}"
        assert not run["requires_grad"], "generated tokens must not require grad"
    torch_cached, torch_uncached = want
    np.testing.assert_array_equal(torch_cached["tokens"], torch_uncached["tokens"])  # the twin agrees with itself
    steps = agreeing_steps(uncached, cached, prompt_length, dtype, "uncached vs cached")
    assert_logits_close(uncached["logits"], cached["logits"], steps, TIGHT[dtype], "uncached vs cached")
    for mine, theirs, what in ((cached, torch_cached, "cached vs torch cached"),
                               (uncached, torch_uncached, "uncached vs torch uncached")):
        steps = agreeing_steps(mine, theirs, prompt_length, dtype, what)
        assert_logits_close(mine["logits"], theirs["logits"], steps, VS_TORCH[dtype], what)


# ----- seeded sampling ---------------------------------------------------------------------------------
SAMPLERS = {  # the last one keeps few tokens: other seeds may well draw the same ones
    "temperature 1": {"temperature": 1.0},
    "temperature 0.7, top_k 4": {"temperature": 0.7, "top_k": 4},
    "temperature 1.5, top_p 0.8": {"temperature": 1.5, "top_p": 0.8},
    "top_k 6 then top_p 0.5": {"temperature": 1.0, "top_k": 6, "top_p": 0.5},
}
NARROW = {"top_k 6 then top_p 0.5"}


@pytest.mark.parametrize("sampler", list(SAMPLERS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_seeded_sampling_is_identical_cached_uncached_and_torch(observe, dtype, sampler):
    config = CONFIGS["tied+bias"]
    state = model_state(config, dtype, seed=4)
    idx = np.random.default_rng(2).integers(0, config["vocab_size"], (3, 3))
    new_tokens = config["context_length"] - 3
    options = SAMPLERS[sampler]
    runs = [{**options, "seed": 5, "use_cache": True}, {**options, "seed": 5, "use_cache": False},
            {**options, "seed": 5, "use_cache": True}, {**options, "seed": 6, "use_cache": True}]
    got = observe("generation.runs", config=config, state=state, dtype=dtype, idx=idx, max_new_tokens=new_tokens,
                  runs=runs)["runs"]
    want = torch_runs(torch_model(config, state, dtype), idx, new_tokens, runs)
    np.testing.assert_array_equal(got[0]["tokens"], got[1]["tokens"], err_msg="seed 5: cached vs uncached")
    np.testing.assert_array_equal(got[0]["tokens"], got[2]["tokens"], err_msg="seed 5 twice: not reproducible")
    if sampler not in NARROW:
        assert not np.array_equal(got[0]["tokens"], got[3]["tokens"]), "seeds 5 and 6 drew the same 27 tokens"
    for i in (0, 1, 3):
        np.testing.assert_array_equal(got[i]["tokens"], want[i]["tokens"],
                                      err_msg=f"run {runs[i]}: torch's twin draws other tokens from the same seed")


# ----- the KV cache ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("prefill_length", [1, 3, 7], ids=["prefill 1", "prefill 3", "prefill T_max-1"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_kv_cache_matches_torch_and_never_reallocates(observe, dtype, prefill_length):
    shape = {"n_layer": 2, "batch": 2, "n_head": 3, "max_len": 8, "head_dim": 4}
    rng = np.random.default_rng(prefill_length)
    head = (shape["batch"], shape["n_head"])

    def writes(length):
        return [tuple(rng.standard_normal(head + (length, shape["head_dim"])).astype(dtype) for _ in range(2))
                for _ in range(shape["n_layer"])]

    prefill = writes(prefill_length)
    steps = [writes(1) for _ in range(shape["max_len"] - prefill_length)]
    got = observe("generation.kv_cache", shape=shape, dtype=dtype, prefill=prefill, steps=steps)

    cache = TorchKVCache(**shape, dtype=getattr(torch, dtype))
    want_views = []
    for step in [prefill] + steps:
        for layer, (keys, values) in enumerate(step):
            key_view, value_view = cache.append(layer, torch.from_numpy(keys), torch.from_numpy(values))
            want_views.append([key_view.numpy().copy(), value_view.numpy().copy()])
        cache.advance(step[0][0].shape[2])

    itemsize = np.dtype(dtype).itemsize
    formula = 2 * shape["n_layer"] * shape["batch"] * shape["n_head"] * shape["max_len"] * shape["head_dim"] * itemsize
    assert got["nbytes"] == formula == cache.nbytes, f"nbytes {got['nbytes']}, formula {formula}"
    assert got["buffer_nbytes"] == formula, f"the buffers hold {got['buffer_nbytes']} bytes, nbytes says {formula}"
    assert got["buffer_shapes"] == [[2, 3, 8, 4]] * 4 and got["buffer_dtypes"] == [dtype]
    assert got["lengths"] == list(range(prefill_length, shape["max_len"] + 1))
    assert not got["buffers_moved"], "appending reallocated a buffer (append must write in place)"
    assert all(got["views_share_buffers"]), "append must return views of the buffers, not copies"
    assert len(got["views"]) == len(want_views)
    for i, ((key_view, value_view), (want_key, want_value)) in enumerate(zip(got["views"], want_views)):
        np.testing.assert_array_equal(key_view, want_key, err_msg=f"append {i}: keys")
        np.testing.assert_array_equal(value_view, want_value, err_msg=f"append {i}: values")
    for layer, filled in enumerate(got["filled_keys"]):
        np.testing.assert_array_equal(filled, cache.key_cache[layer].numpy())
    assert got["overflow"]["__raised__"][0] == "ValueError", f"appending past max_len: {got['overflow']}"
    assert got["length_after_reset"] == 0
    np.testing.assert_array_equal(got["after_reset_view"], prefill[0][0])


# ----- bad arguments -----------------------------------------------------------------------------------
BAD_CALLS = [  # (label, max_new_tokens, options, the word the message must contain)
    ("max_new_tokens=-1", -1, {"temperature": 0.0}, "max_new_tokens"),
    ("max_new_tokens=2.5", 2.5, {"temperature": 0.0}, "max_new_tokens"),
    ("prompt + max_new_tokens > context", 9, {"temperature": 0.0}, "max_new_tokens"),
    ("prompt longer than the context", 0, {"idx": np.zeros((1, 13), np.int64)}, "context_length"),
    ("temperature=-0.5", 2, {"temperature": -0.5}, "temperature"),
    ("temperature=nan", 2, {"temperature": float("nan")}, "temperature"),
    ("top_k=0", 2, {"top_k": 0}, "top_k"),
    ("top_k=-3", 2, {"top_k": -3}, "top_k"),
    ("top_p=0", 2, {"top_p": 0.0}, "top_p"),
    ("top_p=1.01", 2, {"top_p": 1.01}, "top_p"),
    ("1-D prompt", 2, {"idx": np.zeros(3, np.int64)}, "idx"),
    ("empty prompt", 2, {"idx": np.zeros((1, 0), np.int64)}, "idx"),
    ("token id = vocab_size", 2, {"idx": np.full((1, 3), 13)}, None),
    ("negative token id", 2, {"idx": np.full((1, 3), -1)}, None),
]


def test_bad_arguments_raise_like_the_twin(observe):
    config = CONFIGS["tied+bias"]
    state = model_state(config, "float32")
    idx = np.zeros((2, 4), np.int64)
    calls = [(label, max_new, options) for label, max_new, options, _ in BAD_CALLS]
    got = observe("generation.errors", config=config, state=state, idx=idx, calls=calls)
    model = torch_model(config, state, "float32")
    for label, max_new, options, word in BAD_CALLS:
        options = dict(options)
        prompt = torch.from_numpy(options.pop("idx", idx))
        with pytest.raises(Exception) as theirs:
            torch_generate(model, prompt, max_new, **options)
        want = next(c.__name__ for c in type(theirs.value).__mro__ if c.__module__ == "builtins")
        mine = got[label]
        assert isinstance(mine, dict) and "__raised__" in mine, \
            f"{label}: returned a result; torch's twin raises {want}"
        assert mine["__raised__"][0] == want, f"{label}: raised {mine['__raised__'][1]}; expected {want}"
        if word is not None:
            assert word in mine["__raised__"][1], f"{label}: the message should name {word!r}: {mine['__raised__'][1]}"


# ----- modes -----------------------------------------------------------------------------------------------
def test_generate_runs_in_eval_mode_and_restores_modes(observe):
    config = CONFIGS["tied+bias"]
    state = model_state(config, "float64", seed=2)
    idx = np.random.default_rng(3).integers(0, config["vocab_size"], (2, 3))
    got = observe("generation.modes", config=config, state=state, idx=idx, max_new_tokens=6, seed=9)
    np.testing.assert_array_equal(got["train_tokens"], got["eval_tokens"],
                                  err_msg="a model in train mode (dropout 0.5) must generate as in eval mode")
    want = torch_generate(torch_model({**config, "dropout": 0.5}, state, "float64").train(), torch.from_numpy(idx), 6,
                          temperature=0.0)
    np.testing.assert_array_equal(got["eval_tokens"], want.numpy())
    assert got["still_training"], "generate must restore the model's train mode"
    assert got["grad_enabled_after"], "generate must leave grad mode enabled as it found it"
    assert got["grad_disabled_inside"], "generate inside no_grad must leave grad mode disabled"
    first, second = got["global_seed_draws"]
    np.testing.assert_array_equal(first, second, err_msg="seed=None must draw from the global generator, "
                                                         "so manual_seed reproduces the tokens")


# ----- module compositions: the cached path follows the model's own modules -------------------------------
VARIANTS = {  # (config name, config overrides, variant for customize)
    "ReLU": ("tied+bias", {}, {"act": "ReLU"}),
    "GELU tanh, dropout 0.3 everywhere": ("tied+bias", {"dropout": 0.3},
                                          {"act": ("GELU", {"approximate": "tanh"}), "mlp_dropout": 0.5}),
    "no bias, untied, SiLU (no kernel: own forward)": ("untied, no bias, 3 heads", {}, {"act": "SiLU"}),
    "LeakyReLU, Identity for ln1 and ln_f": ("tied+bias", {}, {"act": ("LeakyReLU", {"negative_slope": 0.2}),
                                                               "ln1": "Identity", "ln_f": "Identity"}),
    "Tanh, ln2 without affine": ("untied, no bias, 3 heads", {},
                                 {"act": "Tanh", "ln2": ("LayerNorm", {"normalized_shape": 12,
                                                                       "elementwise_affine": False})}),
}
REFUSED = {"parallel-residual blocks": ("tied+bias", {}, {"parallel": True}, "blocks.0")}


def _variant_runs(observe, dtype, config, variant, batch=2):
    state = model_state(config, dtype, seed=3)
    prompt_length = 3
    new_tokens = config["context_length"] - prompt_length
    idx = np.random.default_rng(4).integers(0, config["vocab_size"], (batch, prompt_length))
    got = observe("generation.variants", config=config, state=state, dtype=dtype, variant=variant, idx=idx,
                  max_new_tokens=new_tokens)
    model = customize(torch.nn, torch_model(config, state, dtype), variant).train()
    (want,) = torch_runs(model, idx, new_tokens, [{"temperature": 0.0, "use_cache": False}])
    return got, want, prompt_length


@pytest.mark.parametrize("variant_name", list(VARIANTS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cached_generation_follows_the_models_modules(observe, dtype, variant_name):
    config_name, overrides, variant = VARIANTS[variant_name]
    got, want, prompt_length = _variant_runs(observe, dtype, {**CONFIGS[config_name], **overrides}, variant)
    for mode in ("cached", "uncached"):
        assert "__raised__" not in got[mode], f"{variant_name}: generate(use_cache={mode == 'cached'}) raised " \
                                              f"{got[mode]['__raised__']}"
    steps = agreeing_steps(got["uncached"], got["cached"], prompt_length, dtype, "uncached vs cached")
    assert_logits_close(got["uncached"]["logits"], got["cached"]["logits"], steps, TIGHT[dtype],
                        f"{variant_name}: uncached vs cached")
    for mode in ("cached", "uncached"):
        steps = agreeing_steps(got[mode], want, prompt_length, dtype, f"{mode} vs torch")
        assert_logits_close(got[mode]["logits"], want["logits"], steps, VS_TORCH[dtype],
                            f"{variant_name}: {mode} vs torch uncached")


@pytest.mark.parametrize("variant_name", list(REFUSED))
def test_cached_generation_refuses_what_it_cannot_follow(observe, variant_name):
    config_name, overrides, variant, named = REFUSED[variant_name]
    got, want, prompt_length = _variant_runs(observe, "float64", {**CONFIGS[config_name], **overrides}, variant)
    assert "__raised__" not in got["uncached"], f"uncached generate must run the model: {got['uncached']}"
    steps = agreeing_steps(got["uncached"], want, prompt_length, "float64", "uncached vs torch")
    assert_logits_close(got["uncached"]["logits"], want["logits"], steps, VS_TORCH["float64"], "uncached vs torch")
    refused = got["cached"]
    assert isinstance(refused, dict) and "__raised__" in refused, \
        f"{variant_name}: the cached path returned tokens instead of refusing a block it cannot follow"
    kind, message = refused["__raised__"]
    assert kind == "TypeError" and named in message, f"{variant_name}: expected a TypeError naming {named!r}, " \
                                                     f"got {kind}: {message}"
