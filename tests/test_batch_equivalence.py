"""The batch engine equals ParkModel for one seed, bit for bit, with and without the policy;
a run's numbers do not depend on the batch it runs in (issue 4's equivalence test)."""

from __future__ import annotations

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.park import ParkModel
from model.targets import TARGET_IDS

SEEDS = replication_seeds(20201, 3)
ROOTS = roots_from_seeds(SEEDS)
COUNTS = ("hte_applications", "hte_new", "hte_lapsed", "exits", "entrants", "regional_awards")


def _park(seed, counterfactual=False, **kw) -> ParkModel:
    m = ParkModel(counterfactual=counterfactual, rng=np.random.default_rng(seed), **kw)
    m.run_model()
    return m


def _assert_same(m: ParkModel, r, b: int) -> None:
    df = m.datacollector.get_model_vars_dataframe()
    assert r.years == tuple(df["year"])
    assert np.array_equal(df[list(TARGET_IDS)].to_numpy(), r.indicators[b])
    for k in COUNTS:
        assert np.array_equal([m.counts[y][k] for y in r.years], r.counts[k][b]), k
    for a in ("claims", "paid", "committed"):
        assert np.array_equal(getattr(m.fiscal, a)[0], getattr(r.fiscal, a)[b]), a


@pytest.fixture(scope="module")
def mixed():
    """One batch: policy and counterfactual on seed 0, policy on seeds 1 and 2."""
    roots = np.array([ROOTS[0], ROOTS[0], ROOTS[1], ROOTS[2]], np.uint64)
    return run_batch(roots, on=np.array([1.0, 0.0, 1.0, 1.0]))


def test_batch_of_one_equals_park_model():
    m = _park(SEEDS[0])
    assert m.root == ROOTS[0]
    r = run_batch(ROOTS[:1])
    _assert_same(m, r, 0)
    assert r.fiscal.paid.sum() > 0


def test_counterfactual_batch_equals_counterfactual_park_model():
    m = _park(SEEDS[0], counterfactual=True)
    r = run_batch(ROOTS[:1], on=np.zeros(1))
    _assert_same(m, r, 0)
    assert not r.fiscal.paid.any()


def test_each_run_of_a_mixed_batch_equals_its_park_model(mixed):
    _assert_same(_park(SEEDS[0]), mixed, 0)
    _assert_same(_park(SEEDS[0], counterfactual=True), mixed, 1)
    _assert_same(_park(SEEDS[1]), mixed, 2)
    _assert_same(_park(SEEDS[2]), mixed, 3)


def test_equivalence_holds_off_the_defaults():
    """Per-run parameters and a shorter horizon: the batch still equals ParkModel."""
    params = {"award_salience": 1.2, "hte_effort_cost": 12.0}
    m = _park(SEEDS[1], params=params, horizon=2023)
    r = run_batch(ROOTS[[0, 1]], horizon=2023,
                  params={k: np.array([0.1, v]) for k, v in params.items()})
    _assert_same(m, r, 1)


def test_same_roots_same_numbers_whatever_the_chunking(mixed):
    roots = np.array([ROOTS[0], ROOTS[0], ROOTS[1], ROOTS[2]], np.uint64)
    on = np.array([1.0, 0.0, 1.0, 1.0])
    for chunk in (None, 1, 3):
        r = run_batch(roots, on=on, chunk=chunk)
        assert np.array_equal(r.indicators, mixed.indicators)
        assert all(np.array_equal(r.counts[k], mixed.counts[k]) for k in COUNTS)
        assert np.array_equal(r.fiscal.paid, mixed.fiscal.paid)
        assert np.array_equal(r.fiscal.committed, mixed.fiscal.committed)


def test_different_seeds_differ(mixed):
    assert not np.array_equal(mixed.indicators[0], mixed.indicators[2])
    assert not np.array_equal(mixed.indicators[2], mixed.indicators[3])
    # the policy changes its own run
    assert not np.array_equal(mixed.indicators[0], mixed.indicators[1])


def test_worker_processes_give_the_same_numbers_and_are_kept(mixed):
    """Chunks on two processes give the bits of one process; the pool outlives the call."""
    from model.batch import worker_pool

    roots = np.array([ROOTS[0], ROOTS[0], ROOTS[1], ROOTS[2]], np.uint64)
    on = np.array([1.0, 0.0, 1.0, 1.0])
    r = run_batch(roots, on=on, chunk=1, workers=2)
    assert np.array_equal(r.indicators, mixed.indicators)
    assert np.array_equal(r.fiscal.paid, mixed.fiscal.paid)
    pool = worker_pool(2)
    run_batch(roots[:2], on=on[:2], chunk=1, workers=2)
    assert worker_pool(2) is pool
