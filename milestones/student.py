"""`--impl X` for milestones and perf: run them on a student's framework instead of tiny.

X is the student's package directory (a folder named `tiny`, or a renamed copy whose modules import
`tiny`) or a folder holding `tiny/`. The command starts itself again in a child process whose path
puts that package first under the name `tiny` (through a private staging folder), so every
`import tiny` — the milestone's, perf's, and the fresh processes perf starts — means the student's
code. The child checks that `tiny` really resolves to the student's files.

This runs student code in an ordinary process, WITHOUT the difftests' sandbox: milestones and perf are
not graded, so this is for a student running their own code, or a teacher running code they trust.
Use `python -m difftests grade` for untrusted code. A warning says so on every run.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from typing import Any

ENV = "TINY_STUDENT_IMPL"  # set in the child: the student's package directory
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARNING = ("WARNING: running the implementation at {path} in an ordinary process, without the difftests' "
           "sandbox; {what} results are not grades. Do not run untrusted code this way.")


class ImplementationUnusable(Exception):
    """--impl does not name a package this command can use."""


def package_dir(spec: str) -> str:
    """The package directory --impl names: DIR/tiny/ if it exists, else DIR itself (with __init__.py)."""
    path = os.path.abspath(spec)
    if os.path.isfile(os.path.join(path, "tiny", "__init__.py")):
        return os.path.join(path, "tiny")
    if os.path.isfile(os.path.join(path, "__init__.py")):
        return path
    raise ImplementationUnusable(f"--impl {spec}: expected a package directory (with __init__.py) or a folder "
                                 "holding tiny/__init__.py")


def run_as_child(spec: str, module: str, argv: list[str], what: str) -> int:
    """Run `python -m module argv` with the student's package importable as `tiny`; its exit status."""
    package = package_dir(spec)
    print(WARNING.format(path=package, what=what), file=sys.stderr, flush=True)
    staging = tempfile.mkdtemp(prefix="tiny-impl-")
    try:
        os.symlink(package, os.path.join(staging, "tiny"), target_is_directory=True)
        path = os.pathsep.join(p for p in (staging, PROJECT_ROOT, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "PYTHONPATH": path, ENV: package, "PYTHONDONTWRITEBYTECODE": "1"}
        # -P: the current directory (perhaps the checkout, holding the solution's tiny) is not put first
        return subprocess.call([sys.executable, "-P", "-m", module, *argv], env=env)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def in_child() -> bool:
    return bool(os.environ.get(ENV))


def check_tiny_is_the_students() -> Any:
    """In the child: import `tiny` and make sure it is the student's package, not the solution."""
    import tiny
    expected = os.path.realpath(os.environ[ENV])
    found = os.path.realpath(os.path.dirname(getattr(tiny, "__file__", "") or ""))
    if found != expected:
        raise ImplementationUnusable(f"`tiny` resolved to {found}, not to the student's package {expected}")
    return tiny


def missing_names(lib: Any, names: tuple) -> list[str]:
    """Dotted names ("models.GPT", "optim.lr_scheduler.LinearLR") that `lib` does not define."""
    missing = []
    for name in names:
        target = lib
        for part in name.split("."):
            target = getattr(target, part, None)
            if target is None:
                missing.append(name)
                break
    return missing


def student_frame(exc: BaseException) -> str:
    """" at FILE:LINE: the line" for the innermost frame of `exc` in the student's package, or ""."""
    package = os.environ.get(ENV)
    if not package:
        return ""
    inside = os.path.realpath(package) + os.sep
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.realpath(frame.filename).startswith(inside):
            return f" at {os.path.realpath(frame.filename)}:{frame.lineno}: {(frame.line or '').strip()}"
    return ""
