"""One training loop, written against the API tiny shares with torch, so the very same code trains a tiny
model and its torch twin (`--compare-torch`): `lib` is the `tiny` or the `torch` module.

Optimization, as is usual for small GPTs: AdamW (weight decay on matrices only), a linear warmup
(LinearLR) followed by a cosine decay (CosineAnnealingLR), chained by SequentialLR, and gradient clipping
(clip_grad_norm_).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from milestones.common import ProgressBar

__all__ = ["Schedule", "TrainLog", "make_optimizer", "train", "compare_with_torch", "compare_gpt_with_torch",
           "comparison_rows", "loss_decreased"]

# step -> (inputs (B, T) int64, targets (B, T) int64); the same function feeds tiny and torch.
BatchFn = Callable[[int], tuple[np.ndarray, np.ndarray]]
# (lib, model, inputs, targets) -> the scalar loss Tensor.
LossFn = Callable[[Any, Any, Any, Any], Any]


@dataclass(frozen=True)
class Schedule:
    steps: int
    lr: float
    warmup: int
    weight_decay: float = 0.1
    clip: float = 1.0
    final_lr_ratio: float = 0.1   # the cosine decays to lr * final_lr_ratio
    betas: tuple[float, float] = (0.9, 0.99)


@dataclass
class TrainLog:
    losses: list[float] = field(default_factory=list)
    evaluations: list[tuple[int, dict[str, float]]] = field(default_factory=list)  # (step, metrics)
    seconds: float = 0.0


def make_optimizer(lib, model, schedule: Schedule):
    """AdamW over two groups (decay for weight matrices and embeddings, none for biases and norms) and the
    warmup-then-cosine learning-rate schedule."""
    if not 0 < schedule.warmup < schedule.steps:
        raise ValueError(f"Schedule: need 0 < warmup ({schedule.warmup}) < steps ({schedule.steps})")
    matrices = [p for p in model.parameters() if p.ndim >= 2]
    vectors = [p for p in model.parameters() if p.ndim < 2]
    optimizer = lib.optim.AdamW([{"params": matrices, "weight_decay": schedule.weight_decay},
                                 {"params": vectors, "weight_decay": 0.0}], lr=schedule.lr, betas=schedule.betas)
    schedulers = lib.optim.lr_scheduler
    warmup = schedulers.LinearLR(optimizer, start_factor=1.0 / schedule.warmup, end_factor=1.0,
                                 total_iters=schedule.warmup)
    cosine = schedulers.CosineAnnealingLR(optimizer, T_max=schedule.steps - schedule.warmup,
                                          eta_min=schedule.lr * schedule.final_lr_ratio)
    return optimizer, schedulers.SequentialLR(optimizer, [warmup, cosine], milestones=[schedule.warmup])


def train(lib, model, batches: BatchFn, loss_fn: LossFn, schedule: Schedule, progress: ProgressBar | None = None,
          evaluate: Callable[[], dict[str, float]] | None = None, eval_every: int = 0) -> TrainLog:
    """`schedule.steps` steps of forward, loss, backward, clip, AdamW step, scheduler step.
    Every `eval_every` steps (and after the last) `evaluate()` is called and logged."""
    optimizer, scheduler = make_optimizer(lib, model, schedule)
    log, start = TrainLog(), time.perf_counter()
    for step in range(1, schedule.steps + 1):
        model.train()
        inputs, targets = batches(step - 1)
        optimizer.zero_grad()
        loss = loss_fn(lib, model, lib.tensor(inputs), lib.tensor(targets))
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), schedule.clip)
        optimizer.step()
        scheduler.step()
        log.losses.append(float(loss.item()))
        shown = {"loss": log.losses[-1]}
        if evaluate is not None and eval_every and (step % eval_every == 0 or step == schedule.steps):
            log.evaluations.append((step, evaluate()))
        if log.evaluations:  # the latest estimate stays on the progress line
            shown.update(log.evaluations[-1][1])
        if progress is not None:
            progress.update(step, **shown)
    log.seconds = time.perf_counter() - start
    if progress is not None:
        progress.close()
    return log


def compare_with_torch(build_torch_model: Callable[[], Any], initial_state: dict[str, np.ndarray],
                       batches: BatchFn, loss_fn: LossFn, schedule: Schedule, tiny_losses: list[float],
                       show_progress: bool = True, threads: int = 1) -> dict[str, Any]:
    """Train the torch twin from `initial_state` on the same batches with the same loop; compare the
    per-step losses with tiny's: max |Δ| over the first 100 steps and over the whole run."""
    import torch

    model = build_torch_model()
    model.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in initial_state.items()})
    progress = ProgressBar(schedule.steps, "torch twin", enabled=show_progress)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        log = train(torch, model, batches, loss_fn, schedule, progress)
    finally:
        torch.set_num_threads(previous_threads)
    delta = np.abs(np.asarray(tiny_losses) - np.asarray(log.losses))  # (steps,)
    return {"torch_losses": log.losses, "torch_seconds": log.seconds,
            "max_delta_first_100": float(delta[:100].max()), "max_delta": float(delta.max())}


def compare_gpt_with_torch(config, initial_state: dict[str, np.ndarray], batches: BatchFn, loss_fn: LossFn,
                           schedule: Schedule, tiny_losses: list[float], show_progress: bool = True,
                           threads: int = 1) -> dict[str, Any]:
    """compare_with_torch for a tiny.models.GPT: its twin is reference.models.gpt.GPT with the same config."""
    from dataclasses import asdict

    from reference.models.gpt import GPT as TorchGPT
    from reference.models.gpt import GPTConfig as TorchGPTConfig

    return compare_with_torch(lambda: TorchGPT(TorchGPTConfig(**asdict(config))), initial_state, batches, loss_fn,
                              schedule, tiny_losses, show_progress, threads)


def comparison_rows(outcome: dict[str, Any], steps: int) -> list[tuple[str, str]]:
    """Table rows for a compare_with_torch outcome."""
    from milestones.common import format_seconds

    return [("torch twin: loss first -> last step",
             f"{outcome['torch_losses'][0]:.4f} -> {outcome['torch_losses'][-1]:.4f}"),
            ("max |loss tiny - loss torch|, steps 1-100", f"{outcome['max_delta_first_100']:.2e}"),
            (f"max |loss tiny - loss torch|, all {steps} steps", f"{outcome['max_delta']:.2e}"),
            ("torch twin training time", format_seconds(outcome["torch_seconds"]))]


def loss_decreased(losses: list[float]) -> bool:
    """The mean loss of the last tenth of the steps is below that of the first tenth."""
    window = max(1, len(losses) // 10)
    return float(np.mean(losses[-window:])) < float(np.mean(losses[:window]))
