"""The award core against hand-computed cases (tests/cases/award_cases.toml) and properties.

The cases pin every cap and threshold from both sides, both sides of the window and each
switch both ways; the properties check, on random events, that no award breaks a cap read
from the data and that every total is the exact sum of its ledger rows.
"""

from __future__ import annotations

import ast
import math
import operator
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.policy.core import CAPS, KIND_CODES, REASONS, Events, cap_in_order, compute_ledger
from model.policy.overrides import apply_policy_overrides
from model.policy.spec import load_policy

CASES_FILE = Path(__file__).parent / "cases" / "award_cases.toml"
CASES = tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))["case"]
POLICY = load_policy()

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv}


def hand(expr: float | int | str) -> float:
    """The value of a hand-arithmetic string such as "20 * 199 / 366" (numbers and + - * /)."""
    if not isinstance(expr, str):
        return float(expr)

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError(f"not hand arithmetic: {expr!r}")

    return ev(ast.parse(expr, mode="eval"))


def events_of(rows: list[dict]) -> Events:
    return Events.from_columns(
        POLICY,
        unit_id=[r["unit"] for r in rows],
        year=[r["year"] for r in rows],
        event=np.array([r["event"] for r in rows], dtype=object),
        amount=[r.get("amount", math.nan) for r in rows],
        eligible=[r.get("eligible", True) for r in rows])


def test_hand_arithmetic_helper():
    assert hand("20 * 199 / 366") == 20 * 199 / 366
    assert hand("2 * 20 + 3 * 15") == 85.0
    with pytest.raises(ValueError):
        hand("__import__('os')")


def test_cases_file_is_well_formed():
    assert len(CASES) >= 50
    names = [c["name"] for c in CASES]
    assert len(set(names)) == len(names), "case names must be unique"
    for c in CASES:
        for key in c["expect"]:
            cid, _, kind = key.partition(":")
            assert cid in POLICY.clauses, (c["name"], key)
            assert kind in ("", *KIND_CODES), (c["name"], key)
        for e in c["events"]:
            assert e["event"] in POLICY.events, (c["name"], e)


def test_every_clause_with_money_and_every_switch_has_a_case():
    paid = {k.partition(":")[0] for c in CASES for k in c["expect"]}
    money = {cid for cid, c in POLICY.clauses.items() if c.formula != "none"}
    assert money <= paid, f"clauses without a paying case: {sorted(money - paid)}"
    for name in POLICY.switches:
        values = {repr(c.get("policy", {}).get("switches", {}).get(name)) for c in CASES} - {
            "None"}
        assert len(values) >= 2, f"switch {name} not tested both ways: {values}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hand_computed_case(case):
    policy = apply_policy_overrides(POLICY, case.get("policy", {}), str(CASES_FILE))
    ledger = compute_ledger(events_of(case["events"]), policy)
    frame = ledger.to_frame()
    got = ledger.totals()
    want = {}
    for key, expr in case["expect"].items():
        cid, _, kind = key.partition(":")
        want[(cid, kind or "grant")] = hand(expr)
    for key, value in want.items():
        assert got.get(key, 0.0) == pytest.approx(value, abs=1e-9), key
    for key, value in got.items():
        if key not in want:
            assert value == 0.0, f"{key} pays {value}, expected nothing"
    assert (frame["amount"] >= 0).all()
    if "reasons" in case:
        assert set(frame["reason"]) - {""} == set(case["reasons"])
    if "capped" in case:
        assert set(frame["capped_by"]) - {""} == set(case["capped"])


# -- properties --------------------------------------------------------------------------------

NAMES = list(POLICY.events)


@st.composite
def event_tables(draw):
    n = draw(st.integers(1, 60))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=n, max_size=n))
    money = st.one_of(st.floats(0, 20000, allow_nan=False), st.sampled_from(
        [0.0, 999.99, 1000.0, 1666.0, 1667.0, 2000.0, 5000.0]))
    amounts = []
    for name in names:
        basis = POLICY.events[name].basis
        if basis == "amount":
            amounts.append(draw(money))
        elif basis == "count":
            amounts.append(float(draw(st.integers(0, 40))))
        else:
            amounts.append(math.nan)
    return Events.from_columns(
        POLICY,
        unit_id=draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)),
        year=draw(st.lists(st.integers(2019, 2027), min_size=n, max_size=n)),
        event=np.array(names, dtype=object), amount=amounts,
        eligible=draw(st.lists(st.booleans(), min_size=n, max_size=n)))


switch_settings = st.fixed_dictionaries({
    name: (st.sampled_from(list(s.choices)) if s.choices is not None
           else st.floats(s.range[0], s.range[1], allow_nan=False))
    for name, s in POLICY.switches.items()})


def within(cap: float, n: int) -> float:
    """The cap plus the rounding of adding n rows (n ulps): a sum the clerk's running total
    keeps at the cap can differ from the exactly rounded sum by that much, never by a 万元."""
    return cap + n * math.ulp(cap)


def _caps(policy, cid, name):
    p = policy.clauses[cid].params
    return policy.value(cid, name) if name in p else None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=event_tables(), switches=switch_settings)
def test_no_award_breaks_a_cap(events, switches):
    policy = POLICY.with_switches(**switches)
    ledger = compute_ledger(events, policy)
    f = ledger.to_frame()
    assert (f["amount"] >= 0).all()
    assert np.isfinite(f["amount"]).all()
    bad = f[(f["reason"] != "") & (f["reason"] != "first_year_share") & (f["amount"] != 0)]
    assert bad.empty, f"a row with a zero-award reason pays:\n{bad}"
    for cid, c in policy.clauses.items():
        rows = f[f["clause"] == cid]
        if rows.empty:
            continue
        item = _caps(policy, cid, "cap_per_item")
        if item is not None:
            assert (rows["amount"] <= item).all(), cid
        unit_year = _caps(policy, cid, "cap_per_unit_year")
        if unit_year is not None:
            for _, g in rows.groupby(["unit_id", "year"]):
                assert math.fsum(g["amount"]) <= within(unit_year, len(g)), (cid, list(g["amount"]))
        if c.formula == "fixed":  # a one-off pays at most its amount times the count
            top = max(policy.value(cid, t.param) for t in c.triggers)
            counts = events.amount[rows["event_row"].to_numpy()]
            counts = np.where(np.isnan(counts), 1.0, counts)
            assert (rows["amount"].to_numpy() <= top * counts + 1e-12).all(), cid
        if c.formula == "patent_threshold":
            assert (rows["amount"] <= policy.value(cid, "award")).all()
            # one decision per unit-year; rows excluded before the test keep their own zero rows
            tested = rows[~rows["reason"].isin(["ineligible", "out_of_window", "clause_off"])]
            assert not tested.duplicated(["unit_id", "year"]).any()


@settings(max_examples=200, deadline=None)
@given(events=event_tables(), switches=switch_settings)
def test_totals_are_exact_sums_of_rows(events, switches):
    from model.cli import kind_totals

    ledger = compute_ledger(events, POLICY.with_switches(**switches))
    f = ledger.to_frame()
    totals = ledger.totals()
    assert set(totals) == set(zip(f["clause"], f["kind"], strict=True))
    for (cid, kind), v in totals.items():
        rows = f[(f["clause"] == cid) & (f["kind"] == kind)]["amount"]
        assert v == math.fsum(rows)  # exact, not approx
    for kind, v in kind_totals(ledger).items():
        assert v == math.fsum(f.loc[f["kind"] == kind, "amount"])


@settings(max_examples=300, deadline=None)
@given(amount=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=30),
       groups=st.data(), cap=st.floats(0, 1e6, allow_nan=False))
def test_cap_in_order_never_exceeds(amount, groups, cap):
    a = np.array(amount)
    g = np.array(groups.draw(st.lists(st.integers(0, 3), min_size=a.size, max_size=a.size)))
    paid, cut = cap_in_order(a, g, cap)
    assert (paid >= 0).all() and (paid <= a).all()
    for k in np.unique(g):
        assert math.fsum(paid[g == k]) <= within(cap, int((g == k).sum()))
        # rows are paid in order: once one is cut, later ones of the group get nothing more
        # than what is left, and if nothing is cut the group is paid in full
        if not cut[g == k].any():
            assert (paid[g == k] == a[g == k]).all()
    assert ((paid < a) == cut).all()


@settings(max_examples=200, deadline=None)
@given(small=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=40),
       big=st.lists(st.floats(1e3, 1e9, allow_nan=False), min_size=1, max_size=200),
       cap=st.floats(0, 500, allow_nan=False))
def test_cap_in_order_groups_are_independent(small, big, cap):
    """A group is capped as if alone: other groups' sums must not leak into its running total
    (an earlier version used one cumulative sum over all rows and did leak)."""
    a_small, a_big = np.array(small), np.array(big)
    alone, _ = cap_in_order(a_small, np.zeros(a_small.size, np.int64), cap)
    a = np.r_[a_big, a_small]
    g = np.r_[np.zeros(a_big.size, np.int64), np.ones(a_small.size, np.int64)]
    together, _ = cap_in_order(a, g, cap)
    assert np.array_equal(together[a_big.size:], alone)
    # and the running total is the clerk's: each row gets what is left of the cap
    run, want = 0.0, []
    for x in small:
        want.append(min(max(cap - run, 0.0), x))
        run += x
    assert np.array_equal(alone, np.array(want))


def test_ledger_codes_are_known():
    ev = events_of([{"unit": 1, "year": 2022, "event": "tech_contract", "amount": 9e9}])
    f = compute_ledger(ev, POLICY).to_frame()
    assert set(f["capped_by"]) <= set(CAPS) and set(f["reason"]) <= set(REASONS)


def test_events_and_window_agree_with_the_data():
    """2020's share is computed from window.toml, not a constant: 199 of 366 days (P6c's is
    1 by its own switch p6c_first_year, default "all", or 199/366 when it follows the rule)."""
    assert POLICY.start.isoformat() == "2020-06-16"
    assert POLICY.year_share("P4", 2020) == 199 / 366
    assert POLICY.year_share("P6c", 2025) == 1.0
    assert POLICY.year_share("P6c", 2026) == 0.0
    # P6c's 2020 follows its own switch (p6c_first_year): in full by default, else the rule
    assert POLICY.year_share("P6c", 2020) == 1.0
    prorate = POLICY.with_switches(p6c_first_year="prorate")
    assert prorate.year_share("P6c", 2020) == 199 / 366
    assert prorate.with_switches(first_year_rule="none").year_share("P6c", 2020) == 0.0
    assert POLICY.with_switches(first_year_rule="none").year_share("P6c", 2020) == 1.0
