"""Budget lines: never overspent, rationing rules do what they say, carry/drop add up."""

from __future__ import annotations

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.budget import Budget, BudgetLine, pay
from model.park import ParkModel
from model.policy.core import KIND_CODES
from model.policy.spec import load_policy

POL = load_policy()
IDS = POL.clause_ids
G = KIND_CODES.index("grant")
TOL = 1e-7


def claim(cid: str, amounts, group: str = "firm", kind: int = G):
    return (group, IDS.index(cid), kind, np.asarray(amounts, np.float64))


@pytest.fixture(scope="module")
def roots():
    return roots_from_seeds(replication_seeds(99, 24))


@pytest.fixture(scope="module")
def free(roots):
    return run_batch(roots)


# -- the arithmetic, on hand-made claims ---------------------------------------------------------
def test_pro_rata_pays_every_claimant_the_same_share():
    rng = np.random.default_rng(1)
    cl = [claim("P4", rng.uniform(0, 50, (5, 30))), claim("P6c", rng.uniform(0, 20, (5, 30))),
          claim("P9a", rng.uniform(0, 100, (5, 4)), group="institute")]
    claimed = sum(c[3].sum(1) for c in cl)
    limit = 600.0
    paid = Budget(total=limit).ration(cl, 2022, POL)
    share = [p / np.where(c[3] > 0, c[3], np.nan) for c, p in zip(cl, paid, strict=True)]
    s = np.concatenate(share, axis=1)
    for b in range(5):
        row = s[b][~np.isnan(s[b])]
        expect = min(1.0, limit / claimed[b])
        np.testing.assert_allclose(row, expect, rtol=1e-12)
    total = sum(p.sum(1) for p in paid)
    np.testing.assert_allclose(total, np.minimum(claimed, limit), rtol=1e-12)


def test_first_come_pays_earlier_claims_in_full_before_later_ones():
    # unit order within the year; one run where the money ends inside unit 2's claim
    a = claim("P4", [[10.0, 10.0, 10.0, 10.0]])
    b = claim("P6c", [[0.0, 5.0, 5.0, 0.0]])
    paid = Budget(total=28.0, rule="first_come").ration([a, b], 2022, POL)
    # order: u0 P4 10, u1 P4 10, u1 P6c 5, u2 P4 10 (3 of it), u2 P6c 5 (0), u3 P4 (0)
    np.testing.assert_allclose(paid[0], [[10.0, 10.0, 3.0, 0.0]])
    np.testing.assert_allclose(paid[1], [[0.0, 5.0, 0.0, 0.0]])


def test_first_come_puts_carried_then_instalments_first():
    carried = claim("P6c", [[0.0, 0.0, 8.0]])
    due = claim("P13a", [[0.0, 6.0, 0.0]], group="carrier")
    new = claim("P4", [[9.0, 9.0, 9.0]])
    paid = Budget(total=20.0, rule="first_come").ration([carried, due, new], 2023, POL,
                                                        n_carried=1, n_due=1)
    np.testing.assert_allclose(paid[0], [[0, 0, 8.0]])
    np.testing.assert_allclose(paid[1], [[0, 6.0, 0]])
    np.testing.assert_allclose(paid[2], [[6.0, 0, 0]])


def test_priority_pays_clauses_in_order():
    cl = [claim("P4", [[30.0, 30.0], [1.0, 1.0]]), claim("P6c", [[20.0, 20.0], [20.0, 0.0]])]
    paid = Budget(total=50.0, rule="priority", priority=("P6c",)).ration(cl, 2022, POL)
    np.testing.assert_allclose(paid[1], [[20.0, 20.0], [20.0, 0.0]])  # P6c first, in full
    np.testing.assert_allclose(paid[0], [[5.0, 5.0], [1.0, 1.0]])  # the rest pro rata


def test_group_lines_and_total():
    cl = [claim("P1", [[40.0, 40.0]]), claim("P6c", [[20.0, 20.0]]), claim("P4", [[100.0, 0.0]])]
    b = Budget(total=120.0, groups=(BudgetLine("talent", 50.0, ("P1", "P6c")),))
    paid = b.ration(cl, 2022, POL)
    # the group line first cuts 120 of talent claims to 50; the total line then pays 120 of
    # the 150 left (50 + 100) pro rata: 0.8 each
    assert paid[0].sum() + paid[1].sum() == pytest.approx(50.0 * 0.8)
    assert paid[2].sum() == pytest.approx(100.0 * 0.8)
    assert sum(p.sum() for p in paid) == pytest.approx(120.0)


def test_kinds_restrict_the_line():
    F = KIND_CODES.index("fund_investment")
    cl = [claim("P3", [[500.0]], kind=F), claim("P3", [[200.0]])]
    paid = Budget(total=100.0, kinds=("grant",)).ration(cl, 2022, POL)
    assert paid[0].sum() == 500.0 and paid[1].sum() == pytest.approx(100.0)


def test_no_budget_pays_in_full():
    cl = [claim("P4", [[3.0, 4.0]])]
    assert pay(cl, None, 2022, POL)[0] is cl[0][3]


# -- in the model ---------------------------------------------------------------------------------
@pytest.mark.parametrize("rule", ["pro_rata", "first_come", "priority"])
def test_budget_line_never_overspent(roots, free, rule):
    limit = 2500.0
    b = Budget(total=limit, rule=rule, priority=("P6c", "P4", "P3"),
               groups=(BudgetLine("hte", 400.0, ("P6c", "P6d")),))
    res = run_batch(roots, budget=b)
    per_year = res.fiscal.paid.sum(axis=(1, 2))  # (B, Y)
    assert per_year.max() <= limit + TOL
    hte = [IDS.index("P6c"), IDS.index("P6d")]
    assert res.fiscal.paid[:, hte].sum(axis=(1, 2)).max() <= 400.0 + TOL
    # the line binds somewhere (else the test proves nothing)
    assert (free.fiscal.paid.sum(axis=(1, 2)) > limit).any()
    assert np.isclose(per_year, limit).any()


@pytest.mark.parametrize("unpaid", ["carry", "drop"])
def test_claims_add_up_to_paid_plus_carried_or_dropped(roots, unpaid):
    res = run_batch(roots, budget=Budget(total=2000.0, unpaid=unpaid))
    f = res.fiscal
    # per run, clause and kind: every claim is paid, dropped, or still owed at the horizon
    np.testing.assert_allclose(f.claims.sum(3), f.paid.sum(3) + f.dropped.sum(3)
                               + f.carried[..., -1], atol=1e-6)
    # per year: new claims + carried in = paid + carried out + dropped
    carried_in = np.concatenate([np.zeros_like(f.carried[..., :1]), f.carried[..., :-1]], -1)
    np.testing.assert_allclose((f.claims + carried_in).sum((1, 2)),
                               (f.paid + f.carried + f.dropped).sum((1, 2)), atol=1e-6)
    if unpaid == "carry":
        assert f.dropped.sum() == 0.0 and f.carried.sum() > 0.0
    else:
        assert f.carried.sum() == 0.0 and f.dropped.sum() > 0.0


def test_carried_claims_are_paid_later(roots):
    # a line that binds in some years only (claims average about 1,500 万元 in 2020 and
    # 2,300-3,300 later since issue 16): a line of 2,000 binds in every year after 2020, so
    # nothing carried could ever be paid and carry would equal drop
    carry = run_batch(roots, budget=Budget(total=3000.0, unpaid="carry"))
    drop = run_batch(roots, budget=Budget(total=3000.0, unpaid="drop"))
    # carried claims come back: at least as much is paid over the run as when they are dropped
    assert carry.fiscal.paid.sum() > drop.fiscal.paid.sum()


def test_firms_discount_awards_when_rationed(roots, free):
    """pay_ratio < 1 lowers every expected award: with almost no money fewer firms seek HTE
    status (same random numbers, so the comparison is paired)."""
    tight = run_batch(roots, budget=Budget(total=50.0))
    assert tight.counts["hte_applications"][:, 1:].sum() < free.counts["hte_applications"][
        :, 1:].sum()


@pytest.mark.parametrize("switches", [{}, {"p4_beneficiary": "seller",
                                           "p4_contract_types": "all"}])
def test_park_model_rations_like_the_batch(switches):
    b = Budget(total=1500.0, rule="first_come", unpaid="carry")
    seed = replication_seeds(5, 1)[0]
    pol = POL.with_switches(**switches)
    m = ParkModel(pol, budget=b, rng=np.random.default_rng(seed))
    m.run_model()
    res = run_batch(roots_from_seeds([seed]), budget=b, policy=pol)
    assert res.fiscal.paid[0, IDS.index("P4")].sum() > 0
    np.testing.assert_allclose(m.fiscal.paid[0], res.fiscal.paid[0], rtol=1e-12)
    np.testing.assert_allclose(m.fiscal.carried[0], res.fiscal.carried[0], rtol=1e-12)
