"""Who pays and what the money is worth: P3's payer and equity, the clause data's new keys,
the targets' switches in scenarios, and P2's (absent) rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.behaviour import compiled, institute
from model.behaviour.incentives import Incentives, salience
from model.errors import InputError
from model.params import default_params
from model.policy.spec import _clause, load_policy
from model.rng import Streams
from model.scenario import load_scenario

POLICY = load_policy()
ROOT = Path(__file__).resolve().parents[1]
ON = np.ones((1, 1))


def _inc(policy=POLICY, year=2022):
    return Incentives(policy, year, ON, np.ones(1))


def test_p3_follow_on_is_valued_at_the_equity_share():
    """200 of grant plus the 500 of follow-on equity at equity_value_share of its face."""
    p = default_params()
    assert p["equity_value_share"] == 0.5
    assert _inc().schedule_value("P3", p) == pytest.approx(200 + 0.5 * 500)
    per_year = POLICY.with_switches(p3_followon="per_year")
    assert _inc(per_year).schedule_value("P3", p) == pytest.approx(200 + 0.5 * 1000)
    # at face value it is the whole schedule; a (B, 1) lever per run works
    assert _inc().schedule_value("P3", {**p, "equity_value_share": 1.0}) == \
        _inc().schedule_total("P3")
    lever = {**p, "equity_value_share": np.array([0.0, 1.0])}
    inc2 = Incentives(POLICY, 2022, np.ones((2, 1)), np.ones(2))
    assert inc2.schedule_value("P3", lever).ravel().tolist() == [200.0, 700.0]
    # a grant-only schedule (P13b) is not discounted
    assert _inc().schedule_value("P13b", p) == _inc().schedule_total("P13b")


def test_breakthroughs_weigh_the_equity_at_its_value():
    """The compiled firms' threshold and the institutes' decision read the same value."""
    p = {**default_params(), "breakthrough_prob": 0.5}
    for share in (0.3, 0.8):
        q = {**p, "equity_value_share": share}
        thr = compiled._run_values(q, _inc(), POLICY, 2022, 1)["thr_bt"][0]
        assert thr == 0.5 * salience(_inc().schedule_value("P3", q), q)
    lo, hi = (compiled._run_values({**p, "equity_value_share": s}, _inc(), POLICY, 2022, 1)
              ["thr_bt"] for s in (0.3, 0.8))
    assert hi[0] > lo[0]
    # institutes: the same draws, so a higher value can only add breakthroughs
    B, M = 40, 12
    i = {"active": np.ones((B, M), bool), "contracts_last": np.zeros((B, M), np.int16)}
    inc = Incentives(POLICY, 2022, np.ones((B, 1)), np.ones(B))
    rs = Streams(roots_from_seeds(replication_seeds(5, B)), 2022)
    a = institute.decide(i, {**p, "equity_value_share": 0.3}, inc, rs)["major_breakthrough"]
    b = institute.decide(i, {**p, "equity_value_share": 0.8}, inc, rs)["major_breakthrough"]
    assert np.all(b >= a) and b.sum() > a.sum()


def test_payer_of_each_clause_and_kind():
    assert POLICY.payer("P3", "grant") == "prefecture"
    assert POLICY.payer("P3", "fund_investment") == "region_fund"
    assert {POLICY.payer(c, "grant") for c in POLICY.clauses} == {"prefecture"}
    # the text: the awards are the prefecture's own budget (window.toml's funding clause)
    assert "州本级财政" in POLICY.window_meta["funding"]["quote"]


def _clause_dict(**over):
    d = {"id": "X1", "item": 3, "kind": "grant+fund_investment", "beneficiary": "unit",
         "formula": "schedule", "label": {"en": "x"}, "trigger": {"en": "x"}, "quote": "x",
         "triggers": [{"event": "major_breakthrough"}],
         "params": {"a": {"value": 1.0, "unit": "万元", "label": "a"}},
         "schedule": [{"offset": 0, "kind": "grant", "param": "a"},
                      {"offset": 1, "kind": "fund_investment", "param": "a",
                       "payer": "region_fund"}]}
    d.update(over)
    return d


def test_clause_data_is_checked():
    ok = _clause("X1.toml", _clause_dict(), POLICY.switches, POLICY.events)
    assert ok.payer == "prefecture" and ok.schedule[1].payer == "region_fund"
    bad = [
        (_clause_dict(payer="county"), "payer"),
        (_clause_dict(schedule=[{"offset": 1, "kind": "fund_investment", "param": "a",
                                 "payer": "region_fund"},
                                {"offset": 2, "kind": "fund_investment", "param": "a"}]),
         "schedule[0].payer"),
        (_clause_dict(triggers=[{"event": "major_breakthrough", "requires": {
            "switch": "p4_beneficiery", "value": "buyer"}}]), "triggers[0].requires.switch"),
        (_clause_dict(triggers=[{"event": "major_breakthrough", "requires": [
            {"switch": "p4_beneficiary", "value": "buyer"},
            {"switch": "p4_contract_types", "value": "some"}]}]),
         "triggers[0].requires[1].value"),
        (_clause_dict(first_year_switch="p4_beneficiary"), "first_year_switch"),
    ]
    for d, where in bad:
        with pytest.raises(InputError) as e:
            _clause("X1.toml", d, POLICY.switches, POLICY.events)
        assert e.value.where == where, (where, str(e.value))


def test_a_scenario_counts_practice_bases_in_t6(tmp_path):
    path = tmp_path / "t6.toml"
    base = load_scenario(ROOT / "scenarios" / "baseline.toml").path.resolve()
    path.write_text(textwrap.dedent(f"""
        name = "t6_with_bases"
        purpose = "T6 counts postdoc innovation practice bases"
        extends = "{base}"
        [policy.targets]
        t6_practice_bases = true
        t5_rd_institutions = false
        """), encoding="utf-8")
    sc = load_scenario(path)
    assert sc.policy.targets == {"t6_practice_bases": True, "t5_rd_institutions": False}
    roots = roots_from_seeds(replication_seeds(9, 3))
    on = np.array([1.0, 0.0, 1.0])
    a = run_batch(roots, on=on, horizon=2023)
    b = run_batch(roots, on=on, horizon=2023, policy=sc.policy)
    j5, j6 = 4, 5
    assert np.all(b.indicators[:, :, j6] >= a.indicators[:, :, j6])
    assert (b.indicators[:, -1, j6] > a.indicators[:, -1, j6]).any()  # some base was counted
    assert np.all(b.indicators[:, :, j5] <= a.indicators[:, :, j5])
    others = [j for j in range(9) if j not in (j5, j6)]
    assert np.array_equal(a.indicators[:, :, others], b.indicators[:, :, others])


def test_p2_claims_no_behaviour():
    """P2 pays nothing and, since no rule uses it, its data claims no effect."""
    c = POLICY.clauses["P2"]
    assert c.formula == "none" and not c.serves_targets
    assert "no rule of the model uses it" in c.note
