"""Behaviour rules: HTE criteria as the rules say, incentives as the only channel of policy,
monotone response to the HTE award (issue 3, point 7)."""

from __future__ import annotations

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.behaviour.enterprise import decide_hte
from model.behaviour.incentives import Incentives
from model.params import default_params
from model.params.rules import hte_rd_threshold, load_rules
from model.policy.core import KIND_CODES
from model.policy.spec import load_policy
from model.rng import Streams

RULES = load_rules()
CRIT = RULES["hte_criteria"]


# -- HTE criteria on crafted firms ----------------------------------------------------------
def _firms(**cols) -> dict[str, np.ndarray]:
    """One run of n crafted firms: eligible by default, overridden column by column."""
    n = len(next(iter(cols.values())))
    base = {"active": True, "sector": 0, "age": 3.0, "hts": 0.7, "pat_stock": 2.0,
            "revenue": 1000.0, "rd": 60.0, "hte": False, "hte_left": 0, "ever_hte": False,
            "effort_mult": 1.0}
    dt = {"active": bool, "hte": bool, "ever_hte": bool, "sector": np.int8, "hte_left": np.int8}
    f = {}
    for k, v in base.items():
        f[k] = np.asarray(cols.get(k, [v] * n), dt.get(k, np.float64)).reshape(1, n)
    return f


def _decide(f, year=2021, on=1.0, policy=None, **params):
    p = {**default_params(), "hte_consider_prob": 1.0, "hte_pass_prob": 1.0,
         "hte_renew_prob": 1.0, **params}
    inc = Incentives(policy or load_policy(), year, np.array([[on]]), np.ones(1))
    return decide_hte(f, p, inc, year, Streams(np.array([12345], np.uint64), year))


def test_thresholds_by_revenue_band_match_rules():
    assert CRIT["revenue_bands"] == [5000.0, 20000.0]
    assert CRIT["rd_intensity"] == [0.05, 0.04, 0.03]
    rev = np.array([100.0, 5000.0, 5000.01, 20000.0, 20000.01, 1e6])
    assert hte_rd_threshold(rev).tolist() == [0.05, 0.05, 0.04, 0.04, 0.03, 0.03]


def test_seekers_close_the_gap_to_their_band_threshold():
    """A firm with no R&D that seeks status raises reported R&D to its band's threshold:
    real R&D by (1 - relabel) of the gap, relabelled costs for the rest."""
    rev = [4000.0, 5000.0, 6000.0, 20000.0, 30000.0]
    f = _firms(revenue=rev, rd=[0.0] * 5)
    seek, cert, renewed, lapsed, new_rd, _ = _decide(f, profit_margin=10.0)  # benefit >> cost
    assert seek.all() and cert.all() and not renewed.any() and not lapsed.any()
    relabel = default_params()["relabel_share"]
    intensity = new_rd[0] / (1 - relabel) / np.array(rev)
    np.testing.assert_allclose(intensity, [0.05, 0.05, 0.04, 0.04, 0.03], rtol=1e-12)


@pytest.mark.parametrize("field,value", [("age", 0.5), ("hts", 0.59), ("active", False)])
def test_firms_failing_a_criterion_are_never_certified(field, value):
    # everything else generous: huge benefit, sure consideration and review
    f = _firms(**{field: [value, value]}, revenue=[1000.0, 50000.0])
    seek, cert, *_ = _decide(f, profit_margin=10.0)
    assert not seek.any() and not cert.any()
    g = _firms(revenue=[1000.0, 50000.0])  # the same firms meeting the criterion
    assert _decide(g, profit_margin=10.0)[1].all()


def test_firm_without_ip_pays_to_acquire_it():
    """No patent: the IP acquisition cost joins the cost; bought only by those who apply."""
    f = _firms(pat_stock=[0.0, 2.0], revenue=[1000.0, 1000.0])
    # benefit 0.1·0.05·1000·3 = 15 against effort 5 (+ 15 of IP for the firm without a patent)
    seek, cert, _, _, _, bought = _decide(f, on=0.0, profit_margin=0.05, hte_effort_cost=5.0,
                                          ip_acquisition_cost=15.0)
    assert seek.tolist() == [[False, True]] and not bought.any()
    seek, cert, _, _, _, bought = _decide(f, on=0.0, profit_margin=0.05, hte_effort_cost=5.0,
                                          ip_acquisition_cost=5.0)  # 10 < 15: worth it
    assert seek.all() and cert.all() and bought.tolist() == [[True, False]]


def test_gap_cost_above_benefit_means_no_application():
    """Below the threshold with a small benefit: the gap costs more than status is worth."""
    f = _firms(revenue=[1000.0, 1000.0], rd=[0.0, 60.0])
    seek, cert, _, _, new_rd, _ = _decide(f, on=0.0, profit_margin=0.05, hte_effort_cost=5.0)
    # benefit 0.1·0.05·1000·3 = 15; cost 5 (+ 3·50·price·0.76 ≈ 62 for the firm with no R&D)
    assert seek.tolist() == [[False, True]] and cert.tolist() == [[False, True]]
    assert new_rd[0, 0] == 0.0 and new_rd[0, 1] == 60.0  # at the threshold already: no gap


def test_status_renews_or_lapses_only_when_due():
    f = _firms(hte=[True, True, True, True], ever_hte=[True] * 4, hte_left=[0, 0, 1, 2],
               revenue=[1000.0] * 4)
    seek, cert, renewed, lapsed, _, _ = _decide(f, profit_margin=10.0)
    assert renewed.tolist() == [[True, True, False, False]]
    assert not lapsed.any() and not cert.any()
    seek, cert, renewed, lapsed, _, _ = _decide(f, profit_margin=0.0)  # status worth nothing
    assert lapsed.tolist() == [[True, True, False, False]] and not renewed.any()


def test_p6c_enters_the_benefit_of_first_certification_only():
    """At a benefit just short of the cost, P6c tips a first application, not a renewal."""
    f = _firms(revenue=[1000.0, 1000.0], rd=[60.0, 60.0], hte=[False, True],
               ever_hte=[False, True], hte_left=[0, 0])
    kw = dict(profit_margin=0.05, hte_effort_cost=20.0)  # tax benefit 15 < cost 20
    assert not _decide(f, on=0.0, **kw)[0].any()
    seek = _decide(f, on=1.0, **kw)[0]  # +20 of P6c for the never-certified firm
    assert seek.tolist() == [[True, False]]


def test_status_lasts_validity_years_in_a_run():
    """In a run, a firm certified in year t stays an HTE to t+2 and is reviewed in t+3."""
    from model.park import ParkModel

    m = ParkModel(rng=11)
    lost_total = renewed_total = 0
    for _ in m.years:
        prev_hte = m.state.f["hte"][0].copy()
        prev_left = m.state.f["hte_left"][0].copy()
        m.step()
        f = m.state.f
        act, hte, left = f["active"][0], f["hte"][0], f["hte_left"][0]
        lost = prev_hte & ~hte & act
        assert (prev_left[lost] == 0).all(), "status lost before its validity ended"
        new = hte & ~prev_hte
        assert (left[new] == CRIT["validity_years"] - 1).all()
        renewed = prev_hte & hte & act & (prev_left == 0)
        assert (left[renewed] == CRIT["validity_years"] - 1).all()
        kept = prev_hte & (prev_left > 0) & act
        assert hte[kept].all() and (left[kept] == prev_left[kept] - 1).all()
        lost_total += lost.sum()
        renewed_total += renewed.sum()
    assert lost_total > 0 and renewed_total > 0  # both branches were exercised


# -- the counterfactual and principle 6 -----------------------------------------------------
ROOTS = roots_from_seeds(replication_seeds(3, 6))


def _zero_amounts(policy):
    """Every clause enabled, every amount, rate and cap 0 (thresholds `min_*` untouched)."""
    pol = policy.with_switches(p1_award=0.0, p12_paid_share=0.0)
    for cid, c in pol.clauses.items():
        for name in c.params:
            if not name.startswith("min_") and c.params[name].switch is None:
                pol = pol.with_param(cid, name, 0.0)
    return pol


def _same(a, b) -> bool:
    return (np.array_equal(a.indicators, b.indicators)
            and all(np.array_equal(a.counts[k], b.counts[k]) for k in a.counts))


def test_zero_awards_are_bit_identical_to_the_counterfactual():
    pol = load_policy()
    zero = _zero_amounts(pol)
    assert all(c.enabled for c in zero.clauses.values())
    cf = run_batch(ROOTS, policy=pol, on=np.zeros(ROOTS.size))
    z = run_batch(ROOTS, policy=zero)
    off = run_batch(ROOTS, policy=pol.without_awards())
    for r in (cf, z, off):
        assert not r.fiscal.claims.any() and not r.fiscal.paid.any()
        assert not r.fiscal.committed.any()
    assert _same(cf, z) and _same(cf, off)
    # and the policy itself does change the run (the comparison could fail)
    assert not _same(cf, run_batch(ROOTS, policy=pol))


def test_an_award_that_alters_no_decision_changes_nothing_else():
    """P8a's amount enters decisions only as 'does it pay'; with received awards not fed
    back into R&D (award_rd_mpc = 0) quadrupling it changes P8a's money and nothing else."""
    pol = load_policy()
    params = {"award_rd_mpc": 0.0}
    a = run_batch(ROOTS, policy=pol, params=params)
    b = run_batch(ROOTS, policy=pol.with_param("P8a", "award", 4 * pol.value("P8a", "award")),
                  params=params)
    assert _same(a, b)
    c8 = pol.clause_ids.index("P8a")
    others = [i for i in range(len(pol.clause_ids)) if i != c8]
    assert np.array_equal(a.fiscal.paid[:, others], b.fiscal.paid[:, others])
    assert a.fiscal.paid[:, c8].sum() > 0
    np.testing.assert_allclose(b.fiscal.paid[:, c8], 4 * a.fiscal.paid[:, c8], rtol=1e-12)
    # with the feedback on, the same change does move decisions (so the test can fail)
    b2 = run_batch(ROOTS, policy=pol.with_param("P8a", "award", 4 * pol.value("P8a", "award")))
    assert not _same(run_batch(ROOTS, policy=pol), b2)


def test_counterfactual_park_model_has_an_empty_ledger():
    from model.park import ParkModel

    m = ParkModel(counterfactual=True, rng=5)
    m.run_model()
    led = m.ledger
    assert len(led) > 0 and not led.amount.any()
    assert not m.fiscal.paid.any() and not m.fiscal.claims.any() and not m.fiscal.committed.any()
    df = m.datacollector.get_model_vars_dataframe()
    assert (df["grants_paid"] == 0).all() and (df["fund_investment_paid"] == 0).all()
    assert set(KIND_CODES) == {"grant", "fund_investment"}


# -- monotonicity in the HTE award ----------------------------------------------------------
def test_raising_the_hte_award_never_lowers_hte_applications():
    """Common random numbers pair the runs: in the first year the decision is deterministic
    given the draws and the benefit rises with the award, so no run may apply less; over the
    whole period the paired mean difference must not be negative beyond 3 standard errors."""
    roots = roots_from_seeds(replication_seeds(2024, 200))
    pol = load_policy()
    apps = [run_batch(roots, policy=pol.with_param("P6c", "award", a)).counts[
        "hte_applications"] for a in (0.0, 10.0, 20.0, 60.0)]
    for lo, hi in zip(apps, apps[1:], strict=False):
        assert (hi[:, 0] >= lo[:, 0]).all()
        d = hi.sum(1) - lo.sum(1)
        se = d.std(ddof=1) / np.sqrt(d.size)
        assert d.mean() >= -3 * se
        for y in range(hi.shape[1]):  # year by year, too
            dy = hi[:, y] - lo[:, y]
            assert dy.mean() >= -3 * dy.std(ddof=1) / np.sqrt(dy.size) - 1e-12
    assert apps[-1].sum() > apps[0].sum()  # the award matters at all
