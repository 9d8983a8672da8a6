"""Helpers shared by perf reports: thread pinning, timing, summaries, fresh-process probes, the machine."""
from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Callable

from perf import THREADS


def pin_threads(threads: int = THREADS, with_torch: bool = True) -> dict:
    """Pin NumPy's BLAS/OpenMP pools and torch's intra-op pool to `threads`; return the counts in force."""
    info = {}
    if with_torch:
        import torch
        torch.set_num_threads(threads)
        info["torch intra-op"] = torch.get_num_threads()
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:  # the environment variables set in perf/__init__.py still apply
        info["numpy_blas"] = os.environ.get("OPENBLAS_NUM_THREADS", "unknown")
        return info
    threadpool_limits(threads)
    for pool in threadpool_info():
        info[f"{pool['internal_api']} ({os.path.basename(pool['filepath'])})"] = pool["num_threads"]
    return info


def timed(fn: Callable[[], object]) -> float:
    """Seconds for one call of fn, with the garbage collector collected before and paused during."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def summary(samples: list[float]) -> dict:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "samples": samples}


def report_start(report: str, quick: bool, repeats: int | None, quick_settings: dict, full_settings: dict
                 ) -> tuple[dict, dict]:
    """A report's settings (quick or full, `repeats` overriding) and the head of its result: the report's
    name, quick, the machine, and the thread counts pinned here (pin_threads)."""
    settings = dict(quick_settings if quick else full_settings)
    if repeats is not None:
        settings["repeats"] = repeats
    threads = pin_threads()
    return settings, {"report": report, "quick": quick, "machine": machine(), "threads": threads}


STEP_PHASES = ("forward", "backward", "optimizer")


def timed_step(optimizer, forward: Callable[[], object]) -> dict:
    """One training step, timed per phase: optimizer.zero_grad() and loss = forward() ("forward"),
    loss.backward() ("backward"), optimizer.step() ("optimizer"); in seconds, plus the float "loss"."""
    start = time.perf_counter()
    optimizer.zero_grad()
    loss = forward()
    forward_end = time.perf_counter()
    loss.backward()
    backward_end = time.perf_counter()
    optimizer.step()
    end = time.perf_counter()
    return {"forward": forward_end - start, "backward": backward_end - forward_end, "optimizer": end - backward_end,
            "loss": float(loss.item())}


def interleaved_steps(sides: dict, step: Callable[[object], dict], repeats: int, steps: int
                      ) -> tuple[dict, dict, dict]:
    """Training steps of each side ({"tiny": side, "torch": side}), `step(side)` timing one (see timed_step):
    a warm-up step each, then `repeats` samples per side of `steps` steps, the order alternating each repeat.
    Returns (the warm-up step's phases per side, summary of the seconds per step per side, the median seconds
    of each phase per side)."""
    first = {name: step(side) for name, side in sides.items()}
    step_samples = {name: [] for name in sides}
    phase_samples = {name: {phase: [] for phase in STEP_PHASES} for name in sides}
    for repeat in range(repeats):
        for name in (list(sides) if repeat % 2 == 0 else list(reversed(list(sides)))):
            timings: list[dict] = []
            step_samples[name].append(timed(lambda: timings.extend(step(sides[name]) for _ in range(steps))) / steps)
            for phase in STEP_PHASES:
                phase_samples[name][phase].append(sum(t[phase] for t in timings) / steps)
    per_step = {name: summary(samples) for name, samples in step_samples.items()}
    medians = {name: {phase: statistics.median(v) for phase, v in samples.items()}
               for name, samples in phase_samples.items()}
    return first, per_step, medians


def probe(module: str, *args: str, timeout: float = 900) -> dict:
    """Run `python -m module args...` in a fresh process (same thread pinning); its last stdout line is JSON."""
    result = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
    if result.returncode != 0:
        raise RuntimeError(f"probe {module} {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def machine() -> dict:
    import numpy
    import torch
    return {"python": platform.python_version(), "numpy": numpy.__version__, "torch": torch.__version__,
            "cpu_count": os.cpu_count(), "platform": platform.platform(),
            "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}


def per_call_overhead() -> dict:
    """Microseconds per call of small ops on a (1, 64) float32 row, NumPy vs torch (no grad): the floor
    that dominates small-model decoding."""
    import numpy as np
    import torch
    row, weight = np.ones((1, 64), np.float32), np.ones((64, 192), np.float32)
    row_t, linear = torch.ones((1, 64)), torch.nn.Linear(64, 192).requires_grad_(False)
    calls = 20000

    def per_call(fn) -> float:
        best = min(timed(lambda: [fn() for _ in range(calls)]) for _ in range(3))
        return round(best / calls * 1e6, 3)

    return {"numpy add": per_call(lambda: np.add(row, row)), "torch add": per_call(lambda: torch.add(row_t, row_t)),
            "numpy (1,64)@(64,192)": per_call(lambda: row @ weight),
            "torch Linear(64,192) module": per_call(lambda: linear(row_t))}
