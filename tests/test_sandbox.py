"""Tamper-proof grading: one adversarial implementation per attack (tests/adversarial/), each run by the
real runner on a copy of the trusted tree, with the sandbox this machine offers (bubblewrap in CI).
Every test checks that every output is honest — exit status, the table, --json, --gradescope, JUnit —
and that the trusted tree and the venv are unchanged afterwards.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from student_kit import project_copy, student_package

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADVERSARIAL = os.path.join(ROOT, "tests", "adversarial")
SITE_PACKAGES = sysconfig.get_paths()["purelib"]
SECRET = "difftests-test-secret-5f1c"
FAST = ("-k", "test_edge_cases and float64")  # one test of the pair: each attack run stays short


@dataclass
class Run:
    code: int
    out: str
    report: dict
    gradescope: dict
    junit: str
    paths: dict


def site_packages_state() -> set[str]:
    return set(os.listdir(SITE_PACKAGES))


def armed(tmp_path, attack: str, copy: str) -> tuple[str, dict]:
    """tests/adversarial/ATTACK.py as a submission (vendoring its own tiny) that knows its targets: the
    project copy, the venv and the runner's output paths (tmp_path/out/...). Returns (impl, paths)."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    paths = {"json": str(out_dir / "report.json"), "gradescope": str(out_dir / "results.json"),
             "junit": str(out_dir / "junit.xml")}
    impl = student_package(tmp_path, os.path.join(ADVERSARIAL, attack + ".py"))
    with open(os.path.join(impl, "targets.json"), "w") as f:
        json.dump({"root": copy, "site_packages": SITE_PACKAGES, "outputs": list(paths.values())}, f)
    return impl, paths


def start(tmp_path, attack: str, *extra: str, pairs=("exp",)) -> tuple[subprocess.Popen, str, dict]:
    """The runner on a project copy against tests/adversarial/ATTACK.py (vendoring its own tiny)."""
    copy = project_copy(tmp_path)
    impl, paths = armed(tmp_path, attack, copy)
    args = [sys.executable, "-m", "difftests", "--impl", impl, "-n", "0", "--case-timeout", "10", *FAST,
            "--json", paths["json"], "--gradescope", paths["gradescope"], "--junit", paths["junit"], *extra]
    for name in pairs:
        args += ["--pair", name]
    runner_tmp = tmp_path / "runner-tmp"  # the runner's temp dirs: all removed when it ends
    runner_tmp.mkdir()
    env = {**os.environ, "PYTHONPATH": copy, "DIFFTESTS_TEST_SECRET": SECRET, "TMPDIR": str(runner_tmp)}
    proc = subprocess.Popen(args, cwd=copy, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc, copy, paths


def finish(proc: subprocess.Popen, paths: dict, timeout: float = 600) -> Run:
    out = proc.communicate(timeout=timeout)[0].decode("utf-8", "replace")

    def load(path: str):
        return json.load(open(path)) if os.path.exists(path) else {}
    junit = open(paths["junit"]).read() if os.path.exists(paths["junit"]) else ""
    return Run(proc.returncode, out, load(paths["json"]), load(paths["gradescope"]), junit, paths)


def attack_run(tmp_path, attack: str, *extra: str, pairs=("exp",)) -> tuple[Run, str]:
    from difftests.integrity import snapshot

    site_before = site_packages_state()
    proc, copy, paths = start(tmp_path, attack, *extra, pairs=pairs)
    # the copy is made by start(); hash it the way the runner does, from a fresh copy of the originals
    before = snapshot(project_copy(tmp_path / "pristine"))
    run = finish(proc, paths)
    assert not os.listdir(tmp_path / "runner-tmp"), "the runner left temp files behind"
    assert snapshot(copy) == before, "the trusted tree changed"
    planted = [folder for folder, dirs, _ in os.walk(copy) if "__pycache__" in dirs]
    assert not planted, f"bytecode appeared beside trusted sources: {planted}"
    assert site_packages_state() == site_before, "the venv changed"
    return run, copy


def assert_honest(run: Run, failed: str = "exp") -> None:
    """Nothing claims a pass: exit status, table, --json, --gradescope, JUnit."""
    assert run.code in (1, 2, 3), run.out  # failed, cannot be loaded (scored 0), incomplete
    last = [line for line in run.out.splitlines() if line.strip()][-1]
    assert not last.startswith("PASSED"), run.out
    assert run.report and not run.report["passed"], run.out
    statuses = {p["pair"]: p["status"] for p in run.report["pairs"]}
    assert statuses.get(failed, "failed") != "passed", run.out
    assert run.gradescope and run.gradescope["score"] == 0, run.gradescope
    assert "<failure" in run.junit, run.junit[:500]
    for text in (run.out, json.dumps(run.report), json.dumps(run.gradescope)):
        assert "\x1b" not in text and SECRET not in text


ATTACKS = ["plants_conftest_hook", "plants_bytecode", "plants_site_packages", "edits_and_restores",
           "reads_parent", "removes_import_hook", "forges_and_kills", "interrupts_runner", "surrogate_message",
           "ansi_message", "floods_stderr", "huge_reply", "deep_reply"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_from_student_code_leaves_every_output_honest(tmp_path, attack):
    run, _ = attack_run(tmp_path, attack)
    assert_honest(run)
    assert run.report["complete"], run.out  # the sandbox held: the run itself was not disturbed
    assert "GOT" not in run.out and "zz_difftests_adversary" not in run.out


def test_the_parent_is_invisible_from_the_sandbox(tmp_path):
    run, _ = attack_run(tmp_path, "reads_parent")
    assert "LOOT" in run.out  # the attack ran and reported what it could read
    assert run.paths["json"] not in json.dumps(run.report["pairs"]), "the runner's command line leaked"


def test_a_daemon_cannot_rewrite_the_outputs_after_the_run(tmp_path):
    run, _ = attack_run(tmp_path, "leaves_daemon")
    assert_honest(run)
    time.sleep(3)  # the daemon (if it survived) would rewrite the files every 0.2 s
    assert finish_again(run) == (run.report, run.gradescope)


def finish_again(run: Run) -> tuple[dict, dict]:
    return json.load(open(run.paths["json"])), json.load(open(run.paths["gradescope"]))


def test_sigstop_from_student_code_cannot_freeze_the_runner(tmp_path):
    started = time.monotonic()
    run, _ = attack_run(tmp_path, "stops_runner")
    assert_honest(run)
    assert time.monotonic() - started < 300


def test_the_solution_package_cannot_be_imported(tmp_path):
    """A two-line submission `from tiny import *` scores 0 with a clear message."""
    impl = os.path.join(ADVERSARIAL, "imports_solution.py")
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "difftests", "--impl", impl, "-n", "0", "--pair", "exp",
                           "--gradescope", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot import the solution package 'tiny'" in proc.stdout + proc.stderr
    results = json.loads(out.read_text())
    assert results["score"] == 0 and "cannot import the solution package" in results["output"]


def test_sigint_to_the_runner_makes_every_output_incomplete(tmp_path):
    """A signal from outside (or from same-user code without the sandbox): nothing says passed."""
    proc, copy, paths = start(tmp_path, "misbehaves", "--case-timeout", "120")  # its exp hangs
    seen: set[int] = set()
    deadline = time.monotonic() + 300
    while len(seen) < 2 and time.monotonic() < deadline and proc.poll() is None:
        seen |= {pid for pid in worker_children(proc.pid)}
        time.sleep(0.3)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    run = finish(proc, paths)
    assert run.code == 3, run.out
    assert run.report["complete"] is False and "SIGINT" in " ".join(run.report["incomplete_reasons"])
    assert run.gradescope["score"] == 0 and "incomplete" in run.gradescope["tests"][-1]["name"]
    assert "run_complete" in run.junit and "INCOMPLETE" in run.out


def worker_children(pid: int) -> set[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return set()
    found = set()
    for child in children:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if b"difftests.worker" in f.read():
                    found.add(child)
        except OSError:
            pass
    return found


# ----- the dedicated-uid fallback (root without bubblewrap) -----------------------------------------
def _blocked_directories() -> list[str]:
    """Every directory on the way to the interpreter, the venv and the checkout that other users cannot
    enter (pyenv under /root is 0700; so is a checkout cloned into `mktemp -d`)."""
    from difftests.sandbox import PROJECT_ROOT

    blocked: list[str] = []
    for target in (os.path.realpath(sys.executable), sys.prefix, sys.base_prefix, PROJECT_ROOT):
        parts = target.strip(os.sep).split(os.sep)
        for depth in range(1, len(parts) + (0 if os.path.isfile(target) else 1)):
            path = os.sep + os.path.join(*parts[:depth])
            if not os.stat(path).st_mode & 0o001 and path not in blocked:
                blocked.append(path)
    return blocked


def uid_mode_runner(args: list[str]) -> list[str]:
    """The command that runs the runner with DIFFTESTS_SANDBOX=uid. When the interpreter or the checkout
    sits in a directory other users cannot enter, the runner itself runs in a mount namespace (bubblewrap,
    all capabilities kept) where each such directory is a traversable tmpfs with its entries bound back:
    the layout a Debian or Gradescope image has anyway."""
    from difftests.sandbox import bwrap_works

    if os.geteuid() != 0:
        pytest.skip("the uid fallback needs root")
    blocked = _blocked_directories()
    if not blocked:
        return args
    if not bwrap_works():
        pytest.skip(f"{', '.join(blocked)} not readable by other users, and no bubblewrap to emulate a "
                    "world-readable install")
    mounts: list[str] = []
    for folder in sorted(blocked, key=lambda d: d.count(os.sep)):
        mounts += ["--perms", "0755", "--tmpfs", folder]
        for entry in os.listdir(folder):
            mounts += ["--bind", os.path.join(folder, entry), os.path.join(folder, entry)]
    return ["bwrap", "--dev-bind", "/", "/", *mounts, "--cap-add", "ALL", "--", *args]


@pytest.fixture
def world_readable_dir():
    """A directory other users can read (pytest's own temp tree is 0700 and pytest re-tightens it)."""
    import tempfile

    folder = tempfile.mkdtemp(prefix="difftests-uid-test-")
    os.chmod(folder, 0o755)
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("attack", ["forges_and_kills", "leaves_daemon", "reads_parent"])
def test_the_uid_fallback_keeps_every_output_honest(world_readable_dir, attack):
    from difftests.integrity import snapshot

    base = world_readable_dir
    site_before = site_packages_state()
    copy = project_copy(base)
    impl, paths = armed(base, attack, copy)
    for folder, dirs, files in os.walk(base):
        for name in dirs + files:
            os.chmod(os.path.join(folder, name), 0o755 if name in dirs else 0o644)
    before = snapshot(copy)
    args = uid_mode_runner([sys.executable, "-m", "difftests", "--impl", impl, "-n", "0", "--pair", "exp",
                            "--case-timeout", "10", *FAST, "--json", paths["json"], "--gradescope", paths["gradescope"],
                            "--junit", paths["junit"]])
    env = {**os.environ, "PYTHONPATH": copy, "DIFFTESTS_SANDBOX": "uid", "DIFFTESTS_TEST_SECRET": SECRET}
    proc = subprocess.Popen(args, cwd=copy, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    run = finish(proc, paths)
    assert "dedicated-uid" not in run.out, run.out  # the fallback was available and used
    assert_honest(run)
    assert run.report["complete"], run.out
    assert snapshot(copy) == before and site_packages_state() == site_before
    time.sleep(3)  # a surviving daemon would rewrite the outputs every 0.2 s
    assert finish_again(run) == (run.report, run.gradescope)


# ----- choosing a sandbox ----------------------------------------------------------------------------
def test_no_sandbox_is_refused_unless_unsafe_same_user_is_given(monkeypatch):
    from difftests import sandbox

    monkeypatch.setattr(sandbox, "bwrap_works", lambda: False)
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 1000)
    monkeypatch.delenv("DIFFTESTS_SANDBOX", raising=False)
    with pytest.raises(sandbox.SandboxUnavailable, match="--unsafe-same-user"):
        sandbox.choose_mode()
    assert sandbox.choose_mode(unsafe_same_user=True) == "unsafe"


def test_only_this_checkouts_tiny_runs_in_process(tmp_path):
    from difftests.executor import is_trusted

    other = tmp_path / "elsewhere" / "tiny"
    shutil.copytree(os.path.join(ROOT, "tiny"), other, ignore=shutil.ignore_patterns("__pycache__"))
    assert is_trusted("tiny") and is_trusted(os.path.join(ROOT, "tiny"))
    assert not is_trusted(str(other)) and not is_trusted(os.path.join(ADVERSARIAL, "imports_solution.py"))


def test_the_sandbox_view_hides_the_solution_torch_and_the_outputs():
    from difftests.sandbox import Sandbox, bwrap_works

    if not bwrap_works():
        pytest.skip("bubblewrap is not available here")
    command = Sandbox("bwrap", os.path.join(ADVERSARIAL, "imports_solution.py")).command(["true"])
    bound = {command[i + 2] for i, a in enumerate(command) if a == "--ro-bind"}
    assert os.path.join(ROOT, "tiny") not in bound and os.path.join(ROOT, "reference") not in bound
    assert ROOT not in bound and "/" not in bound and os.path.join(ROOT, "difftests") in bound
    assert "--unshare-net" in command and "--unshare-pid" in command and "--die-with-parent" in command



def test_the_worker_side_of_difftests_never_imports_the_solution_torch_or_the_reference():
    """What the sandboxed worker loads (pairs, scenarios and their helpers) names tiny only in strings."""
    import ast

    from difftests.worker import ALLOWED_DIFFTESTS

    files = []
    for name in ALLOWED_DIFFTESTS[1:]:  # [0] is the (namespace) package itself
        path = os.path.join(ROOT, *name.split("."))
        files += ([os.path.join(path, f) for f in os.listdir(path) if f.endswith(".py")] if os.path.isdir(path)
                  else [path + ".py"])
    for path in files:
        for node in ast.walk(ast.parse(open(path).read())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.partition(".")[0] not in ("tiny", "torch", "reference"), f"{path} imports {name}"
