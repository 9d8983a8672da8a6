"""Cached-generation report: tokens/s of tiny and torch, with and without the KV cache, on the same weights.

Four variants per (config, generated length): tiny cached (tiny/generation/fast_decode.py on NumPy arrays),
tiny uncached (the full tiny.models.GPT forward per token), torch cached (reference/generation: the
reference GPT's modules on one position, F.scaled_dot_product_attention over a preallocated cache, under
torch.no_grad) and torch uncached (the reference GPT's full forward per token). Batch 1, a 16-token prompt,
greedy decoding, float32, the same weights on both sides (tiny's init, loaded into torch). One timed run is
one generate() call (prefill + every new token); tokens/s = new tokens / seconds. Repeats are interleaved
(the variant order rotates each repeat) and summarized by median and min-max.

Also: KV-cache bytes (the buffers generate allocates, measured, vs the formula); the peak memory of each
variant in a fresh process (RSS after building the model and one warm-up call, and the peak RSS during
generate, from /proc/self/status; tracemalloc's peak of NumPy allocations for tiny); and a per-stage profile
of one decode step on each side.

`python -m perf.generation --probe VARIANT CONFIG TOKENS` is the fresh-process memory probe (JSON on stdout).
"""
from __future__ import annotations

import argparse
import json
import time

import perf  # noqa: F401  (pins the thread pools before NumPy / torch load)

CONFIGS = {
    "tiny": {"vocab_size": 65, "d_model": 64, "n_layer": 2, "n_head": 4, "context_length": 128},
    "small": {"vocab_size": 65, "d_model": 128, "n_layer": 4, "n_head": 4, "context_length": 256},
    "medium": {"vocab_size": 512, "d_model": 256, "n_layer": 6, "n_head": 8, "context_length": 512},
}
LENGTHS = (64, 240, 496)
PROMPT, BATCH, SEED = 16, 1, 0
VARIANTS = ("tiny cached", "tiny uncached", "torch cached", "torch uncached")
QUICK = {"configs": ("tiny",), "lengths": (24,), "repeats": 2, "profile_steps": 20}
FULL = {"configs": tuple(CONFIGS), "lengths": LENGTHS, "repeats": 3, "profile_steps": 200}
STAGES = ("embedding", "ln1+qkv", "attention", "out_proj+residual", "ln2+fc", "act", "proj+residual", "ln_f+head")


# ----- models and runs ------------------------------------------------------------------------------------
def tiny_model(config_name: str):
    import tiny
    from tiny.models import GPT, GPTConfig
    tiny.manual_seed(SEED)
    return GPT(GPTConfig(**CONFIGS[config_name])).eval()


def torch_model(config_name: str, tiny_state: dict | None = None):
    """The reference GPT; with tiny_state ({key: np.ndarray}) it gets exactly tiny's weights."""
    import torch
    from reference.models.gpt import GPT, GPTConfig
    torch.manual_seed(SEED)
    model = GPT(GPTConfig(**CONFIGS[config_name])).eval()
    if tiny_state is not None:
        model.load_state_dict({key: torch.from_numpy(value.copy()) for key, value in tiny_state.items()})
    return model


def prompt(config_name: str):
    import numpy as np
    return np.random.default_rng(SEED).integers(0, CONFIGS[config_name]["vocab_size"], (BATCH, PROMPT))


def runner(variant: str, model, idx, new_tokens: int):
    """A no-argument callable that generates and returns the tokens as a NumPy array."""
    library, mode = variant.split()
    use_cache = mode == "cached"
    if library == "tiny":
        import tiny
        from tiny.generation import generate
        prompt_tensor = tiny.tensor(idx)
        return lambda: generate(model, prompt_tensor, new_tokens, temperature=0, use_cache=use_cache).data
    import torch
    from reference.generation import generate as torch_generate
    prompt_tensor = torch.from_numpy(idx)
    return lambda: torch_generate(model, prompt_tensor, new_tokens, temperature=0, use_cache=use_cache).numpy()


def lengths_for(config_name: str, lengths) -> list[int]:
    return [n for n in lengths if PROMPT + n <= CONFIGS[config_name]["context_length"]]


# ----- throughput ---------------------------------------------------------------------------------------
def measure_throughput(config_name: str, lengths, repeats: int) -> list[dict]:
    import numpy as np
    from perf.common import summary, timed
    model = tiny_model(config_name)
    models = {"tiny": model, "torch": torch_model(config_name, {k: v.data for k, v in model.state_dict().items()})}
    idx = prompt(config_name)
    rows = []
    for new_tokens in lengths_for(config_name, lengths):
        runs = {v: runner(v, models[v.split()[0]], idx, new_tokens) for v in VARIANTS}
        tokens = {v: run() for v, run in runs.items()}          # warm-up, and the greedy tokens of each
        agree = all(np.array_equal(tokens[v], tokens[VARIANTS[0]]) for v in VARIANTS)
        seconds = {v: [] for v in VARIANTS}
        for repeat in range(repeats):
            order = VARIANTS[repeat % len(VARIANTS):] + VARIANTS[:repeat % len(VARIANTS)]
            for variant in order:
                seconds[variant].append(timed(runs[variant]))
        rate = {v: summary([new_tokens / s for s in seconds[v]]) for v in VARIANTS}
        rows.append({"config": config_name, "new_tokens": new_tokens, "tokens_per_s": rate,
                     "greedy_tokens_agree": agree, **ratios(rate)})
    return rows


def ratios(rate: dict) -> dict:
    median = {v: rate[v]["median"] for v in VARIANTS}
    return {"tiny_over_torch_cached": median["tiny cached"] / median["torch cached"],
            "tiny_over_torch_uncached": median["tiny uncached"] / median["torch uncached"],
            "cache_speedup_tiny": median["tiny cached"] / median["tiny uncached"],
            "cache_speedup_torch": median["torch cached"] / median["torch uncached"]}


# ----- memory (fresh processes) ----------------------------------------------------------------------------
def kv_cache_bytes(variant: str, model, total: int) -> dict:
    """The cache generate allocates for `total` positions, built the same way: measured vs the formula."""
    config = model.config
    head_dim = config.d_model // config.n_head
    formula = 2 * config.n_layer * BATCH * config.n_head * total * head_dim * 4  # float32
    if variant.startswith("tiny"):
        from tiny.generation.fast_decode import DecodeWeights
        cache = DecodeWeights(model).new_cache(BATCH, total)
        buffers = sum(b.nbytes for b in cache.key_cache + cache.value_cache)
    else:
        from reference.generation.generate import new_cache
        cache = new_cache(model, BATCH, total)
        buffers = sum(t.numel() * t.element_size() for t in cache.key_cache + cache.value_cache)
    return {"kv_cache_buffers_bytes": buffers, "kv_cache_nbytes": cache.nbytes, "kv_cache_formula_bytes": formula}


def _rss_kb() -> tuple[int, int]:
    """(current RSS, peak RSS) of this process in kB, from /proc/self/status (Linux). ru_maxrss would not
    do: it is inherited from the parent across fork + exec, so a child reports the parent's peak."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                values[key] = int(value.split()[0])
    return values["VmRSS"], values["VmHWM"]


def _reset_peak_rss() -> bool:
    """Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def probe_memory(variant: str, config_name: str, new_tokens: int) -> dict:
    """Run in a fresh process: build one variant's model, generate once, report memory."""
    import tracemalloc
    tiny_side = variant.startswith("tiny")
    model = tiny_model(config_name) if tiny_side else torch_model(config_name)
    run = runner(variant, model, prompt(config_name), new_tokens)
    runner(variant, model, prompt(config_name), 1)()   # loads the code pages and kernels a first call touches
    peak_reset = _reset_peak_rss()
    before_kb, _ = _rss_kb()
    if tiny_side:
        tracemalloc.start()
    run()
    _, peak_kb = _rss_kb()
    observed = {"variant": variant, "config": config_name, "new_tokens": new_tokens,
                "rss_before_mb": before_kb / 1024, "peak_rss_mb": peak_kb / 1024,
                "rss_growth_mb": (peak_kb - before_kb) / 1024 if peak_reset else None,
                "traced_numpy_peak_mb": tracemalloc.get_traced_memory()[1] / 2 ** 20 if tiny_side else None}
    tracemalloc.stop()
    if variant.endswith(" cached"):
        observed.update(kv_cache_bytes(variant, model, PROMPT + new_tokens))
    return observed


def measure_memory(config_name: str, lengths) -> list[dict]:
    from perf.common import probe
    new_tokens = max(lengths_for(config_name, lengths))
    return [probe("perf.generation", "--probe", variant, config_name, str(new_tokens)) for variant in VARIANTS]


# ----- per-stage profile of one decode step ----------------------------------------------------------------
def profile_decode(config_name: str, steps: int) -> dict:
    """Microseconds per decode step in each stage (summed over layers; the median over `steps` steps), tiny vs
    torch, after the prompt and 64 warm-up tokens; plus the median whole step without the timing laps."""
    import numpy as np
    import torch
    from reference.generation.generate import forward_cached as torch_forward, new_cache
    from tiny.generation.fast_decode import DecodeWeights, forward_cached as tiny_forward
    model = tiny_model(config_name)
    reference = torch_model(config_name, {k: v.data for k, v in model.state_dict().items()})
    weights, idx = DecodeWeights(model), prompt(config_name)
    steps = min(steps, CONFIGS[config_name]["context_length"] - PROMPT - 64)
    sides = {"tiny": (lambda cache, tokens, laps: tiny_forward(weights, cache, tokens, laps),
                      lambda: weights.new_cache(BATCH, CONFIGS[config_name]["context_length"]), np.asarray),
             "torch": (lambda cache, tokens, laps: torch_forward(reference, cache, tokens, laps),
                       lambda: new_cache(reference, BATCH, CONFIGS[config_name]["context_length"]), torch.from_numpy)}
    result = {}
    with torch.no_grad():
        for side, (forward, make_cache, wrap) in sides.items():
            result[side] = _profile_side(forward, make_cache, wrap, idx, steps)
    return {"config": config_name, "position": PROMPT + 64, "steps": steps, **result}


def _profile_side(forward, make_cache, wrap, idx, steps: int) -> dict:
    """Per stage, the median over `steps` decode steps (medians resist the stalls of a shared machine)."""
    import numpy as np
    per_stage = {stage: [] for stage in STAGES}
    plain = []
    for with_laps in (False, True):
        cache = make_cache()
        forward(cache, wrap(idx), None)
        token = wrap(np.zeros((BATCH, 1), np.int64))
        for _ in range(64):
            forward(cache, token, None)
        for _ in range(steps):
            laps = [("start", time.perf_counter())] if with_laps else None
            start = time.perf_counter()
            forward(cache, token, laps)
            if not with_laps:
                plain.append(time.perf_counter() - start)
                continue
            step = dict.fromkeys(STAGES, 0.0)
            for (_, t0), (stage, t1) in zip(laps, laps[1:]):
                step[stage] += t1 - t0
            for stage, seconds in step.items():
                per_stage[stage].append(seconds)
    stages_us = {stage: float(np.median(seconds)) * 1e6 for stage, seconds in per_stage.items()}
    return {"stages_us": stages_us, "step_us_with_laps": sum(stages_us.values()),
            "step_us_median": float(np.median(plain)) * 1e6}


# ----- the report ----------------------------------------------------------------------------------------
def run(quick: bool = False, repeats: int | None = None, progress=print) -> dict:
    from perf.common import machine, per_call_overhead, report_start
    settings, result = report_start("generation", quick, repeats, QUICK, FULL)
    result.update({"per_call_us": per_call_overhead(), "configs": {c: CONFIGS[c] for c in settings["configs"]},
                   "settings": {**settings, "prompt": PROMPT, "batch": BATCH, "dtype": "float32",
                                "decoding": "greedy",
                                "timing": "one generate() call incl. prefill; gc paused; interleaved repeats"},
                   "throughput": [], "memory": [], "profile": []})
    for config_name in settings["configs"]:
        progress(f"[perf generation] {config_name}: throughput")
        result["throughput"] += measure_throughput(config_name, settings["lengths"], settings["repeats"])
        progress(f"[perf generation] {config_name}: memory (fresh processes)")
        result["memory"] += measure_memory(config_name, settings["lengths"])
        progress(f"[perf generation] {config_name}: decode-step profile")
        result["profile"].append(profile_decode(config_name, settings["profile_steps"]))
    result["machine"]["load_average_1min_at_end"] = machine()["load_average_1min"]
    return result


def tables(result: dict) -> str:
    from tabulate import tabulate

    def rate(cell: dict) -> str:
        return f"{cell['median']:,.0f} ({cell['min']:,.0f}-{cell['max']:,.0f})"

    throughput = tabulate(
        [[r["config"], r["new_tokens"], *(rate(r["tokens_per_s"][v]) for v in VARIANTS),
          f"{r['tiny_over_torch_cached']:.2f}x", f"{r['tiny_over_torch_uncached']:.2f}x",
          f"{r['cache_speedup_tiny']:.1f}x", f"{r['cache_speedup_torch']:.1f}x",
          "yes" if r["greedy_tokens_agree"] else "NO"] for r in result["throughput"]],
        headers=["config", "new tokens", *(f"{v} tok/s" for v in VARIANTS), "tiny/torch cached",
                 "tiny/torch uncached", "cache speedup tiny", "cache speedup torch", "same tokens"])
    memory = tabulate(
        [[m["config"], m["variant"], m["new_tokens"], m.get("kv_cache_buffers_bytes", "-"),
          m.get("kv_cache_formula_bytes", "-"), f"{m['rss_before_mb']:.1f}", f"{m['peak_rss_mb']:.1f}",
          "-" if m["rss_growth_mb"] is None else f"{m['rss_growth_mb']:.1f}",
          "-" if m["traced_numpy_peak_mb"] is None else f"{m['traced_numpy_peak_mb']:.2f}"] for m in result["memory"]],
        headers=["config", "variant", "new tokens", "KV cache bytes (buffers)", "formula 2*L*B*H*T*D*4",
                 "RSS before MB", "peak RSS MB", "peak - before MB", "tracemalloc NumPy peak MB"])
    profile_rows = []
    for p in result["profile"]:
        tiny_total, torch_total = p["tiny"]["step_us_with_laps"], p["torch"]["step_us_with_laps"]
        for stage in STAGES:
            t, r = p["tiny"]["stages_us"][stage], p["torch"]["stages_us"][stage]
            profile_rows.append([p["config"], stage, f"{t:.1f}", f"{100 * t / tiny_total:.0f}%", f"{r:.1f}",
                                 f"{100 * r / torch_total:.0f}%"])
        profile_rows.append([p["config"], "step (no laps)", f"{p['tiny']['step_us_median']:.1f}", "",
                             f"{p['torch']['step_us_median']:.1f}", ""])
    profile = tabulate(profile_rows, headers=["config", "stage (all layers)", "tiny us", "tiny %", "torch us",
                                              "torch %"])
    overhead = ", ".join(f"{k} {v:.2f} us" for k, v in result["per_call_us"].items())
    threads = ", ".join(f"{k}={v}" for k, v in result["threads"].items())
    return (f"Cached generation: batch {BATCH}, prompt {PROMPT}, greedy, float32, same weights; tokens/s median "
            f"(min-max) of {result['settings']['repeats']} interleaved repeats\n{throughput}\n\n"
            f"Memory\n{memory}\n\nDecode steps from position {PROMPT + 64}, per stage (medians over "
            f"{result['settings']['profile_steps']} steps)\n{profile}\n\n"
            f"Threads: {threads}\nPer-call overhead: {overhead}\n"
            f"Load average (1 min): {result['machine']['load_average_1min']} at the start, "
            f"{result['machine']['load_average_1min_at_end']} at the end (2 cores)")


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    configs = list(dict.fromkeys(r["config"] for r in result["throughput"]))
    figure, axes = plt.subplots(1, len(configs), figsize=(5 * len(configs), 4), squeeze=False)
    for ax, config_name in zip(axes[0], configs):
        rows = [r for r in result["throughput"] if r["config"] == config_name]
        x = [r["new_tokens"] for r in rows]
        for variant in VARIANTS:
            cells = [r["tokens_per_s"][variant] for r in rows]
            median = [c["median"] for c in cells]
            spread = [[m - c["min"] for m, c in zip(median, cells)], [c["max"] - m for m, c in zip(median, cells)]]
            ax.errorbar(x, median, yerr=spread, marker="o", capsize=3, label=variant,
                        linestyle="-" if variant.endswith(" cached") else "--")
        ax.set_yscale("log")
        ax.set_xlabel("generated tokens")
        ax.set_ylabel("tokens / s (median, min-max)")
        ax.set_title(f"{config_name}: " + ", ".join(f"{k}={v}" for k, v in CONFIGS[config_name].items()
                                                    if k != "vocab_size"), fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    figure.suptitle(f"tiny vs torch generation: batch {BATCH}, prompt {PROMPT}, greedy, float32,\n"
                    "same weights, 1 thread each", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m perf.generation")
    parser.add_argument("--probe", nargs=3, metavar=("VARIANT", "CONFIG", "TOKENS"), required=True,
                        help="fresh-process memory probe of one variant, e.g. --probe 'tiny cached' small 240")
    args = parser.parse_args(argv)
    variant, config_name, tokens = args.probe
    from perf.common import pin_threads
    pin_threads(with_torch=variant.startswith("torch"))  # a tiny probe never imports torch (its RSS would count)
    print(json.dumps(probe_memory(variant, config_name, int(tokens))))


if __name__ == "__main__":
    main()
