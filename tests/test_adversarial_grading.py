"""Grading that cannot be gamed from plain code: error parity wants the class torch raises (a chimera
inheriting every builtin error class fails), and memorized answers on the fixed cases fail a grading run
(fresh property seed); `--seed S` reproduces a run exactly."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from tests.student_kit import student_package

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADVERSARIAL = os.path.join(ROOT, "tests", "adversarial")


def run(*args: str, tmp_path, name: str = "report.json") -> tuple[int, dict, str]:
    report = tmp_path / name
    proc = subprocess.run([sys.executable, "-m", "difftests", *args, "-n", "0", "--json", str(report)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    return proc.returncode, json.loads(report.read_text()) if report.exists() else {}, proc.stdout + proc.stderr


def test_a_chimera_error_class_does_not_pass_error_parity(tmp_path):
    impl = student_package(tmp_path, os.path.join(ADVERSARIAL, "chimera_error.py"))
    code, report, out = run("--impl", impl, "--pair", "reshape", "--pair", "cat", tmp_path=tmp_path)
    assert code == 1, out
    pairs = {p["pair"]: p for p in report["pairs"]}
    for name in ("reshape", "cat"):
        assert pairs[name]["status"] == "failed", out
        kinds = {f["group"] for f in pairs[name]["failures"]}
        assert kinds == {"error parity"}, (name, kinds)
        assert "Chimera" in pairs[name]["failures"][0]["message"]


RECORDER = '''
import os, numpy as np, tiny
from tiny import *  # noqa
_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seen")
os.makedirs(_out, exist_ok=True)
class _T(tiny.Tensor):
    def exp(self):
        np.save(os.path.join(_out, f"{len(os.listdir(_out)):06d}.npy"), self.data)
        return tiny.Tensor.exp(self)
def tensor(data, dtype=None, requires_grad=False):
    return _T(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)
'''


def _build_table(tmp_path) -> str:
    """The attacker's step: record every exp input of a fixed-seed run, store the right answers."""
    recorder = tmp_path / "recorder.py"
    recorder.write_text(RECORDER)
    code, _, out = run("--impl", str(recorder), "--no-isolate", "--pair", "exp", "--seed", "fixed",
                       tmp_path=tmp_path, name="recorded.json")
    assert code == 0, out
    from tests.adversarial.lookup_table import key
    seen = [np.load(tmp_path / "seen" / f) for f in sorted(os.listdir(tmp_path / "seen"))]
    impl_dir = student_package(tmp_path, os.path.join(ADVERSARIAL, "lookup_table.py"), "attacker")
    with np.errstate(over="ignore"):
        answers = {f"v{i}": np.exp(a) for i, a in enumerate(seen)}
    np.savez(os.path.join(impl_dir, "exp_table.npz"), keys=np.array([key(a) for a in seen]), **answers)
    return impl_dir


def test_a_lookup_table_of_the_fixed_cases_fails_a_grading_run(tmp_path):
    impl = _build_table(tmp_path)
    # The threat is real: the public, fixed edge cases are answered from the table...
    code, report, out = run("--impl", impl, "--pair", "exp", "--seed", "fixed", tmp_path=tmp_path, name="fixed.json")
    edge = [s for s in report["summaries"] if s["kind"] == "edge cases"]
    assert edge and all(s["status"] == "passed" for s in edge), out
    # ...but a grading run draws fresh property inputs (recorded in the report) and it fails.
    gradescope = tmp_path / "results.json"
    code, report, out = run("--impl", impl, "--pair", "exp", "--gradescope", str(gradescope), tmp_path=tmp_path,
                            name="graded.json")
    assert code == 1, out
    assert report["seed"] not in (None, "fixed") and f"--seed {report['seed']}" in out
    exp = {p["pair"]: p for p in report["pairs"]}["exp"]
    assert exp["status"] == "failed" and exp["failures"][0]["group"] == "forward values"
    assert json.loads(gradescope.read_text())["score"] < 10
    # The same seed reproduces the run exactly.
    code2, again, _ = run("--impl", impl, "--pair", "exp", "--seed", report["seed"], tmp_path=tmp_path,
                          name="again.json")
    assert code2 == 1 and again["pairs"] == report["pairs"]


def test_the_report_is_identical_for_a_seed_with_and_without_xdist(tmp_path):
    outputs = []
    for workers in ("0", "2"):
        report = tmp_path / f"r{workers}.json"
        proc = subprocess.run([sys.executable, "-m", "difftests", "--pair", "sum", "--pair", "cat", "--pair", "mean",
                               "--seed", "12345", "-n", workers, "--json", str(report)],
                              cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outputs.append((proc.stdout, report.read_bytes()))
    assert outputs[0] == outputs[1]
