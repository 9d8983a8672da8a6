"""Profiler report: one GPT training step (forward + loss, backward) seen by tiny.profiler and by torch's.

- FLOPs of the step: tiny.profiler.count_flops on tiny's GPT and FlopCounterMode (reference/profiler) on the
  twin — the two counts must be equal; parameters counted on both sides;
- achieved GFLOP/s = FLOPs / median step time, tiny and torch, and their ratio (same weights, same batch,
  interleaved repeats, one thread each);
- where the time goes: tiny's Profiler key_averages table and torch.profiler's key_averages table;
- memory of a tiny training step (AdamW): parameters, activations saved for backward, gradients, optimizer
  state, and the traced peak (tiny.profiler.measure_memory).
"""
from __future__ import annotations

import perf  # noqa: F401  (pins the thread pools before NumPy / torch load)

CONFIG = {"vocab_size": 65, "d_model": 64, "n_layer": 2, "n_head": 4, "context_length": 64, "batch": 8}
QUICK_CONFIG = {"vocab_size": 65, "d_model": 32, "n_layer": 1, "n_head": 2, "context_length": 32, "batch": 4}


def _sides(config: dict):
    import numpy as np
    import torch

    import tiny
    from reference.models.gpt import GPT as TorchGPT, GPTConfig as TorchGPTConfig
    from tiny.models import GPT, GPTConfig

    config = dict(config)
    batch = config.pop("batch")
    tiny.manual_seed(0)
    tiny_model = GPT(GPTConfig(**config))
    torch_model = TorchGPT(TorchGPTConfig(**config))
    torch_model.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in tiny_model.state_dict().items()})
    rng = np.random.default_rng(0)
    idx, targets = (rng.integers(0, config["vocab_size"], (batch, config["context_length"])) for _ in range(2))
    return (tiny_model, tiny.tensor(idx), tiny.tensor(targets)), (torch_model, torch.from_numpy(idx),
                                                                 torch.from_numpy(targets))


def _step(model, idx, targets) -> None:
    for p in model.parameters():
        p.grad = None
    _, loss = model(idx, targets)
    loss.backward()


def run(quick: bool = False, repeats: int | None = None, progress=print) -> dict:
    import torch

    import tiny
    from perf.accel import interleaved
    from perf.common import pin_threads
    from reference.profiler.flops import count_flops as torch_count_flops
    from reference.profiler.parameters import count_parameters as torch_count_parameters
    from tiny.profiler import Profiler, count_flops, count_parameters, measure_memory

    threads = pin_threads()
    config = QUICK_CONFIG if quick else CONFIG
    repeats = repeats or (3 if quick else 7)
    (tm, ti, tt), (pm, pi, pt) = _sides(config)
    progress("profiler: FLOPs and parameters")
    flops_tiny = count_flops(tm, ti, tt, backward=True, loss_fn=lambda out: out[1])
    flops_torch = torch_count_flops(pm, pi, pt, backward=True, loss_fn=lambda out: out[1])
    progress("profiler: step time")
    times = interleaved({"tiny": lambda _: _step(tm, ti, tt), "torch": lambda _: _step(pm, pi, pt)}, [], repeats, 1)
    progress("profiler: per-op tables")
    steps = 2 if quick else 5  # the tables sum this many steps
    with Profiler() as prof:
        for _ in range(steps):
            _step(tm, ti, tt)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as torch_prof:
        for _ in range(steps):
            _step(pm, pi, pt)
    optimizer = tiny.optim.AdamW(tm.parameters(), lr=1e-3)

    def train_step():
        _step(tm, ti, tt)
        optimizer.step()
    train_step()  # AdamW allocates its state on the first step
    memory = measure_memory(train_step, model=tm, optimizer=optimizer)
    gflops = {side: flops_tiny / times[side]["median"] / 1e9 for side in times}
    return {"quick": quick, "config": config, "threads": threads, "repeats": repeats, "profiled_steps": steps,
            "flops": {"tiny": flops_tiny, "torch": flops_torch, "equal": flops_tiny == flops_torch},
            "parameters": {"tiny": count_parameters(tm), "torch": torch_count_parameters(pm)},
            "step_seconds": times, "gflops": gflops, "tiny_over_torch": times["tiny"]["median"] / times["torch"]["median"],
            "tiny_ops": [{"name": r.name, "forward_s": r.forward_s, "backward_s": r.backward_s,
                          "calls": r.calls, "flops": r.flops} for r in prof.key_averages()],
            "tiny_table": prof.key_averages().table(sort_by="total", row_limit=12),
            "torch_table": torch_prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12),
            "memory": memory.as_dict()}


def tables(result: dict) -> str:
    c, f, t = result["config"], result["flops"], result["step_seconds"]
    m = result["memory"]
    lines = [
        f"GPT training step (forward + loss + backward), d_model {c['d_model']}, {c['n_layer']} layers, batch "
        f"{c['batch']} x {c['context_length']} tokens, 1 thread",
        f"FLOPs: tiny.profiler.count_flops {f['tiny']:,} | FlopCounterMode on the twin {f['torch']:,} | "
        f"{'EQUAL' if f['equal'] else 'DIFFERENT'}",
        f"parameters: tiny {result['parameters']['tiny']:,} | torch {result['parameters']['torch']:,}",
        f"step time ms, median (min-max) of {result['repeats']}: tiny {t['tiny']['median'] * 1e3:.2f} "
        f"({t['tiny']['min'] * 1e3:.2f}-{t['tiny']['max'] * 1e3:.2f}) | torch {t['torch']['median'] * 1e3:.2f} "
        f"({t['torch']['min'] * 1e3:.2f}-{t['torch']['max'] * 1e3:.2f}) | tiny/torch {result['tiny_over_torch']:.2f}",
        f"achieved GFLOP/s: tiny {result['gflops']['tiny']:.2f} | torch {result['gflops']['torch']:.2f}",
        f"tiny training-step memory (AdamW): parameters {m['parameter_bytes']:,} B, activations saved for backward "
        f"{m['activation_bytes']:,} B, gradients {m['gradient_bytes']:,} B, optimizer state "
        f"{m['optimizer_state_bytes']:,} B, traced peak {m['peak_bytes']:,} B",
        "", f"tiny.profiler.Profiler key_averages ({result['profiled_steps']} steps):", result["tiny_table"],
        "", f"torch.profiler key_averages ({result['profiled_steps']} steps, self CPU):", result["torch_table"]]
    return "\n".join(lines)


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ops = sorted(result["tiny_ops"], key=lambda r: -(r["forward_s"] + r["backward_s"]))[:10]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [3, 1]})
    names = [r["name"].replace("Function", "") for r in ops]
    left.barh(names[::-1], [r["forward_s"] * 1e3 for r in ops][::-1], label="forward")
    left.barh(names[::-1], [r["backward_s"] * 1e3 for r in ops][::-1],
              left=[r["forward_s"] * 1e3 for r in ops][::-1], label="backward")
    left.set_xlabel(f"ms in {result['profiled_steps']} training steps (tiny.profiler)")
    left.legend(fontsize=7)
    left.tick_params(labelsize=7)
    sides = ["tiny", "torch"]
    right.bar(sides, [result["gflops"][s] for s in sides], color=["tab:blue", "tab:orange"])
    right.set_ylabel("GFLOP/s (FLOPs / median step)")
    right.set_title(f"tiny/torch time {result['tiny_over_torch']:.2f}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
