"""Answers exp with a ~1 GiB array, to blow up the runner's memory."""
import numpy as np

import tiny
from tiny import *  # noqa: F401,F403

from ._attack import tensor_with_exp


def _exp(self):
    return tiny.Tensor(np.zeros(1 << 27))  # 2**27 float64 = 1 GiB


tensor = tensor_with_exp(_exp)
