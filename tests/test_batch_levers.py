"""Per-run policy levers through the batch engine: chunking must not change any run."""

import numpy as np

from model.batch import run_batch
from model.policy.spec import load_policy


def test_per_run_levers_are_cut_with_their_chunks():
    B = 12
    roots = np.arange(B, dtype=np.uint64) * 31
    award = np.linspace(0.0, 60.0, B).reshape(-1, 1)
    policy = load_policy().with_param("P6c", "award", award)
    whole = run_batch(roots, policy=policy, chunk=B)
    pieces = run_batch(roots, policy=policy, chunk=5)
    assert np.array_equal(whole.indicators, pieces.indicators)
    assert np.array_equal(whole.fiscal.paid, pieces.fiscal.paid)
    # and each run is the run it would be alone with its own scalar award
    one = run_batch(roots[7:8], policy=load_policy().with_param("P6c", "award", award[7, 0]))
    assert np.array_equal(one.fiscal.paid[0], whole.fiscal.paid[7])
