"""The compiled indicators (model.targets.indicators) give the NumPy reference's bits.

`indicators` is held to `indicators_reference` on states a batch really reaches (every year,
on the views step_year passes, policy and counterfactual runs) and on synthetic states made
to stress the arithmetic: rows of every length around NumPy's pairwise blocks, inactive
slots holding values, zero revenue (the 1e-12 floor), NaN and infinite revenue, and
platform counts that overflow int16 as NumPy's int16 addition does.
"""

from __future__ import annotations

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds
from model.dynamics import Context, step_year
from model.layout import make_layout
from model.params import default_params
from model.params.rules import load_rules, population_facts
from model.policy.spec import load_policy
from model.population import initial_state
from model.settle import init_run
from model.state import State
from model.targets import TARGET_IDS, indicators, indicators_reference

SWITCHES = [{"t5_rd_institutions": a, "t6_practice_bases": b}
            for a in (True, False) for b in (True, False)]


def _assert_same(st: State, t7: str | None = None, switches: dict | None = None) -> None:
    fast, ref = indicators(st, t7, switches), indicators_reference(st, t7, switches)
    assert fast.keys() == ref.keys() == set(TARGET_IDS)
    for k in TARGET_IDS:
        assert fast[k].dtype == ref[k].dtype and fast[k].shape == ref[k].shape, k
        assert np.array_equal(fast[k], ref[k], equal_nan=True), k


@pytest.mark.parametrize("t7,switches", [("policy_start", SWITCHES[0]),
                                         ("with_2020_stock", SWITCHES[3])])
def test_every_year_of_a_batch(t7, switches):
    """On the state step_year leaves each year (views over the slots in use)."""
    roots = roots_from_seeds(replication_seeds(7, 6))
    layout = make_layout(2020, 2025, population_facts()["firms_2018"])
    p = default_params()
    st = initial_state(layout, p, roots)
    on = (np.arange(roots.size) % 2 == 0).astype(float).reshape(-1, 1)
    ctx = Context(load_policy(), p, on, layout, t7, None)
    init_run(st, ctx)
    _assert_same(st, t7, switches)
    for year in layout.years:
        step_year(st, year, ctx)
        n = layout.entry_start(year) + layout.block
        views = st.f
        st.f = {k: v[:, :n] for k, v in views.items()}  # as step_year measures them
        _assert_same(st, t7, switches)
        st.f = views
        assert indicators(st, t7)["T1"].min() > 0  # HTEs were counted


def _synthetic(rng: np.random.Generator, B: int, n: int) -> State:
    layout = make_layout(2020, 2025, population_facts()["firms_2018"])
    st = State.empty(layout, roots_from_seeds(replication_seeds(3, B)))
    n_sec = load_rules()["sectors"]["va"].size
    wide = {k: np.zeros((B, n + 5), v.dtype) for k, v in st.f.items()}
    f = {k: v[:, :n] for k, v in wide.items()}  # views with a row stride wider than n
    f["active"][:] = rng.random((B, n)) < rng.random((B, 1))
    f["sector"][:] = rng.integers(0, n_sec, (B, n))
    f["revenue"][:] = np.exp(rng.normal(0, 4, (B, n))) * (rng.random((B, n)) < 0.9)
    f["hts"][:] = rng.random((B, n))
    f["hte"][:] = rng.random((B, n)) < 0.3
    for k in ("platforms_reg", "platforms_nat", "workstations", "practice_bases"):
        f[k][:] = rng.integers(0, 3, (B, n))
    st.f = f
    for k in ("alliances", "keylabs", "rd_institutions"):
        st.i[k][:] = rng.integers(0, 4, st.i[k].shape)
    st.z["patents_cum"][:] = rng.random(B) * 100
    st.z["patents_2020_stock"][:] = rng.random(B) * 100
    return st


@pytest.mark.parametrize("n", [1, 7, 8, 9, 127, 128, 129, 255, 256, 1023, 1623, 4100])
def test_row_lengths(n):
    """Around NumPy's block of 128 and its unrolling by 8, and past the allocation-free
    levels of model.numerics.pairwise_sum."""
    st = _synthetic(np.random.default_rng(n), 5, n)
    for switches in (None, *SWITCHES):
        _assert_same(st, None, switches)


@pytest.mark.parametrize("version", [indicators, indicators_reference])
def test_t5_and_t6_follow_their_switches(version):
    """T5 adds the institutes' new-type R&D institutions when t5_rd_institutions is on (the
    default), T6 the active firms' practice bases when t6_practice_bases is on (off by
    default); nothing else moves."""
    st = _synthetic(np.random.default_rng(2), 6, 400)
    rdi = st.i["rd_institutions"].sum(1)
    bases = np.where(st.f["active"], st.f["practice_bases"], 0).sum(1)
    assert rdi.min() > 0 and bases.min() > 0  # the switches have something to count
    off = version(st, None, {"t5_rd_institutions": False, "t6_practice_bases": False})
    on = version(st, None, {"t5_rd_institutions": True, "t6_practice_bases": True})
    default = version(st)
    assert np.array_equal(on["T5"] - off["T5"], rdi) and np.array_equal(default["T5"], on["T5"])
    assert np.array_equal(on["T6"] - off["T6"], bases)
    assert np.array_equal(default["T6"], off["T6"])
    assert all(np.array_equal(on[t], off[t]) for t in TARGET_IDS if t not in ("T5", "T6"))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_edge_values():
    rng = np.random.default_rng(11)
    st = _synthetic(rng, 6, 300)
    f = st.f
    f["revenue"][0] = 0.0  # no revenue: the floor 1e-12 divides
    f["active"][1] = False  # no active firm, values left in the inactive slots
    f["revenue"][2, 5] = np.nan
    f["revenue"][3, 9] = np.inf
    f["active"][2:4] = True
    f["platforms_reg"][4] = 32000  # int16 + int16 wraps, as in NumPy
    f["platforms_nat"][4] = 32000
    _assert_same(st)
    ref = indicators_reference(st)
    assert np.isnan(ref["T2"][2]) and ref["T3"][0] == 0.0 and ref["T5"][4] < 0  # paths ran

