"""Scenario files: every validation error names file, key path and expectation; extends chains
resolve; every shipped scenario loads and runs."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.errors import InputError
from model.scenario import SCENARIOS, list_scenarios, load_scenario, shipped

BASE = 'name = "base"\npurpose = "p"\n[run]\nreplications = 10\nseed = 5\n'


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def error(tmp_path: Path, text: str, extends: bool = True) -> InputError:
    write(tmp_path, "base.toml", BASE)
    head = 'extends = "base.toml"\n' if extends else ""
    path = write(tmp_path, "s.toml", head + textwrap.dedent(text))
    with pytest.raises(InputError) as e:
        load_scenario(path)
    return e.value


# where, expected fragment (case-sensitive), for each kind of mistake the issue lists
CASES = [
    ("unknown top-level key", 'purpse = "x"', "purpse", "did you mean 'purpose'"),
    ("unknown clause key", "[policy.clauses.P6c]\nawrd = 40", "policy.clauses.P6c.awrd",
     "did you mean 'award'"),
    ("unknown run key", "[run]\nhorizn = 2025", "run.horizn", "did you mean 'horizon'"),
    ("unknown budget key", "[budget]\ntotl = 5.0", "budget.totl", "did you mean 'total'"),
    ("wrong type", '[run]\nreplications = "many"', "run.replications", "a whole number"),
    ("wrong type, parameter", '[parameters]\nrd_price_elasticity = "high"',
     "parameters.rd_price_elasticity", "a number"),
    ("wrong type, enabled", '[policy.clauses.P4]\nenabled = "no"', "policy.clauses.P4.enabled",
     "true or false"),
    ("parameter outside range", "[parameters]\nrd_price_elasticity = 99",
     "parameters.rd_price_elasticity", "registry range"),
    ("unknown parameter", "[parameters]\nrd_price_elastcity = 1.0",
     "parameters.rd_price_elastcity", "did you mean 'rd_price_elasticity'"),
    ("population parameter out of range", "[population]\ninstitutes = 40",
     "population.institutes", "registry range"),
    ("behaviour parameter under population", "[population]\nrd_price_elasticity = 1.0",
     "population.rd_price_elasticity", "set it under [parameters]"),
    ("switch outside choices", '[policy.switches]\np3_followon = "per_yer"',
     "policy.switches.p3_followon", "one of"),
    ("switch outside range", "[policy.switches]\np1_award = 900", "policy.switches.p1_award",
     "from 0 to 500"),
    ("unknown switch", '[policy.switches]\np3_folowon = "total"', "policy.switches.p3_folowon",
     "did you mean 'p3_followon'"),
    ("negative money, clause", "[policy.clauses.P6c]\naward = -5", "policy.clauses.P6c.award",
     "non-negative"),
    ("negative money, budget", "[budget]\ntotal = -3000.0", "budget.total", "non-negative"),
    ("negative money, budget group", '[budget]\ngroups = { t = { clauses = ["P1"], limit = -1 } }',
     "budget.groups.t.limit", "non-negative"),
    ("share above one", "[policy.clauses.P4]\nrate = 3", "policy.clauses.P4.rate",
     "share from 0 to 1"),
    ("window end before start", "[policy]\nend = 2019-12-31", "policy.end", "2020-06-16"),
    ("clause end before start", "[policy.clauses.P6c]\nend = 2019-01-01",
     "policy.clauses.P6c.end", "2020-06-16"),
    ("unknown clause id", "[policy.clauses.P6x]\naward = 5", "policy.clauses.P6x",
     "did you mean"),
    ("unknown clause id in budget", '[budget]\ngroups = { t = { clauses = ["P6q"], limit = 5 } }',
     "budget.groups.t.clauses[0]", "did you mean"),
    ("unknown clause id in priority", '[budget]\ntotal = 5.0\nrule = "priority"\n'
     'priority = ["P4", "P66c"]', "budget.priority[1]", "a clause id"),
    ("priority rule without order", '[budget]\ntotal = 5.0\nrule = "priority"',
     "budget.priority", "clause ids in order"),
    ("unknown rule", '[budget]\ntotal = 5.0\nrule = "pro_rate"', "budget.rule",
     "did you mean 'pro_rata'"),
    ("budget without a line", '[budget]\nrule = "pro_rata"', "budget", "a total"),
    ("horizon before start", "[run]\nstart = 2020\nhorizon = 2019", "run.horizon", "a year"),
    ("extra clause without source", """
        [policy.extra_clauses.V1]
        item = 22
        kind = "grant"
        beneficiary = "enterprise"
        formula = "rate"
        label = { en = "Voucher" }
        trigger = { en = "contract" }
        quote = "22."
        triggers = [{ event = "tech_contract", param = "rate" }]
        [policy.extra_clauses.V1.params.rate]
        value = 0.3
        unit = "share of the contract"
        label = "Voucher rate"
        """, "policy.extra_clauses.V1.params.rate.source", "assumption"),
    ("extra clause on an unknown event", """
        [policy.extra_clauses.V1]
        item = 22
        kind = "grant"
        beneficiary = "enterprise"
        formula = "rate"
        label = { en = "Voucher" }
        trigger = { en = "contract" }
        quote = "22."
        triggers = [{ event = "tech_contracts", param = "rate" }]
        params.rate = { value = 0.3, unit = "share", label = "r", source = "assumption" }
        """, "policy.extra_clauses.V1.triggers[0].event", "did you mean 'tech_contract'"),
    ("unknown target switch", "[policy.targets]\nt6_practice_base = true",
     "policy.targets.t6_practice_base", "did you mean 't6_practice_bases'"),
    ("target switch of the wrong type", '[policy.targets]\nt5_rd_institutions = "yes"',
     "policy.targets.t5_rd_institutions", "one of true, false"),
    ("T7's switch among the targets", '[policy.targets]\nt7_count_from = "policy_start"',
     "policy.targets.t7_count_from", "set in [run]"),
    ("extra clause reusing an id", """
        [policy.extra_clauses.P4]
        item = 22
        """, "policy.extra_clauses.P4", "a new clause id"),
]


@pytest.mark.parametrize("what,text,where,expected", CASES, ids=[c[0] for c in CASES])
def test_each_mistake_names_file_key_and_expectation(tmp_path, what, text, where, expected):
    e = error(tmp_path, text)
    assert Path(e.file).name == "s.toml", what
    assert e.where == where, what
    assert expected in str(e), (what, str(e))
    assert str(e).startswith(f"{e.file}: {where}: expected")


def test_mistake_in_a_parent_names_the_parent(tmp_path):
    write(tmp_path, "base.toml", BASE + "[policy.clauses.P6c]\naward = -1\n")
    path = write(tmp_path, "child.toml", 'extends = "base.toml"\n')
    with pytest.raises(InputError) as e:
        load_scenario(path)
    assert Path(e.value.file).name == "base.toml"
    assert e.value.where == "policy.clauses.P6c.award"


def test_extends_cycle_names_the_chain(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "c.toml"\n')
    write(tmp_path, "c.toml", 'extends = "a.toml"\n')
    with pytest.raises(InputError) as e:
        load_scenario(tmp_path / "a.toml")
    assert e.value.where == "extends"
    assert "a.toml -> b.toml -> c.toml -> a.toml" in str(e.value)
    assert "cycle" in str(e.value)


def test_missing_extends_file(tmp_path):
    path = write(tmp_path, "a.toml", 'extends = "nowhere.toml"\n')
    with pytest.raises(InputError) as e:
        load_scenario(path)
    assert Path(e.value.file).name == "a.toml" and e.value.where == "extends"
    assert "nowhere.toml" in str(e.value)


def test_toml_syntax_error(tmp_path):
    path = write(tmp_path, "a.toml", "name = \n")
    with pytest.raises(InputError) as e:
        load_scenario(path)
    assert e.value.where == "TOML syntax"


def test_three_level_chain_resolves(tmp_path):
    write(tmp_path, "a.toml", """
        name = "a"
        purpose = "root"
        [run]
        replications = 7
        seed = 11
        [policy.clauses.P6c]
        award = 30.0
        [parameters]
        rd_price_elasticity = 1.2
        """)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "b.toml", """
        extends = "../a.toml"
        [run]
        seed = 12
        [policy.switches]
        p3_followon = "per_year"
        [budget]
        total = 2000.0
        """)
    c = write(tmp_path / "sub", "c.toml", """
        name = "c"
        purpose = "leaf"
        extends = "b.toml"
        [policy.clauses.P4]
        rate = 0.05
        [budget]
        rule = "first_come"
        """)
    s = load_scenario(c)
    assert (s.name, s.purpose) == ("c", "leaf")
    assert (s.replications, s.seed) == (7, 12)  # from a, overridden by b
    assert s.policy.value("P6c", "award") == 30.0  # a
    assert s.policy.switch("p3_followon") == "per_year"  # b
    assert s.policy.value("P4", "rate") == 0.05  # c
    assert s.params["rd_price_elasticity"] == 1.2
    assert s.budget.total == 2000.0 and s.budget.rule == "first_come"  # b's line, c's rule
    assert [Path(p).name for p in s.chain] == ["c.toml", "b.toml", "a.toml"]
    # the digest follows the content, not the file names
    s2 = load_scenario(c)
    assert s2.digest() == s.digest()


def test_purpose_and_name_are_not_inherited(tmp_path):
    write(tmp_path, "base.toml", BASE)
    s = load_scenario(write(tmp_path, "mine.toml", 'extends = "base.toml"\n'))
    assert s.name == "mine" and s.purpose == ""


def test_budget_can_be_switched_off_by_a_child(tmp_path):
    parent = (SCENARIOS / "budget_capped.toml").as_posix()
    text = f'extends = "{parent}"\n[budget]\nenabled = false\n'
    s = load_scenario(write(tmp_path, "x.toml", text))
    assert s.budget is None


def test_shipped_scenarios_have_purposes_and_differ_where_they_say():
    rows = list_scenarios()
    names = {r[0] for r in rows}
    for must in ("baseline", "no_policy", "p3_per_year", "p6ab_listed", "p8a_once",
                 "stop_after_2025", "first_year_all", "first_year_none", "p1_award_assumed",
                 "p12_half", "budget_capped", "hte_award_doubled", "early_end_2023",
                 "extended_2030", "innovation_vouchers", "no_regional_layer", "p6c_recertified",
                 "p6c_first_year_prorate", "p4_seller", "p4_all_contracts", "t6_practice_bases"):
        assert f"{must}.toml" in names
    assert all(purpose.strip() for _, _, purpose in rows)
    assert all(p for _, _, p in list_scenarios(lang="zh"))
    get = {p.stem: load_scenario(p) for p in shipped()}
    assert not get["no_policy"].policy.any_enabled
    assert get["hte_award_doubled"].policy.value("P6c", "award") == 40.0
    assert get["no_regional_layer"].params["regional_layer"] == 0.0
    none = get["first_year_none"].policy  # no 2020 event qualifies, P6c's included
    assert none.year_share("P6c", 2020) == none.year_share("P7", 2020) == 0.0
    assert get["baseline"].params["regional_layer"] == 1.0
    assert get["early_end_2023"].policy.end == dt.date(2023, 12, 31)
    assert (get["extended_2030"].horizon, get["extended_2030"].policy.end) == (
        2030, dt.date(2030, 12, 31))
    assert get["budget_capped"].budget.total == 3000.0
    assert get["p4_seller"].policy.switch("p4_beneficiary") == "seller"
    assert get["p4_all_contracts"].policy.switch("p4_contract_types") == "all"
    assert get["p6c_first_year_prorate"].policy.year_share("P6c", 2020) == 199 / 366
    assert get["first_year_none"].policy.year_share("P6c", 2020) == 0.0
    assert get["t6_practice_bases"].policy.targets == {"t6_practice_bases": True}
    v = get["innovation_vouchers"].policy
    assert "V1" in v.clause_ids and v.value("V1", "rate") == 0.30
    assert v.clauses["V1"].params["rate"].unit.startswith("share")


def test_every_shipped_scenario_runs_small():
    roots = roots_from_seeds(replication_seeds(3, 2))
    base = None
    for p in shipped():
        s = load_scenario(p)
        res = run_batch(roots, policy=s.policy, params=s.params, start=s.start,
                        horizon=s.horizon, t7_count_from=s.t7_count_from, budget=s.budget)
        assert res.years == tuple(range(s.start, s.horizon + 1)), p.name
        assert np.isfinite(res.indicators).all(), p.name
        paid = res.fiscal.paid.sum()
        if p.stem == "baseline":
            base = paid
        if p.stem == "no_policy":
            assert paid == 0.0
        else:
            assert paid > 0.0, p.name
    assert base is not None


def test_vouchers_pay_and_lower_the_price_of_contracts():
    roots = roots_from_seeds(replication_seeds(4, 6))
    b = load_scenario(SCENARIOS / "baseline.toml")
    v = load_scenario(SCENARIOS / "innovation_vouchers.toml")
    rb = run_batch(roots, policy=b.policy, params=b.params)
    rv = run_batch(roots, policy=v.policy, params=v.params)
    iv = v.policy.clause_ids.index("V1")
    per_unit_year = rv.fiscal.paid[:, iv].sum(axis=1)  # (B, Y) total; the cap is per unit
    assert (per_unit_year > 0).all()
    # cheaper technology: more contracts, so P4 (same rate) pays more with vouchers
    i4 = b.policy.clause_ids.index("P4")
    assert rv.fiscal.paid[:, i4].sum() > rb.fiscal.paid[:, i4].sum()
