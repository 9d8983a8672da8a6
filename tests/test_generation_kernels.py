"""tiny's decode kernel (tiny/generation/fast_decode.py) is difftested through generate; this checks the one
piece generate does not reach when SciPy is installed: the from-scratch normal-CDF table GELU falls back to."""
from __future__ import annotations

import math

import numpy as np

from tiny.generation.fast_decode import normal_cdf


def exact_phi(x: np.ndarray) -> np.ndarray:
    return np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x.ravel()]).reshape(x.shape)


def test_normal_cdf_table_is_accurate_in_float64_and_float32():
    x = np.concatenate([np.linspace(-12, 12, 96001), [0.0, -0.0, 8.5, -8.5, 8.49, 1e-300, -1e-300]])
    want = exact_phi(x)
    assert np.max(np.abs(normal_cdf(x) - want)) <= 4.5e-16             # ~2 ulp of values near 1
    got32 = normal_cdf(x.astype(np.float32))
    assert got32.dtype == np.float32
    assert np.max(np.abs(got32 - exact_phi(x.astype(np.float32).astype(np.float64)))) <= 1.2e-7  # ~1 ulp near 1


def test_normal_cdf_saturates_exactly_and_keeps_shapes():
    x = np.array([[np.inf, -np.inf, 40.0], [-40.0, 9.0, -9.0]])
    np.testing.assert_array_equal(normal_cdf(x), [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    assert normal_cdf(np.zeros((0, 3))).shape == (0, 3)
    assert normal_cdf(np.zeros((2, 1))).tolist() == [[0.5], [0.5]]


def test_nan_gives_a_valid_index_and_gelu_stays_nan():
    phi = normal_cdf(np.array([np.nan, 1.0]))
    assert phi[0] == 0.0 and np.isfinite(phi[1])
    assert np.isnan(np.nan * phi[0])
