"""2017 — "Attention Is All You Need": a transformer made of attention and MLP blocks only (no recurrence,
no convolution) learns a sequence-to-sequence task, reversing a sequence of digits.

The task is framed for a decoder-only transformer (tiny.models.GPT, causal self-attention):

    tokens   s_1 ... s_L  SEP  s_L ... s_1          (2L + 1 tokens; SEP is its own token)
    inputs   the first 2L tokens, targets the last 2L (next-token prediction),
    loss     only where the target is in the reversed half (the source half is ignored: ignore_index),

so the model can only succeed by attending back across the separator to the right source position.
Accuracy is measured the honest way: on held-out source sequences (never drawn for training), the model
gets `s SEP` and greedily generates L tokens (tiny.generation.generate, KV-cached); a sequence counts
as correct only if all L tokens are.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tiny
from milestones.common import MilestoneResult, ProgressBar, RunOptions, format_seconds
from milestones.registry import Milestone, register
from milestones.training import Schedule, compare_gpt_with_torch, comparison_rows, loss_decreased, train
from tiny.generation import generate
from tiny.models import GPT, GPTConfig

__all__ = ["ReversalSetup", "FULL", "QUICK", "run", "reversal_examples", "target_half_loss"]

NAME = "transformer-2017"
IGNORE = -100  # cross_entropy's default ignore_index, in both tiny and torch


@dataclass(frozen=True)
class ReversalSetup:
    digits: int        # source tokens are 0 .. digits-1; SEP is token `digits`
    length: int        # L, the source length
    n_layer: int
    n_head: int
    d_model: int
    batch: int
    schedule: Schedule
    held_out: int      # number of held-out source sequences for the accuracy
    threshold: float | None  # exact-sequence accuracy the full run must reach

    def gpt_config(self) -> GPTConfig:
        # 2L inputs in training; greedy decoding ends holding all 2L + 1 tokens (generate never crops)
        return GPTConfig(vocab_size=self.digits + 1, context_length=2 * self.length + 1, n_layer=self.n_layer,
                         n_head=self.n_head, d_model=self.d_model, dropout=0.0)


FULL = ReversalSetup(digits=10, length=8, n_layer=2, n_head=4, d_model=64, batch=64,
                     schedule=Schedule(steps=400, lr=3e-3, warmup=50, weight_decay=0.01), held_out=1000,
                     threshold=0.95)
QUICK = ReversalSetup(digits=6, length=4, n_layer=1, n_head=2, d_model=32, batch=32,
                      schedule=Schedule(steps=60, lr=1e-2, warmup=10, weight_decay=0.01), held_out=200,
                      threshold=None)


def reversal_examples(sources: np.ndarray, sep: int) -> tuple[np.ndarray, np.ndarray]:
    """sources (N, L) -> inputs (N, 2L), targets (N, 2L) with the source half's targets set to IGNORE."""
    count, length = sources.shape
    tokens = np.concatenate([sources, np.full((count, 1), sep), sources[:, ::-1]], axis=1)  # (N, 2L+1)
    inputs, targets = tokens[:, :-1].astype(np.int64), tokens[:, 1:].astype(np.int64)
    targets[:, :length] = IGNORE  # positions 0..L-1 would predict the (random) source and SEP
    return inputs, targets


def target_half_loss(lib, model, inputs, targets):
    """Mean cross entropy over the reversed half only (targets == IGNORE elsewhere)."""
    logits, _ = model(inputs)  # (B, 2L, V)
    vocab = logits.shape[-1]
    return lib.nn.functional.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1), ignore_index=IGNORE)


class ReversalData:
    """Held-out sources drawn first; training batches (a pure function of the step) never contain them."""

    def __init__(self, setup: ReversalSetup, seed: int) -> None:
        self.setup, self.seed = setup, seed
        self.held_out = self._distinct(np.random.default_rng([seed, 0]), setup.held_out)  # (H, L)
        self._held_out_keys = {row.tobytes() for row in self.held_out}

    def _distinct(self, rng: np.random.Generator, count: int) -> np.ndarray:
        rows: dict[bytes, np.ndarray] = {}
        while len(rows) < count:
            row = rng.integers(0, self.setup.digits, self.setup.length)
            rows.setdefault(row.tobytes(), row)
        return np.stack(list(rows.values()))

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, 1, step])
        sources = rng.integers(0, self.setup.digits, (self.setup.batch, self.setup.length))  # (B, L)
        for i in range(len(sources)):
            while sources[i].tobytes() in self._held_out_keys:
                sources[i] = rng.integers(0, self.setup.digits, self.setup.length)
        return reversal_examples(sources, self.setup.digits)


def held_out_accuracy(model: GPT, sources: np.ndarray, sep: int) -> tuple[float, float]:
    """Greedy decoding of `s SEP` -> (exact-sequence accuracy, per-token accuracy) against reversed s."""
    count, length = sources.shape
    prompts = np.concatenate([sources, np.full((count, 1), sep)], axis=1)  # (N, L+1)
    generated = generate(model, tiny.tensor(prompts), max_new_tokens=length, temperature=0.0).numpy()
    correct = generated[:, length + 1:] == sources[:, ::-1]  # (N, L)
    return float(correct.all(axis=1).mean()), float(correct.mean())


def run(options: RunOptions) -> MilestoneResult:
    setup = QUICK if options.quick else FULL
    tiny.manual_seed(options.seed)
    data = ReversalData(setup, options.seed)
    model = GPT(setup.gpt_config())
    initial_state = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    progress = ProgressBar(setup.schedule.steps, NAME, enabled=options.progress)
    log = train(tiny, model, data.batch, target_half_loss, setup.schedule, progress)
    exact, per_token = held_out_accuracy(model, data.held_out, setup.digits)
    rows = _report_rows(setup, model, log, exact, per_token)
    metrics = {"exact_accuracy": exact, "token_accuracy": per_token, "seconds": log.seconds}
    if options.compare_torch:
        outcome = compare_gpt_with_torch(setup.gpt_config(), initial_state, data.batch, target_half_loss,
                                         setup.schedule, log.losses, options.progress, options.threads)
        rows += comparison_rows(outcome, setup.schedule.steps)
        metrics.update(max_loss_delta=outcome["max_delta"], max_loss_delta_first_100=outcome["max_delta_first_100"])
    if setup.threshold is None:
        criterion, passed = "loss decreased (quick run, no accuracy threshold)", loss_decreased(log.losses)
    else:
        criterion, passed = f"exact-sequence accuracy >= {setup.threshold:.0%}", exact >= setup.threshold
    return MilestoneResult(NAME, rows, criterion, passed, log.losses, metrics)


def _report_rows(setup: ReversalSetup, model: GPT, log, exact: float, per_token: float) -> list[tuple[str, str]]:
    config = setup.gpt_config()
    parameters = sum(p.numel() for p in model.parameters())
    return [("task", f"reverse {setup.length} digits in 0..{setup.digits - 1} (src SEP reversed(src))"),
            ("model", f"GPT: {config.n_layer} layers, {config.n_head} heads, d_model {config.d_model}, "
                      f"context {config.context_length}, {parameters:,} parameters"),
            ("training", f"{setup.schedule.steps} steps x batch {setup.batch}, AdamW lr {setup.schedule.lr:g}, "
                         f"warmup {setup.schedule.warmup} + cosine"),
            ("loss first -> last step", f"{log.losses[0]:.4f} -> {log.losses[-1]:.4f}"),
            ("held-out exact-sequence accuracy", f"{exact:.1%} of {setup.held_out} (greedy, KV-cached)"),
            ("held-out per-token accuracy", f"{per_token:.1%}"),
            ("training time", format_seconds(log.seconds))]


NEEDS = ("manual_seed", "tensor", "no_grad", "models.GPT", "models.GPTConfig", "generation.generate",
         "nn.functional.cross_entropy", "nn.utils.clip_grad_norm_", "optim.AdamW", "optim.lr_scheduler.LinearLR",
         "optim.lr_scheduler.CosineAnnealingLR", "optim.lr_scheduler.SequentialLR")
REGIONS = ("tensor", "autograd", "nn", "losses", "optim", "attention", "gpt", "generation")

register(Milestone(NAME, 2017, "Attention Is All You Need: a transformer learns sequence reversal",
                   "held-out exact-sequence accuracy >= 95 %", run, NEEDS, REGIONS))
