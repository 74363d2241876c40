"""The policy data: complete, quoted from the source, documented, and the only home of money.

Budget figures are only as trustworthy as the clause files they come from, so these tests tie
each file to the Chinese text and keep amounts out of the code.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from model.errors import InputError
from model.policy.overrides import apply_policy_overrides
from model.policy.spec import load_policy
from model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "model" / "policy" / "source" / "changji_policy_2020.zh.txt"
SHARED_SEED = ROOT.parent / "shared" / "seed" / "changji_policy_2020.zh.txt"
POLICY = load_policy()

# POLICY.md's clause table, by id.
CLAUSE_IDS = ["P1", "P2", "P3", "P4", "P5", "P6a", "P6b", "P6c", "P6d", "P7", "P8a", "P8b",
              "P9a", "P9b", "P10", "P11", "P12", "P13a", "P13b"]


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_clause_of_policy_md_is_a_data_file():
    assert list(POLICY.clauses) == CLAUSE_IDS


def test_source_copy_is_the_seed():
    """The committed copy must stay the shared seed (skipped where the seed is absent, as CI)."""
    if not SHARED_SEED.exists():
        pytest.skip("shared seed not beside the repo")
    assert SOURCE.read_bytes() == SHARED_SEED.read_bytes()


@pytest.mark.parametrize("cid", CLAUSE_IDS)
def test_clause_quote_is_verbatim_in_the_source(cid):
    quote = POLICY.clauses[cid].quote
    assert len(norm(quote)) >= 8, "a quote, not a token"
    assert norm(quote) in norm(SOURCE.read_text(encoding="utf-8"))


def test_switch_and_window_quotes_are_verbatim_in_the_source():
    text = norm(SOURCE.read_text(encoding="utf-8"))
    for s in POLICY.switches.values():
        assert norm(s.quote) in text, s.name
    w = POLICY.window_meta
    for quote in (w["window"]["quote"], w["eligibility"]["quote"], w["funding"]["quote"]):
        assert norm(quote) in text


def test_every_param_has_unit_label_and_a_value_or_switch():
    for cid, c in POLICY.clauses.items():
        for name, p in c.params.items():
            assert p.unit.strip(), (cid, name)
            assert p.label.strip(), (cid, name)
            assert p.value is not None or p.switch, (cid, name)
            if p.value is not None:
                assert p.value >= 0, (cid, name)
            if p.unit.startswith("share"):
                assert p.value <= 1, (cid, name)


def test_every_clause_is_documented():
    for cid, c in POLICY.clauses.items():
        assert c.label.get("en") and c.label.get("zh"), cid
        assert c.trigger.get("en") and c.trigger.get("zh"), cid
        assert c.kind in ("grant", "fund_investment", "none", "grant+fund_investment"), cid
        if c.formula != "none":
            assert c.triggers, cid
            for t in c.triggers:
                assert t.event in POLICY.events, (cid, t.event)
        assert 1 <= c.item <= 13


def test_switches_defaults_are_allowed_and_documented():
    # POLICY.md's seven, then P6c's re-certification (8) and 2020 share (9), then the cost
    # side's P4 beneficiary (10) and contract types (11), issue 16
    assert len(POLICY.switches) == 11
    assert sorted(s.ambiguity for s in POLICY.switches.values()) == list(range(1, 12))
    for s in POLICY.switches.values():
        assert s.rationale.strip() and s.label.get("en") and s.label.get("zh"), s.name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in s.quote), f"{s.name}: a Chinese quote"
        if s.choices is not None:
            assert s.default in s.choices, s.name
        else:
            assert s.range[0] <= s.default <= s.range[1], s.name
    assert POLICY.switch("p1_award") == 0.0  # "not published": no cost until assumed


def test_window_is_the_text():
    assert POLICY.start == dt.date(2020, 6, 16)
    assert POLICY.end == dt.date(2025, 12, 31)


# -- P6c's switches (ambiguities 8 and 9) -----------------------------------------------------
def test_p6c_first_year_share_is_the_same_for_decisions_and_payments():
    """Default "all": every 2020 certification qualifies in full (lists are published in Q4,
    after 16 June); "prorate" follows first_year_rule like the other clauses. The firm's
    expected award (Incentives) and the award paid (dense_awards) use the same share."""
    from model.behaviour.incentives import Incentives
    from model.policy.dense import dense_awards

    c6 = POLICY.clause_ids.index("P6c")
    ev = {"hte_certified": np.ones((1, 3))}
    prorated = POLICY.year_share("P7", 2020)
    assert 0 < prorated < 1
    for pol, share in ((POLICY, 1.0), (POLICY.with_switches(p6c_first_year="prorate"), prorated),
                       (POLICY.with_switches(p6c_first_year="prorate", first_year_rule="none"),
                        0.0)):
        assert pol.year_share("P6c", 2020) == share
        assert pol.year_share("P6c", 2021) == 1.0
        inc = Incentives(pol, 2020, np.ones((1, 1)), np.ones(1))
        expected = inc.value("P6c", "award")
        paid = [a.amount for a in dense_awards(pol, 2020, ev, np.ones((1, 1)), {})
                if a.clause == c6]
        assert np.all(expected == 20.0 * share)
        assert (paid[0] if paid else np.zeros((1, 3))).tolist() == [[20.0 * share] * 3]


def test_p6c_pays_a_lapsed_firms_new_certification_only_by_switch():
    from model.policy.dense import dense_awards

    c6 = POLICY.clause_ids.index("P6c")
    ev = {"hte_certified": np.array([[1.0, 0.0]]), "hte_certified_again": np.array([[0.0, 1.0]])}
    for value, want in (("first_only", [[20.0, 0.0]]),
                        ("each_new_certification", [[20.0, 20.0]])):
        pol = POLICY.with_switches(p6c_recertified=value)
        a = [x for x in dense_awards(pol, 2021, ev, np.ones((1, 1)), {}) if x.clause == c6]
        assert a[0].amount.tolist() == want


# -- no money in code -----------------------------------------------------------------------

MONEY = sorted({float(p.value) for c in POLICY.clauses.values() for p in c.params.values()
                if p.value is not None} - {0.0, 1.0, 2.0, 3.0})
# Literals that happen to equal an amount but are not money: (file, value, text on the line).
NOT_MONEY = {
    ("model/behaviour/investor.py", 30.0, "WEIGHT_CLIP ="),  # exp() overflow guard
    ("model/batch.py", 100.0, "DEFAULT_CHUNK"),  # runs per chunk
}


def _code_files() -> list[Path]:
    files = sorted((ROOT / "model" / "policy").rglob("*.py"))
    files += sorted((ROOT / "model" / "behaviour").rglob("*.py"))
    files += [ROOT / "model" / f for f in ("batch.py", "park.py", "dynamics.py", "settle.py",
                                             "budget.py") if (ROOT / "model" / f).exists()]
    return files


def money_literals(source: str, rel: str) -> list[tuple[int, float]]:
    """(line, value) of numeric literals equal to an amount of the clause data.

    An allow-listed literal must sit in a call or assignment whose text shows what it is."""
    tree = ast.parse(source)
    parent = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    hits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
                and not isinstance(node.value, bool) and float(node.value) in MONEY):
            ctx = parent.get(node)
            while ctx is not None and not isinstance(ctx, (ast.Call, ast.Assign, ast.stmt)):
                ctx = parent.get(ctx)
            text = (ast.get_source_segment(source, ctx) or "") if ctx is not None else ""
            if not any(f == rel and v == float(node.value) and s in text
                       for f, v, s in NOT_MONEY):
                hits.append((node.lineno, node.value))
    return hits


def test_money_values_are_known():
    assert {0.03, 50.0, 150.0, 200.0, 1000.0, 100.0, 0.2, 0.8} <= set(MONEY)


def test_the_scan_finds_a_planted_amount():
    planted = textwrap.dedent("""
        CAP = 150.0
        def f(x):
            return min(x * 0.03, 50), x[0], x[3]
    """)
    assert sorted(v for _, v in money_literals(planted, "x.py")) == [0.03, 50, 150.0]


def test_no_money_amount_is_written_in_code():
    assert _code_files(), "nothing scanned"
    found = {}
    for f in _code_files():
        rel = f.relative_to(ROOT).as_posix()
        hits = money_literals(f.read_text(encoding="utf-8"), rel)
        if hits:
            found[rel] = hits
    assert not found, f"amounts of the clause data written in code (line, value): {found}"


# -- scenario overrides -----------------------------------------------------------------------


def test_overrides_apply():
    p = apply_policy_overrides(POLICY, {
        "switches": {"p3_followon": "per_year", "honour_after_window": False, "p1_award": 10},
        "clauses": {"P6c": {"award": 40.0, "end": dt.date(2023, 12, 31)},
                    "P4": {"enabled": False}},
        "end": dt.date(2024, 12, 31)}, "s.toml")
    assert p.switch("p3_followon") == "per_year" and p.switch("honour_after_window") is False
    assert p.value("P1", "award") == 10.0
    assert p.value("P6c", "award") == 40.0 and p.clause_end("P6c") == dt.date(2023, 12, 31)
    assert not p.clauses["P4"].enabled and p.end == dt.date(2024, 12, 31)
    assert POLICY.value("P6c", "award") == 20.0, "the default policy is untouched"
    assert not apply_policy_overrides(POLICY, {"enabled": False}, "s.toml").any_enabled


@pytest.mark.parametrize("table, where, hint", [
    ({"switches": {"p3_folowon": "total"}}, "policy.switches.p3_folowon", "p3_followon"),
    ({"switches": {"p3_followon": "both"}}, "policy.switches.p3_followon", "per_year"),
    ({"switches": {"honour_after_window": 1}}, "policy.switches.honour_after_window", "true"),
    ({"switches": {"p12_paid_share": 1.5}}, "policy.switches.p12_paid_share", "0 to 1"),
    ({"switches": {"p1_award": "ten"}}, "policy.switches.p1_award", "number"),
    ({"clauses": {"P6e": {"award": 1.0}}}, "policy.clauses.P6e", "P6"),
    ({"clauses": {"P4": {"cap_per_contract": 60}}}, "policy.clauses.P4.cap_per_contract",
     "cap_per_item"),
    ({"clauses": {"P4": {"cap_per_item": -1}}}, "policy.clauses.P4.cap_per_item",
     "non-negative"),
    ({"clauses": {"P4": {"rate": 3}}}, "policy.clauses.P4.rate", "0 to 1"),
    ({"clauses": {"P4": {"enabled": "no"}}}, "policy.clauses.P4.enabled", "true or false"),
    ({"clauses": {"P4": {"end": "2023-12-31"}}}, "policy.clauses.P4.end", "date"),
    ({"swiches": {}}, "policy.swiches", "switches"),
    ({"end": dt.date(2019, 1, 1)}, "policy.end", "2020-06-16"),
])
def test_override_errors_name_file_key_and_nearest(table, where, hint):
    with pytest.raises(InputError) as e:
        apply_policy_overrides(POLICY, table, "scen.toml")
    assert e.value.file == "scen.toml" and e.value.where == where
    assert hint in str(e.value)


def test_scenario_file_with_extends(tmp_path):
    (tmp_path / "base.toml").write_text('name = "b"\n[policy.switches]\np3_followon = "per_year"\n')
    (tmp_path / "child.toml").write_text(
        'name = "c"\nextends = "base.toml"\n[run]\nseed = 1\n'
        '[policy.clauses.P6c]\naward = 30.0\n')
    p = load_scenario(tmp_path / "child.toml").policy
    assert p.switch("p3_followon") == "per_year" and p.value("P6c", "award") == 30.0
    (tmp_path / "loop.toml").write_text('extends = "loop.toml"\n')
    with pytest.raises(InputError, match="cycle"):
        load_scenario(tmp_path / "loop.toml")
    (tmp_path / "typo.toml").write_text('[polcy.switches]\np1_award = 1.0\n')
    with pytest.raises(InputError, match="did you mean 'policy'"):
        load_scenario(tmp_path / "typo.toml")


@pytest.mark.parametrize("name", ["first_year_all", "p3_per_year", "hte_award_doubled",
                                  "early_end_2023", "no_policy", "p12_half"])
def test_project_scenarios_load(name):
    path = ROOT / "scenarios" / f"{name}.toml"
    p = load_scenario(path).policy
    assert p != POLICY
