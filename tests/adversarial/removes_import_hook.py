"""Removes the worker's import hook from sys.meta_path, then delegates exp to torch, the reference twin or
the solution package."""
import importlib
import os
import sys

import tiny
from tiny import *  # noqa: F401,F403

from ._attack import attempt, targets, tensor_with_exp

TARGETS = targets()


def attack():
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "RefuseTrustedImports"]
    sys.path.append(TARGETS["root"])
    got = [name for name in ("torch", "reference.ops")
           if getattr(attempt(importlib.import_module, name), "__file__", None)]  # None: an empty namespace
    solution = attempt(lambda: open(os.path.join(TARGETS["root"], "tiny", "__init__.py")).read())
    if "import" in solution:
        got.append("the solution's source")
    if got:
        raise ValueError(f"GOT {got}")  # never reached when the sandbox holds


def _exp(self):
    attack()
    try:
        import torch
        return tiny.Tensor(torch.exp(torch.from_numpy(self.data)).numpy())
    except BaseException:  # noqa: BLE001
        return tiny.Tensor(self.data + 1.0)


tensor = tensor_with_exp(_exp)
