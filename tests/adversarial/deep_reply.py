"""Replaces the worker's encoder: every reply after the first exp call is JSON nested 100,000 deep (the runner's json.loads would
recurse until it crashes)."""
import json
import os
import signal
import sys

import tiny
from tiny import *  # noqa: F401,F403

# What the attacker knows (the test writes it beside this module): the worst case, full knowledge of
# the trusted checkout, the venv and the runner's output paths.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets.json")) as _f:
    TARGETS = json.load(_f)


def _try(action, *args):
    try:
        return action(*args)
    except BaseException as exc:  # noqa: BLE001 — an attacker shrugs and tries the next thing
        return f"{type(exc).__name__}: {exc}"


def _write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)
    return "written"


def attack():
    """Run by every call of exp."""


class _Wrong(tiny.Tensor):
    def exp(self):
        attack()
        return tiny.Tensor(self.data + 1.0)  # wrong on purpose: an honest report says exp FAILED


def tensor(data, dtype=None, requires_grad=False):
    return _Wrong(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)

import struct

_DEEP = b"[" * 100_000 + b"]" * 100_000


def attack():  # from the first case on (the hello went out normally)
    sys.modules["difftests.wire"].encode = lambda obj: struct.pack("<Q", len(_DEEP)) + _DEEP + struct.pack("<Q", 0)
