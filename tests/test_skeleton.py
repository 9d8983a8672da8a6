"""Starter skeletons: stripped regions report "not implemented", filling one back turns its pairs green."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from difftests.skeleton import BEGIN, END, REGION, find_regions, make_skeleton, strip_regions, stub_package

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(impl: str, pairs: list[str], tmp_path) -> dict:
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "difftests", "--impl", impl, "-n", "0", "--json", str(report)]
    for p in pairs:
        cmd += ["--pair", p]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert report.exists(), proc.stdout + proc.stderr
    return json.loads(report.read_text())


def test_stripping_keeps_signatures_and_counts_regions():
    source = "def f(x):\n    \"\"\"doc\"\"\"\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n"
    new, count = strip_regions(source, "f.py")
    assert count == 1 and "def f(x):" in new and '"""doc"""' in new and "return x" not in new
    assert "raise NotImplementedError" in new and BEGIN in new and END in new


def test_every_marked_region_in_tiny_is_balanced():
    for folder, _, files in os.walk(os.path.join(ROOT, "tiny")):
        for name in files:
            if name.endswith(".py"):
                source = open(os.path.join(folder, name)).read()
                assert source.count(BEGIN) == source.count(END) == len(REGION.findall(source)), name


def fill(package, ids: set[str]) -> None:
    """Put the solution of the regions `ids` back into the stubbed package (in place)."""
    solution = {r.id: r.body for r in find_regions()}
    stub_package(str(package), lambda region, pad: f"{pad}{BEGIN} {region.id}\n{solution[region.id]}{pad}{END}\n"
                 if region.id in ids else None)


def test_skeleton_round_trip(tmp_path):
    tasks = make_skeleton(str(tmp_path / "student"), ["tensor"])
    assert tasks["tiny/ops/arithmetic.py"] >= 12
    impl = str(tmp_path / "student" / "tiny")
    pairs = ["add", "fn_add", "sub", "exp"]
    report = run(impl, pairs, tmp_path)
    assert {p["pair"]: p["status"] for p in report["pairs"]} == {p: "not_implemented" for p in pairs}
    assert not report["errors"]

    # Fill Add's regions back in from tiny, with the engine they need: exactly the pairs of `+` turn green.
    fill(impl, {"Add.forward", "Add.backward", "topological_order", "run_backward"})
    report = run(impl, pairs, tmp_path)
    assert {p["pair"]: p["status"] for p in report["pairs"]} == {
        "add": "passed", "fn_add": "passed", "sub": "not_implemented", "exp": "not_implemented"}


def test_a_fresh_full_skeleton_is_not_implemented_and_never_failed(tmp_path):
    """Every area stripped: each affected pair or behaviour test is "not implemented"; nothing fails or
    crashes (a NotImplementedError inside an observed call is not taken for a wrong error)."""
    make_skeleton(str(tmp_path / "student"))
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "difftests", "--impl", str(tmp_path / "student" / "tiny"), "-n", "0",
           "--json", str(report), "--area", "tensor", "--area", "autograd", "--area", "losses",
           "--area", "training"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    data = json.loads(report.read_text())
    statuses = [p["status"] for p in data["pairs"]] + [t["status"] for t in data["tests"]]
    assert "failed" not in statuses, proc.stdout
    assert statuses.count("not_implemented") > 100 and not data["errors"]
    autograd = {t["test"]: t["status"] for t in data["tests"] if t["area"] == "autograd"}
    assert set(autograd.values()) == {"not_implemented"}
