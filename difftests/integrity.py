"""Detect tampering with the trusted code: the reference twins and the harness itself.

An implementation under test runs in a worker that could write to files on disk. The runner hashes
the trusted files before the run and checks them after; any change fails the run.
"""
from __future__ import annotations

import hashlib
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRUSTED_DIRS = ("reference", "difftests")


def snapshot(root: str = ROOT) -> dict[str, str]:
    digests = {}
    for top in TRUSTED_DIRS:
        for folder, _, files in os.walk(os.path.join(root, top)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    with open(path, "rb") as f:
                        digests[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return digests


def changed_files(before: dict[str, str], root: str = ROOT) -> list[str]:
    after = snapshot(root)
    return sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))


def preload_references() -> None:
    """Import every reference twin now, so a file rewritten during the run cannot change them."""
    from difftests.registry import all_pairs

    for pair in all_pairs():
        pair.reference()
