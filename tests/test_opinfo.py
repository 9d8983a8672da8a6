"""torch's own OpInfo samples through tiny's public Tensor API (tools/opinfo_sweep.py): at least 99 % agree,
and the call forms of docs/api_signatures.md (tools/signature_sweep.py) all match torch or raise like it."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import tiny

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_opinfo_samples_agree_with_torch():
    pytest.importorskip("expecttest", reason="torch.testing._internal needs expecttest (constraints.txt)")
    sweep = _tool("opinfo_sweep")
    agreed, total = sweep.sweep(tiny, [sweep.torch.float64, sweep.torch.float32], set(), verbose=False)
    assert total > 900 and agreed >= 0.99 * total, f"OpInfo samples agreeing: {agreed}/{total}"


def test_every_listed_call_form_matches_torch():
    rows = _tool("signature_sweep").sweep(tiny)
    bad = [row for row in rows if row[2].startswith(("differs", "returns;", "not supported"))]
    assert not bad, "\n".join(" | ".join(row) for row in bad)
