"""Student code must not be able to crash, hang or fool the runner: adversarial implementations."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from student_kit import project_copy, student_package

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
    assert code == 3 and report["complete"] is False, out  # TAMPERING: the whole run is untrustworthy
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


# ----- the strict wire ------------------------------------------------------------------------------
def _frame(header: bytes, blobs: tuple = ()) -> bytes:
    import struct
    parts = [struct.pack("<Q", len(header)), header, struct.pack("<Q", len(blobs))]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    return b"".join(parts)


def test_a_deeply_nested_reply_is_refused_before_parsing():
    from difftests import wire

    with pytest.raises(wire.WireError, match="nested 100000 deep"):
        wire.decode(_frame(b"[" * 100_000 + b"]" * 100_000))
    assert wire.decode(_frame(b'{"a": ["[[[[", {"b": []}]}')) == {"a": ["[[[[", {"b": []}]}


def test_oversized_replies_and_lying_array_headers_are_refused():
    import io
    import struct

    import numpy as np

    from difftests import wire

    with pytest.raises(wire.WireError, match="too large"):
        wire.decode(struct.pack("<Q", wire.MAX_HEADER_BYTES + 1) + b"{}")
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros(2))
    header = np.lib.format.header_data_from_array_1_0(np.zeros(2))
    header["shape"] = (10 ** 10,)
    fake = io.BytesIO()
    np.lib.format.write_array_header_1_0(fake, header)
    with pytest.raises(wire.WireError, match="announces"):
        wire.decode(_frame(b'{"__array__": 0}', (fake.getvalue() + np.zeros(2).tobytes(),)))
    np.testing.assert_array_equal(wire.decode(_frame(b'{"__array__": 0}', (buf.getvalue(),))), np.zeros(2))


def test_a_short_gradient_list_is_a_failure_not_a_partial_check():
    import numpy as np

    from difftests.executor import outcome_from_reply

    reply = {"outputs": [np.ones(3)], "grads": [np.ones(3)], "param_grads": {}}
    assert "1 gradients for 2 inputs" in outcome_from_reply(reply, n_args=2).crashed
    assert outcome_from_reply({**reply, "grads": [np.ones(3), None]}, n_args=2).crashed is None


def test_worker_text_is_escaped_for_terminals_and_reports():
    from difftests.wire import clean_text

    text = clean_text("\x1b[2J\x1b[HPASSED\r\ud800\u202e" + "x" * 5000)
    assert "\x1b" not in text and "\r" not in text and "\ud800" not in text and "\u202e" not in text
    assert text.startswith("\\x1b[2J") and "more characters" in text
    text.encode("utf-8")  # printable and writable without errors


def test_worker_stderr_is_capped():
    from difftests.executor import StderrTail

    read, write = os.pipe()
    tail = StderrTail(cap=1 << 16)
    tail.follow(os.fdopen(read, "rb"))
    for _ in range(64):
        os.write(write, b"y" * (1 << 16))
    os.close(write)
    tail.stop()
    assert len(tail.data) == 1 << 16 and tail.dropped == 63 * (1 << 16)
