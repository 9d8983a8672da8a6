"""Compression of an MNIST MLP (784-256-128-10): INT8 dynamic quantization, 50 % / 90 % global magnitude pruning
with and without fine-tuning, and knowledge distillation of a smaller MLP (784-32-10) from the larger one.

`python -m milestones run compression [--quick] [--out DIR]`: prints the table and writes DIR/compression.png
(test accuracy of every variant) and DIR/compression.json. Goal of the full run: INT8 dynamic quantization
loses <= 0.3 percentage points of test accuracy. The quick run (2,000 training and 1,000 test images, one
epoch) checks that everything runs and the teacher learns. Without MNIST installed, sklearn's 8x8 digits
stand in (64 inputs), and the table says so.
"""
from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import tiny
from milestones.common import MilestoneResult, ProgressBar, RunOptions, format_seconds
from milestones.registry import Milestone, register
from tiny import nn
from tiny.nn import functional as F
from tiny.nn.utils import distillation_loss, prune

NAME = "compression"
GOAL_PP = 0.3


@dataclass(frozen=True)
class Setup:
    train: int | None       # training images (None: all)
    test: int | None
    epochs: int
    finetune_epochs: int
    batch: int = 128
    lr: float = 1e-3


FULL = Setup(train=None, test=None, epochs=3, finetune_epochs=1)
QUICK = Setup(train=2000, test=1000, epochs=1, finetune_epochs=1)


def load_data(setup: Setup, seed: int) -> tuple[dict, str]:
    """{"train": (x, y), "test": (x, y)} flattened float32 images; and the dataset's name."""
    try:
        from tiny.data.datasets import load_mnist
        train, test = load_mnist("train"), load_mnist("test")
        name = "MNIST"
    except Exception:  # noqa: BLE001 — the data package is optional: fall back to the bundled digits
        from tiny.data.datasets import load_digits
        images, labels = load_digits()
        order = np.random.default_rng(seed).permutation(len(labels))
        cut = int(0.8 * len(order))
        train, test = (images[order[:cut]], labels[order[:cut]]), (images[order[cut:]], labels[order[cut:]])
        name = "digits 8x8 (MNIST not installed)"
    data = {}
    for split, (x, y), limit in (("train", train, setup.train), ("test", test, setup.test)):
        x = x.reshape(len(x), -1).astype(np.float32)
        data[split] = (x[:limit], y[:limit].astype(np.int64))
    return data, name


def mlp(sizes: list[int]) -> nn.Sequential:
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def accuracy(model, data: tuple) -> float:
    x, y = data
    with tiny.no_grad():
        logits = np.concatenate([model(tiny.tensor(x[i:i + 1000])).data for i in range(0, len(x), 1000)])
    return float((logits.argmax(axis=1) == y).mean())


def train(model, data: tuple, setup: Setup, epochs: int, seed: int, progress: ProgressBar | None = None,
          teacher=None, temperature: float = 4.0, alpha: float = 0.9) -> list[float]:
    """Adam on shuffled mini-batches; with a teacher, the distillation loss instead of cross entropy."""
    x, y = data
    optimizer = tiny.optim.Adam(model.parameters(), lr=setup.lr)
    rng = np.random.default_rng(seed)
    losses, step = [], 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), setup.batch):
            idx = order[start:start + setup.batch]
            inputs, targets = tiny.tensor(x[idx]), tiny.tensor(y[idx])
            logits = model(inputs)
            if teacher is None:
                loss = F.cross_entropy(logits, targets)
            else:
                with tiny.no_grad():
                    teacher_logits = teacher(inputs)
                loss = distillation_loss(logits, teacher_logits, targets, temperature=temperature, alpha=alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
            step += 1
            if progress is not None:
                progress.update(step, loss=losses[-1])
    return losses


def pruned_copy(model, amount: float):
    """Global L1 (magnitude) pruning of every Linear weight of a copy."""
    pruned = copy.deepcopy(model)
    weights = [(m, "weight") for m in pruned.modules() if isinstance(m, nn.Linear)]
    prune.global_unstructured(weights, pruning_method=prune.L1Unstructured, amount=amount)
    return pruned, weights


def run(options: RunOptions) -> MilestoneResult:
    setup = QUICK if options.quick else FULL
    tiny.manual_seed(options.seed)
    started = time.perf_counter()
    data, dataset = load_data(setup, options.seed)
    inputs = data["train"][0].shape[1]
    steps = setup.epochs * -(-len(data["train"][1]) // setup.batch)
    teacher = mlp([inputs, 256, 128, 10])
    progress = ProgressBar(steps, f"{NAME} teacher", enabled=options.progress)
    losses = train(teacher, data["train"], setup, setup.epochs, options.seed, progress)
    progress.close()
    results = {"fp32 teacher": (accuracy(teacher, data["test"]), tiny.quant.model_size_bytes(teacher))}
    for label, per_channel in (("INT8 dynamic, per tensor", False), ("INT8 dynamic, per channel", True)):
        quantized = tiny.quant.quantize_dynamic(teacher, {nn.Linear}, dtype=tiny.qint8, per_channel=per_channel)
        results[label] = (accuracy(quantized, data["test"]), tiny.quant.model_size_bytes(quantized))
    calibration = [tiny.tensor(data["train"][0][i:i + 256]) for i in range(0, 1024, 256)]
    static = tiny.quant.quantize_static(teacher, calibration)
    results["INT8 static (4 calibration batches)"] = (accuracy(static, data["test"]),
                                                      tiny.quant.model_size_bytes(static))
    sparsities = {}
    for amount in (0.5, 0.9):
        pruned, weights = pruned_copy(teacher, amount)
        results[f"pruned {amount:.0%}, no fine-tuning"] = (accuracy(pruned, data["test"]), None)
        train(pruned, data["train"], setup, setup.finetune_epochs, options.seed + 1)
        sparsities[amount] = prune.global_sparsity(weights)
        results[f"pruned {amount:.0%}, fine-tuned {setup.finetune_epochs} epoch"] = (accuracy(pruned, data["test"]),
                                                                                      None)
    for label, teacher_model in (("student 784-32-10, labels only", None), ("student 784-32-10, distilled", teacher)):
        tiny.manual_seed(options.seed + 7)      # the same initial student both times
        student = mlp([inputs, 32, 10])
        train(student, data["train"], setup, setup.epochs, options.seed + 2, teacher=teacher_model)
        results[label.replace("784", str(inputs))] = (accuracy(student, data["test"]),
                                                     tiny.quant.model_size_bytes(student))
    sizes = (len(data["train"][1]), len(data["test"][1]))
    return _result(options, setup, dataset, sizes, results, sparsities, losses, time.perf_counter() - started)


def _result(options, setup, dataset, sizes, results, sparsities, losses, seconds) -> MilestoneResult:
    base_accuracy, base_bytes = results["fp32 teacher"]
    rows = [("data", f"{dataset}: {sizes[0]:,} training / {sizes[1]:,} test images, {setup.epochs} epochs, "
                     f"batch {setup.batch}, Adam lr {setup.lr:g}")]
    for label, (acc, size) in results.items():
        delta = (acc - base_accuracy) * 100
        size_text = f", {size:,} bytes ({size / base_bytes:.3f}x)" if size else ""
        rows.append((label, f"{acc:.2%} ({delta:+.2f} pp){size_text}"))
    rows += [(f"global sparsity at {a:.0%}", f"{s:.1%}") for a, s in sparsities.items()]
    rows.append(("time", format_seconds(seconds)))
    int8_loss = (base_accuracy - results["INT8 dynamic, per tensor"][0]) * 100
    metrics = {label: acc for label, (acc, _) in results.items()}
    metrics["int8_loss_pp"] = int8_loss
    _write_outputs(options.out_dir, results, base_accuracy)
    if options.quick:
        criterion = "teacher loss decreased (quick run)"
        passed = float(np.mean(losses[-5:])) < float(np.mean(losses[:5]))
    else:
        criterion, passed = f"INT8 dynamic accuracy loss <= {GOAL_PP} pp", int8_loss <= GOAL_PP
    return MilestoneResult(NAME, rows, criterion, passed, losses, metrics)


def _write_outputs(out_dir: Path, results: dict, base_accuracy: float) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "compression.json").write_text(json.dumps(
        {label: {"accuracy": acc, "bytes": size} for label, (acc, size) in results.items()}, indent=2))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = list(results)
    values = [results[k][0] * 100 for k in labels]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.barh(labels[::-1], values[::-1], color="tab:blue")
    ax.axvline(base_accuracy * 100, color="black", lw=0.8, ls="--", label="fp32 teacher")
    ax.set_xlim(max(0.0, min(values) - 5), 100)
    ax.set_xlabel("test accuracy (%)")
    ax.set_title("MNIST MLP compression (tiny)")
    for i, v in enumerate(values[::-1]):
        ax.text(v, i, f" {v:.2f}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "compression.png", dpi=110)
    plt.close(fig)


register(Milestone(NAME, 2015, "Compression: INT8 quantization, magnitude pruning and distillation of an MNIST MLP",
                   f"INT8 dynamic quantization loses <= {GOAL_PP} pp of test accuracy", run))
