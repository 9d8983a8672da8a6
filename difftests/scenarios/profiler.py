"""Scenarios of the profiler area (torch-free); see difftests/scenarios/__init__.py. The trusted side is
difftests/test_profiler.py: hooks are gone after a model raises, the Profiler's table and Chrome trace, and
the per-Function FLOP breakdown. (FLOP and parameter counts themselves are pairs: difftests/pairs/profiler.py.)
"""
from __future__ import annotations

import numpy as np

from difftests.scenarios import raised, scenario


def _mlp(lib, sizes: list, dtype: str):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(lib.nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(lib.nn.ReLU())
    model = lib.nn.Sequential(*layers)
    model.to(getattr(lib, dtype))
    return model


@scenario("profiler.raising_model_leaves_no_hook")
def raising_model_leaves_no_hook(lib, x: np.ndarray, bad: np.ndarray, sizes: list) -> dict:
    """A model raises inside count_flops, a FlopCounter and a Profiler; afterwards neither keeps recording
    and a fresh count is exact."""
    model = _mlp(lib, sizes, str(x.dtype))
    seen = {}
    try:
        lib.profiler.count_flops(model, lib.tensor(bad), backward=True)
        seen["count_flops"] = "returned"
    except Exception as exc:  # noqa: BLE001
        seen["count_flops"] = raised(exc)
    counter, prof = lib.profiler.FlopCounter(), lib.profiler.Profiler()
    for name, context in (("counter", counter), ("profiler", prof)):
        try:
            with context:
                model(lib.tensor(x))           # recorded
                model(lib.tensor(bad))         # raises
            seen[name] = "returned"
        except Exception as exc:  # noqa: BLE001
            seen[name] = raised(exc)
    flops_after_failure, events_after_failure = counter.get_total_flops(), len(prof.events)
    out = model(lib.tensor(x))                # outside any profiler: must not be recorded anywhere
    out.sum().backward()
    return {**seen, "counter_before": flops_after_failure, "counter_after": counter.get_total_flops(),
            "events_before": events_after_failure, "events_after": len(prof.events),
            "fresh_count": lib.profiler.count_flops(model, lib.tensor(x), backward=True)}


@scenario("profiler.trace")
def trace(lib, x: np.ndarray, sizes: list) -> dict:
    """An MLP's forward + backward under a Profiler: the per-op rows, the table, the JSON and the Chrome trace."""
    model = _mlp(lib, sizes, str(x.dtype))
    with lib.profiler.Profiler() as prof:
        model(lib.tensor(x)).sum().backward()
    rows = [{"name": r.name, "forward_calls": r.forward_calls, "backward_calls": r.backward_calls,
             "forward_s": r.forward_s, "backward_s": r.backward_s, "flops": r.flops} for r in prof.key_averages()]
    return {"rows": rows, "table": prof.key_averages().table(sort_by="total", row_limit=10),
            "chrome": prof.chrome_trace(), "json": prof.as_dict(), "wall_s": prof.wall_s}


@scenario("profiler.flop_breakdown")
def flop_breakdown(lib, x: np.ndarray, sizes: list) -> dict:
    """FlopCounter's per-phase, per-Function counts of an MLP's forward + backward."""
    model = _mlp(lib, sizes, str(x.dtype))
    with lib.profiler.FlopCounter() as counter:
        model(lib.tensor(x)).sum().backward()
    return {"counts": counter.get_flop_counts(), "total": counter.get_total_flops()}
