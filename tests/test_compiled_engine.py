"""The compiled kernels (model.behaviour.compiled) give the NumPy reference's bits.

ParkModel runs the reference; the batch engine runs the kernels by default. Each phase of
the year is checked against its reference on a mid-run state (every event, count and state
array), and whole batches on both engines across the scenarios that exercise other paths
(no policy, budget lines, switches, extra clauses, per-run parameters and levers, other
horizons).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.behaviour import compiled, enterprise, institute
from model.behaviour.incentives import Incentives
from model.dynamics import Context, _close_year, _firm_decisions, step_year
from model.layout import make_layout
from model.params import default_params
from model.params.rules import population_facts
from model.policy.spec import load_policy
from model.population import initial_state
from model.rng import Streams
from model.scenario import load_scenario
from model.settle import init_run

ROOT = Path(__file__).resolve().parents[1]
ROOTS = roots_from_seeds(replication_seeds(31, 6))


def _same(a, b, what: str) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), what
        for k in a:
            _same(a[k], b[k], f"{what}.{k}")
    elif isinstance(a, tuple):
        for j, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{what}[{j}]")
    else:
        x, y = np.asarray(a), np.asarray(b)
        assert x.shape == y.shape, what
        assert np.array_equal(x, y), f"{what}: largest difference {np.abs(x - y).max()}"


def _assert_batches_equal(a, b) -> None:
    _same(a.indicators, b.indicators, "indicators")
    _same(a.counts, b.counts, "counts")
    for k in ("claims", "paid", "committed", "carried", "dropped"):
        _same(getattr(a.fiscal, k), getattr(b.fiscal, k), k)


@pytest.fixture(scope="module")
def mid_run():
    """A batch state three years in (policy on four runs, off two), with varied parameters."""
    layout = make_layout(2020, 2025, population_facts()["firms_2018"])
    p = {**default_params(), "rd_price_elasticity": np.linspace(0.5, 1.5, 6),
         "growth_sd": np.linspace(0.1, 0.4, 6),
         "regional_layer": np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0]),
         "profit_margin_sd": np.linspace(0.04, 0.12, 6),
         "design_patent_share": np.linspace(0.05, 0.15, 6)}
    policy = load_policy()
    st = initial_state(layout, p, ROOTS)
    on = np.array([1, 1, 1, 1, 0, 0], float).reshape(-1, 1)
    ctx = Context(policy, p, on, layout)
    init_run(st, ctx)
    for year in (2020, 2021, 2022):
        step_year(st, year, ctx)
    year = 2023
    n = layout.entry_start(year) + layout.block
    st.f = {k: v[:, :n] for k, v in st.f.items()}  # the year's slots, as step_year sees them
    return st, p, Incentives(policy, year, on, st.z["pay_ratio"]), Streams(ROOTS, year), year


def _copy(st):
    out = copy.copy(st)
    out.f = {k: v.copy() for k, v in st.f.items()}
    out.z = {k: v.copy() for k, v in st.z.items()}
    return out


def test_firm_decisions_equal_the_reference(mid_run):
    st, p, inc, rs, year = mid_run
    a, b = _copy(st), _copy(st)
    ev_a, counts_a = _firm_decisions(a, p, inc, rs, year, inc.policy)
    ev_b, counts_b = compiled.firm_decisions(b.f, b.z, p, inc, rs, year, inc.policy)
    assert list(ev_a) == list(ev_b)  # the same events, in the same order
    _same(ev_a, ev_b, "events")
    _same(counts_a, counts_b, "counts")
    _same(a.f, b.f, "firms")
    _same(a.z, b.z, "zone")
    # not vacuous: nearly every kind of event happened somewhere (a few are rare in one
    # year of six runs), and the state moved
    assert sum(np.asarray(v).any() for v in ev_a.values()) >= len(ev_a) - 3
    assert not np.array_equal(a.f["rd"], st.f["rd"])
    # the three kinds of grants are reported, and T7's count takes all three
    granted = sum(ev_a[k].sum(1) for k in ("patents_invention", "patents_utility",
                                           "patents_design"))
    assert ev_a["patents_design"].sum() > 0
    assert np.array_equal(a.z["patents_cum"], st.z["patents_cum"] + granted)
    # the regional fund paid in the runs with the layer on (2023), and only there
    on = np.asarray(p["regional_layer"]) > 0
    assert (counts_a["regional_awards"][on] > 0).all()
    assert not counts_a["regional_awards"][~on].any()
    assert (a.f["reported_i3"][a.f["active"]] > 0).all()


def test_close_year_equals_the_reference(mid_run):
    st, p, _, rs, _ = mid_run
    a, b = _copy(st), _copy(st)
    received = np.where(st.f["active"], np.linspace(0, 50, st.f["active"].size).reshape(
        st.f["active"].shape), 0.0)
    followon = np.linspace(0, 800, st.B)
    out_a = _close_year(a.f, p, rs, received, followon)
    out_b = compiled.close_year(b.f, p, rs, received, followon)
    _same(out_a, out_b, "capital, placed, exits")
    _same(a.f, b.f, "firms")
    assert out_a[2].sum() > 0 and out_a[1].sum() > 0  # some firms left, some deals placed


@pytest.mark.parametrize("engine", ["reference", "compiled"])
def test_the_year_shifts_rd_into_its_lags(engine):
    """After a year, rd_prev2 holds the R&D of the year before (patents lag on it), not this
    year's: step_year once wrote an array held under two names back twice."""
    layout = make_layout(2020, 2025, population_facts()["firms_2018"])
    p = default_params()
    st = initial_state(layout, p, ROOTS)
    ctx = Context(load_policy(), p, np.ones((ROOTS.size, 1)), layout, engine=engine)
    init_run(st, ctx)
    step_year(st, 2020, ctx)
    old = layout.entry_start(2021)  # slots in use before 2021
    last_year = st.f["rd_prev1"][:, :old].copy()
    rev_2020 = st.f["rev_prev1"][:, :old].copy()
    rev_2021 = st.f["revenue"][:, :old].copy()  # grown at the end of 2020: 2021's revenue
    assert not np.array_equal(rev_2020, rev_2021)
    step_year(st, 2021, ctx)
    assert np.array_equal(st.f["rd_prev2"][:, :old], last_year)
    assert np.array_equal(st.f["rd_prev1"], st.f["rd"])
    assert not np.array_equal(st.f["rd_prev2"][:, :old], st.f["rd_prev1"][:, :old])
    # revenue lags shift the same way (the HTE rule's three-year window)
    assert np.array_equal(st.f["rev_prev1"][:, :old], rev_2021)
    assert np.array_equal(st.f["rev_prev2"][:, :old], rev_2020)


def test_sellers_equal_the_reference(mid_run):
    st, p, inc, rs, year = mid_run
    p = {**p, "contract_zone_seller_share": np.linspace(0.1, 0.9, st.B).reshape(-1, 1)}
    c, o = enterprise.contracts(st.f, p, inc, rs, 3)
    assert (c > 0).sum() > 5 and (o > 0).sum() > 5  # enough contracts of both types
    ref = institute.sellers(c, o, st.f, st.i["active"], p, rs)
    _same(ref, compiled.sellers(c, o, st.f, st.i["active"], p, rs), "sellers")
    sold, seller = ref
    # not vacuous: zone firms and institutes both sold some
    assert (seller >= 0).sum() > 5 and sold.sum() > 5


def test_exited_firms_seek_no_recognition(mid_run):
    """A firm that left keeps its certificate until it lapses, but applies for nothing."""
    st, p, inc, rs, _ = mid_run
    gone = ~st.f["active"] & st.f["hte"]
    assert gone.any()
    ev = enterprise.recognitions(st.f, p, inc, rs)
    assert not any(v[gone].any() for v in ev.values())


def _both(**kw):
    return (run_batch(ROOTS, engine="reference", chunk=3, **kw),
            run_batch(ROOTS, engine="compiled", chunk=3, **kw))


def test_default_policy_and_counterfactual():
    a, b = _both(on=np.array([1, 0, 1, 0, 1, 1], float))
    assert a.fiscal.paid.sum() > 0
    _assert_batches_equal(a, b)


def test_per_run_parameters_and_levers():
    policy = load_policy()
    policy = policy.with_param("P6c", "award", np.linspace(0, 60, 6)).with_param(
        "P7", "rate", np.linspace(0.0, 0.4, 6))
    params = {"award_salience": np.linspace(0.2, 2.0, 6), "contract_prob":
              np.linspace(0.02, 0.3, 6), "growth_sd": np.linspace(0.1, 0.4, 6),
              "contract_covered_share": np.linspace(0.1, 0.9, 6),
              "contract_zone_seller_share": np.linspace(0.05, 0.6, 6),
              "equity_value_share": np.linspace(0.0, 1.0, 6)}
    _assert_batches_equal(*_both(policy=policy.with_switches(p4_beneficiary="seller"),
                                 params=params))


@pytest.mark.parametrize("switches,targets", [
    ({"p4_beneficiary": "seller"}, {}),
    ({"p4_contract_types": "all"}, {"t5_rd_institutions": False, "t6_practice_bases": True}),
    ({"p4_beneficiary": "seller", "p4_contract_types": "all", "p6c_first_year": "prorate"},
     {"t6_practice_bases": True}),
])
def test_issue16_switch_settings(switches, targets):
    """Both engines give the same bits under the cost side's switches (P4's payee and
    contract types, P6c's 2020 share, how T5 and T6 count)."""
    policy = load_policy().with_switches(**switches).with_targets(**targets)
    a, b = _both(policy=policy, on=np.array([1, 0, 1, 1, 1, 1], float))
    assert a.fiscal.paid[:, policy.clause_ids.index("P4")].sum() > 0
    _assert_batches_equal(a, b)


def test_regional_layer_and_p6c_switches():
    """The regional layer on in some runs and off in others; P6c paying a lapsed firm's new
    certification and prorated in 2020; designs dominating grants in some runs (P8a's mix)."""
    policy = load_policy().with_switches(p6c_recertified="each_new_certification",
                                         p6c_first_year="prorate")
    params = {"regional_layer": np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0]),
              "design_patent_share": np.array([0.05, 0.6, 0.1, 0.9, 0.15, 0.0]),
              "hte_renew_prob": 0.5, "campaign_consider_boost": np.linspace(0.1, 0.4, 6)}
    a, b = _both(policy=policy, params=params)
    assert a.fiscal.paid.sum() > 0 and a.counts["regional_awards"][::2, 2:].all()
    _assert_batches_equal(a, b)


@pytest.mark.parametrize("scenario", ["budget_capped", "p8a_once", "innovation_vouchers",
                                      "p6ab_listed", "extended_2030", "p3_per_year",
                                      "no_regional_layer"])
def test_scenarios(scenario):
    s = load_scenario(ROOT / "scenarios" / f"{scenario}.toml")
    a, b = _both(policy=s.policy, params=s.params, start=s.start, horizon=s.horizon,
                 t7_count_from=s.t7_count_from, budget=s.budget)
    assert a.fiscal.paid.sum() > 0
    _assert_batches_equal(a, b)


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine"):
        run_batch(ROOTS[:1], engine="fast")
