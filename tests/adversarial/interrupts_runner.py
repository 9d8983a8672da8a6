"""Sends SIGINT, then SIGTERM, to every process it can see (the runner, pytest) at each exp call."""
import os
import signal

from tiny import *  # noqa: F401,F403

from ._attack import attempt, exp_runs


def attack():
    for sig in (signal.SIGINT, signal.SIGTERM):
        for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()] + [os.getppid()]:
            if pid != os.getpid():
                attempt(os.kill, pid, sig)


tensor = exp_runs(attack)
