"""What the vision milestones (1969 XOR, 1986 MLP, 1998 LeNet-5) share: one minibatch classifier training loop
written against the API tiny shares with torch (`lib` is `tiny` or `torch`), so `--compare-torch` trains the
torch twin from the same weights on the same batches with the very same code; accuracy; the float64
agreement check; and the outputs every milestone leaves in `--out` (a tiny.save checkpoint and a PNG of
its curves).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

import tiny
from milestones.common import ProgressBar, format_seconds

__all__ = ["Schedule", "TrainLog", "batch_indices", "train_classifier", "accuracy", "compare_with_torch",
           "float64_agreement", "save_outputs", "comparison_rows", "torch_twin_on_test", "accuracy_verdict"]


@dataclass(frozen=True)
class Schedule:
    """steps of minibatch training: Adam (or SGD with momentum) and a cosine decay to lr * final_lr_ratio."""
    steps: int
    batch: int
    lr: float
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    final_lr_ratio: float = 0.05


@dataclass
class TrainLog:
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0


def batch_indices(count: int, batch: int, seed: int) -> Callable[[int], np.ndarray]:
    """step -> the row indices of that step's batch: a fresh permutation of the data each epoch (a pure
    function of seed, epoch and step, so tiny and torch see the same batches)."""
    per_epoch = max(1, count // batch)

    def indices(step: int) -> np.ndarray:
        epoch, position = divmod(step, per_epoch)
        order = np.random.default_rng([seed, epoch]).permutation(count)
        return order[position * batch:(position + 1) * batch]
    return indices


def make_optimizer(lib, model, schedule: Schedule):
    if schedule.optimizer == "adam":
        optimizer = lib.optim.Adam(model.parameters(), lr=schedule.lr, weight_decay=schedule.weight_decay)
    else:
        optimizer = lib.optim.SGD(model.parameters(), lr=schedule.lr, momentum=schedule.momentum,
                                  weight_decay=schedule.weight_decay)
    scheduler = lib.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=schedule.steps,
                                                         eta_min=schedule.lr * schedule.final_lr_ratio)
    return optimizer, scheduler


def train_classifier(lib, model, x: np.ndarray, y: np.ndarray, schedule: Schedule, seed: int,
                     progress: ProgressBar | None = None, steps: int | None = None) -> tuple[TrainLog, Any]:
    """Minibatch cross-entropy training; returns the per-step losses and the optimizer."""
    optimizer, scheduler = make_optimizer(lib, model, schedule)
    indices = batch_indices(len(x), schedule.batch, seed)
    log, start = TrainLog(), time.perf_counter()
    model.train()
    for step in range(steps if steps is not None else schedule.steps):
        rows = indices(step)
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(x[rows])), lib.tensor(y[rows]))
        loss.backward()
        optimizer.step()
        scheduler.step()
        log.losses.append(float(loss.item()))
        if progress is not None:
            progress.update(step + 1, loss=log.losses[-1])
    log.seconds = time.perf_counter() - start
    if progress is not None:
        progress.close()
    return log, optimizer


def accuracy(lib, model, x: np.ndarray, y: np.ndarray, batch: int = 2000) -> float:
    """Fraction of rows whose argmax logit is the label (eval mode, no graph)."""
    model.eval()
    correct = 0
    with lib.no_grad():
        for start in range(0, len(x), batch):
            logits = model(lib.tensor(x[start:start + batch]))
            correct += int((logits.argmax(1).numpy() == y[start:start + batch]).sum())
    return correct / max(len(x), 1)


def _torch_model(build_torch: Callable[[], Any], state: dict[str, np.ndarray], dtype: str):
    import torch
    model = build_torch().to(getattr(torch, dtype))
    model.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in state.items()})
    return model


def compare_with_torch(build_torch: Callable[[], Any], initial_state: dict[str, np.ndarray], x: np.ndarray,
                       y: np.ndarray, schedule: Schedule, seed: int, tiny_losses: list[float],
                       show_progress: bool = True) -> dict[str, Any]:
    """Train the torch twin (float32, one thread) from tiny's initial weights on the same batches."""
    import torch
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = _torch_model(build_torch, initial_state, "float32")
        progress = ProgressBar(schedule.steps, "torch twin", enabled=show_progress)
        log, _ = train_classifier(torch, model, x, y, schedule, seed, progress)
    finally:
        torch.set_num_threads(previous)
    delta = np.abs(np.asarray(tiny_losses) - np.asarray(log.losses))
    return {"torch_losses": log.losses, "torch_seconds": log.seconds, "model": model,
            "max_delta": float(delta.max()), "max_delta_first_100": float(delta[:100].max())}


def float64_agreement(build_tiny: Callable[[], Any], build_torch: Callable[[], Any], x: np.ndarray, y: np.ndarray,
                      schedule: Schedule, seed: int, steps: int = 100) -> float:
    """Both sides in float64 from the same initial weights for `steps` steps: max |loss tiny - loss torch|."""
    import torch
    tiny.manual_seed(seed)
    model = build_tiny().to(tiny.float64)
    state = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    twin = _torch_model(build_torch, state, "float64")
    x64 = x.astype(np.float64)
    tiny_log, _ = train_classifier(tiny, model, x64, y, schedule, seed, steps=steps)
    torch_log, _ = train_classifier(torch, twin, x64, y, schedule, seed, steps=steps)
    return float(np.max(np.abs(np.asarray(tiny_log.losses) - np.asarray(torch_log.losses))))


def comparison_rows(outcome: dict[str, Any], steps: int) -> list[tuple[str, str]]:
    rows = [("torch twin: loss first -> last step",
             f"{outcome['torch_losses'][0]:.4f} -> {outcome['torch_losses'][-1]:.4f}"),
            ("max |loss tiny - loss torch|, float32, steps 1-100", f"{outcome['max_delta_first_100']:.2e}"),
            (f"max |loss tiny - loss torch|, float32, all {steps} steps", f"{outcome['max_delta']:.2e}"),
            ("torch twin training time (1 thread)", format_seconds(outcome["torch_seconds"]))]
    if "float64_delta" in outcome:
        rows.append((f"max |loss tiny - loss torch|, float64, {outcome.get('float64_steps', 100)} steps",
                     f"{outcome['float64_delta']:.2e}"))
    if "torch_accuracy" in outcome:
        rows.append(("torch twin test accuracy", f"{outcome['torch_accuracy']:.2%}"))
    return rows


def torch_twin_on_test(build_tiny: Callable[[], Any], build_torch: Callable[[], Any], initial_state: dict[str, np.ndarray],
                      data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], schedule: Schedule, seed: int,
                      tiny_losses: list[float], show_progress: bool = True
                      ) -> tuple[list[tuple[str, str]], list[float], dict[str, float]]:
    """`--compare-torch` for a classifier with a test set, data = (x_train, y_train, x_test, y_test): the torch
    twin trained in float32 from tiny's initial weights, its test accuracy and the float64 agreement over the
    first (up to) 100 steps. Returns the report rows, the torch loss curve and the metrics."""
    import torch
    x_train, y_train, x_test, y_test = data
    outcome = compare_with_torch(build_torch, initial_state, x_train, y_train, schedule, seed, tiny_losses,
                                 show_progress)
    outcome["torch_accuracy"] = accuracy(torch, outcome["model"], x_test, y_test)
    outcome["float64_steps"] = min(100, schedule.steps)
    outcome["float64_delta"] = float64_agreement(build_tiny, build_torch, x_train, y_train, schedule, seed,
                                                 steps=min(100, schedule.steps))
    metrics = {"max_loss_delta": outcome["max_delta"], "float64_loss_delta": outcome["float64_delta"],
               "torch_test_accuracy": outcome["torch_accuracy"]}
    return comparison_rows(outcome, schedule.steps), outcome["torch_losses"], metrics


def accuracy_verdict(threshold: float | None, test_accuracy: float, losses: list[float]) -> tuple[str, bool]:
    """(criterion, passed): test accuracy >= threshold, or for a quick run (threshold None) that the mean loss
    of the last tenth of the steps is below that of the first tenth."""
    if threshold is None:
        window = max(1, len(losses) // 10)
        return ("loss decreased (quick run, no accuracy threshold)",
                float(np.mean(losses[-window:])) < float(np.mean(losses[:window])))
    return f"test accuracy >= {threshold:.0%}", test_accuracy >= threshold


def save_outputs(directory: Path, model, optimizer, metrics: dict[str, float], curves: dict[str, list[float]],
                 title: str) -> tuple[Path, Path]:
    """checkpoint.safetensors (model + optimizer state + metrics, tiny.save) and curves.png into directory."""
    directory.mkdir(parents=True, exist_ok=True)
    checkpoint = directory / "checkpoint.safetensors"
    tiny.save({"model": model.state_dict(), "optimizer": optimizer.state_dict() if optimizer is not None else None,
               "metrics": {key: float(value) for key, value in metrics.items()}}, checkpoint)
    image = directory / "curves.png"
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axis = plt.subplots(figsize=(7, 4))
    for label, values in curves.items():
        axis.plot(np.arange(1, len(values) + 1), values, label=label, linewidth=1)
    axis.set_xlabel("step")
    axis.set_ylabel("loss")
    axis.set_title(title)
    if any(min(values) > 0 for values in curves.values() if values):
        axis.set_yscale("log")
    axis.legend()
    figure.tight_layout()
    figure.savefig(image, dpi=100)
    plt.close(figure)
    return checkpoint, image
