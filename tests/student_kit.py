"""Submissions for the isolation tests: a student's module on top of its own copy of tiny; and the copy of
the trusted tree they attack.

The sandboxed worker refuses the trusted checkout's `tiny` (the answer key), so a test implementation
that builds on tiny has to ship a copy, as a real submission vendoring a framework would:
STUDENT/__init__.py (the module's source) + STUDENT/_vendor/tiny (a copy of this checkout's tiny), plus
the module's private siblings (`_*.py` beside it, e.g. tests/adversarial/_attack.py) as STUDENT/_*.py for
its relative imports.
"""
from __future__ import annotations

import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREAMBLE = ("import os as _os, sys as _sys  # the submission's own copy of tiny, beside it\n"
            "_sys.path.insert(0, _os.path.join(_os.path.dirname(__file__), '_vendor'))\n")


def student_package(tmp_path, module_file: str, name: str = "student") -> str:
    """A package directory whose __init__ is `module_file`'s source, with tiny vendored beside it and the
    module's `_*.py` siblings (the helpers it imports as `from ._helper import ...`) copied into it."""
    package = tmp_path / name
    shutil.copytree(os.path.join(ROOT, "tiny"), package / "_vendor" / "tiny",
                    ignore=shutil.ignore_patterns("__pycache__"))
    folder = os.path.dirname(os.path.abspath(module_file))
    for helper in sorted(os.listdir(folder)):
        if helper.startswith("_") and helper.endswith(".py") and helper != "__init__.py":
            shutil.copy(os.path.join(folder, helper), package / helper)
    with open(module_file) as f:
        (package / "__init__.py").write_text(PREAMBLE + f.read())
    return str(package)


def project_copy(tmp_path) -> str:
    """A copy of the trusted tree to attack (never the real checkout): tiny, reference, difftests,
    conftest.py and pyproject.toml under tmp_path/project."""
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", ".venv", ".git", "*.egg-info", ".hypothesis")
    for name in ("tiny", "reference", "difftests"):
        shutil.copytree(os.path.join(ROOT, name), copy / name, ignore=ignore)
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(os.path.join(ROOT, name), copy / name)
    return str(copy)
