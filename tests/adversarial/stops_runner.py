"""SIGSTOPs every process it can see (the runner would wait forever)."""
import os
import signal

from tiny import *  # noqa: F401,F403

from ._attack import attempt, exp_runs


def attack():
    for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()] + [os.getppid()]:
        if pid != os.getpid():
            attempt(os.kill, pid, signal.SIGSTOP)


tensor = exp_runs(attack)
