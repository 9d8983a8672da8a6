"""tiny.profiler beyond the count pairs (difftests/pairs/profiler.py): no hook survives a model that raises,
the Profiler's table / JSON / Chrome trace (the Trace Event Format: chrome://tracing and Perfetto load it),
and FlopCounter's per-Function breakdown against FlopCounterMode's per-op one. The implementation runs as
scenarios (difftests/scenarios/profiler.py); torch runs here."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from reference.profiler.flops import flop_counter

pytestmark = pytest.mark.area_profiler

SIZES = [12, 16, 16, 5]


def torch_mlp(sizes: list) -> torch.nn.Sequential:
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out, dtype=torch.float64))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_flops(x: np.ndarray, backward: bool) -> dict:
    model = torch_mlp(SIZES)
    with flop_counter() as counter:
        out = model(torch.from_numpy(x))
        if backward:
            out.sum().backward()
    return {str(op).split(".")[-1]: n for op, n in counter.get_flop_counts()["Global"].items()}


def test_a_raising_model_leaves_no_hook_behind(observe):
    x, bad = np.ones((4, SIZES[0])), np.ones((4, SIZES[0] + 1))
    got = observe("profiler.raising_model_leaves_no_hook", x=x, bad=bad, sizes=SIZES)
    for name in ("count_flops", "counter", "profiler"):
        assert isinstance(got[name], dict) and got[name]["__raised__"][0] == "RuntimeError", (name, got[name])
    assert got["counter_after"] == got["counter_before"] > 0, "a FlopCounter kept counting after its block raised"
    assert got["events_after"] == got["events_before"] > 0, "a Profiler kept recording after its block raised"
    assert got["fresh_count"] == sum(torch_flops(x, backward=True).values())


def test_flop_breakdown_matches_flop_counter_modes_per_op_counts(observe):
    x = np.random.default_rng(0).standard_normal((8, SIZES[0]))
    got = observe("profiler.flop_breakdown", x=x, sizes=SIZES)
    want = torch_flops(x, backward=True)           # {"addmm": forward, "mm": backward}
    assert got["counts"]["forward"] == {"LinearFunction": want["addmm"]}
    assert got["counts"]["backward"] == {"LinearFunction": want["mm"]}
    assert got["total"] == want["addmm"] + want["mm"]


@pytest.fixture(scope="module")
def traced(executor):
    x = np.random.default_rng(1).standard_normal((8, SIZES[0]))
    got = executor.run_scenario("profiler.trace", area="profiler", x=x, sizes=SIZES)
    assert "__raised__" not in got and "__not_implemented__" not in got, got
    return got


def test_key_averages_count_every_call(traced):
    rows = {r["name"]: r for r in traced["rows"]}
    layers = len(SIZES) - 1
    assert rows["LinearFunction"]["forward_calls"] == rows["LinearFunction"]["backward_calls"] == layers
    assert rows["LinearFunction"]["flops"] == sum(torch_flops(np.ones((8, SIZES[0])), backward=True).values())
    for row in rows.values():
        assert row["forward_s"] >= 0 and row["backward_s"] >= 0
    assert sum(r["forward_s"] + r["backward_s"] for r in rows.values()) <= traced["wall_s"]


def test_table_is_sorted_by_total_time_and_lists_every_op(traced):
    lines = traced["table"].splitlines()
    header = next(line for line in lines if line.startswith("Name"))
    for column in ("Total %", "Fwd total", "# Fwd", "Bwd total", "# Bwd", "FLOPs"):
        assert column in header
    names = [row["name"] for row in sorted(traced["rows"], key=lambda r: -(r["forward_s"] + r["backward_s"]))]
    listed = [line.split()[0] for line in lines if line.split() and line.split()[0] in names]
    assert listed == names


def test_chrome_trace_follows_the_trace_event_format(traced):
    trace = json.loads(json.dumps(traced["chrome"]))   # it is plain JSON
    assert set(trace) >= {"traceEvents"}
    events = trace["traceEvents"]
    assert events and len(events) == len(traced["json"]["events"])
    for event in events:
        assert event["ph"] == "X", event                  # a complete event: start + duration
        assert isinstance(event["name"], str) and event["name"]
        assert event["cat"] in ("forward", "backward")
        assert isinstance(event["ts"], (int, float)) and event["ts"] >= 0      # microseconds
        assert isinstance(event["dur"], (int, float)) and event["dur"] >= 0
        assert isinstance(event["pid"], int) and isinstance(event["tid"], int)
        assert isinstance(event.get("args", {}), dict)
    assert max(e["ts"] + e["dur"] for e in events) <= traced["wall_s"] * 1e6 + 1   # µs, inside the block
    forward = [e for e in events if e["cat"] == "forward" and e["name"] == "LinearFunction"]
    backward = [e for e in events if e["cat"] == "backward" and e["name"] == "LinearFunction"]
    assert len(forward) == len(backward) == len(SIZES) - 1
    assert max(e["ts"] for e in forward) < min(e["ts"] for e in backward)   # the backward runs after the forward
