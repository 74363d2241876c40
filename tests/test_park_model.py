"""ParkModel on Mesa: the DataCollector, agents entering and leaving their AgentSets, the
ledger reconciling with the award core, and reproducibility from a seed (issue 3)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from model.agents import Carrier, Enterprise, Investor, ResearchInstitute
from model.park import ParkModel
from model.policy.core import KIND_CODES, compute_ledger
from model.state import INVESTOR_TYPES
from model.targets import TARGET_IDS


@pytest.fixture(scope="module")
def run1() -> ParkModel:
    m = ParkModel(rng=1)
    m.run_model()
    return m


def test_datacollector_holds_nine_indicators_per_year(run1):
    df = run1.datacollector.get_model_vars_dataframe()
    assert len(df) == 6 and df["year"].tolist() == list(range(2020, 2026))
    for t in TARGET_IDS:
        assert t in df and df[t].notna().all()
    assert {"firms", "grants_paid", "fund_investment_paid", "hte_applications"} <= set(df)
    # shares are shares; counts are whole numbers that never fall where they are stocks
    assert ((df["T2"] > 0) & (df["T2"] < 1) & (df["T3"] > 0) & (df["T3"] < 1)).all()
    for t in ("T1", "T4", "T5", "T6", "T7", "T8", "T9"):
        assert (df[t] == np.round(df[t])).all()
    for t in ("T4", "T7", "T8", "T9"):  # cumulative by construction
        assert (np.diff(df[t]) >= 0).all()
    assert not run1.running
    # the money reported each year is the award core's payments of that year
    paid = run1.fiscal.paid[0]
    g, k = KIND_CODES.index("grant"), KIND_CODES.index("fund_investment")
    np.testing.assert_allclose(df["grants_paid"], paid[:, g, :].sum(0), rtol=1e-12)
    np.testing.assert_allclose(df["fund_investment_paid"], paid[:, k, :].sum(0), rtol=1e-12)


def test_agents_follow_the_state_year_by_year():
    m = ParkModel(rng=2)
    entered = left = 0
    carriers_seen = 0
    for _ in m.years:
        before = {a.slot for a in m.agents_by_type[Enterprise]}
        m.step()
        f, z = m.state.f, m.state.z
        slots = {a.slot for a in m.agents_by_type[Enterprise]}
        active = set(np.flatnonzero(f["active"][0]).tolist())
        assert slots == active
        assert len({a.unique_id for a in m.agents_by_type[Enterprise]}) == len(slots)
        entered += len(slots - before)
        left += len(before - slots)
        c = m.counts[m.year]
        # newcomers: entrants plus relocations and settlements (origin > 0) of this year
        newcomers = f["active"][0] & (f["entry_year"][0] == m.year) & (f["origin"][0] > 0)
        assert set(np.flatnonzero(newcomers).tolist()) == slots - before
        assert c["entrants"] == len(slots - before)
        # leavers lose their agent (arrivals that leave in their first year never had one)
        assert len(before - slots) <= c["exits"]
        # a carrier agent for every incubator, 双创 base and service complex the zone has
        n_carriers = int(z["incubators"][0] + z["dual_bases"][0] + z["service_complex"][0])
        assert len(m.agents_by_type.get(Carrier, [])) == n_carriers
        carriers_seen = n_carriers
        # an agent reads its own row of the state
        a = next(iter(m.agents_by_type[Enterprise]))
        assert a.revenue == f["revenue"][0, a.slot] and a.is_hte == bool(f["hte"][0, a.slot])
    assert entered > 0 and left > 0 and carriers_seen > 0
    kinds = {c.kind for c in m.agents_by_type[Carrier]}
    assert kinds <= {"incubator", "dual_base", "service_complex"}


@pytest.mark.parametrize("n", [5, 12])
def test_institute_and_investor_agents(n):
    m = ParkModel(params={"institutes": n}, rng=3)
    assert len(m.agents_by_type[ResearchInstitute]) == n
    assert [a.kind for a in m.agents_by_type[Investor]] == list(INVESTOR_TYPES)
    m.step()
    assert len(m.agents_by_type[ResearchInstitute]) == n
    assert int(m.state.i["active"][0].sum()) == n
    assert sum(a.capital for a in m.agents_by_type[Investor]) > 0


def test_same_seed_same_run_other_seed_other_run(run1):
    again = ParkModel(rng=1)
    again.run_model()
    pd.testing.assert_frame_equal(run1.datacollector.get_model_vars_dataframe(),
                                  again.datacollector.get_model_vars_dataframe())
    pd.testing.assert_frame_equal(run1.ledger.to_frame(), again.ledger.to_frame())
    assert np.array_equal(run1.fiscal.paid, again.fiscal.paid)
    gen = ParkModel(rng=np.random.default_rng(1))  # a Generator with the same seed
    gen.run_model()
    pd.testing.assert_frame_equal(run1.datacollector.get_model_vars_dataframe(),
                                  gen.datacollector.get_model_vars_dataframe())
    other = ParkModel(rng=2)
    other.run_model()
    a = run1.datacollector.get_model_vars_dataframe()[list(TARGET_IDS)]
    b = other.datacollector.get_model_vars_dataframe()[list(TARGET_IDS)]
    assert not a.equals(b)


@pytest.mark.parametrize("seed", [1, 4, 9])
def test_ledger_reconciles_with_the_award_core(seed, run1):
    m = run1 if seed == 1 else ParkModel(rng=seed)
    if seed != 1:
        m.run_model()
    led = m.ledger
    # the ledger is the row-wise core applied to the run's events
    again = compute_ledger(m.events, m.policy)
    pd.testing.assert_frame_equal(led.to_frame(), again.to_frame())
    # its rows add up to the dense path's money: paid in the years run, committed beyond
    fis = m.fiscal
    totals = led.totals()
    for ci, cid in enumerate(m.policy.clause_ids):
        for ki, kind in enumerate(KIND_CODES):
            dense = math.fsum(fis.paid[0, ci, ki]) + math.fsum(fis.committed[0, ci, ki])
            assert totals.get((cid, kind), 0.0) == pytest.approx(dense, rel=1e-12, abs=1e-9), (
                cid, kind)
    horizon = m.years[-1]
    in_run = led.year <= horizon
    for y, year in enumerate(m.years):
        sel = led.year == year
        assert math.fsum(led.amount[sel]) == pytest.approx(fis.paid[0, ..., y].sum(), rel=1e-12)
    assert math.fsum(led.amount[~in_run]) == pytest.approx(fis.committed.sum(), rel=1e-12,
                                                           abs=1e-9)
    assert led.amount.sum() > 0
    assert (led.amount >= 0).all()


def test_park_model_runs_with_defaults():
    m = ParkModel(rng=1)
    m.run_model()
    assert m.year == 2025 and len(m.counts) == 6
    assert m.counts[2020]["hte_applications"] >= m.counts[2020]["hte_new"]
