"""P4 where it falls: contract types, the selling side, and the caps on the one paid.

Dense events made by hand go through both award cores (`dense_awards`, the reference, and the
compiled `compiled_awards`); the rules of who sells (`sellers`) and which contracts a buyer
signs (`contracts`) are checked on a model state; whole runs check that both engines and the
row-wise ledger stay equal under each setting of the two switches.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.behaviour import enterprise, institute
from model.behaviour.incentives import Incentives
from model.calibration.summaries import simulate
from model.dynamics import Context, step_year
from model.layout import make_layout
from model.params import default_params
from model.params.rules import population_facts
from model.park import ParkModel
from model.policy.dense import dense_awards
from model.policy.dense_compiled import compiled_awards
from model.policy.spec import load_policy
from model.population import initial_state
from model.rng import Streams
from model.settle import init_run

POLICY = load_policy()
P4 = POLICY.clause_ids.index("P4")
SETTINGS = list(itertools.product(("buyer", "seller"), ("transfer_development", "all")))
SEEDS = replication_seeds(4242, 2)
ROOTS = roots_from_seeds(SEEDS)


def _p4(policy, ev, year=2022, on=1.0):
    """P4's claim (B, U) from both award cores, which must agree to the bit."""
    B = next(iter(ev.values())).shape[0]
    on = np.full((B, 1), on)
    out = []
    for core in (dense_awards, compiled_awards):
        awards = [a for a in core(policy, year, ev, on, {}) if a.clause == P4]
        assert len(awards) <= 1
        out.append(np.asarray(awards[0].amount, np.float64) if awards else np.zeros((B, 0)))
    assert out[0].tobytes() == out[1].tobytes()
    return out[0]


def _contracts(n=6, k=3):
    z = {"tech_contract": np.zeros((1, n, k)), "tech_contract_other": np.zeros((1, n, k)),
         "contract_seller": np.full((1, n, k), -1, np.int32)}
    return z


def test_buyer_is_paid_by_default_and_the_seller_under_seller():
    ev = _contracts()
    ev["tech_contract"][0, 0, 0] = 1000.0  # firm 0 buys from zone firm 3
    ev["contract_seller"][0, 0, 0] = 3
    ev["tech_contract"][0, 1, 0] = 500.0  # firm 1 buys from an institute
    buyer = _p4(POLICY, ev)
    assert buyer[0].tolist() == [30.0, 15.0, 0.0, 0.0, 0.0, 0.0]
    seller = _p4(POLICY.with_switches(p4_beneficiary="seller"), ev)
    assert seller[0].tolist() == [0.0, 0.0, 0.0, 30.0, 0.0, 0.0]


def test_caps_apply_to_the_seller():
    """50 per contract, then 150 per unit and year, on the seller's own contracts."""
    pol = POLICY.with_switches(p4_beneficiary="seller")
    ev = _contracts()
    ev["tech_contract"][0, 0, 0] = 1667.0  # 50.01 -> 50 (per contract)
    ev["contract_seller"][0, 0, 0] = 5
    assert _p4(pol, ev)[0, 5] == 50.0
    ev = _contracts()
    for b in range(4):  # four buyers of firm 5, 2000 each: 60 -> 50 each, 200 -> 150
        ev["tech_contract"][0, b, 1] = 2000.0
        ev["contract_seller"][0, b, 1] = 5
    ev["tech_contract"][0, 5, 0] = 1000.0  # and firm 5 buys one itself: not its P4
    a = _p4(pol, ev)
    assert a[0, 5] == 150.0 and a.sum() == 150.0
    ev["contract_seller"][0, 3, 1] = 4  # one of them sold by firm 4 instead: 150 + 50
    a = _p4(pol, ev)
    assert (a[0, 5], a[0, 4], a.sum()) == (150.0, 50.0, 200.0)


def test_uncovered_contracts_pay_only_under_all():
    ev = _contracts()
    ev["tech_contract_other"][0, 2, 0] = 1000.0  # a service contract, bought from firm 1
    ev["contract_seller"][0, 2, 0] = 1
    for side in ("buyer", "seller"):
        pol = POLICY.with_switches(p4_beneficiary=side)
        assert not _p4(pol, ev).any()
        paid = _p4(pol.with_switches(p4_contract_types="all"), ev)
        assert paid[0, 2 if side == "buyer" else 1] == 30.0 and paid.sum() == 30.0
    # under "all" one unit-year cap spans both types
    ev["tech_contract"][0, 2, :] = 2000.0
    assert _p4(POLICY.with_switches(p4_contract_types="all"), ev)[0, 2] == 150.0


def test_the_counterfactual_pays_nothing_on_any_side():
    ev = _contracts()
    ev["tech_contract"][0, 0, 0] = 1000.0
    ev["contract_seller"][0, 0, 0] = 2
    for side, types in SETTINGS:
        pol = POLICY.with_switches(p4_beneficiary=side, p4_contract_types=types)
        assert not _p4(pol, ev, on=0.0).any()


@pytest.fixture(scope="module")
def mid_run():
    """A state two years in: six runs with the policy on."""
    layout = make_layout(2020, 2025, population_facts()["firms_2018"])
    p = default_params()
    roots = roots_from_seeds(replication_seeds(77, 6))
    st = initial_state(layout, p, roots)
    ctx = Context(POLICY, p, np.ones((6, 1)), layout)
    init_run(st, ctx)
    for year in (2020, 2021):
        step_year(st, year, ctx)
    year = 2022
    n = layout.entry_start(year) + layout.block
    st.f = {k: v[:, :n] for k, v in st.f.items()}
    return st, p, Streams(roots, year), year


def test_buyers_price_falls_only_for_the_contracts_p4_pays_them():
    """Uncovered contracts, and every contract under "seller", are signed as without P4."""
    pol = POLICY
    assert Incentives(pol, 2022, np.ones((1, 1)), np.ones(1)).rate_on("tech_contract") == 0.03
    for side, types in SETTINGS:
        pol = POLICY.with_switches(p4_beneficiary=side, p4_contract_types=types)
        inc = Incentives(pol, 2022, np.ones((1, 1)), np.ones(1))
        assert inc.rate_on("tech_contract") == (0.03 if side == "buyer" else 0.0)
        assert inc.rate_on("tech_contract_other") == (
            0.03 if (side, types) == ("buyer", "all") else 0.0)


@pytest.mark.parametrize("side,types", SETTINGS)
def test_contracts_respond_to_the_price_only_where_p4_pays_the_buyer(mid_run, side, types):
    st, p, rs, year = mid_run
    pol = POLICY.with_switches(p4_beneficiary=side, p4_contract_types=types)
    on, off = (enterprise.contracts(st.f, p, Incentives(pol, year, np.full((st.B, 1), w),
                                                        np.ones(st.B)), rs, 3)
               for w in (1.0, 0.0))
    for j, covered in ((0, True), (1, types == "all")):
        pays = side == "buyer" and covered
        if pays:  # a lower price: every contract signed without P4 is signed with it, and more
            assert np.all(on[j][off[j] > 0] == off[j][off[j] > 0])
            assert (on[j] > 0).sum() > (off[j] > 0).sum()
        else:
            assert np.array_equal(on[j], off[j])
    assert (off[0] > 0).any() and (off[1] > 0).any()


def test_contract_types_follow_the_covered_share(mid_run):
    """Without P4 a slot's type does not change its chance of being signed, so the covered
    share of signed contracts is a binomial proportion around `contract_covered_share`."""
    st, p, rs, year = mid_run
    inc = Incentives(POLICY, year, np.zeros((st.B, 1)), np.ones(st.B))
    n_cov = n_all = 0
    for y in range(year, year + 8):  # more years' draws on the same state
        c, o = enterprise.contracts(st.f, p, inc, Streams(rs.roots, y), 3)
        n_cov += int((c > 0).sum())
        n_all += int((c > 0).sum() + (o > 0).sum())
    share = p["contract_covered_share"]
    se = np.sqrt(share * (1 - share) / n_all)
    assert n_all > 300 and abs(n_cov / n_all - share) < 4 * se


def test_sellers_are_other_eligible_zone_firms(mid_run):
    st, p, rs, year = mid_run
    inc = Incentives(POLICY, year, np.ones((st.B, 1)), np.ones(st.B))
    total = zone = 0
    for y in range(year, year + 6):
        r = Streams(rs.roots, y)
        c, o = enterprise.contracts(st.f, p, inc, r, 3)
        sold, seller = institute.sellers(c, o, st.f, st.i["active"], p, r)
        signed = (c > 0) | (o > 0)
        assert seller.dtype == np.int32 and np.all(seller[~signed] == -1)
        b, i, _ = np.nonzero(seller >= 0)
        s = seller[seller >= 0]
        assert np.all(s != i)  # never the buyer itself
        assert np.all(st.f["active"][b, s] & (st.f["rd"][b, s] >= p["platform_min_rd"]))
        # every signed contract is sold once: by a zone firm or an institute
        assert sold.sum() + s.size == signed.sum()
        total += int(signed.sum())
        zone += s.size
    share = p["contract_zone_seller_share"]
    se = np.sqrt(share * (1 - share) / total)
    assert total > 300 and abs(zone / total - share) < 4 * se


@pytest.mark.parametrize("side,types", SETTINGS)
def test_engines_and_ledger_agree_under_each_setting(side, types):
    """ParkModel (NumPy reference) equals the compiled batch to the bit, and its row-wise
    ledger (the `_sold` rows built from the sellers) adds up to the money paid."""
    pol = POLICY.with_switches(p4_beneficiary=side, p4_contract_types=types)
    m = ParkModel(pol, rng=np.random.default_rng(SEEDS[0]))
    m.run_model()
    r = run_batch(ROOTS, policy=pol)
    for a in ("claims", "paid", "committed"):
        assert np.array_equal(getattr(m.fiscal, a)[0], getattr(r.fiscal, a)[0]), a
    assert np.array_equal(m.datacollector.get_model_vars_dataframe()[
        [f"T{j}" for j in range(1, 10)]].to_numpy(), r.indicators[0])
    led = m.ledger.to_frame()
    p4 = led[led.clause == "P4"]
    money = m.fiscal.paid[0, P4].sum() + m.fiscal.committed[0, P4].sum()
    assert p4.amount.sum() == pytest.approx(money, abs=1e-6) and money > 0
    paid_rows = p4.loc[p4.amount > 0, "event_row"].to_numpy()
    assert paid_rows.size  # some contract paid
    names = np.asarray(list(pol.events))[m.events.event[paid_rows]]
    want = {"tech_contract", "tech_contract_other"} if side == "buyer" else {
        "tech_contract_sold", "tech_contract_other_sold"}
    if types == "transfer_development":
        want = {w for w in want if "other" not in w}
    assert set(names) <= want


def test_the_switches_leave_the_counterfactual_bit_identical():
    """Common random numbers: which side P4 pays changes no draw, so the no-policy arm is
    the same run under every setting."""
    base = run_batch(ROOTS, on=np.zeros(2))
    for side, types in SETTINGS:
        pol = POLICY.with_switches(p4_beneficiary=side, p4_contract_types=types)
        r = run_batch(ROOTS, on=np.zeros(2), policy=pol)
        assert np.array_equal(r.indicators, base.indicators)


def test_contract_turnover_statistic_counts_every_type():
    """calibration's `contracts` is what zone firms bought of every type, like the fact."""
    tr = simulate(ROOTS, on=np.zeros(2), horizon=2021)
    layout = make_layout(2020, 2021, population_facts()["firms_2018"])
    p = default_params()
    st = initial_state(layout, p, ROOTS)
    ctx = Context(POLICY, p, np.zeros((2, 1)), layout, keep_events=True,
                  engine="compiled")
    init_run(st, ctx)
    for y, year in enumerate((2020, 2021)):
        ev = step_year(st, year, ctx).events["firm"]
        cov = ev["tech_contract"].reshape(2, -1).sum(1)
        oth = ev["tech_contract_other"].reshape(2, -1).sum(1)
        assert np.array_equal(tr.contracts[:, y], cov + oth)
        assert np.all(oth > 0)
