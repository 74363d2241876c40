"""What each clause group buys (model.attribution): Shapley values on known games, the game
of a scenario, and the attribution's runs against `monte_carlo`'s, bit for bit."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import attribution as A
from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.experiments import RunSpec, additionality_table, as_spec, monte_carlo
from model.policy import load_policy
from model.policy.groups import clause_group, fallback_group, group_items, load_groups
from model.scenario import load_scenario
from model.targets import TARGET_IDS

ROOT = Path(__file__).resolve().parents[1]
SEED = 5150


# -- Shapley values on games with a known answer -------------------------------------------------
def _values(n: int, v) -> np.ndarray:
    """A game's values over the 2^n coalitions from v(frozenset of players)."""
    return np.array([v(frozenset(i for i in range(n) if m >> i & 1)) for m in range(1 << n)],
                    dtype=np.float64)


def _by_permutations(n: int, vals: np.ndarray) -> np.ndarray:
    """The textbook definition: the mean marginal contribution over all n! orders."""
    phi = np.zeros(n)
    perms = list(itertools.permutations(range(n)))
    for order in perms:
        m = 0
        for i in order:
            phi[i] += vals[m | 1 << i] - vals[m]
            m |= 1 << i
    return phi / len(perms)


def test_additive_game_gives_each_player_its_own_worth():
    a = np.array([3.0, -1.5, 0.0, 7.25, 2.0])
    phi = A.shapley(_values(5, lambda s: sum(a[i] for i in s)))
    assert phi == pytest.approx(a, abs=1e-12)
    assert phi[2] == 0.0  # a null player gets exactly 0, not a rounding residue


def test_symmetric_and_unanimity_games():
    n = 6
    sym = A.shapley(_values(n, lambda s: len(s) ** 2))  # v depends on |S| only
    assert sym == pytest.approx(np.full(n, n * n / n), rel=1e-12)
    T = {1, 3, 4}  # unanimity game of T: 1/|T| to each member, 0 to the others
    una = A.shapley(_values(n, lambda s: float(T <= s)))
    assert una == pytest.approx([1 / 3 if i in T else 0.0 for i in range(n)], abs=1e-12)
    # glove game: players 0, 1 hold left gloves, player 2 the right: (1/6, 1/6, 2/3)
    glove = A.shapley(_values(3, lambda s: float(min(len(s & {0, 1}), len(s & {2})))))
    assert glove == pytest.approx([1 / 6, 1 / 6, 2 / 3], abs=1e-12)


@pytest.mark.parametrize("n", [1, 2, 4, 5])
def test_random_games_match_the_permutation_definition(n):
    vals = np.random.default_rng(n).normal(size=1 << n) * 100
    assert A.shapley(vals) == pytest.approx(_by_permutations(n, vals), rel=1e-12, abs=1e-12)


def test_efficiency_and_leave_one_out_on_many_games_at_once():
    vals = np.random.default_rng(1).normal(size=(50, 3, 1 << 7)) * 1e4  # (R, K, 2^7)
    phi = A.shapley(vals)
    total = vals[..., -1] - vals[..., 0]
    assert np.abs(phi.sum(axis=-1) - total).max() <= 1e-9 * np.abs(vals).max()
    loo = A.leave_one_out(vals)
    assert loo[7, 2, 4] == vals[7, 2, -1] - vals[7, 2, (1 << 7) - 1 - (1 << 4)]
    with pytest.raises(ValueError):
        A.shapley(np.zeros(6))


# -- the groups as data ----------------------------------------------------------------------------
def test_every_shipped_clause_is_in_a_named_group_and_items_are_the_sensitivity_groups():
    pol = load_policy()
    fb = fallback_group()
    assert fb == "other"
    assert all(clause_group(pol, c) != fb for c in pol.clause_ids)
    assert list(group_items()) == ["talent", "breakthroughs", "tech_transfer", "firm_awards",
                                   "rd_and_ip", "platforms", "carriers"]
    from model.sensitivity.problem import CLAUSE_GROUPS, output_names

    assert CLAUSE_GROUPS == group_items()
    # the sensitivity study's outputs are unchanged by moving the table into the data
    assert output_names(pol)[:10] == [
        "cost_total", "cost_grant", "cost_fund_investment", "cost_talent", "cost_breakthroughs",
        "cost_tech_transfer", "cost_firm_awards", "cost_rd_and_ip", "cost_platforms",
        "cost_carriers"]
    assert {c: clause_group(pol, c) for c in ("P1", "P3", "P5", "P6c", "P8b", "P11", "P13b")} \
        == {"P1": "talent", "P3": "breakthroughs", "P5": "tech_transfer",
            "P6c": "firm_awards", "P8b": "rd_and_ip", "P11": "platforms", "P13b": "carriers"}
    for g in load_groups().values():
        assert g.label["en"] and g.label["zh"]


def test_a_clause_the_scenario_adds_is_in_the_fallback_group():
    sc = load_scenario(ROOT / "scenarios" / "innovation_vouchers.toml")
    assert clause_group(sc.policy, "V1") == "other"
    from model.sensitivity.problem import output_names

    assert "cost_other" in output_names(sc.policy)
    game = A.make_game(sc.policy)
    assert game.players[-1] == "other" and game.members["other"] == ("V1",)
    assert game.groups[-1] == "other" and game.coalitions == 1 << len(game.players)


# -- the game of a scenario ------------------------------------------------------------------------
def test_baseline_game_players_and_dummies():
    pol = load_scenario(ROOT / "scenarios" / "baseline.toml").policy
    game = A.make_game(pol)
    # P1's amount is unpublished (switch p1_award = 0) and P2 pays nothing: talent is a dummy
    assert game.players == ("breakthroughs", "tech_transfer", "firm_awards", "rd_and_ip",
                            "platforms", "carriers")
    assert "other" not in game.groups and game.clauses["talent"] == ("P1", "P2")
    assert A.make_game(pol.with_switches(p1_award=10.0)).players[0] == "talent"


def test_a_clause_that_pays_nothing_changes_no_run():
    """Why talent may be left out of the baseline's game: P1 on at 0 is P1 off, to the bit."""
    pol = load_policy()
    assert not A.can_pay(pol, "P1") and pol.clauses["P1"].enabled
    roots = roots_from_seeds(replication_seeds(SEED, 3))
    on = run_batch(roots, policy=pol)
    off = run_batch(roots, policy=pol.with_clause("P1", enabled=False))
    assert np.array_equal(on.indicators, off.indicators)
    assert np.array_equal(on.fiscal.paid, off.fiscal.paid)
    assert all(np.array_equal(on.counts[k], off.counts[k]) for k in on.counts)


def test_clauses_the_scenario_switched_off_stay_off_in_every_coalition():
    pol = load_policy().with_clause("P6c", enabled=False)
    for c in ("P9a", "P9b", "P10", "P11"):
        pol = pol.with_clause(c, enabled=False)
    game = A.make_game(pol)
    assert "platforms" not in game.players and game.clauses["platforms"] == ()
    assert game.members["firm_awards"] == ("P6a", "P6b", "P6d")
    full = A.coalition_policy(pol, game, game.coalitions - 1)
    assert full.clauses == pol.clauses  # the grand coalition is the scenario's policy
    for m in range(game.coalitions):
        q = A.coalition_policy(pol, game, m)
        assert not q.clauses["P6c"].enabled and not q.clauses["P10"].enabled
        fa = game.players.index("firm_awards")
        assert q.clauses["P6a"].enabled == bool(m >> fa & 1)
    empty = A.coalition_policy(pol, game, 0)
    assert not any(A.can_pay(empty, c) for c in empty.clause_ids)


# -- the attribution's runs against the experiment's --------------------------------------------
@pytest.fixture(scope="module")
def baseline():
    return load_scenario(ROOT / "scenarios" / "baseline.toml")


@pytest.fixture(scope="module")
def exp(baseline):
    return monte_carlo(baseline, 5, SEED, chunk=2, ledger_reps=0, cap_reps=0)


@pytest.fixture(scope="module")
def att(exp):
    return A.for_run(exp, None)


def test_empty_and_grand_coalitions_are_the_two_arms_bit_for_bit(att, exp):
    assert att.check == {"replications": 5, "policy_arm_equal": True,
                         "counterfactual_arm_equal": True, "agree": True}
    assert np.array_equal(att.empty[:, :9], exp.final[1])
    assert np.array_equal(att.full[:, :9], exp.final[0])
    assert np.array_equal(att.full[:, 9], exp.paid.sum(axis=(1, 2, 3)))


def test_totals_equal_additionality_and_groups_add_up_to_them(att, exp):
    tab = A.attribution_table(att)
    add = additionality_table(exp, n_boot=50)
    dif = add[add["measure"] == "difference"].set_index("target")
    tot = tab[tab["group"] == A.TOTAL].set_index("measure")
    for tid in TARGET_IDS:
        assert tot.at[tid, "shapley"] == dif.at[tid, "estimate"]  # exactly: same runs
        assert (tot.at[tid, "shapley_ci_low"], tot.at[tid, "shapley_ci_high"]) == (
            dif.at[tid, "ci_low"], dif.at[tid, "ci_high"])
    per = add[add["measure"] == "cost_per_additional"].set_index("target")
    assert tot.at["cost", "shapley"] == per.at["T1", "mean_paid"]
    assert tot.at["T1", "cost_per_additional"] == pytest.approx(per.at["T1", "estimate"],
                                                                rel=1e-12)
    groups = tab[tab["group"] != A.TOTAL]
    sums = groups.groupby("measure")["shapley"].sum()
    for m in A.MEASURES:
        scale = max(1.0, abs(tot.at[m, "shapley"]), groups.loc[groups.measure == m,
                                                                "shapley"].abs().max())
        assert abs(sums[m] - tot.at[m, "shapley"]) <= 1e-12 * scale, m
    own = groups[groups.measure == "cost"]["own_outlay"].sum()
    assert own == pytest.approx(tot.at["cost", "own_outlay"], rel=1e-12)
    assert tab.groupby("measure").size().to_dict() == {m: 8 for m in A.MEASURES}
    assert list(tab.columns[:6]) == ["measure", "group", "shapley", "leave_one_out",
                                     "own_outlay", "cost_per_additional"]


def test_cost_per_additional_follows_the_stated_rule(att):
    tab = A.attribution_table(att)
    assert tab.loc[tab.measure == "cost", "cost_per_additional"].isna().all()
    t = tab[tab.measure != "cost"]
    ok = t["shapley_ci_low"] > 0
    assert t.loc[~ok, "cost_per_additional"].isna().all()
    assert np.allclose(t.loc[ok, "cost_per_additional"],
                       t.loc[ok, "own_outlay"] / t.loc[ok, "shapley"], rtol=1e-15)
    talent = tab[(tab.group == "talent")]
    assert (talent["shapley"] == 0).all() and (talent["own_outlay"] == 0).all()


def test_fewer_replications_are_the_first_of_the_run(att, exp):
    two = A.for_run(exp, 2)
    assert two.check["agree"] and two.replications == 2
    assert np.array_equal(two.phi, att.phi[:2]) and np.array_equal(two.loo, att.loo[:2])
    assert A.for_run(exp, 0) is None
    assert A.record(None) == {"replications": 0}


def test_budget_rationing_still_adds_up_and_matches_the_arms():
    """Under a binding budget line the groups interact (they share the money): still exact."""
    sc = load_scenario(ROOT / "scenarios" / "budget_capped.toml")
    pol = sc.policy
    for c in ("P3", "P9a", "P9b", "P10", "P11", "P12", "P13a", "P13b", "P5"):
        pol = pol.with_clause(c, enabled=False)  # three players: 8 coalitions, a quick test
    spec = RunSpec("capped3", pol, dict(sc.params), budget=sc.budget)
    assert A.make_game(pol).players == ("tech_transfer", "firm_awards", "rd_and_ip")
    e = monte_carlo(spec, 4, SEED, ledger_reps=0, cap_reps=0)
    a = A.for_run(e, None)
    assert a.check["agree"]
    total = a.full - a.empty
    assert np.abs(a.phi.sum(axis=2) - total).max() <= 1e-9 * max(1.0, np.abs(total).max())
    # rationing: the groups' cost values are not their unrationed claims; leave-one-out and
    # Shapley differ somewhere (an interaction), yet both are read on the same runs
    assert not np.allclose(a.phi, a.loo)
    # replications per coalition call (memory) change no number
    b = A.attribute(spec, 4, SEED, chunk=3)
    assert np.array_equal(b.phi, a.phi) and np.array_equal(b.own, a.own)


def test_scenario_extra_clause_is_the_other_group_in_the_table():
    sc = load_scenario(ROOT / "scenarios" / "innovation_vouchers.toml")
    pol = sc.policy
    for c in pol.clause_ids:
        if clause_group(pol, c) not in ("firm_awards", "tech_transfer", "other"):
            pol = pol.with_clause(c, enabled=False)
    spec = as_spec(dict(name="v", policy=pol, params=dict(sc.params)))
    e = monte_carlo(spec, 3, SEED, ledger_reps=0, cap_reps=0)
    a = A.for_run(e, None)
    assert a.game.players == ("tech_transfer", "firm_awards", "other") and a.check["agree"]
    tab = A.attribution_table(a)
    other = tab[(tab.group == "other") & (tab.measure == "cost")].iloc[0]
    assert other["clauses"] == "V1" and other["own_outlay"] > 0
    assert set(tab.group) == {*load_groups(), A.TOTAL}
    assert math.isnan(tab.loc[(tab.group == "platforms") & (tab.measure == "T1"),
                              "cost_per_additional"].iloc[0])
    assert isinstance(tab, pd.DataFrame)


# -- `parksim run` writes it -----------------------------------------------------------------------
BASE = str(ROOT / "scenarios" / "baseline.toml")


def test_parksim_run_writes_attribution_whose_totals_are_additionality_csv(tmp_path):
    import json

    from model.report import run_command

    out = tmp_path / "r"
    assert run_command.main([BASE, "-R", "4", "--seed", "11", "--out", str(out), "--quiet"]) == 0
    att = pd.read_csv(out / "attribution.csv")
    add = pd.read_csv(out / "additionality.csv")
    tot = att[att["group"] == "total"].set_index("measure")
    dif = add[add["measure"] == "difference"].set_index("target")
    for tid in TARGET_IDS:  # the same runs: equal to the last printed digit
        assert tot.at[tid, "shapley"] == dif.at[tid, "estimate"], tid
        assert dif.at[tid, "ci_low"] <= tot.at[tid, "shapley"] <= dif.at[tid, "ci_high"]
    hte = add[(add["measure"] == "cost_per_additional") & (add["target"] == "T1")].iloc[0]
    assert tot.at["cost", "shapley"] == hte["mean_paid"]
    assert tot.at["T1", "cost_per_additional"] == hte["estimate"]
    assert (att["replications"] == 4).all() and len(att) == 10 * 8
    meta = json.loads((out / "run.json").read_text())["attribution"]
    assert meta["replications"] == 4 and meta["coalitions"] == 64 and meta["check"]["agree"]
    s = (out / "summary.md").read_text()
    for words in ("## What each clause group buys", "Shapley value", "Leave-one-out",
                  "HTE (T1), whole outlay", "HTE (T1), P6c's own outlay only",
                  "Firm awards: unicorns, gazelles, HTEs (P6)", "attribution.csv"):
        assert words in s, words


def test_attribution_replications_option(tmp_path, capsys):
    import json

    from model.report import run_command

    off = tmp_path / "off"
    assert run_command.main([BASE, "-R", "2", "--seed", "3", "--out", str(off), "--quiet",
                             "--attribution-replications", "0"]) == 0
    assert not (off / "attribution.csv").exists()
    assert json.loads((off / "run.json").read_text())["attribution"] == {"replications": 0}
    assert "was not computed for this run" in (off / "summary.md").read_text()
    one = tmp_path / "one"
    assert run_command.main([BASE, "-R", "2", "--seed", "3", "--out", str(one), "--quiet",
                             "--attribution-replications", "1", "--lang", "zh"]) == 0
    assert (pd.read_csv(one / "attribution.csv")["replications"] == 1).all()
    s = (one / "summary.md").read_text()
    assert "## 各类条款的贡献" in s and "上文2次重复中的前1次" in s and "仅计P6c自身支出" in s
    capsys.readouterr()  # what the runs above printed (a warning without a CJK font)
    bad = tmp_path / "bad"
    assert run_command.main([BASE, "-R", "2", "--out", str(bad), "--quiet",
                             "--attribution-replications", "-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--attribution-replications" in err[0] and not bad.exists()
