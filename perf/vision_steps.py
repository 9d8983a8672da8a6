"""Vision training steps for `python -m perf training`: the MLP (784-256-128-10) and LeNet-5, batch 64, in tiny
and in torch on the same weights and the same batch, one thread each.

A step is zero_grad + forward + cross-entropy + backward + Adam.step (lr 1e-3), float32. One warm-up step each
(Adam allocates its state), then `repeats` interleaved samples of `steps` steps (the order alternates; gc
collected before and paused during a sample). Reported: ms per step, median (min-max), the ratio of the
medians tiny / torch, the median of each phase, and the first step's |loss tiny - loss torch|.
"""
from __future__ import annotations

from perf.common import STEP_PHASES as PHASES
from perf.common import interleaved_steps, timed_step

MODELS = {"MLP 784-256-128-10": ("MLP", (64, 784)), "LeNet-5": ("LeNet5", (64, 1, 28, 28))}


def build_sides(name: str) -> dict:
    import numpy as np
    import torch

    import tiny
    from reference.models import lenet, mlp

    kind, shape = MODELS[name]
    tiny.manual_seed(0)
    if kind == "MLP":
        ours, theirs = tiny.models.MLP([784, 256, 128, 10]), mlp.MLP([784, 256, 128, 10])
    else:
        ours, theirs = tiny.models.LeNet5(), lenet.LeNet5()
    theirs.load_state_dict({key: torch.from_numpy(value.numpy().copy()) for key, value in ours.state_dict().items()})
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, shape[0])
    return {"tiny": (tiny, ours, tiny.optim.Adam(ours.parameters(), lr=1e-3), tiny.tensor(x), tiny.tensor(y)),
            "torch": (torch, theirs, torch.optim.Adam(theirs.parameters(), lr=1e-3), torch.from_numpy(x),
                      torch.from_numpy(y))}


def phases(side: tuple) -> dict:
    lib, model, optimizer, x, y = side
    return timed_step(optimizer, lambda: lib.nn.functional.cross_entropy(model(x), y))


def measure(name: str, repeats: int, steps: int) -> dict:
    first, per_step, phases_median = interleaved_steps(build_sides(name), phases, repeats, steps)
    return {"model": name, "batch": MODELS[name][1][0], "seconds_per_step": per_step,
            "tiny_over_torch": per_step["tiny"]["median"] / per_step["torch"]["median"],
            "phases_median": phases_median,
            "first_step_loss_delta": abs(first["tiny"]["loss"] - first["torch"]["loss"])}


def run(quick: bool, repeats: int | None) -> list[dict]:
    repeats = repeats if repeats is not None else (2 if quick else 7)
    return [measure(name, repeats, 1 if quick else 3) for name in MODELS]


def table(results: list[dict]) -> str:
    from tabulate import tabulate

    def cell(c):
        return f"{c['median'] * 1e3:,.1f} ({c['min'] * 1e3:,.1f}-{c['max'] * 1e3:,.1f})"
    rows = [[r["model"], r["batch"], cell(r["seconds_per_step"]["tiny"]), cell(r["seconds_per_step"]["torch"]),
             f"{r['tiny_over_torch']:.2f}x",
             " / ".join(f"{r['phases_median']['tiny'][p] / r['phases_median']['torch'][p]:.1f}x" for p in PHASES),
             f"{r['first_step_loss_delta']:.1e}"] for r in results]
    return ("Vision training step (forward + cross-entropy + backward + Adam), float32, same weights and batch; ms "
            "per step, median (min-max)\n" + tabulate(rows, headers=["model", "batch", "tiny ms/step", "torch ms/step",
                                                                     "tiny/torch", "fwd / bwd / optim ratio",
                                                                     "|loss diff| step 1"]))


if __name__ == "__main__":  # python -m perf.vision_steps [--quick]: this table alone
    import sys

    from perf.common import pin_threads
    pin_threads()
    print(table(run("--quick" in sys.argv, None)))
