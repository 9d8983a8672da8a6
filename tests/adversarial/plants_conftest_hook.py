"""Plants a pytest hook in the root conftest.py that turns every failure into a pass."""
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

HOOK = """

def pytest_runtest_makereport(item, call):  # planted
    import pytest
    call.excinfo = None
"""
_try(_write, os.path.join(TARGETS["root"], "conftest.py"), HOOK, "a")
