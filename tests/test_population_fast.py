"""The compiled population (model.population_compiled) gives the NumPy reference's bits.

`initial_state` and `place_arrivals` (what ParkModel and the batch engine run) are held to
`initial_state_reference` and `place_arrivals_reference`, the rules as written, on every
state array and event: default and per-run parameters, one run and twenty, two horizons, and
rates high enough that arrivals overflow their blocks. `_top` is held to the argsort ranks it
replaces, ties and ineligible slots included.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds
from model.behaviour.incentives import Incentives
from model.layout import make_layout
from model.params import default_params
from model.params.registry import load_registry
from model.params.rules import population_facts
from model.policy.spec import load_policy
from model.population import (
    _rank_desc,
    initial_state,
    initial_state_reference,
    place_arrivals,
    place_arrivals_reference,
)
from model.population_compiled import _top, top_count
from model.rng import Streams

ROOTS = roots_from_seeds(replication_seeds(43, 20))


def _per_run(B: int) -> dict:
    """Parameters spread over their registry ranges, in a shuffled order per parameter."""
    reg, rng = load_registry(), np.random.default_rng(5)
    names = ("firm_growth_2018_2020", "hte_growth_2018_2020", "revenue_sigma",
             "rd_intensity_sigma", "effort_sigma", "platforms_2020", "patent_stock_per_firm",
             "zone_revenue_2020", "entry_rate", "entrant_revenue_median",
             "relocated_revenue_median", "valuation_multiple", "entry_hitech_share",
             "profit_margin", "profit_margin_sd", "relabel_share", "p7_takeup_small",
             "p7_takeup_medium", "p7_takeup_large", "p7_takeup_hte", "hitech_product_share_sd",
             "initial_hte_score_floor", "rd_intensity_max")
    p = {n: rng.permutation(np.linspace(*reg[n].range, B)).reshape(-1, 1) for n in names}
    # beyond the ranges on purpose: more workstations than HTEs (ranks among the ineligible),
    # and arrivals that overflow the relocation and settling blocks (lost arrivals)
    p["workstations_2020"] = np.linspace(0, 400, B).reshape(-1, 1)
    p["relocation_rate"] = np.linspace(0.5, 12.0, B).reshape(-1, 1)
    p["gazelle_settle_rate"] = np.linspace(0.5, 6.0, B).reshape(-1, 1)
    p["unicorn_settle_rate"] = np.linspace(0.2, 4.0, B).reshape(-1, 1)
    p["large_traditional_firms"] = 8
    return p


CASES = [("default", 1, 2025), ("default", 20, 2030), ("per_run", 20, 2025),
         ("per_run", 1, 2030)]


def _setup(kind: str, B: int, horizon: int):
    p = {**default_params(), **(_per_run(B) if kind == "per_run" else {})}
    layout = make_layout(2020, horizon, population_facts()["firms_2018"])
    return p, layout, ROOTS[:B]


def _assert_state_equal(a, b) -> None:
    for group in ("f", "i", "z", "v"):
        ga, gb = getattr(a, group), getattr(b, group)
        assert ga.keys() == gb.keys()
        for k in ga:
            assert ga[k].dtype == gb[k].dtype, (group, k)
            assert np.array_equal(ga[k], gb[k]), f"{group}.{k} differs"


@pytest.mark.parametrize("kind,B,horizon", CASES)
def test_initial_state_is_the_reference(kind, B, horizon):
    p, layout, roots = _setup(kind, B, horizon)
    fast, ref = initial_state(layout, p, roots), initial_state_reference(layout, p, roots)
    _assert_state_equal(fast, ref)
    assert ref.f["hte"].sum() > 0 and ref.f["platforms_reg"].sum() > 0  # rules did select
    # a young firm's three-year window repeats its first year; some firms make a loss, and
    # their reference price of R&D is 1 (no tax for a deduction to save)
    f, n0 = ref.f, layout.n0
    assert np.array_equal(f["rev_prev1"][:, :n0], f["revenue"][:, :n0])
    assert np.array_equal(f["rev_prev2"][:, :n0], f["revenue"][:, :n0])
    act = f["active"][:, :n0]
    loss = act & (f["margin"][:, :n0] <= 0)
    assert 0 < loss.sum() < act.sum() and (f["price0"][:, :n0][loss] == 1.0).all()
    assert (f["price0"][:, :n0][act & ~loss] < 1.0).all()


@pytest.mark.parametrize("kind,B,horizon", CASES)
def test_arrivals_are_the_reference(kind, B, horizon):
    """Every year of the horizon, from the same state, on views as step_year passes them."""
    p, layout, roots = _setup(kind, B, horizon)
    policy = load_policy()
    st = initial_state(layout, p, roots)
    on = (np.arange(B) % 2 == 0).astype(float).reshape(-1, 1)  # policy and counterfactual
    placed = {"hte_relocated": 0.0, "gazelle_settled": 0.0, "unicorn_settled": 0.0}
    for year in layout.years:
        n = layout.entry_start(year) + layout.block
        pair = []
        for fn in (place_arrivals, place_arrivals_reference):
            s = copy.deepcopy(st)
            full = s.f
            s.f = {k: v[:, :n] for k, v in full.items()}
            inc = Incentives(policy, year, on, s.z["pay_ratio"])
            pair.append((s, full, fn(s, p, inc, Streams(s.roots, year), year)))
        (s_fast, _, ev_fast), (s_ref, full_ref, ev_ref) = pair
        _assert_state_equal(s_fast, s_ref)
        assert ev_fast.keys() == ev_ref.keys()
        for k in ev_ref:
            assert ev_fast[k].shape == ev_ref[k].shape == (B, n)
            assert np.array_equal(ev_fast[k], ev_ref[k]), f"{year} {k} differs"
            placed[k] += ev_ref[k].sum()
        st = s_ref
        st.f = full_ref  # the next year starts from the zone with this year's arrivals
    if kind == "per_run" and B > 1:  # the overflow paths ran: blocks filled, arrivals lost
        assert all(v > 0 for v in placed.values())
        assert st.z["lost_entrants"].sum() > 0


@pytest.mark.parametrize("seed", range(6))
def test_top_selects_the_first_ranks(seed):
    """Ties (whole-number scores), ineligible slots, and counts from none to all."""
    rng = np.random.default_rng(seed)
    B, N = 30, 57
    score = rng.integers(0, 6, (B, N)).astype(float) * rng.choice([1.0, 0.5], (B, N))
    eligible = rng.random((B, N)) < rng.random((B, 1))
    rank = _rank_desc(score, eligible)
    for b in range(B):
        s = np.where(eligible[b], score[b], -np.inf)
        for n in (0, 1, 3, 7.0, eligible[b].sum(), eligible[b].sum() + 2, N - 1, N, N + 5,
                  2.5, -1.0):
            out = np.empty(N, bool)
            _top(s, int(top_count(n, N)), out, np.empty(N))
            assert np.array_equal(out, rank[b] < n), (b, n)
