"""model.numerics.searchsorted_left against NumPy's searchsorted, ties and NaN included."""

import numpy as np

from model.numerics import searchsorted_left


def test_searchsorted_left_matches_numpy():
    rng = np.random.default_rng(3)
    for n in (0, 1, 3, 9):
        edges = np.sort(rng.random(n))
        values = np.r_[rng.random(50), edges, -1.0, 2.0]
        for v in values:
            assert searchsorted_left(edges, v) == np.searchsorted(edges, v, side="left")
    edges = np.array([0.2, 0.5, 0.9])
    assert searchsorted_left(edges, np.nan) == 0  # nothing lies below NaN
    assert searchsorted_left(np.array([0.2, np.nan, 0.9]), 0.95) == 1  # a NaN stops the run
