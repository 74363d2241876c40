"""The compiled award settlement books the same bits as the reference.

Real model years: a batch runs with a twin in place of `settle_year`; every year, both paths
settle copies of the same state and events, and everything they leave (Fiscal arrays,
receipts, pay ratio, pending instalments, carried claims, paid-before flags) must be equal
to the bit. The run then continues on the reference's result. Synthetic years: the compiled
award core against `dense_awards` on random sparse events.
"""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest

import model.dynamics as dyn
from model import settle
from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.budget import Budget, BudgetLine
from model.numerics import pairwise_sum
from model.policy.dense import dense_awards
from model.policy.dense_compiled import compiled_awards, plan_awards
from model.policy.spec import load_policy

B = 6


def _bits(a, b, where: str) -> None:
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            _bits(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, settle.Fiscal):
        for f in ("claims", "paid", "committed", "carried", "dropped"):
            _bits(getattr(a, f), getattr(b, f), f"{where}.{f}")
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape and a.dtype == b.dtype, where
        assert a.tobytes() == b.tobytes(), f"{where}: max diff {np.max(np.abs(a - b))}"
    else:
        assert a == b, where


class Twin:
    """Stands in for settle_year: both paths on copies, compared, then the reference."""

    def __init__(self) -> None:
        self.years = 0
        self.claims = 0.0

    def __call__(self, st, ctx, year, ev):
        ref = copy.deepcopy((st.extra, st.z["pay_ratio"]))
        fast = copy.deepcopy((st.extra, st.z["pay_ratio"]))
        st.extra, st.z["pay_ratio"] = fast
        got = settle._settle_compiled(st, ctx, year, copy.deepcopy(ev))
        assert got is not None, "the compiled path fell back to the reference"
        fast = (st.extra, st.z["pay_ratio"])
        st.extra, st.z["pay_ratio"] = ref
        c = copy.copy(ctx)
        c.engine = "reference"
        want = settle.settle_year(st, c, year, ev)
        _bits(got, want, f"{year} received")
        _bits(fast[1], st.z["pay_ratio"], f"{year} pay_ratio")
        _bits(fast[0], st.extra, f"{year} extra")
        self.years += 1
        self.claims += float(st.extra["fiscal"].claims.sum())
        return want


def _run(monkeypatch, *, policy=None, budget=None, on=None, seed=7):
    twin = Twin()
    monkeypatch.setattr(dyn, "settle_year", twin)
    roots = roots_from_seeds(replication_seeds(seed, B))
    res = run_batch(roots, policy=policy, budget=budget, on=on, engine="reference")
    assert twin.years == len(res.years)
    return res, twin


def test_default_policy_and_counterfactual(monkeypatch):
    on = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    res, twin = _run(monkeypatch, on=on)
    paid = res.fiscal.paid.sum(axis=(1, 2, 3))
    assert twin.claims > 0 and np.all(paid[on == 1] > 0) and np.all(paid[on == 0] == 0)


@pytest.mark.parametrize("budget", [
    Budget(total=600.0, rule="pro_rata", unpaid="carry"),
    Budget(total=600.0, rule="pro_rata", unpaid="drop"),
    Budget(total=600.0, rule="first_come", unpaid="carry"),
    Budget(total=600.0, rule="first_come", unpaid="drop"),
    Budget(total=900.0, rule="priority", priority=("P7", "P4", "P3"), unpaid="carry"),
    Budget(total=900.0, groups=(BudgetLine("tax", 100.0, ("P7",)),), rule="priority",
           priority=("P8a",), unpaid="drop", kinds=("grant",)),
], ids=["pro_rata-carry", "pro_rata-drop", "first_come-carry", "first_come-drop",
        "priority-carry", "group-line-drop"])
def test_budget_lines(monkeypatch, budget):
    res, _ = _run(monkeypatch, budget=budget, on=np.array([1.0, 1, 1, 0, 1, 1]))
    f = res.fiscal
    assert (f.carried.sum() if budget.unpaid == "carry" else f.dropped.sum()) > 0, \
        "the line never rationed: the case tests nothing"


@pytest.mark.parametrize("budget", [
    Budget(total=600.0, rule="first_come", unpaid="carry"),
    Budget(total=900.0, rule="priority", priority=("P4", "P7"), unpaid="drop"),
], ids=["first_come-carry", "priority-drop"])
def test_budget_lines_with_p4_paid_to_sellers(monkeypatch, budget):
    """P4's claims reach sellers through the sellers' map; the rationing stays the same bits."""
    policy = load_policy().with_switches(p4_beneficiary="seller", p4_contract_types="all")
    res, _ = _run(monkeypatch, policy=policy, budget=budget, on=np.array([1.0, 1, 1, 0, 1, 1]))
    f = res.fiscal
    assert (f.carried.sum() if budget.unpaid == "carry" else f.dropped.sum()) > 0
    assert f.claims[:, policy.clause_ids.index("P4")].sum() > 0


@pytest.mark.parametrize("switches", [
    {"p8a_frequency": "once_per_unit"}, {"p8a_frequency": "per_year"},
    {"p6ab_scope": "settled_or_listed", "p3_followon": "per_year"},
    {"honour_after_window": False, "first_year_rule": "none", "p12_paid_share": 0.5},
    {"p6c_recertified": "each_new_certification", "p6c_first_year": "prorate"},
    {"p4_beneficiary": "seller"},
    {"p4_beneficiary": "seller", "p4_contract_types": "all", "p6c_first_year": "prorate"},
    {"p4_contract_types": "all"},
])
def test_switches(monkeypatch, switches):
    policy = load_policy().with_switches(**switches)
    if not switches.get("honour_after_window", True):
        policy = policy.with_window(dt.date(2023, 6, 30))
    _run(monkeypatch, policy=policy)


def test_scenario_extra_clause(monkeypatch):
    from model.scenario import load_scenario

    sc = load_scenario("scenarios/innovation_vouchers.toml")
    assert "V1" in sc.policy.clauses
    res, _ = _run(monkeypatch, policy=sc.policy)
    assert res.fiscal.paid[:, sc.policy.clause_ids.index("V1")].sum() > 0


def test_per_run_levers(monkeypatch):
    pol = load_policy()
    pol = pol.with_param("P4", "rate", np.linspace(0.01, 0.08, B))
    pol = pol.with_param("P7", "cap_per_unit_year", np.array([5.0, 50, 10, 80, 20, 1]))
    pol = pol.with_param("P6c", "award", np.arange(B, dtype=float) * 7.0)
    pol = pol.with_param("P8a", "min_grants", np.array([1.0, 2, 15, 3, 30, 4]))
    pol = pol.with_param("P13b", "year2", np.arange(B, dtype=float) * 3.3)
    _run(monkeypatch, policy=pol, budget=Budget(total=800.0, rule="pro_rata"))


def test_row_sums_are_numpys():
    rng = np.random.default_rng(5)
    for n in [*range(1, 140), 255, 256, 257, 1053, 1623, 4095, 5000, 9001]:
        x = rng.random(n) * 10.0 ** rng.uniform(-6, 6, n)
        assert pairwise_sum(x, 0, n) == x.sum(), n


def _random_events(rng, policy, group_events, Bn, n, density):
    ev = {}
    for name in group_events:
        if policy.events[name].view_of is not None:  # its items are another event's
            ev["contract_seller"] = np.where(rng.random((Bn, n, 3)) < 0.5,
                                             rng.integers(0, n, (Bn, n, 3)), -1).astype(np.int32)
            continue
        if name in ("tech_contract", "tech_contract_other"):
            x = rng.lognormal(4, 2, (Bn, n, 3)) * (rng.random((Bn, n, 3)) < density)
        elif name in ("rd_super_deduction", "industrialization_base", "offsite_rd_platform"):
            x = rng.lognormal(3, 2, (Bn, n)) * (rng.random((Bn, n)) < density)
        else:
            x = rng.poisson(8 * density, (Bn, n)).astype(float)
        ev[name] = x
    return ev


@pytest.mark.parametrize("seed", range(6))
def test_compiled_awards_match_dense_awards_on_random_events(seed):
    rng = np.random.default_rng(seed)
    Bn, n = 5, int(rng.integers(3, 300))
    pol = load_policy().with_switches(
        p8a_frequency=["per_year", "once_per_unit"][seed % 2],
        p6ab_scope=["settled_only", "settled_or_listed"][seed % 2],
        p6c_recertified=["first_only", "each_new_certification"][seed % 2],
        p6c_first_year=["all", "prorate"][seed // 3],
        p4_beneficiary=["buyer", "seller", "seller"][seed % 3],
        p4_contract_types=["transfer_development", "all"][(seed // 2) % 2])
    if seed >= 3:
        pol = pol.with_param("P4", "cap_per_item", rng.uniform(1, 80, (Bn, 1)))
        pol = pol.with_param("P11", "min_amount", rng.uniform(0, 2000, (Bn, 1)))
    names = [e for e in pol.events if rng.random() < 0.85]
    ev = _random_events(rng, pol, names, Bn, n, float(rng.choice([0.002, 0.05, 0.6])))
    on = (rng.random((Bn, 1)) < 0.7).astype(float)
    once = [cid for cid, c in pol.clauses.items()
            if any(t.once_per_unit for t in c.triggers) or c.formula == "patent_threshold"]
    h0 = {cid: rng.random((Bn, n)) < 0.1 for cid in once}
    for year in (2020, 2022, 2026):
        h_ref, h_fast = copy.deepcopy(h0), copy.deepcopy(h0)
        want = dense_awards(pol, year, ev, on, h_ref)
        got = compiled_awards(pol, year, ev, on, h_fast)
        assert [(a.clause, a.kind, a.offset) for a in got] == \
            [(a.clause, a.kind, a.offset) for a in want]
        for a, b in zip(got, want, strict=True):
            _bits(a.amount, np.asarray(b.amount, np.float64), f"{year} clause {a.clause}")
        _bits(h_fast, h_ref, f"{year} hist")
        assert any(np.any(a.amount > 0) for a in want) or year == 2026


def _fixed_events(rng, pol, Bn, n):
    """Fixed-amount events whose rows straddle the kernels' sparse walk (at most 16 non-zero
    amounts, see dense_compiled._emit): per run, a density from all-zero to dense, plus NaN,
    -0.0 and negative counts."""
    dens = rng.choice([0.0, 0.004, 0.06, 0.12, 0.13, 0.2, 0.7], size=(Bn, 1))
    ev = {}
    for name in pol.events:
        if pol.events[name].basis == "amount" and name.startswith("tech_contract"):
            continue
        x = rng.poisson(2.0, (Bn, n)).astype(float) * (rng.random((Bn, n)) < dens)
        x[rng.random((Bn, n)) < 0.01] = -0.0
        ev[name] = x
    ev["talent_introduced"][0, 3] = np.nan
    ev["standard_local"][1, 5] = -1.0
    return ev


@pytest.mark.parametrize("case", ["default", "listed", "negative", "infinite", "nan"])
def test_fixed_sparse_rows_match_dense_awards(case):
    """The compiled claims and row totals are `dense_awards`' bits for rows on either side of
    the sparse walk in one call, several triggers (once-per-unit flags among them), negative
    values, and values for which a zero event does not give a zero amount (inf or NaN)."""
    rng = np.random.default_rng(11)
    Bn, n = 24, 203
    pol = load_policy().with_switches(
        p6ab_scope="settled_or_listed" if case != "default" else "settled_only")
    if case == "negative":
        pol = pol.with_param("P8b", "award_national", -3.0)
        pol = pol.with_param("P1", "award", rng.uniform(-5, 5, (Bn, 1)))
    if case == "infinite":
        pol = pol.with_param("P9a", "award_regional", np.inf)
        pol = pol.with_param("P6a", "award", np.where(rng.random((Bn, 1)) < 0.5, np.inf, 7.0))
    if case == "nan":
        pol = pol.with_param("P8b", "award_local", np.nan)
    ev = _fixed_events(rng, pol, Bn, n)
    on = (rng.random((Bn, 1)) < 0.8).astype(float)
    once = [cid for cid, c in pol.clauses.items()
            if any(t.once_per_unit for t in c.triggers) or c.formula == "patent_threshold"]
    h0 = {cid: rng.random((Bn, n)) < 0.05 for cid in once}
    for year in (2020, 2021):
        h_ref, h_fast = copy.deepcopy(h0), copy.deepcopy(h0)
        with np.errstate(invalid="ignore"):  # inf × 0 in the reference, on purpose
            want = dense_awards(pol, year, ev, on, h_ref)
        jobs = plan_awards(pol, year, ev, on, h_fast)
        assert [(j.clause, j.kind, j.offset) for j in jobs] == \
            [(a.clause, a.kind, a.offset) for a in want]
        for job, ref in zip(jobs, want, strict=True):
            amount, cs = np.zeros((Bn, job.width)), np.empty(Bn)
            job.run(cs, out=amount)
            ref = np.asarray(ref.amount, np.float64)
            # a ±0 amount is skipped by every sink (x + 0.0 == x): signs of zero aside, bits
            where = f"{case} {year} clause {job.clause}"
            _bits(amount + 0.0, ref + 0.0, where)
            _bits(cs + 0.0, ref.sum(1) + 0.0, f"{where} row totals")
        _bits(h_fast, h_ref, f"{case} {year} hist")
    # the rows straddle the sparse walk (16 non-zero amounts), and NaN amounts occur
    per_row = np.count_nonzero(ev["standard_national"] + 0.0, axis=1)
    assert (per_row <= 16).any() and (per_row > 16).any()
    assert any(np.isnan(np.asarray(a.amount)).any() for a in want)
