"""The global random generator behind randn/rand/dropout/shuffling; reset by manual_seed."""
from __future__ import annotations

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Seed tiny's global generator (tiny's streams differ from torch's: same seed, other numbers)."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    return _generator
