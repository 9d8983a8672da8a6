"""Trusted code integrity, beyond the sandbox: what the runner imports is what is on disk, unchanged.

- `snapshot` / `changed_files`: the whole trusted tree the runner uses (tiny/, reference/, difftests/,
  the root conftest.py pytest loads, pyproject.toml) plus the environment's site-packages entries and
  .pth files are hashed before the run and compared after it; any change fails the run (TAMPERING).
- `private_bytecode_cache`: from then on every import reads and writes bytecode only in a cache that
  only runners write (never a `__pycache__` beside the sources, where earlier code could have planted
  one), and pytest's own assertion-rewrite cache follows it.
- `clean_pytest_environment`: no pytest plugin or option comes from the environment.
- `preload_references`: the torch twins are imported before any student code runs.
"""
from __future__ import annotations

import hashlib
import os
import stat
import sys
import sysconfig
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRUSTED_DIRS = ("tiny", "reference", "difftests")
TRUSTED_FILES = ("conftest.py", "pyproject.toml")
SKIP_DIRS = {"__pycache__", ".hypothesis", ".pytest_cache"}


def _digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _site_packages() -> dict[str, str]:
    """Each site-packages entry (a planted package or plugin) and each .pth file's content (a hook)."""
    entries = {}
    for folder in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            entries[path] = _digest(path) if name.endswith(".pth") and os.path.isfile(path) else "present"
    return entries


def snapshot(root: str = ROOT) -> dict[str, str]:
    digests = {}
    for top in TRUSTED_DIRS:
        for folder, dirs, files in os.walk(os.path.join(root, top)):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]  # bytecode there is never read (see below)
            for name in files:
                path = os.path.join(folder, name)
                digests[os.path.relpath(path, root)] = _digest(path) if os.path.isfile(path) else "special"
    for name in TRUSTED_FILES:
        path = os.path.join(root, name)
        digests[name] = _digest(path) if os.path.isfile(path) else "missing"
    digests.update(_site_packages())
    return digests


def changed_files(before: dict[str, str], root: str = ROOT) -> list[str]:
    after = snapshot(root)
    return sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))


def private_bytecode_cache() -> str:
    """Send all later bytecode reads and writes to ~/.cache/difftests-pycache-UID (0700, ours), or a
    fresh temp dir when that is not safely ours. Python and pytest look only there from now on."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, f"difftests-pycache-{os.geteuid()}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
        safe = stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077
    except OSError:
        safe = False
    if not safe:
        path = tempfile.mkdtemp(prefix="difftests-pycache-")
    sys.pycache_prefix = path
    sys.dont_write_bytecode = False  # only into the private cache: the trusted tree gets no .pyc from us
    os.environ["PYTHONPYCACHEPREFIX"] = path  # pytest-xdist's workers
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    return path


def clean_pytest_environment() -> None:
    """No plugin autoloading from entry points, no options or plugins injected through variables."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        os.environ.pop(name, None)


def preload_references() -> None:
    """Import every reference twin now, so a file rewritten during the run cannot change them."""
    from difftests.registry import all_pairs

    for pair in all_pairs():
        pair.reference()
