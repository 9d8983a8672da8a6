"""Replaces the worker's encoder: every reply after the first exp call is JSON nested 100,000 deep (the runner's json.loads would
recurse until it crashes)."""
import struct
import sys

from tiny import *  # noqa: F401,F403

from ._attack import exp_runs

_DEEP = b"[" * 100_000 + b"]" * 100_000


def attack():  # from the first case on (the hello went out normally)
    sys.modules["difftests.wire"].encode = lambda obj: struct.pack("<Q", len(_DEEP)) + _DEEP + struct.pack("<Q", 0)


tensor = exp_runs(attack)
