"""Monte Carlo experiments: intervals, reproducibility, money adding up, additionality."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.calibration.posterior import posterior_params, replication_params
from model.experiments import (
    additionality_table,
    fiscal_table,
    indicators_table,
    monte_carlo,
    paired_ci,
    targets_table,
    wilson,
)
from model.scenario import load_scenario
from model.targets import TARGET_IDS

ROOT = Path(__file__).resolve().parents[1]
SEED = 424242


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(ROOT / "scenarios" / "baseline.toml")


@pytest.fixture(scope="module")
def big(baseline):
    return monte_carlo(baseline, 256, SEED, ledger_reps=0, cap_reps=2)


@pytest.fixture(scope="module")
def small(baseline):
    # a different chunk size, and replications that are a prefix of `big`'s
    return monte_carlo(baseline, 16, SEED, chunk=5, ledger_reps=2, cap_reps=2)


# Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (Wilson score, no continuity fix)
@pytest.mark.parametrize("k,n,lo,hi", [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605),
                                       (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)])
def test_wilson_matches_published_values(k, n, lo, hi):
    got = wilson(k, n)
    assert got == pytest.approx((lo, hi), abs=5e-5)


def test_wilson_matches_closed_form():
    z = 1.959963984540054
    for k, n in [(3, 10), (50, 100), (999, 1000)]:
        p = k / n
        c = (p + z * z / (2 * n)) / (1 + z * z / n)
        h = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        assert wilson(k, n) == pytest.approx((c - h, c + h), rel=1e-9)


def test_paired_ci_degenerate_and_t():
    assert paired_ci(np.zeros(10)) == (0.0, 0.0, 0.0)
    m, lo, hi = paired_ci(np.array([1.0, 2.0, 3.0, 4.0]))
    assert m == 2.5 and lo == pytest.approx(2.5 - 3.182446305 * np.std([1, 2, 3, 4], ddof=1) / 2)
    assert hi == pytest.approx(2 * m - lo)


def test_same_seed_same_results_and_chunk_does_not_matter(big, small):
    # small ran with chunk=5 on the first 16 of big's replication seeds (chunk=500)
    assert np.array_equal(small.indicators, big.indicators[:, :16])
    for a in ("claims", "paid", "committed"):
        assert np.array_equal(getattr(small, a), getattr(big, a)[:16])
    again = monte_carlo(load_scenario(ROOT / "scenarios" / "baseline.toml"), 16, SEED, chunk=16,
                        ledger_reps=0, cap_reps=0)
    pd.testing.assert_frame_equal(targets_table(again), targets_table(small))
    pd.testing.assert_frame_equal(fiscal_table(again), fiscal_table(small)[
        lambda d: ~d.measure.str.startswith("cap_bound")].reset_index(drop=True))
    pd.testing.assert_frame_equal(additionality_table(again), additionality_table(small))
    other = monte_carlo(load_scenario(ROOT / "scenarios" / "baseline.toml"), 16, SEED + 1,
                        ledger_reps=0, cap_reps=0)
    assert not np.array_equal(other.indicators, small.indicators)


def test_target_intervals_shrink_with_replications(big, small):
    def widths(exp):
        d = targets_table(exp)
        d = d[(d.measure == "p_met") & (d.arm == "policy")].set_index("target")
        return (d.ci_high - d.ci_low).reindex([*TARGET_IDS, "all"])

    w16, w256 = widths(small), widths(big)
    assert (w256 < w16).all()
    # Wilson widths scale about as 1/sqrt(R): 16x the replications, about 1/4 the width
    assert 2.5 < (w16 / w256).median() < 8
    t = targets_table(big)
    p = t[(t.measure == "p_met")]
    assert ((p.ci_low <= p.probability) & (p.probability <= p.ci_high)).all()
    cnt = t[(t.measure == "p_count_met")]
    for arm in ("policy", "counterfactual"):
        assert cnt[cnt.arm == arm].probability.sum() == pytest.approx(1.0)
        assert cnt[cnt.arm == arm].n.sum() == 256


def test_p_met_matches_direct_count(big):
    final = big.indicators[0, :, -1, :]
    t = targets_table(big).set_index(["arm", "measure", "target"])
    assert t.loc[("policy", "p_met", "T1"), "n"] == int((final[:, 0] > 70).sum())
    assert t.loc[("policy", "p_met", "T7"), "n"] == int((final[:, 6] > 1500).sum())
    assert t.loc[("policy", "p_met", "T5"), "n"] == int((final[:, 4] >= 50).sum())


def test_fiscal_totals_equal_batch_paid_exactly(baseline, small):
    R = small.replications
    roots = roots_from_seeds(replication_seeds(SEED, R))
    draws = posterior_params(baseline, R, SEED)  # the baseline draws from the posterior
    params = replication_params(baseline.params, draws, np.r_[np.arange(R), np.arange(R)])
    res = run_batch(np.concatenate([roots, roots]), on=np.r_[np.ones(R), np.zeros(R)],
                    policy=baseline.policy, params=params)
    paid = res.fiscal.paid[:R]
    assert res.fiscal.paid[R:].sum() == 0.0  # the counterfactual pays nothing
    f = fiscal_table(small).set_index(["measure", "clause", "kind", "payer", "year",
                                       "statistic"])["value"]
    assert f[("paid", "all", "all", "all", "all", "mean")] == paid.sum(axis=(1, 2, 3)).mean()
    assert f[("paid", "all", "all", "all", "all", "max")] == paid.sum(axis=(1, 2, 3)).max()
    ids = list(res.policy.clause_ids)
    for cid, kind, k, who in [("P7", "grant", 0, "prefecture"),
                              ("P3", "fund_investment", 1, "region_fund")]:
        for y, year in enumerate(res.years):
            assert f[("paid", cid, kind, who, str(year), "mean")] == \
                paid[:, ids.index(cid), k, y].mean()
            assert f[("paid", cid, kind, who, str(year), "p95")] == np.quantile(
                paid[:, ids.index(cid), k, y], 0.95)
    per_year = paid.sum(axis=(1, 2))
    for y, year in enumerate(res.years):
        assert f[("paid", "all", "all", "all", str(year), "mean")] == per_year[:, y].mean()
    assert f[("committed", "all", "all", "all", "all", "mean")] == \
        res.fiscal.committed[:R].sum(axis=(1, 2, 3)).mean()


def test_p3_follow_on_is_the_region_funds_not_the_prefectures(small):
    """P3's follow-on (fund investment) is booked under the region's innovation fund: the
    prefecture's total holds every grant and nothing of it; the two add up to the outlay."""
    f = fiscal_table(small)
    tot = f[(f.measure == "paid") & (f.clause == "all") & (f.kind == "all") & (f.year == "all")
            & (f.statistic == "mean")].set_index("payer")["value"]
    assert set(tot.index) == {"all", "prefecture", "region_fund"}
    ids = list(small.clause_ids)
    p3 = small.paid[:, ids.index("P3"), 1].sum(axis=1)  # (R,) P3's fund investment
    assert p3.mean() > 0  # not vacuous: some follow-on was paid
    grants = small.paid[:, :, 0].sum(axis=(1, 2))
    assert tot["region_fund"] == pytest.approx(p3.mean(), rel=1e-12)
    assert tot["prefecture"] == pytest.approx(grants.mean(), rel=1e-12)
    assert tot["prefecture"] + tot["region_fund"] == pytest.approx(tot["all"], rel=1e-12)
    rows = f[(f.clause == "P3") & (f.measure == "paid")]
    assert set(rows.loc[rows.kind == "fund_investment", "payer"]) == {"region_fund"}
    assert set(rows.loc[rows.kind == "grant", "payer"]) == {"prefecture"}
    assert set(f.loc[f.clause.isin(["P4", "P6c", "P7"]), "payer"]) == {"prefecture"}


def test_budget_line_probability(small):
    per_year = small.paid.sum(axis=(1, 2))
    line = float(np.median(per_year[:, -1]))
    f = fiscal_table(small, budget_line=line)
    pe = f[(f.measure == "p_exceeds") & (f.kind == "all")].set_index(["year", "statistic"])
    last = str(small.years[-1])
    assert pe.loc[(last, "probability"), "value"] == (per_year[:, -1] > line).mean()
    assert pe.loc[("any", "probability"), "value"] == (per_year > line).any(axis=1).mean()


def test_ledger_sample_agrees_with_batch_and_cap_bound_holds(small):
    assert small.ledger_check["agree"], small.ledger_check
    led = small.ledgers[0]
    # the first replication's ledger rows add up to its money (paid + committed)
    assert led.amount.sum() == pytest.approx(small.paid[0].sum() + small.committed[0].sum(),
                                             abs=1e-6)
    f = fiscal_table(small)
    cb = f[f.measure == "cap_bound"].set_index(["clause", "year"])["value"]
    mx = f[(f.measure == "paid") & (f.statistic == "max")].set_index(["clause", "year"])["value"]
    for (cid, year), bound in cb.items():
        # what was paid in the ledgered replications never exceeds the ceiling of the caps
        ci, y = small.clause_ids.index(cid), small.years.index(int(year))
        assert small.paid[:2, ci, :, y].sum(axis=1).max() <= bound + 1e-9
        assert mx[(cid, year)] >= 0
    p7 = cb[("P7", str(small.years[-1]))]
    claimants = f[(f.measure == "cap_bound_claimants") & (f.clause == "P7")
                  & (f.year == str(small.years[-1]))]["value"].iloc[0]
    assert p7 == 50.0 * claimants  # P7 caps 50 万元 per enterprise-year, no per-item cap


def test_additionality_of_no_policy_is_exactly_zero():
    sc = load_scenario(ROOT / "scenarios" / "no_policy.toml")
    exp = monte_carlo(sc, 6, SEED, ledger_reps=0, cap_reps=0)
    assert exp.shared_counterfactual
    a = additionality_table(exp)
    d = a[a.measure == "difference"]
    assert (d.estimate == 0).all() and (d.ci_low == 0).all() and (d.ci_high == 0).all()
    c = a[a.measure == "cost_per_additional"]
    assert c.status.str.startswith("not defined").all() and c.estimate.isna().all()
    assert exp.paid.sum() == 0.0
    # the shortcut is sound: running the counterfactual of a policy with no clause on gives
    # the very same numbers
    roots = roots_from_seeds(replication_seeds(SEED, 3))
    params = replication_params(sc.params, posterior_params(sc, 3, SEED), np.r_[0:3, 0:3])
    res = run_batch(np.concatenate([roots, roots]), on=np.r_[np.ones(3), np.zeros(3)],
                    policy=sc.policy, params=params)
    assert np.array_equal(res.indicators[:3], res.indicators[3:])
    assert np.array_equal(res.indicators[:3], exp.indicators[0, :3])


def test_additionality_matches_paired_differences(big):
    a = additionality_table(big).set_index(["measure", "target"])
    d = big.final[0, :, 0] - big.final[1, :, 0]
    r = a.loc[("difference", "T1")]
    assert r.estimate == pytest.approx(d.mean())
    assert r.ci_low < d.mean() < r.ci_high
    c = a.loc[("cost_per_additional", "T1")]
    if r.ci_low > 0:
        cost = big.paid.sum(axis=(1, 2, 3)).mean()
        assert c.estimate == pytest.approx(cost / d.mean())
        assert c.ci_low < c.estimate < c.ci_high
    else:
        assert c.status.startswith("not defined")


def test_indicator_quantiles_are_ordered(small):
    q = indicators_table(small).pivot_table(index=["target", "year", "arm"], columns="statistic",
                                            values="value")
    assert (q.p5 <= q.p25).all() and (q.p25 <= q.p50).all() and (q.p50 <= q.p75).all()
    assert (q.p75 <= q.p95).all()
    assert q.loc[("T1", small.years[-1], "policy"), "mean"] == small.indicators[0, :, -1, 0].mean()


def test_budget_line_money_adds_up():
    sc = load_scenario(ROOT / "scenarios" / "budget_capped.toml")
    exp = monte_carlo(sc, 4, SEED, ledger_reps=0, cap_reps=1)
    f = fiscal_table(exp).set_index(["measure", "clause", "kind", "payer", "year",
                                     "statistic"])["value"]
    key = ("all", "all", "all", "all", "mean")
    assert f[("claims", *key)] == pytest.approx(
        f[("paid", *key)] + f[("dropped", *key)] + f[("carried", *key)], rel=1e-12)
    assert f[("claims", *key)] > f[("paid", *key)]  # the 3,000 万元 line binds in some year
    per_year = exp.paid.sum(axis=(1, 2))
    assert (per_year <= 3000.0 + 1e-6).all()
    assert exp.ledger_check["agree"], exp.ledger_check  # the ledger never rations: vs claims
