"""Scenarios of the generation area (torch-free); compared with the torch twins (reference/generation/) in
difftests/test_generation.py. See difftests/scenarios/__init__.py for how scenarios run."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from difftests.scenarios import array, attempt, raised, scenario  # noqa: F401


def plain(buffer) -> np.ndarray:
    """A copy of a KV-cache buffer or view, which the contract says is a plain np.ndarray."""
    if type(buffer) is not np.ndarray:
        raise TypeError(f"KVCache buffers and the views append returns must be np.ndarray, got "
                        f"{type(buffer).__name__}")
    return np.array(buffer, copy=True)


def build_model(lib, config: dict, state: dict, dtype: str):
    """lib's GPT of `config` in `dtype`, loaded with `state` ({state-dict key: array})."""
    model = lib.models.GPT(lib.models.GPTConfig(**config))
    model.to(getattr(lib, dtype))
    model.load_state_dict({key: lib.tensor(value) for key, value in state.items()})
    return model


@scenario("generation.runs")
def generation_runs(lib, config: dict, state: dict, dtype: str, idx: np.ndarray, max_new_tokens: int,
                    runs: list) -> dict:
    """One model, several generate calls (each run: generate's keyword options). Per run: the tokens
    (B, T + new) and the logits that chose each new token (B, new, V)."""
    model = build_model(lib, config, state, dtype)
    observed = []
    for options in runs:
        tokens, logits = lib.generation.generate(model, lib.tensor(idx), max_new_tokens, return_logits=True,
                                                 **options)
        observed.append({"tokens": array(tokens), "logits": array(logits), "token_dtype": str(tokens.dtype),
                         "logits_dtype": str(logits.dtype), "requires_grad": bool(tokens.requires_grad)})
    return {"runs": observed}


def _module(nn, spec):
    """("Name", {kwargs}) or "Name" -> nn.Name(**kwargs)."""
    name, kwargs = (spec, {}) if isinstance(spec, str) else spec
    return getattr(nn, name)(**kwargs)


def _parallel_forward(self, x):
    """A parallel-residual block (GPT-J style): both branches read ln1(x). Not Block.forward."""
    h = self.ln1(x)
    return x + self.attn(h, is_causal=True) + self.mlp(h)


def customize(nn, model, variant: dict):
    """Apply `variant` to a GPT of either library (nn = lib.nn or torch.nn), in place, after its weights are
    loaded: "act" replaces every block's mlp.act, "mlp_dropout" inserts a Dropout after it (state-dict keys
    unchanged), "ln1"/"ln2"/"ln_f" replace those LayerNorms, "parallel" makes every block parallel-residual."""
    for block in model.blocks:
        if "act" in variant or "mlp_dropout" in variant:
            act = _module(nn, variant["act"]) if "act" in variant else block.mlp.act
            layers = [("fc", block.mlp.fc), ("act", act)]
            if "mlp_dropout" in variant:
                layers.append(("drop", nn.Dropout(variant["mlp_dropout"])))
            block.mlp = nn.Sequential(OrderedDict(layers + [("proj", block.mlp.proj)]))
        for name in ("ln1", "ln2"):
            if name in variant:
                setattr(block, name, _module(nn, variant[name]))
        if variant.get("parallel"):
            block.__class__ = type("ParallelBlock", (type(block),), {"forward": _parallel_forward})
    if "ln_f" in variant:
        model.ln_f = _module(nn, variant["ln_f"])
    return model


@scenario("generation.variants")
def generation_variants(lib, config: dict, state: dict, dtype: str, variant: dict, idx: np.ndarray,
                        max_new_tokens: int) -> dict:
    """A GPT whose modules are swapped (customize) in train mode: greedy generate with and without the
    cache; per mode the tokens and logits, or what it raised."""
    model = customize(lib.nn, build_model(lib, config, state, dtype), variant)
    model.train()  # generate must switch dropout off itself
    observed = {}
    for mode, use_cache in (("cached", True), ("uncached", False)):
        def run():
            tokens, logits = lib.generation.generate(model, lib.tensor(idx), max_new_tokens, temperature=0.0,
                                                     use_cache=use_cache, return_logits=True)
            return {"tokens": array(tokens), "logits": array(logits)}
        observed[mode] = attempt(run)
    return observed


@scenario("generation.modes")
def generation_modes(lib, config: dict, state: dict, idx: np.ndarray, max_new_tokens: int, seed: int) -> dict:
    """Dropout is off during generate (train mode in, eval-mode tokens out, train mode restored); grad mode
    is left as it was; seed=None draws from the library's global generator (manual_seed reproduces it)."""
    model = build_model(lib, {**config, "dropout": 0.5}, state, "float64")
    prompt = lib.tensor(idx)
    model.eval()
    eval_tokens = array(lib.generation.generate(model, prompt, max_new_tokens, temperature=0))
    model.train()
    train_tokens = array(lib.generation.generate(model, prompt, max_new_tokens, temperature=0))
    still_training = bool(model.training)
    grad_enabled_after = bool(lib.is_grad_enabled())
    with lib.no_grad():
        lib.generation.generate(model, prompt, max_new_tokens, temperature=0)
        grad_disabled_inside = not lib.is_grad_enabled()
    draws = []
    for _ in range(2):
        lib.manual_seed(seed)
        draws.append(array(lib.generation.generate(model, prompt, max_new_tokens, temperature=1.0)))
    return {"eval_tokens": eval_tokens, "train_tokens": train_tokens, "still_training": still_training,
            "grad_enabled_after": grad_enabled_after, "grad_disabled_inside": grad_disabled_inside,
            "global_seed_draws": draws}


@scenario("generation.errors")
def generation_errors(lib, config: dict, state: dict, idx: np.ndarray, calls: list) -> dict:
    """Each call: (label, max_new_tokens, generate's keyword options); the exception each one raises."""
    model = build_model(lib, config, state, "float32")
    outcomes = {}
    for label, max_new_tokens, options in calls:
        options = dict(options)
        prompt = lib.tensor(options.pop("idx", idx))
        outcomes[label] = attempt(lambda: lib.generation.generate(model, prompt, max_new_tokens, **options)
                                  and "returned")
    return outcomes


@scenario("generation.kv_cache")
def kv_cache(lib, shape: dict, dtype: str, prefill: list, steps: list) -> dict:
    """A KVCache of `shape` (n_layer, batch, n_head, max_len, head_dim): prefill every layer with
    prefill[layer] = (keys, values) (B, H, T0, D), then append the (B, H, 1, D) pairs of each step.
    Observes the sizes, what append returns, whether buffers moved, reset and overflow."""
    cache = lib.generation.KVCache(**shape, dtype=getattr(lib, dtype))
    addresses = [b.__array_interface__["data"][0] for b in cache.key_cache + cache.value_cache]
    observed = {"nbytes": int(cache.nbytes), "buffer_nbytes": int(sum(b.nbytes for b in cache.key_cache
                                                                      + cache.value_cache)),
                "buffer_shapes": [list(b.shape) for b in cache.key_cache + cache.value_cache],
                "buffer_dtypes": sorted({str(b.dtype) for b in cache.key_cache + cache.value_cache}),
                "views": [], "views_share_buffers": [], "lengths": []}
    for writes in [prefill] + steps:
        for layer, (keys, values) in enumerate(writes):
            key_view, value_view = cache.append(layer, keys, values)
            observed["views"].append([plain(key_view), plain(value_view)])
            observed["views_share_buffers"].append(bool(np.shares_memory(key_view, cache.key_cache[layer]) and
                                                        np.shares_memory(value_view, cache.value_cache[layer])))
        cache.advance(writes[0][0].shape[2])
        observed["lengths"].append(int(cache.length))
    observed["buffers_moved"] = addresses != [b.__array_interface__["data"][0]
                                              for b in cache.key_cache + cache.value_cache]
    observed["filled_keys"] = [plain(b[:, :, :cache.length]) for b in cache.key_cache]
    observed["overflow"] = attempt(lambda: cache.append(0, *prefill[0]) and "returned")
    cache.reset()
    observed["length_after_reset"] = int(cache.length)
    key_view, _ = cache.append(0, *prefill[0])
    observed["after_reset_view"] = plain(key_view)
    return observed
