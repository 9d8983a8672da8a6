"""1957 — Rosenblatt's perceptron: a single linear threshold unit, y = step(w . x + b), learns to separate two
classes by nudging its weights toward every misclassified example.

History. Frank Rosenblatt (Cornell Aeronautical Laboratory) described the perceptron in 1957 and built it
in hardware (the Mark I Perceptron, 1958: a 20x20 photocell "retina", weights on motor-driven
potentiometers). His learning rule needs no gradients: present an example, and if the unit's answer is
wrong, add (y - y_hat) * x to the weights. The perceptron convergence theorem (Rosenblatt 1962, Novikoff
1962) guarantees that on linearly separable data the rule stops making mistakes after finitely many
updates (at most (R / margin)^2). The same rule cannot learn what no line separates — see 1969 (XOR).

Here: two Gaussian blobs in the plane, made linearly separable by dropping the points within a margin of
the line x1 + x2 = 0; Rosenblatt's rule (tiny.models.Perceptron.rosenblatt_step) runs epochs over a fresh
shuffle until an epoch makes no mistake; accuracy is measured on held-out points. `--compare-torch` runs
the same rule on the torch twin from the same initial weights and sample order: it makes the same
mistakes and ends with the same weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tiny
from milestones.common import MilestoneResult, ProgressBar, RunOptions, format_seconds
from milestones.registry import Milestone, register
from milestones.vision import save_outputs
from tiny.models import Perceptron

NAME = "perceptron-1957"


@dataclass(frozen=True)
class Setup:
    train: int
    test: int
    max_epochs: int
    threshold: float | None


FULL = Setup(train=1000, test=1000, max_epochs=100, threshold=0.99)
QUICK = Setup(train=200, test=200, max_epochs=20, threshold=None)


def separable_blobs(count: int, rng: np.random.Generator, margin: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """count points (count, 2) float32 around (1, 1) (class 1) and (-1, -1) (class 0), none within `margin` of
    the line x1 + x2 = 0, so the classes are linearly separable."""
    points, labels = [], []
    while sum(len(p) for p in points) < count:
        label = rng.integers(0, 2, count)
        x = rng.normal(0.0, 1.0, (count, 2)) + np.where(label[:, None] == 1, 1.0, -1.0)
        keep = np.sign(x.sum(1)) * (2 * label - 1) * np.abs(x.sum(1)) / np.sqrt(2) > margin
        points.append(x[keep])
        labels.append(label[keep])
    return np.concatenate(points)[:count].astype(np.float32), np.concatenate(labels)[:count].astype(np.int64)


def train(model, x: np.ndarray, y: np.ndarray, setup: Setup, seed: int, progress: ProgressBar | None) -> list[int]:
    """Epochs of Rosenblatt's rule over a fresh shuffle each; stops after an epoch without mistakes."""
    mistakes = []
    for epoch in range(setup.max_epochs):
        order = np.random.default_rng([seed, epoch]).permutation(len(x))
        mistakes.append(model.rosenblatt_step(x[order], y[order], lr=1.0))
        if progress is not None:
            progress.update(epoch + 1, mistakes=mistakes[-1])
        if mistakes[-1] == 0:
            break
    if progress is not None:
        progress.close()
    return mistakes


def test_accuracy(model, lib, x: np.ndarray, y: np.ndarray) -> float:
    return float((model.predict(lib.tensor(x)).numpy() == y).mean())


def run(options: RunOptions) -> MilestoneResult:
    import time
    setup = QUICK if options.quick else FULL
    rng = np.random.default_rng(options.seed)
    x_train, y_train = separable_blobs(setup.train, rng)
    x_test, y_test = separable_blobs(setup.test, rng)
    tiny.manual_seed(options.seed)
    model = Perceptron(2)
    initial = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    start = time.perf_counter()
    mistakes = train(model, x_train, y_train, setup, options.seed,
                     ProgressBar(setup.max_epochs, NAME, enabled=options.progress))
    seconds = time.perf_counter() - start
    acc = test_accuracy(model, tiny, x_test, y_test)
    weight, bias = model.linear.weight.detach().numpy()[0], model.linear.bias.detach().numpy()[0]
    rows = [("data", f"2 separable Gaussian blobs: {setup.train} train / {setup.test} test points"),
            ("model", "Perceptron(2): w . x + b >= 0 -> class 1 (3 parameters)"),
            ("learning rule", "Rosenblatt: on a mistake w += (y - y_hat) x, b += (y - y_hat)"),
            ("mistakes per epoch", " ".join(map(str, mistakes[:12])) + (" ..." if len(mistakes) > 12 else "")),
            ("converged", f"after {len(mistakes)} epochs" if mistakes[-1] == 0 else "no (epoch limit)"),
            ("learned boundary", f"{weight[0]:.3f} x1 + {weight[1]:.3f} x2 + {bias:.3f} = 0"),
            ("test accuracy", f"{acc:.2%}"), ("training time", format_seconds(seconds))]
    metrics = {"test_accuracy": acc, "epochs": len(mistakes), "seconds": seconds}
    curves = {"tiny: mistakes per epoch": [float(m) for m in mistakes]}
    if options.compare_torch:
        rows += _compare(initial, x_train, y_train, x_test, y_test, setup, options, mistakes, model, metrics, curves)
    save_outputs(options.out_dir / NAME, model, None, metrics, curves, "1957 perceptron: mistakes per epoch")
    rows.append(("outputs", str(options.out_dir / NAME) + "/{checkpoint.safetensors, curves.png}"))
    if setup.threshold is None:
        criterion, passed = "mistakes decreased (quick run, no accuracy threshold)", mistakes[-1] < mistakes[0]
    else:
        criterion, passed = f"test accuracy >= {setup.threshold:.0%}", acc >= setup.threshold
    return MilestoneResult(NAME, rows, criterion, passed, [float(m) for m in mistakes], metrics)


def _compare(initial, x_train, y_train, x_test, y_test, setup, options, mistakes, model, metrics, curves):
    """The torch twin, same initial weights and sample order, in float32 and in float64."""
    import torch

    from reference.models.perceptron import Perceptron as TorchPerceptron
    rows = []
    for dtype in ("float32", "float64"):
        twin = TorchPerceptron(2).to(getattr(torch, dtype))
        twin.load_state_dict({key: torch.from_numpy(value) for key, value in initial.items()})
        ours = Perceptron(2).to(getattr(tiny, dtype))
        ours.load_state_dict({key: tiny.tensor(value) for key, value in initial.items()})
        x = x_train.astype(dtype)
        torch_mistakes = train(twin, x, y_train, setup, options.seed, None)
        tiny_mistakes = train(ours, x, y_train, setup, options.seed, None)
        weight_delta = max(float(np.abs(ours.state_dict()[k].numpy() - v.numpy()).max())
                           for k, v in twin.state_dict().items())
        same = tiny_mistakes == torch_mistakes
        rows.append((f"torch twin ({dtype}): mistakes per epoch", "identical to tiny's" if same else
                     f"DIFFER: {torch_mistakes[:12]}"))
        rows.append((f"max |w tiny - w torch| after training ({dtype})", f"{weight_delta:.2e}"))
        metrics[f"max_weight_delta_{dtype}"] = weight_delta
        metrics[f"same_mistakes_{dtype}"] = float(same)
        if dtype == "float32":
            curves["torch: mistakes per epoch"] = [float(m) for m in torch_mistakes]
            metrics["torch_test_accuracy"] = float((twin.predict(torch.tensor(x_test)).numpy() == y_test).mean())
            rows.append(("torch twin test accuracy", f"{metrics['torch_test_accuracy']:.2%}"))
    return rows


register(Milestone(NAME, 1957, "Rosenblatt's perceptron learns a linearly separable problem",
                   "test accuracy >= 99 %", run))
