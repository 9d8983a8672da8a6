"""Writes 200 MB to stderr at the first exp call of each worker (it would fill the disk through the runner's temp files)."""
import os

from tiny import *  # noqa: F401,F403

from ._attack import exp_runs

_flooded = []


def attack():
    if not _flooded:  # once per worker: 200 MB
        _flooded.append(True)
        chunk = b"x" * (1 << 20)
        for _ in range(200):
            os.write(2, chunk)


tensor = exp_runs(attack)
