"""1998 — LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document Recognition":
LeNet-5, a convolutional network trained end to end by backprop, reads handwritten digits.

History. Convolutional networks — local receptive fields, shared weights, subsampling — go back to
Fukushima's Neocognitron (1980); Yann LeCun trained them with backprop at Bell Labs from 1989 (zip codes).
The 1998 paper describes LeNet-5 (C1-S2-C3-S4-C5-F6-output, about 60,000 parameters) and reports 0.95 %
test error on MNIST — the dataset it introduced — without distortions (0.8 % with them). Networks of this
kind read a large share of the checks in the US by the late 1990s. Its recipe (convolutions + pooling +
a small classifier, trained end to end) is what AlexNet scaled up in 2012.

Here: tiny.models.LeNet5 (see its docstring: the 1998 layout adapted to 28x28 inputs with padding 2 on
C1; ReLU and max pooling by default, full C3 connections, a linear output layer with cross-entropy),
trained with Adam and a cosine learning-rate decay on MNIST's 60,000 training images (standardized), and
tested on its 10,000 test images; the full run must reach >= 99.0 % test accuracy (the paper: 99.05 %).
`--dataset fashion-mnist` trains the same network on Fashion-MNIST (Zalando, 2017; >= 89 %) when the Debian
package is installed. `--compare-torch` trains the torch twin (reference/models/lenet.py) from the same
weights on the same batches.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import tiny
from milestones.common import MilestoneResult, ProgressBar, RunOptions, format_seconds
from milestones.registry import Milestone, register
from milestones.vision import (Schedule, accuracy, accuracy_verdict, save_outputs, torch_twin_on_test,
                               train_classifier)
from tiny.models import LeNet5

NAME = "lenet-1998"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_INSTALL = "apt-get install -y dataset-fashion-mnist"
STEPS_PER_EPOCH = 60000 // 64


@dataclass(frozen=True)
class Setup:
    schedule: Schedule
    threshold: float | None
    train_limit: int | None = None
    test_limit: int | None = None


SETUPS = {"mnist": Setup(Schedule(steps=4 * STEPS_PER_EPOCH, batch=64, lr=2e-3), 0.99),
          "fashion-mnist": Setup(Schedule(steps=4 * STEPS_PER_EPOCH, batch=64, lr=2e-3), 0.89)}
QUICK = Setup(Schedule(steps=40, batch=32, lr=3e-3), None, train_limit=2000, test_limit=1000)


def _read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip): magic 0 0 dtype ndim, big-endian int32 sizes, then the data (uint8 here)."""
    raw = gzip.decompress(path.read_bytes())
    if raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes (magic {raw[:4]!r})")
    ndim = raw[3]
    shape = tuple(int(v) for v in np.frombuffer(raw[4:4 + 4 * ndim], dtype=">i4"))
    data = np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: truncated: {data.size} values for shape {shape}")
    return data.reshape(shape)


def load_fashion_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST from the Debian package: images float32 (N, 1, 28, 28) in [0, 1], labels int64."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images, labels = FASHION_DIR / f"{prefix}-images-idx3-ubyte.gz", FASHION_DIR / f"{prefix}-labels-idx1-ubyte.gz"
    if not images.is_file() or not labels.is_file():
        raise FileNotFoundError(f"{NAME}: Fashion-MNIST is not installed ({images} is missing). Install it with:\n"
                                f"    {FASHION_INSTALL}")
    return (_read_idx(images)[:, None].astype(np.float32) / 255, _read_idx(labels).astype(np.int64))


def load(dataset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test), images (N, 1, 28, 28) standardized with the training set's mean/std."""
    if dataset == "mnist":
        from tiny.data.datasets import load_mnist as loader
    else:
        loader = load_fashion_mnist
    (x_train, y_train), (x_test, y_test) = loader("train"), loader("test")
    mean, std = x_train.mean(), x_train.std()
    return (x_train - mean) / std, y_train, (x_test - mean) / std, y_test


def run(options: RunOptions) -> MilestoneResult:
    dataset = options.dataset or "mnist"
    if dataset not in SETUPS:
        raise ValueError(f"{NAME}: --dataset must be one of {sorted(SETUPS)}, got {dataset!r}")
    setup = QUICK if options.quick else SETUPS[dataset]
    x_train, y_train, x_test, y_test = load(dataset)
    x_train, y_train = x_train[:setup.train_limit], y_train[:setup.train_limit]
    x_test, y_test = x_test[:setup.test_limit], y_test[:setup.test_limit]
    schedule = setup.schedule
    tiny.manual_seed(options.seed)
    model = LeNet5()
    initial = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    log, optimizer = train_classifier(tiny, model, x_train, y_train, schedule, options.seed,
                                      ProgressBar(schedule.steps, f"{NAME} ({dataset})", enabled=options.progress))
    test_acc = accuracy(tiny, model, x_test, y_test)
    epochs = schedule.steps * schedule.batch / len(x_train)
    rows = [("data", f"{dataset}: {len(x_train):,} train / {len(x_test):,} test images, 28x28"),
            ("model", f"LeNet-5 (ReLU, max pooling, c1 padding 2), "
                      f"{sum(p.numel() for p in model.parameters()):,} parameters"),
            ("training", f"{schedule.steps} steps x batch {schedule.batch} ({epochs:.1f} epochs), Adam lr "
                         f"{schedule.lr:g}, cosine decay"),
            ("loss first -> last step", f"{log.losses[0]:.4f} -> {log.losses[-1]:.4f}"),
            ("test accuracy", f"{test_acc:.2%}"), ("training time", format_seconds(log.seconds))]
    metrics = {"test_accuracy": test_acc, "seconds": log.seconds}
    curves = {"tiny": log.losses}
    if options.compare_torch:
        from reference.models.lenet import LeNet5 as TorchLeNet5
        twin_rows, curves["torch"], twin_metrics = torch_twin_on_test(
            LeNet5, TorchLeNet5, initial, (x_train, y_train, x_test, y_test), schedule, options.seed, log.losses,
            options.progress)
        rows += twin_rows
        metrics.update(twin_metrics)
    out = options.out_dir / f"{NAME}-{dataset}"
    save_outputs(out, model, optimizer, metrics, curves, f"1998 LeNet-5 on {dataset}: training loss")
    rows.append(("outputs", f"{out}/{{checkpoint.safetensors, curves.png}}"))
    criterion, passed = accuracy_verdict(setup.threshold, test_acc, log.losses)
    return MilestoneResult(NAME, rows, criterion, passed, log.losses, metrics)


register(Milestone(NAME, 1998, "LeNet-5: a convolutional network reads handwritten digits",
                   "MNIST >= 99.0 % test; --dataset fashion-mnist >= 89 %", run))
