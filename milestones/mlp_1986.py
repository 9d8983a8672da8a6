"""1986 — Rumelhart, Hinton & Williams, "Learning representations by back-propagating errors": a multi-layer
perceptron whose hidden units are trained by the chain rule recognizes handwritten digits.

History. The idea of propagating derivatives backwards through a network had been found before (Linnainmaa's
reverse-mode differentiation, 1970; Werbos' thesis, 1974), but the 1986 Nature paper by David Rumelhart,
Geoffrey Hinton and Ronald Williams showed that gradient descent on the hidden layers learns useful
internal representations, and the accompanying PDP volumes made it the standard way to train networks.
Within a few years, MLPs trained by backprop read zip codes and handwritten digits (LeCun et al. 1989).

Here: tiny.models.MLP trained by minibatch backprop (tiny's autograd) with cross-entropy and Adam:
- default: scikit-learn's 8x8 digits (1,797 images, 80 % train / 20 % held-out test), MLP([64, 128, 10]),
  must reach >= 97 % test accuracy;
- `--dataset mnist`: 28x28 MNIST (60,000 train / 10,000 test), MLP([784, 256, 128, 10]), >= 98 % test.
(ReLU hidden units and Adam are modern choices; the 1986 paper used sigmoids and plain gradient descent
with momentum.) `--compare-torch` trains the torch twin from the same weights on the same batches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tiny
from milestones.common import MilestoneResult, ProgressBar, RunOptions, format_seconds
from milestones.registry import Milestone, register
from milestones.vision import (Schedule, accuracy, accuracy_verdict, save_outputs, torch_twin_on_test,
                               train_classifier)
from tiny.models import MLP

NAME = "mlp-1986"


@dataclass(frozen=True)
class Setup:
    dataset: str
    sizes: tuple[int, ...]
    schedule: Schedule
    threshold: float | None
    train_limit: int | None = None   # quick runs use a subset


SETUPS = {
    "digits": Setup("digits", (64, 256, 10), Schedule(steps=1500, batch=32, lr=1e-3), 0.97),
    "mnist": Setup("mnist", (784, 256, 128, 10), Schedule(steps=4 * 937, batch=64, lr=1e-3), 0.98),
}
QUICK = {"digits": Setup("digits", (64, 32, 10), Schedule(steps=100, batch=32, lr=3e-3), None),
         "mnist": Setup("mnist", (784, 64, 10), Schedule(steps=60, batch=64, lr=2e-3), None, train_limit=4000)}


def load(dataset: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test): images flattened to float32 rows, standardized with the training
    set's statistics (per pixel for digits, one mean/std for MNIST); digits split 80/20 by the seed."""
    from tiny.data import datasets
    if dataset == "digits":
        images, labels = datasets.load_digits()
        x = images.reshape(len(images), -1)
        order = np.random.default_rng([seed, 1986]).permutation(len(x))
        cut = int(0.8 * len(x))
        x_train, y_train, x_test, y_test = x[order[:cut]], labels[order[:cut]], x[order[cut:]], labels[order[cut:]]
        mean, std = x_train.mean(0), x_train.std(0) + 0.1  # + 0.1: a few border pixels are always 0
    else:
        train_images, y_train = datasets.load_mnist("train")
        test_images, y_test = datasets.load_mnist("test")
        x_train, x_test = train_images.reshape(len(train_images), -1), test_images.reshape(len(test_images), -1)
        mean, std = x_train.mean(), x_train.std()
    return (((x_train - mean) / std).astype(np.float32), y_train, ((x_test - mean) / std).astype(np.float32),
            y_test)


def run(options: RunOptions) -> MilestoneResult:
    dataset = options.dataset or "digits"
    if dataset not in SETUPS:
        raise ValueError(f"{NAME}: --dataset must be one of {sorted(SETUPS)}, got {dataset!r}")
    setup = (QUICK if options.quick else SETUPS)[dataset]
    x_train, y_train, x_test, y_test = load(dataset, options.seed)
    if setup.train_limit is not None:
        x_train, y_train = x_train[:setup.train_limit], y_train[:setup.train_limit]
    schedule = setup.schedule
    tiny.manual_seed(options.seed)
    model = MLP(list(setup.sizes))
    initial = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    log, optimizer = train_classifier(tiny, model, x_train, y_train, schedule, options.seed,
                                      ProgressBar(schedule.steps, f"{NAME} ({dataset})", enabled=options.progress))
    test_acc, train_acc = accuracy(tiny, model, x_test, y_test), accuracy(tiny, model, x_train, y_train)
    epochs = schedule.steps * schedule.batch / len(x_train)
    rows = [("data", f"{dataset}: {len(x_train):,} train / {len(x_test):,} test images"),
            ("model", f"MLP({list(setup.sizes)}), ReLU, {sum(p.numel() for p in model.parameters()):,} parameters"),
            ("training", f"{schedule.steps} steps x batch {schedule.batch} ({epochs:.1f} epochs), Adam lr "
                         f"{schedule.lr:g}, cosine decay"),
            ("loss first -> last step", f"{log.losses[0]:.4f} -> {log.losses[-1]:.4f}"),
            ("train accuracy", f"{train_acc:.2%}"), ("test accuracy", f"{test_acc:.2%}"),
            ("training time", format_seconds(log.seconds))]
    metrics = {"test_accuracy": test_acc, "train_accuracy": train_acc, "seconds": log.seconds}
    curves = {"tiny": log.losses}
    if options.compare_torch:
        from reference.models.mlp import MLP as TorchMLP
        twin_rows, curves["torch"], twin_metrics = torch_twin_on_test(
            lambda: MLP(list(setup.sizes)), lambda: TorchMLP(list(setup.sizes)), initial,
            (x_train, y_train, x_test, y_test), schedule, options.seed, log.losses, options.progress)
        rows += twin_rows
        metrics.update(twin_metrics)
    out = options.out_dir / f"{NAME}-{dataset}"
    save_outputs(out, model, optimizer, metrics, curves, f"1986 backprop MLP on {dataset}: training loss")
    rows.append(("outputs", f"{out}/{{checkpoint.safetensors, curves.png}}"))
    criterion, passed = accuracy_verdict(setup.threshold, test_acc, log.losses)
    return MilestoneResult(NAME, rows, criterion, passed, log.losses, metrics)


register(Milestone(NAME, 1986, "Backpropagation trains a multi-layer perceptron on handwritten digits",
                   "digits >= 97 % test; --dataset mnist >= 98 % test", run))
