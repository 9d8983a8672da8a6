"""Acceleration report: each computation of tiny.accel at its three levels, and torch, in one process.

Two measurements per op, one thread each, medians (min-max) of interleaved repeats:
  levels   forward only at a SMALL size, where the naive loops still finish: naive -> vectorized -> fused/tiled,
           and the speedups between consecutive levels;
  training forward + backward at a LARGER size: the op-by-op autograd graph (vectorized) vs the fused Function
           vs torch (tiny/torch ratios); matmul and conv compare the vectorized kernel (np.matmul, tiny's
           F.conv2d) with the tiled / im2col one.
Speed is measured here only, never asserted in tests.
"""
from __future__ import annotations

import statistics

import perf  # noqa: F401  (pins the thread pools before NumPy / torch load)

SMALL = {"matmul": (32, 32, 32), "conv2d": ((1, 3, 8, 8), (4, 3, 3, 3)), "gelu": (16, 64), "layer_norm": (16, 64),
         "softmax": (16, 64), "attention": (1, 2, 16, 8)}
LARGE = {"matmul": (256, 256, 256), "conv2d": ((8, 16, 32, 32), (32, 16, 3, 3)), "gelu": (64, 1024),
         "layer_norm": (256, 512), "softmax": (256, 512), "attention": (4, 4, 256, 32)}
QUICK_LARGE = {"matmul": (128, 128, 128), "conv2d": ((4, 8, 16, 16), (16, 8, 3, 3)), "gelu": (32, 512),
               "layer_norm": (64, 256), "softmax": (64, 256), "attention": (2, 2, 64, 16)}


def _inputs(op: str, size, rng):
    import numpy as np
    f32 = np.float32
    if op == "matmul":
        n, k, m = size
        return [rng.standard_normal((n, k)).astype(f32), rng.standard_normal((k, m)).astype(f32)]
    if op == "conv2d":
        x, w = size
        return [rng.standard_normal(x).astype(f32), (rng.standard_normal(w) * 0.2).astype(f32),
                rng.standard_normal(w[0]).astype(f32)]
    if op == "layer_norm":
        return [rng.standard_normal(size).astype(f32), np.ones(size[-1], f32), np.zeros(size[-1], f32)]
    if op == "attention":
        b, h, t, d = size
        return [rng.standard_normal((b, h, t, d)).astype(f32) for _ in range(3)]
    return [rng.standard_normal(size).astype(f32)]


def forward_levels(op: str) -> dict:
    """{level: fn(arrays) -> output} for the forward-only level comparison."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    import tiny
    from tiny import accel

    def tensors(fn):
        def run(arrays):
            with tiny.no_grad():
                return fn(*(tiny.tensor(a) for a in arrays))
        return run

    def on_torch(fn):
        def run(arrays):
            with torch.no_grad():
                return fn(*(torch.from_numpy(a) for a in arrays))
        return run

    table = {
        "matmul": {"naive": lambda a: accel.matmul_naive(*a), "vectorized": lambda a: accel.matmul_vectorized(*a),
                   "fused/tiled": tensors(lambda x, y: accel.tiled_matmul(x, y, 64)), "torch": on_torch(torch.matmul)},
        "conv2d": {"naive": lambda a: accel.conv2d_naive(*a, 1, 1),
                   "vectorized": tensors(lambda x, w, b: accel.conv2d_im2col(x, w, b, 1, 1)),
                   "fused/tiled": tensors(lambda x, w, b: tiny.nn.functional.conv2d(x, w, b, padding=1)),
                   "torch": on_torch(lambda x, w, b: F.conv2d(x, w, b, padding=1))},
        "gelu": {"naive": lambda a: accel.gelu_naive(*a), "vectorized": tensors(accel.gelu_unfused),
                 "fused/tiled": tensors(accel.fused_gelu), "torch": on_torch(lambda x: F.gelu(x, approximate="tanh"))},
        "layer_norm": {"naive": lambda a: accel.layer_norm_naive(*a), "vectorized": tensors(accel.layer_norm_unfused),
                       "fused/tiled": tensors(accel.fused_layer_norm),
                       "torch": on_torch(lambda x, w, b: F.layer_norm(x, (x.shape[-1],), w, b))},
        "softmax": {"naive": lambda a: accel.softmax_naive(*a), "vectorized": tensors(accel.softmax_unfused),
                    "fused/tiled": tensors(accel.fused_softmax), "torch": on_torch(lambda x: torch.softmax(x, -1))},
        "attention": {"naive": lambda a: accel.attention_naive(*a, is_causal=True),
                      "vectorized": tensors(lambda q, k, v: accel.attention_unfused(q, k, v, is_causal=True)),
                      "fused/tiled": tensors(lambda q, k, v: accel.fused_attention(q, k, v, is_causal=True)),
                      "torch": on_torch(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True))},
    }
    return table[op]


def training_levels(op: str) -> dict:
    """{variant: fn(arrays) -> None}: forward + backward from a ones gradient (inputs require grad)."""
    import torch
    import torch.nn.functional as F

    import tiny
    from tiny import accel

    def tiny_step(fn):
        def run(arrays):
            ts = [tiny.tensor(a, requires_grad=True) for a in arrays]
            out = fn(*ts)
            out.backward(tiny.ones_like(out))
        return run

    def torch_step(fn):
        def run(arrays):
            ts = [torch.tensor(a, requires_grad=True) for a in arrays]
            out = fn(*ts)
            out.backward(torch.ones_like(out))
        return run

    table = {
        "matmul": {"vectorized": tiny_step(lambda x, y: x @ y), "fused/tiled": tiny_step(accel.tiled_matmul),
                   "torch": torch_step(torch.matmul)},
        "conv2d": {"vectorized": tiny_step(lambda x, w, b: tiny.nn.functional.conv2d(x, w, b, padding=1)),
                   "fused/tiled": tiny_step(lambda x, w, b: accel.conv2d_im2col(x, w, b, 1, 1)),
                   "torch": torch_step(lambda x, w, b: F.conv2d(x, w, b, padding=1))},
        "gelu": {"vectorized": tiny_step(accel.gelu_unfused), "fused/tiled": tiny_step(accel.fused_gelu),
                 "torch": torch_step(lambda x: F.gelu(x, approximate="tanh"))},
        "layer_norm": {"vectorized": tiny_step(accel.layer_norm_unfused), "fused/tiled": tiny_step(accel.fused_layer_norm),
                       "torch": torch_step(lambda x, w, b: F.layer_norm(x, (x.shape[-1],), w, b))},
        "softmax": {"vectorized": tiny_step(accel.softmax_unfused), "fused/tiled": tiny_step(accel.fused_softmax),
                    "torch": torch_step(lambda x: torch.softmax(x, -1))},
        "attention": {"vectorized": tiny_step(lambda q, k, v: accel.attention_unfused(q, k, v, is_causal=True)),
                      "fused/tiled": tiny_step(lambda q, k, v: accel.fused_attention(q, k, v, is_causal=True)),
                      "tiny SDPA": tiny_step(lambda q, k, v: tiny.nn.functional.scaled_dot_product_attention(
                          q, k, v, is_causal=True)),
                      "torch": torch_step(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True))},
    }
    return table[op]


def interleaved(variants: dict, arrays: list, repeats: int, calls: int) -> dict:
    """{variant: summary of seconds per call}: each repeat times `calls` calls of every variant, order alternating."""
    from perf.common import summary, timed
    for fn in variants.values():
        fn(arrays)                                          # warm-up
    samples = {name: [] for name in variants}
    for repeat in range(repeats):
        names = list(variants) if repeat % 2 == 0 else list(reversed(list(variants)))
        for name in names:
            samples[name].append(timed(lambda: [variants[name](arrays) for _ in range(calls)]) / calls)
    return {name: summary(values) for name, values in samples.items()}


def run(quick: bool = False, repeats: int | None = None, progress=print) -> dict:
    import numpy as np

    from perf.common import machine, pin_threads
    threads = pin_threads()
    repeats = repeats or (3 if quick else 9)
    large = QUICK_LARGE if quick else LARGE
    rng = np.random.default_rng(0)
    result = {"quick": quick, "repeats": repeats, "threads": threads, "machine": machine(), "levels": [],
              "training": []}
    for op in SMALL:
        progress(f"accel: {op} levels at {SMALL[op]}")
        times = interleaved(forward_levels(op), _inputs(op, SMALL[op], rng), repeats, calls=1)
        med = {k: v["median"] for k, v in times.items()}
        result["levels"].append({"op": op, "size": str(SMALL[op]), "seconds": times,
                                 "naive_to_vectorized": med["naive"] / med["vectorized"],
                                 "vectorized_to_fused": med["vectorized"] / med["fused/tiled"],
                                 "naive_to_fused": med["naive"] / med["fused/tiled"],
                                 "fused_over_torch": med["fused/tiled"] / med["torch"]})
        progress(f"accel: {op} forward + backward at {large[op]}")
        times = interleaved(training_levels(op), _inputs(op, large[op], rng), repeats, calls=1 if quick else 3)
        med = {k: v["median"] for k, v in times.items()}
        result["training"].append({"op": op, "size": str(large[op]), "seconds": times,
                                   "fused_speedup": med["vectorized"] / med["fused/tiled"],
                                   "vectorized_over_torch": med["vectorized"] / med["torch"],
                                   "fused_over_torch": med["fused/tiled"] / med["torch"]})
    return result


def _cell(summary: dict) -> str:
    return f"{summary['median'] * 1e6:,.1f} ({summary['min'] * 1e6:,.1f}-{summary['max'] * 1e6:,.1f})"


def tables(result: dict) -> str:
    from tabulate import tabulate
    levels = [[r["op"], r["size"], _cell(r["seconds"]["naive"]), _cell(r["seconds"]["vectorized"]),
               _cell(r["seconds"]["fused/tiled"]), _cell(r["seconds"]["torch"]), f"{r['naive_to_vectorized']:.1f}x",
               f"{r['vectorized_to_fused']:.2f}x", f"{r['naive_to_fused']:.1f}x", f"{r['fused_over_torch']:.2f}"]
              for r in result["levels"]]
    training = [[r["op"], r["size"], _cell(r["seconds"]["vectorized"]), _cell(r["seconds"]["fused/tiled"]),
                 _cell(r["seconds"]["tiny SDPA"]) if "tiny SDPA" in r["seconds"] else "-", _cell(r["seconds"]["torch"]),
                 f"{r['fused_speedup']:.2f}x", f"{r['vectorized_over_torch']:.2f}", f"{r['fused_over_torch']:.2f}"]
                for r in result["training"]]
    return "\n\n".join([
        f"Acceleration levels, forward only, float32, 1 thread; microseconds per call, median (min-max) of "
        f"{result['repeats']} interleaved repeats (vectorized = np.matmul / im2col / the op-by-op Tensor graph; "
        "fused/tiled = tiled matmul, tiny's F.conv2d, one fused Function)",
        tabulate(levels, headers=["op", "size", "naive us", "vectorized us", "fused/tiled us", "torch us",
                                  "naive->vec", "vec->fused", "naive->fused", "fused/torch"]),
        "Forward + backward at a larger size (vectorized = np.matmul via @, tiny's F.conv2d, or the op-by-op graph; "
        "fused/tiled = tiled matmul, im2col conv, the fused Function); tiny/torch ratios of the medians",
        tabulate(training, headers=["op", "size", "vectorized us", "fused/tiled us", "tiny SDPA us", "torch us",
                                    "fused speedup", "vec/torch", "fused/torch"])])


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    ops = [r["op"] for r in result["levels"]]
    x = np.arange(len(ops))
    for i, level in enumerate(["naive", "vectorized", "fused/tiled", "torch"]):
        med = [r["seconds"][level]["median"] * 1e6 for r in result["levels"]]
        low = [m - r["seconds"][level]["min"] * 1e6 for m, r in zip(med, result["levels"])]
        high = [r["seconds"][level]["max"] * 1e6 - m for m, r in zip(med, result["levels"])]
        left.bar(x + (i - 1.5) * 0.2, med, 0.2, yerr=[low, high], label=level, capsize=2)
    left.set_yscale("log")
    left.set_xticks(x, ops, fontsize=8)
    left.set_ylabel("us per forward (log)")
    left.set_title("levels, small size (median, min-max)", fontsize=9)
    left.legend(fontsize=7)
    ops = [r["op"] for r in result["training"]]
    x = np.arange(len(ops))
    for i, key in enumerate(["vectorized_over_torch", "fused_over_torch"]):
        right.bar(x + (i - 0.5) * 0.35, [r[key] for r in result["training"]], 0.35,
                  label=key.replace("_over_torch", " / torch"))
    right.axhline(1.0, color="gray", lw=0.8)
    right.set_xticks(x, ops, fontsize=8)
    right.set_ylabel("tiny / torch time (forward + backward)")
    right.set_title("larger size, ratio of medians (same run)", fontsize=9)
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m perf.accel", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(tables(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
