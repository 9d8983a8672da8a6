"""Student code must not be able to crash, hang or fool the runner: adversarial implementations."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from student_kit import student_package

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADVERSARIAL = os.path.join(ROOT, "tests", "adversarial")


def run(impl: str, pairs: list[str], tmp_path, *extra: str, root: str = ROOT) -> tuple[int, dict, str]:
    report = tmp_path / "report.json"
    args = [sys.executable, "-m", "difftests", "--impl", impl, "-n", "0", "--json", str(report), *extra]
    for name in pairs:
        args += ["--pair", name]
    env = {**os.environ, "PYTHONPATH": root}
    proc = subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=900, env=env)
    return proc.returncode, (json.loads(report.read_text()) if report.exists() else {}), proc.stdout + proc.stderr


def adversary(tmp_path, name: str) -> str:
    """tests/adversarial/NAME.py as a self-contained submission (its own copy of tiny)."""
    return student_package(tmp_path, os.path.join(ADVERSARIAL, name))


def statuses(report: dict) -> dict[str, str]:
    return {p["pair"]: p["status"] for p in report.get("pairs", [])}


def test_patching_numpy_comparisons_does_not_forge_a_pass(tmp_path):
    code, report, out = run(adversary(tmp_path, "patches_numpy.py"), ["add", "mul"], tmp_path)
    assert code == 1, out
    assert statuses(report) == {"add": "failed", "mul": "passed"}, out


def test_lying_array_subclasses_are_rejected(tmp_path):
    code, report, out = run(adversary(tmp_path, "lying_arrays.py"), ["exp", "tanh"], tmp_path)
    assert code == 1, out
    assert statuses(report) == {"exp": "failed", "tanh": "passed"}, out
    assert "plain np.ndarray" in out


def test_torch_cannot_be_imported_by_the_implementation(tmp_path):
    code, report, out = run(adversary(tmp_path, "imports_torch.py"), ["exp"], tmp_path)
    assert code == 1, out
    assert statuses(report) == {"exp": "failed"}, out
    assert "cannot be imported by the implementation" in out


def project_copy(tmp_path) -> str:
    """A copy of the trusted tree to attack (never the real checkout)."""
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", ".venv", ".git", "*.egg-info", ".hypothesis")
    for name in ("tiny", "reference", "difftests"):
        shutil.copytree(os.path.join(ROOT, name), copy / name, ignore=ignore)
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(os.path.join(ROOT, name), copy / name)
    return str(copy)


def test_the_sandbox_cannot_rewrite_the_reference(tmp_path):
    copy = project_copy(tmp_path)
    target = os.path.join(copy, "reference", "ops", "arithmetic.py")
    before = open(target).read()
    code, report, out = run(adversary(tmp_path, "rewrites_reference.py"), ["add"], tmp_path, root=copy)
    assert open(target).read() == before  # invisible and read-only in the sandbox
    assert code == 1, out
    assert statuses(report) == {"add": "failed"}, out


def test_rewriting_the_reference_on_disk_is_detected_without_the_sandbox(tmp_path):
    """--unsafe-same-user: the adversary really rewrites reference/ops/arithmetic.py; the hashes catch it."""
    copy = project_copy(tmp_path)
    code, report, out = run(adversary(tmp_path, "rewrites_reference.py"), ["add"], tmp_path,
                            "--unsafe-same-user", root=copy)
    assert "return a - b" in open(os.path.join(copy, "reference", "ops", "arithmetic.py")).read()  # it did write
    assert code == 1, out
    assert statuses(report) == {"add": "failed"}, out  # the preloaded reference still adds
    assert "TAMPERING" in out and "reference/ops/arithmetic.py" in out


def test_crashes_hangs_and_memory_blowups_fail_only_their_own_ops(tmp_path):
    victims = ["exp", "log", "sqrt", "abs", "tanh", "sigmoid"]
    code, report, out = run(adversary(tmp_path, "misbehaves.py"), victims + ["add", "fn_exp"], tmp_path,
                            "--case-timeout", "3")
    assert code == 1, out
    assert statuses(report) == {**{v: "failed" for v in victims}, "add": "passed", "fn_exp": "passed"}, out
    messages = {p["pair"]: " ".join(f["message"] for f in p["failures"]) for p in report["pairs"]}
    assert "no answer within 3 s" in messages["exp"]
    assert "died" in messages["log"] and "signal 11" in messages["tanh"]
    assert "SystemExit" in messages["sqrt"] and "KeyboardInterrupt" in messages["abs"]
    assert "MemoryError" in messages["sigmoid"] or "died" in messages["sigmoid"]


def test_the_worker_never_loads_torch():
    from difftests.cases import Case
    from difftests.executor import WorkerExecutor
    from difftests.registry import get

    import numpy as np

    executor = WorkerExecutor("tiny")
    try:
        outcome = executor.run_pair(get("add"), Case((np.ones(3), np.ones(3))), None)
        np.testing.assert_array_equal(outcome.outputs[0], np.full(3, 2.0))
        maps = executor.loaded_libraries()
        assert maps and "libtorch" not in maps and "libnumpy" not in maps or "libtorch" not in maps
    finally:
        executor.close()


@pytest.mark.parametrize("payload", [b"", b"\x05\x00\x00\x00\x00\x00\x00\x00abc", b"\xff" * 16])
def test_the_wire_format_rejects_garbage(payload):
    from difftests import wire

    with pytest.raises(wire.WireError):
        wire.decode(payload)


def test_the_wire_format_refuses_pickled_objects():
    import io

    import numpy as np

    from difftests import wire

    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([object()], dtype=object), allow_pickle=True)
    blob = buf.getvalue()
    header = json.dumps({"x": {"__array__": 0}}).encode()
    import struct
    message = struct.pack("<Q", len(header)) + header + struct.pack("<Q", 1) + struct.pack("<Q", len(blob)) + blob
    with pytest.raises(wire.WireError):
        wire.decode(message)
