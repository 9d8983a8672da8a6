"""A character-level GPT on Shakespeare (the classic ~1 MB char-LM setup, after Karpathy's char-rnn and
nanoGPT's shakespeare-char), trained entirely with tiny.

Data: tiny.data.datasets.load_shakespeare() (seven tragedies), tiny.text.CharTokenizer, the first 90 % of
the characters for training and the last 10 % for validation. Training: random context windows, AdamW,
linear warmup then cosine decay (SequentialLR), gradient clipping. The full run must bring the validation
loss below 1.8 nats per character. The trained model is saved as a checkpoint (see checkpoint.py),
reloaded to check the round trip, and sampled with tiny.generation.generate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tiny
from milestones.checkpoint import load_checkpoint, save_checkpoint
from milestones.common import MilestoneResult, ProgressBar, RunOptions, format_seconds
from milestones.registry import Milestone, register
from milestones.training import Schedule, compare_gpt_with_torch, comparison_rows, loss_decreased, train
from tiny.generation import generate
from tiny.models import GPT, GPTConfig
from tiny.text import CharTokenizer

__all__ = ["CharGPTSetup", "FULL", "QUICK", "run", "ShakespeareData", "sample"]

NAME = "char-gpt"
TRAIN_FRACTION = 0.9
SAMPLE_PROMPTS = ("Ham.\n", "\n")


@dataclass(frozen=True)
class CharGPTSetup:
    n_layer: int
    n_head: int
    d_model: int
    context_length: int
    batch: int
    schedule: Schedule
    eval_every: int            # steps between validation estimates shown on the progress line
    eval_windows: int          # validation windows per periodic estimate
    final_eval_windows: int    # validation windows for the final (reported) validation loss
    threshold: float | None    # the validation loss the full run must get below
    works: tuple[str, ...] | None = None  # None: load_shakespeare's default seven tragedies


FULL = CharGPTSetup(n_layer=4, n_head=4, d_model=128, context_length=128, batch=32,
                    schedule=Schedule(steps=1000, lr=3e-3, warmup=100, weight_decay=0.1),
                    eval_every=125, eval_windows=128, final_eval_windows=2048, threshold=1.8)
QUICK = CharGPTSetup(n_layer=1, n_head=2, d_model=32, context_length=32, batch=16,
                     schedule=Schedule(steps=100, lr=3e-3, warmup=10, weight_decay=0.1),
                     eval_every=50, eval_windows=32, final_eval_windows=64, threshold=None, works=("macbeth",))


class ShakespeareData:
    """The tokenized text split 90/10; batches and validation windows are pure functions of the seed."""

    def __init__(self, setup: CharGPTSetup, seed: int) -> None:
        from tiny.data.datasets import load_shakespeare

        text = load_shakespeare(list(setup.works) if setup.works else None)
        self.tokenizer = CharTokenizer.from_text(text)
        ids = np.asarray(self.tokenizer.encode(text), dtype=np.int64)
        split = int(len(ids) * TRAIN_FRACTION)
        self.train_ids, self.val_ids = ids[:split], ids[split:]
        self.setup, self.seed = setup, seed

    def windows(self, ids: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """starts (N,) -> inputs (N, T) and targets (N, T), the same windows shifted by one character."""
        offsets = starts[:, None] + np.arange(self.setup.context_length)  # (N, T)
        return ids[offsets], ids[offsets + 1]

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, 1, step])
        starts = rng.integers(0, len(self.train_ids) - self.setup.context_length, self.setup.batch)
        return self.windows(self.train_ids, starts)

    def val_starts(self, count: int) -> np.ndarray:
        """`count` evenly spaced validation windows (the same every time: a deterministic estimate)."""
        last = len(self.val_ids) - self.setup.context_length - 1
        return np.linspace(0, last, count).astype(np.int64)


def val_loss(model: GPT, data: ShakespeareData, count: int) -> float:
    """Mean next-character cross entropy (nats) over `count` validation windows, in eval mode."""
    starts, losses = data.val_starts(count), []
    model.eval()
    with tiny.no_grad():
        for chunk in np.array_split(starts, max(1, len(starts) // data.setup.batch)):
            inputs, targets = data.windows(data.val_ids, chunk)
            _, loss = model(tiny.tensor(inputs), tiny.tensor(targets))
            losses.append(loss.item() * len(chunk))
    model.train()
    return float(sum(losses) / len(starts))


def sample(model: GPT, tokenizer: CharTokenizer, prompt: str, seed: int, temperature: float = 0.8) -> str:
    """The prompt continued to the model's full context (generate never slides the window)."""
    ids = tiny.tensor([tokenizer.encode(prompt)])
    new_tokens = model.config.context_length - ids.shape[1]
    out = generate(model, ids, max_new_tokens=new_tokens, temperature=temperature, seed=seed)
    return tokenizer.decode(out.numpy()[0].tolist())


def loss_of_batch(lib, model, inputs, targets):
    return model(inputs, targets)[1]


def run(options: RunOptions) -> MilestoneResult:
    setup = QUICK if options.quick else FULL
    tiny.manual_seed(options.seed)
    data = ShakespeareData(setup, options.seed)
    config = GPTConfig(vocab_size=data.tokenizer.vocab_size, context_length=setup.context_length,
                       n_layer=setup.n_layer, n_head=setup.n_head, d_model=setup.d_model, dropout=0.0)
    model = GPT(config)
    initial_state = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    progress = ProgressBar(setup.schedule.steps, NAME, enabled=options.progress)
    log = train(tiny, model, data.batch, loss_of_batch, setup.schedule, progress,
                evaluate=lambda: {"val": val_loss(model, data, setup.eval_windows)}, eval_every=setup.eval_every)
    final_val = val_loss(model, data, setup.final_eval_windows)
    directory = save_checkpoint(options.out_dir / NAME, model, data.tokenizer,
                                {"milestone": NAME, "steps": setup.schedule.steps, "val_loss": final_val})
    round_trip = _checkpoint_round_trip(model, directory, data)
    samples = [sample(model, data.tokenizer, prompt, options.seed + i) for i, prompt in enumerate(SAMPLE_PROMPTS)]
    rows = _report_rows(setup, config, model, data, log, final_val, directory, round_trip)
    metrics = {"val_loss": final_val, "seconds": log.seconds, "checkpoint_max_logit_delta": round_trip}
    if options.compare_torch:
        outcome = compare_gpt_with_torch(config, initial_state, data.batch, loss_of_batch, setup.schedule,
                                         log.losses, options.progress, options.threads)
        rows += comparison_rows(outcome, setup.schedule.steps)
        metrics.update(max_loss_delta=outcome["max_delta"], max_loss_delta_first_100=outcome["max_delta_first_100"])
    if setup.threshold is None:
        criterion, passed = "loss decreased (quick run, no validation threshold)", loss_decreased(log.losses)
    else:
        criterion, passed = f"validation loss < {setup.threshold} nats/char", final_val < setup.threshold
    criterion += "; the checkpoint reloads to identical logits"
    return MilestoneResult(NAME, rows, criterion, passed and round_trip == 0.0, log.losses, metrics, samples)


def _checkpoint_round_trip(model: GPT, directory, data: ShakespeareData) -> float:
    """max |logits of the reloaded model - logits of the trained one| on validation windows (0 expected)."""
    reloaded, _ = load_checkpoint(directory)
    inputs, _ = data.windows(data.val_ids, data.val_starts(4))
    model.eval()
    with tiny.no_grad():
        before, _ = model(tiny.tensor(inputs))
        after, _ = reloaded(tiny.tensor(inputs))
    return float(np.max(np.abs(before.numpy() - after.numpy())))


def _first_step_below(log, threshold: float) -> str:
    for step, metrics in log.evaluations:
        if metrics["val"] < threshold:
            return f"step {step}"
    return "-"


def _report_rows(setup: CharGPTSetup, config: GPTConfig, model: GPT, data: ShakespeareData, log, final_val: float,
                 directory, round_trip: float) -> list[tuple[str, str]]:
    parameters = sum(p.numel() for p in model.parameters())
    evals = ", ".join(f"{step}: {metrics['val']:.3f}" for step, metrics in log.evaluations)
    return [("data", f"{len(data.train_ids):,} train / {len(data.val_ids):,} validation characters, "
                     f"vocabulary {config.vocab_size}"),
            ("model", f"GPT: {config.n_layer} layers, {config.n_head} heads, d_model {config.d_model}, "
                      f"context {config.context_length}, {parameters:,} parameters"),
            ("training", f"{setup.schedule.steps} steps x batch {setup.batch} x {setup.context_length} chars, "
                         f"AdamW lr {setup.schedule.lr:g}, warmup {setup.schedule.warmup} + cosine, clip "
                         f"{setup.schedule.clip:g}"),
            ("train loss first -> last step", f"{log.losses[0]:.4f} -> {log.losses[-1]:.4f}"),
            ("validation loss during training", f"{evals} ({setup.eval_windows} windows each)"),
            *([("first estimate below threshold", _first_step_below(log, setup.threshold))]
              if setup.threshold is not None else []),
            ("final validation loss", f"{final_val:.4f} nats/char ({setup.final_eval_windows} windows)"),
            ("training time (incl. validation estimates)", format_seconds(log.seconds)),
            ("checkpoint", f"{directory} (reloaded: max |Δlogits| = {round_trip:.1g})")]


NEEDS = ("manual_seed", "tensor", "no_grad", "models.GPT", "models.GPTConfig", "generation.generate",
         "text.CharTokenizer", "data.datasets.load_shakespeare", "nn.utils.clip_grad_norm_", "optim.AdamW",
         "optim.lr_scheduler.LinearLR", "optim.lr_scheduler.CosineAnnealingLR", "optim.lr_scheduler.SequentialLR")
REGIONS = ("tensor", "autograd", "nn", "losses", "optim", "attention", "gpt", "generation")

register(Milestone(NAME, 2018, "Character-level GPT on Shakespeare (decoder-only transformer LM)",
                   "validation loss < 1.8 nats/char", run, NEEDS, REGIONS))
