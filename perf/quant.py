"""Quantized-inference report: fp32 vs INT8 (dynamic quantization of every Linear), tiny vs torch, same weights.

(a) The MNIST MLP 784-256-128-10 (trained here for one epoch on MNIST, or the 8x8 digits when MNIST is absent)
    at batch 1, 16 and 256: latency per forward (one timed sample = the mean of a loop of calls), model bytes,
    max |logit - fp32 logit| and argmax agreement on the test set, test accuracy and its change.
(b) The small and medium GPT configs of `perf generation` (random init, tiny's weights loaded into torch): the
    full-sequence forward (batch 1, 128 tokens) and greedy cached generation (prompt 16, 64 new tokens) in tokens/s.

tiny INT8 = tiny.quant.quantize_dynamic: int8 weights per tensor, activations quantized per call (quint8,
reduce_range), exact integer accumulation through float32 BLAS (tiny/quant/linear.py). torch INT8 =
torch.ao.quantization.quantize_dynamic({nn.Linear}, qint8) on the engine printed in the report (x86 -> fbgemm
kernels); torch 2.13 warns that these quantized tensors are deprecated (pytorch issue 184982), which the report
repeats. tiny's cached generation with INT8 weights runs `Int8Decoder` below: a decode step built from the
model's modules (each projection through the module's array kernel `linear_kernel`, a preallocated KV cache);
tiny/generation/fast_decode.py reads float weights only. Dynamic quantization takes its activation qparams from
the rows of each call, so a cached decode (prefill, then one row per step) is not the uncached forward (all rows
at once) — in torch as in tiny; the report checks that tiny's and torch's INT8 cached generations pick the same
tokens. Model bytes: tiny's model_size_bytes (the arrays
stored); torch's: the bytes of torch.save(state_dict) (its packed INT8 weights have no plain nbytes).
Timing: one thread each side, repeats interleaved (the variant order rotates), medians and min-max.
"""
from __future__ import annotations

import io
import math
import warnings

import perf  # noqa: F401  (pins the thread pools before NumPy / torch load)

MLP_SIZES = [784, 256, 128, 10]
BATCHES = (1, 16, 256)
GPT_CONFIGS = ("small", "medium")
SEQUENCE, PROMPT, NEW_TOKENS = 128, 16, 64
VARIANTS = ("tiny fp32", "tiny int8", "torch fp32", "torch int8")
FULL = {"train_images": 20000, "test_images": None, "repeats": 5, "configs": GPT_CONFIGS, "new_tokens": NEW_TOKENS,
        "sequence": SEQUENCE, "loop_budget": 0.2}
QUICK = {"train_images": 2000, "test_images": 2000, "repeats": 2, "configs": ("tiny",), "new_tokens": 16,
         "sequence": 32, "loop_budget": 0.02}


# ----- models ---------------------------------------------------------------------------------------------------
def mnist_data(train_images: int, test_images: int | None):
    import numpy as np
    from milestones.compression import load_data, Setup
    data, name = load_data(Setup(train=train_images, test=test_images, epochs=1, finetune_epochs=0), seed=0)
    if data["train"][0].shape[1] != MLP_SIZES[0]:
        sizes = [data["train"][0].shape[1]] + MLP_SIZES[1:]
    else:
        sizes = MLP_SIZES
    return data, name, sizes, np


def trained_mlp(data, sizes):
    import tiny
    from milestones.compression import Setup, mlp, train
    tiny.manual_seed(0)
    model = mlp(sizes)
    train(model, data["train"], Setup(train=None, test=None, epochs=1, finetune_epochs=0), 1, seed=0)
    return model.eval()


def torch_mlp(model):
    import torch
    layers = []
    for module in model:
        if type(module).__name__ == "Linear":
            layer = torch.nn.Linear(module.in_features, module.out_features)
            layer.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in module.state_dict().items()})
            layers.append(layer)
        else:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).eval()


def quantized_pair(model, torch_model):
    import torch
    import tiny
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_int8 = torch.ao.quantization.quantize_dynamic(torch_model, {torch.nn.Linear}, dtype=torch.qint8)
    return tiny.quant.quantize_dynamic(model, {tiny.nn.Linear}, dtype=tiny.qint8), torch_int8


def torch_bytes(model) -> int:
    import torch
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


# ----- calling the four variants on NumPy inputs -----------------------------------------------------------------
def caller(variant: str, model):
    """x (np.ndarray) -> logits (np.ndarray) for a model whose forward returns logits or (logits, loss)."""
    import torch
    import tiny
    if variant.startswith("tiny"):
        def call(x):
            with tiny.no_grad():
                out = model(tiny.tensor(x))
            return (out[0] if isinstance(out, tuple) else out).data
        return call

    def call_torch(x):
        with torch.no_grad():
            out = model(torch.from_numpy(x))
        return (out[0] if isinstance(out, tuple) else out).numpy()
    return call_torch


def interleaved(functions: dict, repeats: int, loops: dict) -> dict:
    """{name: summary of seconds per call}: each sample times `loops[name]` calls; the order rotates."""
    from perf.common import summary, timed
    names = list(functions)
    samples = {name: [] for name in names}
    for name in names:
        functions[name]()                                   # warm-up
    for repeat in range(repeats):
        for name in names[repeat % len(names):] + names[:repeat % len(names)]:
            count = loops[name]
            samples[name].append(timed(lambda: [functions[name]() for _ in range(count)]) / count)
    return {name: summary(values) for name, values in samples.items()}


def loop_count(seconds_per_call: float, budget: float = 0.2) -> int:
    return max(1, min(2000, int(budget / max(seconds_per_call, 1e-7))))


# ----- (a) the MLP -----------------------------------------------------------------------------------------------
def measure_mlp(settings: dict, progress) -> dict:
    import time
    import tiny
    data, dataset, sizes, np = mnist_data(settings["train_images"], settings["test_images"])
    progress(f"[perf quant] training the MLP {sizes} on {dataset}")
    model = trained_mlp(data, sizes)
    reference = torch_mlp(model)
    tiny_int8, torch_int8 = quantized_pair(model, reference)
    models = {"tiny fp32": model, "tiny int8": tiny_int8, "torch fp32": reference, "torch int8": torch_int8}
    calls = {name: caller(name, m) for name, m in models.items()}
    x_test, y_test = data["test"]
    logits = {name: np.concatenate([call(x_test[i:i + 1000]) for i in range(0, len(x_test), 1000)])
              for name, call in calls.items()}
    quality = {}
    for name in VARIANTS:
        base = logits["tiny fp32" if name.startswith("tiny") else "torch fp32"]
        quality[name] = {"accuracy": float((logits[name].argmax(1) == y_test).mean()),
                         "max_abs_logit_delta": float(np.abs(logits[name] - base).max()),
                         "argmax_agreement": float((logits[name].argmax(1) == base.argmax(1)).mean())}
    sizes_bytes = {"tiny fp32": tiny.quant.model_size_bytes(model), "tiny int8": tiny.quant.model_size_bytes(tiny_int8),
                   "torch fp32": torch_bytes(reference), "torch int8": torch_bytes(torch_int8)}
    latency = {}
    for batch in BATCHES:
        progress(f"[perf quant] MLP latency at batch {batch}")
        x = x_test[:batch].copy()
        functions = {name: (lambda call=call: call(x)) for name, call in calls.items()}
        loops = {}
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            loops[name] = loop_count(time.perf_counter() - start, settings["loop_budget"])
        latency[batch] = interleaved(functions, settings["repeats"], loops)
    return {"dataset": dataset, "sizes": sizes, "test_images": int(len(y_test)), "quality": quality,
            "bytes": sizes_bytes, "latency": latency}


# ----- (b) the GPT -----------------------------------------------------------------------------------------------
class Int8Decoder:
    """Greedy cached generation for tiny.models.GPT built from its modules: every projection calls the module's
    array kernel (`linear_kernel` for the INT8 layers, x @ W.T + b for float Linear), LayerNorm / GELU /
    attention on NumPy arrays, keys and values in preallocated (L, B, H, T_max, D) buffers."""

    def __init__(self, model) -> None:
        self.model = model
        config = model.config
        self.heads, self.head_dim = config.n_head, config.d_model // config.n_head

    @staticmethod
    def kernel(module):
        if hasattr(module, "linear_kernel"):
            return module.linear_kernel
        weight_t = module.weight.data.T.copy()
        bias = None if module.bias is None else module.bias.data
        return (lambda x: x @ weight_t) if bias is None else (lambda x: x @ weight_t + bias)

    @staticmethod
    def layer_norm(module, x):
        import numpy as np
        mean = x.mean(-1, keepdims=True)
        centered = x - mean
        out = centered / np.sqrt((centered * centered).mean(-1, keepdims=True) + module.eps)
        out = out * module.weight.data
        return out if module.bias is None else out + module.bias.data

    def generate(self, idx, new_tokens: int):
        import numpy as np
        from scipy.special import ndtr
        model = self.model
        blocks = [(b, [self.kernel(m) for m in (b.attn.q_proj, b.attn.k_proj, b.attn.v_proj, b.attn.out_proj,
                                                 b.mlp.fc, b.mlp.proj)]) for b in model.blocks]
        head = self.kernel(model.head)
        batch, prompt = idx.shape
        total = prompt + new_tokens
        dtype = model.tok_emb.weight.data.dtype
        cache = np.zeros((2, len(blocks), batch, self.heads, total, self.head_dim), dtype)
        tokens = np.zeros((batch, total), np.int64)
        tokens[:, :prompt] = idx
        start, step_tokens = 0, idx
        for position in range(prompt, total + 1):
            x = model.tok_emb.weight.data[step_tokens] + model.pos_emb.weight.data[start:position]   # (B, T, C)
            for layer, (block, (q, k, v, out, fc, proj)) in enumerate(blocks):
                x = x + out(self.attend(cache, layer, start, position, self.layer_norm(block.ln1, x), q, k, v))
                hidden = fc(self.layer_norm(block.ln2, x))
                x = x + proj(hidden * ndtr(hidden).astype(dtype))
            logits = head(self.layer_norm(model.ln_f, x[:, -1:]))[:, 0]                           # (B, V)
            if position == total:
                return tokens
            tokens[:, position] = logits.argmax(-1)
            start, step_tokens = position, tokens[:, position:position + 1]

    def attend(self, cache, layer, start, stop, x, q, k, v):
        import numpy as np
        batch, steps, channels = x.shape
        split = (lambda t: t.reshape(batch, steps, self.heads, self.head_dim).transpose(0, 2, 1, 3))
        query = split(q(x))
        cache[0, layer, :, :, start:stop], cache[1, layer, :, :, start:stop] = split(k(x)), split(v(x))
        keys, values = cache[0, layer, :, :, :stop], cache[1, layer, :, :, :stop]          # (B, H, S, D)
        scores = query @ keys.transpose(0, 1, 3, 2) / math.sqrt(self.head_dim)            # (B, H, T, S)
        if steps > 1:
            scores = np.where(np.tril(np.ones((steps, stop), bool), k=start), scores, -np.inf)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        return (weights @ values).transpose(0, 2, 1, 3).reshape(batch, steps, channels)


def gpt_models(config_name: str):
    import tiny
    from perf.generation import tiny_model, torch_model
    model = tiny_model(config_name)
    state = {key: value.data.copy() for key, value in model.state_dict().items()}
    reference = torch_model(config_name, state)
    tiny_int8, torch_int8 = quantized_pair(model, reference)
    return {"tiny fp32": model, "tiny int8": tiny_int8, "torch fp32": reference, "torch int8": torch_int8}, tiny


def gpt_generators(models: dict, idx, new_tokens: int) -> dict:
    import torch
    import tiny
    from reference.generation import generate as torch_generate
    from tiny.generation import generate
    prompt_tiny, prompt_torch = tiny.tensor(idx), torch.from_numpy(idx)
    decoder = Int8Decoder(models["tiny int8"])
    return {"tiny fp32": lambda: generate(models["tiny fp32"], prompt_tiny, new_tokens, temperature=0).data,
            "tiny int8": lambda: decoder.generate(idx, new_tokens),
            "torch fp32": lambda: torch_generate(models["torch fp32"], prompt_torch, new_tokens, temperature=0).numpy(),
            "torch int8": lambda: torch_generate(models["torch int8"], prompt_torch, new_tokens,
                                                 temperature=0).numpy()}


def measure_gpt(config_name: str, settings: dict, progress) -> dict:
    import numpy as np
    from perf.generation import CONFIGS
    models, tiny = gpt_models(config_name)
    vocab, sequence = CONFIGS[config_name]["vocab_size"], settings["sequence"]
    rng = np.random.default_rng(0)
    sequence_idx = rng.integers(0, vocab, (1, sequence))
    calls = {name: caller(name, m) for name, m in models.items()}
    logits = {name: call(sequence_idx) for name, call in calls.items()}
    quality = {}
    for name in VARIANTS:
        base = logits["tiny fp32" if name.startswith("tiny") else "torch fp32"]
        quality[name] = {"max_abs_logit_delta": float(np.abs(logits[name] - base).max()),
                         "argmax_agreement": float((logits[name].argmax(-1) == base.argmax(-1)).mean())}
    sizes = {"tiny fp32": tiny.quant.model_size_bytes(models["tiny fp32"]),
             "tiny int8": tiny.quant.model_size_bytes(models["tiny int8"]),
             "torch fp32": torch_bytes(models["torch fp32"]), "torch int8": torch_bytes(models["torch int8"])}
    progress(f"[perf quant] {config_name}: full-sequence forward ({sequence} tokens)")
    forward = interleaved({name: (lambda call=call: call(sequence_idx)) for name, call in calls.items()},
                          settings["repeats"], {name: 3 for name in calls})
    progress(f"[perf quant] {config_name}: cached generation ({settings['new_tokens']} new tokens)")
    prompt = rng.integers(0, vocab, (1, PROMPT))
    generators = gpt_generators(models, prompt, settings["new_tokens"])
    tokens = {name: fn() for name, fn in generators.items()}
    seconds = interleaved(generators, settings["repeats"], {name: 1 for name in generators})
    rates = {name: {k: (settings["new_tokens"] / v if k in ("median", "min", "max") else None)
                    for k, v in s.items() if k != "samples"} for name, s in seconds.items()}
    for rate in rates.values():
        rate["min"], rate["max"] = min(rate["min"], rate["max"]), max(rate["min"], rate["max"])
    agreement = {name: float((tokens[name][:, PROMPT:] == tokens[("tiny" if name.startswith("tiny") else "torch")
                                                               + " fp32"][:, PROMPT:]).mean()) for name in VARIANTS}
    return {"config": config_name, "quality": quality, "bytes": sizes, "forward": forward, "tokens_per_s": rates,
            "greedy_agreement_with_fp32": agreement,
            "tiny_int8_tokens_equal_torch_int8": bool(np.array_equal(tokens["tiny int8"], tokens["torch int8"]))}


# ----- the report ------------------------------------------------------------------------------------------------
def run(quick: bool = False, repeats: int | None = None, progress=print) -> dict:
    import torch
    from perf.common import machine, report_start
    settings, result = report_start("quant", quick, repeats, QUICK, FULL)
    result.update({"settings": settings, "engine": torch.backends.quantized.engine,
                   "torch_note": "torch.ao dynamic quantization: torch 2.13 warns its quantized tensors are "
                                 "deprecated (pytorch issue 184982)"})
    result["mlp"] = measure_mlp(settings, progress)
    result["gpt"] = [measure_gpt(name, settings, progress) for name in settings["configs"]]
    result["machine"]["load_average_1min_at_end"] = machine()["load_average_1min"]
    return result


def _cell(s: dict, scale: float = 1.0, fmt: str = "{:,.0f}") -> str:
    return f"{fmt.format(s['median'] * scale)} ({fmt.format(s['min'] * scale)}-{fmt.format(s['max'] * scale)})"


def tables(result: dict) -> str:
    from tabulate import tabulate
    mlp = result["mlp"]
    rows = []
    for name in VARIANTS:
        q = mlp["quality"][name]
        base = mlp["quality"]["tiny fp32" if name.startswith("tiny") else "torch fp32"]["accuracy"]
        rows.append([name, *(_cell(mlp["latency"][b][name], 1e6) for b in BATCHES), f"{mlp['bytes'][name]:,}",
                     f"{q['max_abs_logit_delta']:.2e}", f"{q['argmax_agreement']:.2%}", f"{q['accuracy']:.2%}",
                     f"{(q['accuracy'] - base) * 100:+.2f} pp"])
    head = (f"Quantized inference, {mlp['dataset']} MLP {mlp['sizes']}: latency us per forward, median (min-max) of "
            f"{result['settings']['repeats']} interleaved repeats; torch engine {result['engine']}; "
            f"{result['torch_note']}")
    mlp_table = tabulate(rows, headers=["variant", *(f"batch {b} us" for b in BATCHES), "model bytes",
                                        "max |dlogit| vs fp32", "argmax = fp32", "test accuracy", "accuracy delta"])
    rows = []
    for entry in result["gpt"]:
        for name in VARIANTS:
            q = entry["quality"][name]
            rows.append([entry["config"], name, _cell(entry["forward"][name], 1e3, "{:,.1f}"),
                         _cell(entry["tokens_per_s"][name]), f"{entry['bytes'][name]:,}",
                         f"{q['max_abs_logit_delta']:.2e}", f"{q['argmax_agreement']:.2%}",
                         f"{entry['greedy_agreement_with_fp32'][name]:.0%}"])
    gpt_head = (f"GPT (random init, same weights): full-sequence forward ({result['settings']['sequence']} tokens) "
                f"ms, cached greedy generation ({result['settings']['new_tokens']} new tokens after {PROMPT}) tok/s; "
                "tiny int8 cached tokens == torch int8 cached tokens: "
                + ", ".join(f"{e['config']} {'yes' if e['tiny_int8_tokens_equal_torch_int8'] else 'NO'}"
                            for e in result["gpt"]))
    gpt_table = tabulate(rows, headers=["config", "variant", "forward ms", "cached tok/s", "model bytes",
                                        "max |dlogit| vs fp32", "argmax = fp32", "greedy tokens = fp32"])
    return "\n".join([head, mlp_table, "", gpt_head, gpt_table, "", goals(result)])


def goals(result: dict) -> str:
    mlp = result["mlp"]
    lat = mlp["latency"]
    lines = ["Goals (benchmark targets, not tests):",
             f"- tiny INT8 bytes / fp32 bytes = {mlp['bytes']['tiny int8'] / mlp['bytes']['tiny fp32']:.3f} "
             "(goal <= 0.27)"]
    for batch, limit in ((1, 1.0), (256, 1.3)):
        ratio = lat[batch]["tiny int8"]["median"] / lat[batch]["torch int8"]["median"]
        lines.append(f"- MLP batch {batch}: tiny INT8 / torch INT8 latency = {ratio:.2f}x (goal <= {limit})")
    tq, oq = mlp["quality"]["tiny int8"], mlp["quality"]["torch int8"]
    lines.append(f"- MLP max |dlogit| vs fp32: tiny {tq['max_abs_logit_delta']:.2e}, "
                 f"torch {oq['max_abs_logit_delta']:.2e} (goal: tiny <= torch)")
    for entry in result["gpt"]:
        rate = entry["tokens_per_s"]["tiny int8"]["median"] / entry["tokens_per_s"]["torch int8"]["median"]
        lines.append(f"- GPT {entry['config']}: tiny INT8 / torch INT8 cached tokens/s = {rate:.2f}x (goal >= 1.5)")
    return "\n".join(lines)


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.2
    for i, name in enumerate(VARIANTS):
        values = [result["mlp"]["latency"][b][name]["median"] * 1e6 for b in BATCHES]
        left.bar([x + (i - 1.5) * width for x in range(len(BATCHES))], values, width, label=name)
    left.set_xticks(range(len(BATCHES)), [f"batch {b}" for b in BATCHES])
    left.set_yscale("log")
    left.set_ylabel("latency per forward (us, log)")
    left.set_title(f"MLP {result['mlp']['sizes']}")
    left.legend()
    configs = [e["config"] for e in result["gpt"]]
    for i, name in enumerate(VARIANTS):
        values = [e["tokens_per_s"][name]["median"] for e in result["gpt"]]
        right.bar([x + (i - 1.5) * width for x in range(len(configs))], values, width, label=name)
    right.set_xticks(range(len(configs)), configs)
    right.set_ylabel("cached generation, tokens/s")
    right.set_title("GPT cached greedy generation")
    fig.suptitle(f"fp32 vs INT8 dynamic quantization, tiny vs torch ({result['engine']}), 1 thread each")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
