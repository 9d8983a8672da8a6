"""1969 — Minsky & Papert's "Perceptrons": a single layer of threshold units cannot compute XOR; a hidden
layer can.

History. In "Perceptrons: An Introduction to Computational Geometry" (1969) Marvin Minsky and Seymour
Papert proved what single-layer perceptrons cannot represent — parity, connectedness, and in the smallest
case XOR: no line separates {(0,0), (1,1)} from {(0,1), (1,0)}. Multi-layer networks could represent it,
but nobody had a practical way to train their hidden units; the book is often blamed for the funding
drought of the 1970s ("the first AI winter"). The fix — training hidden layers by backpropagating errors —
became practical in 1986 (see mlp_1986).

Here, on the four XOR points: (1) Rosenblatt's perceptron (tiny.models.Perceptron) never stops making
mistakes, and no line gets more than 3 of the 4 points right (<= 75 %); (2) a linear softmax classifier
trained by gradient descent fares no better; (3) MLP([2, 4, 2], tanh) — one hidden layer — trained by
backprop gets all four right (100 %). `--compare-torch` trains the MLP's torch twin from the same weights.
"""
from __future__ import annotations

import numpy as np

import tiny
from milestones.common import MilestoneResult, ProgressBar, RunOptions, format_seconds
from milestones.perceptron_1957 import Setup as PerceptronSetup
from milestones.perceptron_1957 import train as rosenblatt
from milestones.registry import Milestone, register
from milestones.vision import (Schedule, accuracy, compare_with_torch, comparison_rows, float64_agreement,
                               save_outputs, train_classifier)
from tiny.models import MLP, Perceptron

NAME = "xor-1969"
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([0, 1, 1, 0], dtype=np.int64)
HIDDEN = [2, 4, 2]
FULL = Schedule(steps=400, batch=4, lr=0.05)
QUICK = Schedule(steps=150, batch=4, lr=0.05)
PERCEPTRON_EPOCHS = 100


def run(options: RunOptions) -> MilestoneResult:
    schedule = QUICK if options.quick else FULL
    tiny.manual_seed(options.seed)
    perceptron = Perceptron(2)
    mistakes = rosenblatt(perceptron, X, Y, PerceptronSetup(4, 4, PERCEPTRON_EPOCHS, None), options.seed, None)
    perceptron_acc = float((perceptron.predict(tiny.tensor(X)).numpy() == Y).mean())
    best_line = best_linear_accuracy()

    linear = MLP([2, 2])  # a linear softmax classifier: no hidden layer
    train_classifier(tiny, linear, X, Y, schedule, options.seed)
    linear_acc = accuracy(tiny, linear, X, Y)

    model = MLP(HIDDEN, activation="tanh")
    initial = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    log, optimizer = train_classifier(tiny, model, X, Y, schedule, options.seed,
                                      ProgressBar(schedule.steps, NAME, enabled=options.progress))
    mlp_acc = accuracy(tiny, model, X, Y)
    rows = [("data", "XOR: (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0"),
            ("single layer: Rosenblatt perceptron", f"{perceptron_acc:.0%} after {PERCEPTRON_EPOCHS} epochs, "
                                                    f"still {mistakes[-1]} mistakes in the last epoch"),
            ("single layer: best any line can do", f"{best_line:.0%} (exhaustive over 10,000 lines)"),
            ("single layer: linear softmax by backprop", f"{linear_acc:.0%}"),
            ("hidden layer: MLP([2, 4, 2], tanh)", f"{mlp_acc:.0%}"),
            ("MLP training", f"{schedule.steps} full-batch Adam steps, lr {schedule.lr:g}, cosine"),
            ("MLP loss first -> last step", f"{log.losses[0]:.4f} -> {log.losses[-1]:.6f}"),
            ("training time", format_seconds(log.seconds))]
    metrics = {"perceptron_accuracy": perceptron_acc, "linear_accuracy": linear_acc, "mlp_accuracy": mlp_acc,
               "best_line_accuracy": best_line, "seconds": log.seconds}
    curves = {"tiny MLP loss": log.losses}
    if options.compare_torch:
        from reference.models.mlp import MLP as TorchMLP
        outcome = compare_with_torch(lambda: TorchMLP(HIDDEN, activation="tanh"), initial, X, Y, schedule,
                                     options.seed, log.losses, options.progress)
        outcome["float64_steps"] = min(100, schedule.steps)
        outcome["float64_delta"] = float64_agreement(lambda: MLP(HIDDEN, activation="tanh"),
                                                     lambda: TorchMLP(HIDDEN, activation="tanh"), X, Y, schedule,
                                                     options.seed, steps=min(100, schedule.steps))
        rows += comparison_rows(outcome, schedule.steps)
        curves["torch MLP loss"] = outcome["torch_losses"]
        metrics.update(max_loss_delta=outcome["max_delta"], float64_loss_delta=outcome["float64_delta"])
    save_outputs(options.out_dir / NAME, model, optimizer, metrics, curves, "1969 XOR: the hidden-layer MLP")
    rows.append(("outputs", str(options.out_dir / NAME) + "/{checkpoint.safetensors, curves.png}"))
    passed = max(perceptron_acc, linear_acc) <= 0.75 and mlp_acc == 1.0
    return MilestoneResult(NAME, rows, "single layer <= 75 % and hidden layer 100 %", passed, log.losses, metrics)


def best_linear_accuracy() -> float:
    """The best accuracy of any line w . x + b >= 0 on XOR, over a grid of 10,000 directions and offsets."""
    angles = np.linspace(0, 2 * np.pi, 100, endpoint=False)
    offsets = np.linspace(-2, 2, 100)
    directions = np.stack([np.cos(angles), np.sin(angles)], 1)               # (100, 2)
    scores = X @ directions.T                                                  # (4, 100)
    predicted = (scores[None] + offsets[:, None, None]) >= 0                  # (100 offsets, 4, 100 angles)
    return float((predicted == Y[None, :, None]).mean(axis=1).max())


register(Milestone(NAME, 1969, "Minsky & Papert: XOR defeats one layer, a hidden layer solves it",
                   "single layer <= 75 %, hidden layer 100 %", run))
