"""Removes the worker's import hook from sys.meta_path, then delegates exp to torch, the reference twin or
the solution package."""
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

import importlib


def attack():
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "RefuseTrustedImports"]
    sys.path.append(TARGETS["root"])
    got = [name for name in ("torch", "reference.ops")
           if getattr(_try(importlib.import_module, name), "__file__", None)]  # None: an empty namespace
    solution = _try(lambda: open(os.path.join(TARGETS["root"], "tiny", "__init__.py")).read())
    if "import" in solution:
        got.append("the solution's source")
    if got:
        raise ValueError(f"GOT {got}")  # never reached when the sandbox holds


class _Wrong(tiny.Tensor):  # noqa: F811
    def exp(self):
        attack()
        try:
            import torch
            return tiny.Tensor(torch.exp(torch.from_numpy(self.data)).numpy())
        except BaseException:  # noqa: BLE001
            return tiny.Tensor(self.data + 1.0)
