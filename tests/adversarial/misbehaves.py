"""Each op fails in its own nasty way; the run must go on and report each one."""
import ctypes
import os
import sys
import time

import numpy as np

import tiny
from tiny import *  # noqa: F401,F403


class _Nasty(tiny.Tensor):
    def exp(self):
        time.sleep(10 ** 6)           # hangs

    def log(self):
        os._exit(0)                   # kills the worker without a traceback

    def sqrt(self):
        sys.exit(0)                   # SystemExit

    def abs(self):
        raise KeyboardInterrupt       # pretends the user pressed Ctrl-C

    def tanh(self):
        ctypes.string_at(0)           # segmentation fault

    def sigmoid(self):
        hoard = []
        while True:                   # allocates until the memory limit stops it
            hoard.append(np.empty(10 ** 8))


def tensor(data, dtype=None, requires_grad=False):
    return _Nasty(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)
