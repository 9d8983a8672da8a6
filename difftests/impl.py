"""Resolve `--impl`: an importable module name, a path to a .py file, or a path to a package directory."""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from types import ModuleType


class ImplementationError(Exception):
    """The implementation under test could not be loaded."""


def load_implementation(spec: str) -> ModuleType:
    """Import the implementation named by `spec` (default "tiny")."""
    if os.path.sep in spec or spec.endswith(".py") or os.path.isdir(spec):
        return _load_path(os.path.abspath(spec))
    try:
        return importlib.import_module(spec)
    except ImportError as exc:
        raise ImplementationError(f"--impl {spec}: cannot import it ({exc}); pass a module name on "
                                  "sys.path, a .py file, or a package directory") from exc


def _load_path(path: str) -> ModuleType:
    if not os.path.exists(path):
        raise ImplementationError(f"--impl {path}: no such file or directory")
    if os.path.isdir(path):
        if not os.path.exists(os.path.join(path, "__init__.py")):
            raise ImplementationError(f"--impl {path}: a directory must be a package (have __init__.py)")
        parent, name = os.path.split(path.rstrip(os.path.sep))
        loaded = sys.modules.get(name)
        if loaded is not None and os.path.dirname(getattr(loaded, "__file__", "") or "") != path:
            raise ImplementationError(f"--impl {path}: a different module named {name!r} is already "
                                      f"imported (from {loaded.__file__}); rename the package directory")
        sys.path.insert(0, parent)
        try:
            return importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 — any import-time failure is the implementation's
            raise ImplementationError(f"--impl {path}: importing it failed: {type(exc).__name__}: {exc}"
                                      f"{student_frame(exc, path)}") from exc
    name = "difftests_impl_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImplementationError(f"--impl {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001
        raise ImplementationError(f"--impl {path}: importing it failed: {type(exc).__name__}: {exc}"
                                  f"{student_frame(exc, path)}") from exc
    return module


def student_frame(exc: BaseException, root: str) -> str:
    """" at FILE:LINE: the line" for the innermost frame of `exc` inside the submission at `root`
    (a SyntaxError's own location), or "" when no frame is the student's."""
    inside = root if os.path.isdir(root) else os.path.dirname(root)
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" at {exc.filename}:{exc.lineno}: {(exc.text or '').strip()}"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.abspath(frame.filename).startswith(inside + os.sep):
            return f" at {frame.filename}:{frame.lineno}: {(frame.line or '').strip()}"
    return ""
