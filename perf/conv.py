"""Convolution micro-benchmark: tiny's F.conv2d vs torch's, same inputs and weights, one thread each.

Cases: LeNet-5's two convolutions at batch 64 (c1: 1->6 channels, 5x5, padding 2 on 28x28; c3: 6->16, 5x5 on
14x14) and a 3x3 convolution with 64 -> 64 channels on 32x32 (batch 8, padding 1). For each: the forward
alone (no graph) and forward + backward (gradients of input, weight and bias), float32. `repeats`
interleaved samples (the order alternates; gc collected before and paused during a sample), each `calls`
calls; reported: ms per call, median (min-max), and the ratio of the medians tiny / torch.
"""
from __future__ import annotations

import perf  # noqa: F401  (pins the thread pools before NumPy / torch load)

CASES = {  # name: (input shape, weight shape, padding)
    "LeNet c1 (64x1x28x28, 6x1x5x5, pad 2)": ((64, 1, 28, 28), (6, 1, 5, 5), 2),
    "LeNet c3 (64x6x14x14, 16x6x5x5)": ((64, 6, 14, 14), (16, 6, 5, 5), 0),
    "3x3 conv (8x64x32x32, 64x64x3x3, pad 1)": ((8, 64, 32, 32), (64, 64, 3, 3), 1),
}
QUICK = {"repeats": 3, "calls": 2}
FULL = {"repeats": 9, "calls": 5}


def _sides(x_shape, w_shape):
    import numpy as np
    import torch

    import tiny
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in (x_shape, w_shape, w_shape[:1]))
    upstream = None
    return {"tiny": (tiny, [tiny.tensor(a, requires_grad=True) for a in (x, w, b)]),
            "torch": (torch, [torch.tensor(a, requires_grad=True) for a in (x, w, b)])}, upstream


def _forward(lib, tensors, padding):
    with lib.no_grad():
        return lib.nn.functional.conv2d(*tensors, padding=padding)


def _forward_backward(lib, tensors, padding):
    out = lib.nn.functional.conv2d(*tensors, padding=padding)
    out.backward(lib.ones(*out.shape) if lib.__name__ == "tiny" else lib.ones_like(out))
    for t in tensors:
        t.grad = None


def measure(name: str, repeats: int, calls: int) -> dict:
    from perf.common import summary, timed
    x_shape, w_shape, padding = CASES[name]
    sides, _ = _sides(x_shape, w_shape)
    result = {"case": name}
    for kind, fn in (("forward", _forward), ("forward+backward", _forward_backward)):
        samples = {side: [] for side in sides}
        for side, (lib, tensors) in sides.items():
            fn(lib, tensors, padding)  # warm-up
        for repeat in range(repeats):
            for side in (list(sides) if repeat % 2 == 0 else list(reversed(list(sides)))):
                lib, tensors = sides[side]
                samples[side].append(timed(lambda: [fn(lib, tensors, padding) for _ in range(calls)]) / calls)
        cells = {side: summary(values) for side, values in samples.items()}
        result[kind] = {**cells, "tiny_over_torch": cells["tiny"]["median"] / cells["torch"]["median"]}
    return result


def run(quick: bool = False, repeats: int | None = None, progress=print) -> dict:
    from perf.common import machine, report_start
    settings, result = report_start("conv", quick, repeats, QUICK, FULL)
    result.update(settings=settings, cases=[])
    for name in CASES:
        progress(f"[perf conv] {name}")
        result["cases"].append(measure(name, settings["repeats"], settings["calls"]))
    result["machine"]["load_average_1min_at_end"] = machine()["load_average_1min"]
    return result


def _cell(cell: dict) -> str:
    return f"{cell['median'] * 1e3:,.2f} ({cell['min'] * 1e3:,.2f}-{cell['max'] * 1e3:,.2f})"


def tables(result: dict) -> str:
    from tabulate import tabulate
    rows = [[c["case"], kind, _cell(c[kind]["tiny"]), _cell(c[kind]["torch"]), f"{c[kind]['tiny_over_torch']:.2f}x"]
            for c in result["cases"] for kind in ("forward", "forward+backward")]
    table = tabulate(rows, headers=["case", "pass", "tiny ms", "torch ms", "tiny/torch"])
    return (f"F.conv2d, float32, ms per call, median (min-max) of {result['settings']['repeats']} interleaved "
            f"repeats\n{table}\n\nLoad average (1 min): {result['machine']['load_average_1min']} at the start, "
            f"{result['machine']['load_average_1min_at_end']} at the end (2 cores)")


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [f"{c['case'].split(' (')[0]}\n{kind}" for c in result["cases"]
              for kind in ("forward", "forward+backward")]
    ratios = [c[kind]["tiny_over_torch"] for c in result["cases"] for kind in ("forward", "forward+backward")]
    figure, axis = plt.subplots(figsize=(9, 4))
    axis.bar(range(len(ratios)), ratios)
    axis.axhline(1.0, color="gray", linewidth=0.8)
    axis.set_xticks(range(len(ratios)), labels, fontsize=7)
    axis.set_ylabel("tiny / torch (median time)")
    axis.set_title("F.conv2d: tiny vs torch, 1 thread")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
