"""Training-step report: one GPT training step (forward + cross-entropy, backward, AdamW step) in tiny and in
torch, on the same weights and the same batch, one thread each.

For each config: tiny's tiny.models.GPT and the torch twin reference.models.gpt.GPT loaded with tiny's initial
weights, each with its own AdamW (lr 1e-3, weight decay 0.01), the same (B, T) batch of random token ids.
One warm-up step each (AdamW allocates its state), then `repeats` interleaved timed samples (the order
alternates each repeat; gc collected before and paused during a sample); a sample is `steps` consecutive
training steps. Reported: seconds per step, median (min-max), and the ratio of the medians tiny / torch.
Also: the time of each phase (forward, backward, optimizer) on both sides, and where tiny's time goes: a
cProfile of tiny's steps, summed per autograd Function (forward and backward), the optimizer, and the rest
(Module calls, Tensor wrapping, graph recording and the backward engine); plus torch's own top operators
(torch.profiler, self CPU time) for the same step.
"""
from __future__ import annotations

import argparse
import cProfile
import inspect
import pstats

import perf  # noqa: F401  (pins the thread pools before NumPy / torch load)
from perf.common import STEP_PHASES as PHASES
from perf.common import interleaved_steps, timed_step

CONFIGS = {
    "tiny": {"vocab_size": 65, "d_model": 64, "n_layer": 2, "n_head": 4, "context_length": 64, "batch": 16},
    "small": {"vocab_size": 65, "d_model": 128, "n_layer": 4, "n_head": 4, "context_length": 128, "batch": 32},
    "medium": {"vocab_size": 512, "d_model": 256, "n_layer": 6, "n_head": 8, "context_length": 256, "batch": 8},
}
QUICK_CONFIG = {"vocab_size": 65, "d_model": 32, "n_layer": 1, "n_head": 2, "context_length": 32, "batch": 4}
QUICK = {"configs": ("quick",), "repeats": 2, "steps": 2, "profile_config": "quick", "profile_steps": 2}
FULL = {"configs": ("tiny", "small", "medium"), "repeats": 5, "steps": 1, "profile_config": "small",
        "profile_steps": 3}
SEED, LR, WEIGHT_DECAY = 0, 1e-3, 0.01


def config_for(name: str) -> dict:
    return dict(QUICK_CONFIG if name == "quick" else CONFIGS[name])


# ----- the two sides ----------------------------------------------------------------------------------------
def build_sides(config_name: str) -> dict:
    """{"tiny": (model, optimizer, inputs, targets), "torch": (...)}: same weights, same batch."""
    import numpy as np
    import torch

    import tiny
    from reference.models.gpt import GPT as TorchGPT, GPTConfig as TorchGPTConfig
    from tiny.models import GPT, GPTConfig

    config = config_for(config_name)
    batch = config.pop("batch")
    tiny.manual_seed(SEED)
    tiny_model = GPT(GPTConfig(**config))
    torch_model = TorchGPT(TorchGPTConfig(**config))
    torch_model.load_state_dict({key: torch.from_numpy(value.data.copy())
                                 for key, value in tiny_model.state_dict().items()})
    rng = np.random.default_rng(SEED)
    idx = rng.integers(0, config["vocab_size"], (batch, config["context_length"]))        # (B, T)
    targets = rng.integers(0, config["vocab_size"], (batch, config["context_length"]))    # (B, T)
    return {"tiny": (tiny_model, tiny.optim.AdamW(tiny_model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY),
                     tiny.tensor(idx), tiny.tensor(targets)),
            "torch": (torch_model, torch.optim.AdamW(torch_model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY),
                      torch.from_numpy(idx), torch.from_numpy(targets))}


def phases(side: tuple) -> dict:
    """One training step, timed per phase: {"forward": s, "backward": s, "optimizer": s, "loss": float}."""
    model, optimizer, idx, targets = side
    return timed_step(optimizer, lambda: model(idx, targets)[1])


def measure_config(config_name: str, repeats: int, steps: int) -> dict:
    """Per-step seconds of both sides, interleaved; phase times; the first-step losses (same weights check)."""
    sides = build_sides(config_name)
    first, per_step, phases_median = interleaved_steps(sides, phases, repeats, steps)  # warm-up allocates AdamW state
    config = config_for(config_name)
    parameters = sum(p.numel() for p in sides["tiny"][0].parameters())
    return {"config": config_name, **config, "parameters": parameters, "repeats": repeats, "steps_per_sample": steps,
            "seconds_per_step": per_step,
            "tiny_over_torch": per_step["tiny"]["median"] / per_step["torch"]["median"],
            "phases_median": phases_median,
            "first_step_loss": {name: first[name]["loss"] for name in sides},
            "first_step_loss_delta": abs(first["tiny"]["loss"] - first["torch"]["loss"])}


# ----- where tiny's time goes -------------------------------------------------------------------------------
def _function_classes() -> list[type]:
    import tiny  # noqa: F401  (loads every module that defines a Function)
    from tiny.autograd import Function
    found, pending = [], [Function]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


def _code_key(function) -> tuple:
    code = inspect.unwrap(function).__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def profile_tiny(config_name: str, steps: int) -> dict:
    """cProfile of `steps` tiny training steps, cumulative seconds per step: per Function forward/backward,
    the optimizer step, and the rest of the step (Python-level framework work)."""
    sides = build_sides(config_name)
    tiny_side = sides["tiny"]
    phases(tiny_side)  # warm-up
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        phases(tiny_side)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # {(file, line, name): (cc, nc, tottime, cumtime, callers)}
    cumulative = {key: value[3] / steps for key, value in stats.items()}
    total = cumulative.get(_code_key(phases), 0.0)
    rows = []
    for cls in _function_classes():
        for kind in ("forward", "backward"):
            if kind in cls.__dict__:
                seconds = cumulative.get(_code_key(getattr(cls, kind)), 0.0)
                if seconds > 0:
                    rows.append({"op": f"{cls.__name__}.{kind}", "seconds": seconds})
    optimizer_step = cumulative.get(_code_key(type(tiny_side[1]).step), 0.0)
    rows.append({"op": f"{type(tiny_side[1]).__name__}.step (whole optimizer)", "seconds": optimizer_step})
    accounted = sum(row["seconds"] for row in rows)
    rows.append({"op": "rest: Module calls, Tensor wrapping, graph recording, backward engine",
                 "seconds": max(total - accounted, 0.0)})
    rows.sort(key=lambda row: -row["seconds"])
    for row in rows:
        row["share"] = row["seconds"] / total if total else 0.0
    return {"config": config_name, "steps": steps, "profiled_step_seconds": total, "rows": rows}


def profile_torch(config_name: str, steps: int, top: int = 12) -> dict:
    """torch.profiler's self CPU time per operator for the same training step (seconds per step)."""
    from torch.profiler import ProfilerActivity, profile
    torch_side = build_sides(config_name)["torch"]
    phases(torch_side)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(steps):
            phases(torch_side)
    events = profiler.key_averages()
    total = sum(event.self_cpu_time_total for event in events) / 1e6 / steps
    rows = sorted(({"op": event.key, "seconds": event.self_cpu_time_total / 1e6 / steps} for event in events),
                  key=lambda row: -row["seconds"])[:top]
    for row in rows:
        row["share"] = row["seconds"] / total if total else 0.0
    return {"config": config_name, "steps": steps, "profiled_step_seconds": total, "rows": rows}


# ----- the report -------------------------------------------------------------------------------------------
def run(quick: bool = False, repeats: int | None = None, progress=print) -> dict:
    from perf.common import machine, report_start
    settings, result = report_start("training", quick, repeats, QUICK, FULL)
    result.update({"settings": {**settings, "lr": LR, "weight_decay": WEIGHT_DECAY, "dtype": "float32",
                                "timing": "zero_grad + forward + cross-entropy + backward + AdamW.step; gc paused; "
                                          "interleaved repeats"},
                   "configs": []})
    for config_name in settings["configs"]:
        progress(f"[perf training] {config_name}: step time, {settings['repeats']} interleaved repeats")
        result["configs"].append(measure_config(config_name, settings["repeats"], settings["steps"]))
    from perf import vision_steps  # the MLP and LeNet-5 steps (issue 11)
    progress("[perf training] MLP and LeNet-5: step time")
    result["vision"] = vision_steps.run(quick, repeats)
    progress(f"[perf training] {settings['profile_config']}: profiles")
    result["profile_tiny"] = profile_tiny(settings["profile_config"], settings["profile_steps"])
    result["profile_torch"] = profile_torch(settings["profile_config"], settings["profile_steps"])
    result["machine"]["load_average_1min_at_end"] = machine()["load_average_1min"]
    return result


def _cell(cell: dict) -> str:
    return f"{cell['median'] * 1e3:,.1f} ({cell['min'] * 1e3:,.1f}-{cell['max'] * 1e3:,.1f})"


def _profile_table(profile: dict, limit: int = 14) -> str:
    from tabulate import tabulate
    rows = [[row["op"], f"{row['seconds'] * 1e3:.1f}", f"{100 * row['share']:.1f}%"] for row in profile["rows"][:limit]]
    return tabulate(rows, headers=["", "ms / step", "share"])


def tables(result: dict) -> str:
    from tabulate import tabulate
    steps = tabulate(
        [[c["config"], f"{c['parameters']:,}", f"{c['d_model']}/{c['n_layer']}/{c['n_head']}",
          f"{c['batch']}x{c['context_length']}", _cell(c["seconds_per_step"]["tiny"]),
          _cell(c["seconds_per_step"]["torch"]), f"{c['tiny_over_torch']:.2f}x", f"{c['first_step_loss_delta']:.1e}"]
         for c in result["configs"]],
        headers=["config", "params", "d/layers/heads", "batch x T", "tiny ms/step", "torch ms/step", "tiny/torch",
                 "|loss diff| step 1"])
    phase_rows = []
    for c in result["configs"]:
        for phase in PHASES:
            tiny_s, torch_s = c["phases_median"]["tiny"][phase], c["phases_median"]["torch"][phase]
            phase_rows.append([c["config"], phase, f"{tiny_s * 1e3:.1f}", f"{torch_s * 1e3:.1f}",
                               f"{tiny_s / torch_s:.2f}x" if torch_s else "-"])
    phase_table = tabulate(phase_rows, headers=["config", "phase", "tiny ms", "torch ms", "tiny/torch"])
    threads = ", ".join(f"{k}={v}" for k, v in result["threads"].items())
    tiny_profile, torch_profile = result["profile_tiny"], result["profile_torch"]
    return (f"GPT training step (forward + loss + backward + AdamW), float32, same weights and batch; ms per step, "
            f"median (min-max) of {result['settings']['repeats']} interleaved repeats\n{steps}\n\n"
            f"Per phase (medians)\n{phase_table}\n\n"
            f"Where tiny's time goes ({tiny_profile['config']}, cProfile cumulative time, "
            f"{tiny_profile['profiled_step_seconds'] * 1e3:.0f} ms per profiled step)\n{_profile_table(tiny_profile)}\n\n"
            f"torch's top operators ({torch_profile['config']}, torch.profiler self CPU time, "
            f"{torch_profile['profiled_step_seconds'] * 1e3:.0f} ms per profiled step)\n{_profile_table(torch_profile)}\n\n"
            + (vision_steps_table(result) if "vision" in result else "") +
            f"Threads: {threads}\nLoad average (1 min): {result['machine']['load_average_1min']} at the start, "
            f"{result['machine']['load_average_1min_at_end']} at the end (2 cores)")


def vision_steps_table(result: dict) -> str:
    from perf import vision_steps
    return vision_steps.table(result["vision"]) + "\n\n"


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    configs = result["configs"]
    figure, axis = plt.subplots(figsize=(2.2 * len(configs) + 3, 4))
    for offset, side in ((-0.2, "tiny"), (0.2, "torch")):
        cells = [c["seconds_per_step"][side] for c in configs]
        medians = [cell["median"] * 1e3 for cell in cells]
        spread = [[m - cell["min"] * 1e3 for m, cell in zip(medians, cells)],
                  [cell["max"] * 1e3 - m for m, cell in zip(medians, cells)]]
        axis.bar([i + offset for i in range(len(configs))], medians, width=0.4, yerr=spread, capsize=3, label=side)
    for i, c in enumerate(configs):
        axis.annotate(f"{c['tiny_over_torch']:.2f}x", (i, c["seconds_per_step"]["tiny"]["median"] * 1e3),
                      ha="center", va="bottom", fontsize=8)
    axis.set_xticks(range(len(configs)), [c["config"] for c in configs])
    axis.set_yscale("log")
    axis.set_ylabel("ms per training step (median, min-max)")
    axis.set_title("GPT training step, tiny vs torch, same weights, 1 thread each", fontsize=9)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    """python -m perf.training [--quick] [--repeats N]: this report alone (python -m perf runs every report)."""
    import sys
    parser = argparse.ArgumentParser(prog="python -m perf.training")
    parser.add_argument("--quick", action="store_true", help="one small config, 2 repeats (seconds)")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    result = run(quick=args.quick, repeats=args.repeats, progress=lambda text: print(text, file=sys.stderr))
    print(tables(result))


if __name__ == "__main__":
    main()
