"""Submissions for the isolation tests: a student's module on top of its own copy of tiny.

The sandboxed worker refuses the trusted checkout's `tiny` (the answer key), so a test implementation
that builds on tiny has to ship a copy, as a real submission vendoring a framework would:
STUDENT/__init__.py (the module's source) + STUDENT/_vendor/tiny (a copy of this checkout's tiny).
"""
from __future__ import annotations

import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREAMBLE = ("import os as _os, sys as _sys  # the submission's own copy of tiny, beside it\n"
            "_sys.path.insert(0, _os.path.join(_os.path.dirname(__file__), '_vendor'))\n")


def student_package(tmp_path, module_file: str, name: str = "student") -> str:
    """A package directory whose __init__ is `module_file`'s source, with tiny vendored beside it."""
    package = tmp_path / name
    shutil.copytree(os.path.join(ROOT, "tiny"), package / "_vendor" / "tiny",
                    ignore=shutil.ignore_patterns("__pycache__"))
    with open(module_file) as f:
        (package / "__init__.py").write_text(PREAMBLE + f.read())
    return str(package)
