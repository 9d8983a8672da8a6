"""Makes NumPy's comparisons always agree, then returns wrong sums."""
import numpy as np
import numpy.testing

import tiny
from tiny import *  # noqa: F401,F403

np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, bool)
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.testing.assert_array_equal = lambda *a, **k: None


class _Liar(tiny.Tensor):
    def __add__(self, other):
        return tiny.zeros_like(self)  # wrong, hoping the patched comparisons hide it


def tensor(data, dtype=None, requires_grad=False):
    return _Liar(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)
