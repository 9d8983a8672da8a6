"""tiny's own erf (used when SciPy is absent) stays within 2 ulp of math.erf."""
import math

import numpy as np

from tiny.nn.activation import erf_taylor


def test_erf_taylor_matches_math_erf():
    x = np.concatenate([np.linspace(-8, 8, 20001), [0.0, -0.0, 1e-300, 6.0, -6.0, np.inf, -np.inf]])
    want = np.array([math.erf(v) for v in x])
    got = erf_taylor(x)
    assert np.all(np.abs(got - want) <= 2 * np.spacing(np.abs(want) + 1e-300) + 1e-300)
    assert np.isnan(erf_taylor(np.array([np.nan]))[0])
