"""Writes full-score results to the runner's output paths, then SIGKILLs every process it can see."""
import json
import os
import signal

from tiny import *  # noqa: F401,F403

from ._attack import attempt, exp_runs, targets, write

TARGETS = targets()
FULL = {"schema": "tiny-difftests/1", "passed": True, "complete": True, "pairs": [], "score": 100.0,
        "tests": [{"name": "difftests: tensor", "score": 100.0, "max_score": 100, "status": "passed"}]}


def attack():
    for path in TARGETS["outputs"]:
        attempt(write, path, json.dumps(FULL))
    for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()] + [os.getppid()]:
        if pid != os.getpid():
            attempt(os.kill, pid, signal.SIGKILL)


tensor = exp_runs(attack)
