"""The compiled behaviour kernels (model.behaviour.compiled) give the NumPy reference's bits.

ParkModel runs the reference; the batch engine runs the kernels by default. Each kernel is
checked against its reference function on a mid-run state, and whole batches on both engines
across the scenarios that exercise other paths (no policy, budget lines, switches, extra
clauses, per-run parameters and levers, other horizons).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.behaviour import compiled
from model.behaviour.incentives import Incentives
from model.dynamics import REFERENCE, Context, step_year
from model.layout import make_layout
from model.params import default_params
from model.params.rules import population_facts
from model.policy.spec import load_policy
from model.population import initial_state
from model.rng import Streams
from model.scenario import load_scenario
from model.settle import init_run

ROOT = Path(__file__).resolve().parents[1]
ROOTS = roots_from_seeds(replication_seeds(31, 6))


def _same(a, b, what: str) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), what
        for k in a:
            _same(a[k], b[k], f"{what}.{k}")
    elif isinstance(a, tuple):
        for j, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{what}[{j}]")
    else:
        x, y = np.asarray(a), np.asarray(b)
        assert x.shape == y.shape, what
        assert np.array_equal(x, y), f"{what}: largest difference {np.abs(x - y).max()}"


def _assert_batches_equal(a, b) -> None:
    _same(a.indicators, b.indicators, "indicators")
    _same(a.counts, b.counts, "counts")
    for k in ("claims", "paid", "committed", "carried", "dropped"):
        _same(getattr(a.fiscal, k), getattr(b.fiscal, k), k)


@pytest.fixture(scope="module")
def mid_run():
    """A batch state three years in (policy on four runs, off two), with a varied parameter."""
    layout = make_layout(2020, 2025, population_facts()["firms_2018"])
    p = {**default_params(), "rd_price_elasticity": np.linspace(0.5, 1.5, 6).reshape(-1, 1)}
    policy = load_policy()
    st = initial_state(layout, p, ROOTS)
    on = np.array([1, 1, 1, 1, 0, 0], float).reshape(-1, 1)
    ctx = Context(policy, p, on, layout)
    init_run(st, ctx)
    for year in (2020, 2021, 2022):
        step_year(st, year, ctx)
    year = 2023
    n = layout.entry_start(year) + layout.block
    f = {k: v[:, :n] for k, v in st.f.items()}
    return f, st, p, Incentives(policy, year, on, st.z["pay_ratio"]), Streams(ROOTS, year), year


@pytest.mark.parametrize("name", ["decide_rd", "decide_hte", "patents", "contracts",
                                  "recognitions", "grow", "listings", "exits", "invest",
                                  "sellers"])
def test_each_kernel_equals_its_reference(mid_run, name):
    f, st, p, inc, rs, year = mid_run
    args = {"decide_rd": (f, p, inc, year), "decide_hte": (f, p, inc, year, rs),
            "patents": (f, p, inc, rs, 3.0), "contracts": (f, p, inc, rs, 3),
            "recognitions": (f, p, inc, rs), "grow": (f, p, rs),
            "listings": (f, p, rs, np.log1p(f["growth_last"])), "exits": (f, p, rs),
            "invest": (f, p, rs, np.linspace(0, 800, 6))}
    if name == "sellers":
        c = REFERENCE.contracts(f, p, inc, rs, 3)
        assert (c > 0).sum() > 5  # enough contracts to exercise the draw
        args[name] = (c, st.i["active"], rs)
    ref, got = getattr(REFERENCE, name)(*args[name]), getattr(compiled, name)(*args[name])
    _same(ref, got, name)
    # the comparison is not vacuous: the reference produced something
    leaves = list(ref.values()) if isinstance(ref, dict) else (
        list(ref) if isinstance(ref, tuple) else [ref])
    assert any(np.asarray(x).any() for x in leaves), name


def test_exited_firms_seek_no_recognition(mid_run):
    """A firm that left keeps its certificate until it lapses, but applies for nothing."""
    f, _, p, inc, rs, _ = mid_run
    gone = ~f["active"] & f["hte"]
    assert gone.any()
    for fn in (REFERENCE.recognitions, compiled.recognitions):
        ev = fn(f, p, inc, rs)
        assert not any(v[gone].any() for v in ev.values())


def _both(**kw):
    return (run_batch(ROOTS, engine="reference", chunk=3, **kw),
            run_batch(ROOTS, engine="compiled", chunk=3, **kw))


def test_default_policy_and_counterfactual():
    a, b = _both(on=np.array([1, 0, 1, 0, 1, 1], float))
    assert a.fiscal.paid.sum() > 0
    _assert_batches_equal(a, b)


def test_per_run_parameters_and_levers():
    policy = load_policy()
    policy = policy.with_param("P6c", "award", np.linspace(0, 60, 6)).with_param(
        "P7", "rate", np.linspace(0.0, 0.4, 6))
    params = {"award_salience": np.linspace(0.2, 2.0, 6), "contract_prob":
              np.linspace(0.02, 0.3, 6), "growth_sd": np.linspace(0.1, 0.4, 6)}
    _assert_batches_equal(*_both(policy=policy, params=params))


@pytest.mark.parametrize("scenario", ["budget_capped", "p8a_once", "innovation_vouchers",
                                      "p6ab_listed", "extended_2030", "p3_per_year"])
def test_scenarios(scenario):
    s = load_scenario(ROOT / "scenarios" / f"{scenario}.toml")
    a, b = _both(policy=s.policy, params=s.params, start=s.start, horizon=s.horizon,
                 t7_count_from=s.t7_count_from, budget=s.budget)
    assert a.fiscal.paid.sum() > 0
    _assert_batches_equal(a, b)
