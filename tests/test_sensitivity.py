"""Sensitivity studies: the problem follows the registry, the plumbing recovers known indices,
runs are identical on any backend, resume after a kill, failures are retried and recorded."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model.batch import replication_seeds, roots_from_seeds
from model.errors import InputError
from model.params import load_registry
from model.policy.spec import load_policy
from model.scenario import load_scenario, scenario_path
from model.sensitivity import problem as prob
from model.sensitivity.analyse import analyse
from model.sensitivity.analytic import ISHIGAMI_S1, ISHIGAMI_ST, analytic_evaluator
from model.sensitivity.design import make_design
from model.sensitivity.runner import EvalContext, StudyError, model_evaluator, run_design


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(scenario_path("baseline"))


def _ishigami(R=1, options=None):
    fs = tuple(prob.Factor(f"x{i}", "param", (-np.pi, np.pi), "uniform", "g", "", "", 0.0)
               for i in (1, 2, 3))
    outs = ("y", "z")
    ctx = EvalContext(fs, outs, roots_from_seeds(replication_seeds(11, R)),
                      evaluator=analytic_evaluator, options=options or {})
    return fs, outs, prob.build_problem(fs, outs), ctx


# -- the problem ---------------------------------------------------------------------------------
def test_problem_follows_registry(monkeypatch, baseline):
    reg = dict(load_registry())
    fs = prob.select_factors(["rd_price_elasticity", "hte_pass_prob"], baseline.policy)
    sp = prob.build_problem(fs, ["cost_total"])
    assert sp["names"] == ["rd_price_elasticity", "hte_pass_prob"]
    assert sp["bounds"][0] == list(reg["rd_price_elasticity"].range)
    reg["rd_price_elasticity"] = dataclasses.replace(reg["rd_price_elasticity"],
                                                     range=(0.11, 2.22), group="elastic")
    monkeypatch.setattr(prob, "load_registry", lambda: reg)
    fs = prob.select_factors(["uncertainties"], baseline.policy)
    sp = prob.build_problem(fs, ["cost_total"], grouped=True)
    i = sp["names"].index("rd_price_elasticity")
    assert sp["bounds"][i] == [0.11, 2.22] and sp["groups"][i] == "elastic"
    assert len(sp["names"]) == sum(1 for s in reg.values()
                                   if s.kind == "uncertainty" and s.range[1] > s.range[0])
    assert "large_traditional_firms" not in sp["names"]  # a setting, held fixed


def test_levers_follow_the_clause_data(baseline):
    pol = load_policy().with_param("P6c", "award", 35.0)
    lev = {f.name: f for f in prob.select_factors(["levers"], pol)}
    assert lev["P6c.award"].bounds == (0.0, 70.0)  # 0 to 2x the written value
    assert lev["P4.rate"].group == "rates" and lev["P4.cap_per_item"].group == "caps"
    assert lev["p1_award"].bounds == tuple(pol.switches["p1_award"].range)
    assert "P8a.min_grants" not in lev  # thresholds are not levers
    with pytest.raises(InputError, match="rd_price_elastcity|did you mean"):
        prob.select_factors(["rd_price_elastcity"], pol)


def test_sobol_designs_are_prefixes():
    _, _, sp, _ = _ishigami()
    small, big = make_design("sobol", sp, 16, 5), make_design("sobol", sp, 64, 5)
    assert np.array_equal(small.X, big.X[: small.rows])
    with pytest.raises(InputError):
        make_design("sobol", sp, 24, 5)


# -- the plumbing on a known function -----------------------------------------------------------
def test_ishigami_through_the_runner(tmp_path):
    fs, outs, sp, ctx = _ishigami()
    d = make_design("sobol", sp, 1024, 7)
    data = run_design(ctx, d, tmp_path, {"t": 1}, runs_per_chunk=500, progress=False)
    assert data.chunks_new > 5
    an = analyse(sp, d, data.mean, data.var, data.bsum, 1, outs, seed=3)
    ind = an.indices[an.indices["output"] == "y"].set_index(["index", "factor"])
    for k, truth in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
        for f, v in zip(("x1", "x2", "x3"), truth, strict=True):
            r = ind.loc[(k, f)]
            assert r["lower"] - 0.02 <= v <= r["upper"] + 0.02, (k, f, r.to_dict())
    assert set(an.convergence["N"]) == {128, 256, 512, 1024}
    assert bool(an.ranking.set_index("output").loc["y", "order_stable"])


def test_noise_share(tmp_path):
    _, outs, sp, ctx = _ishigami(R=4, options={"function": "zero", "noise_sd": 1.0})
    d = make_design("sobol", sp, 64, 7)
    data = run_design(ctx, d, tmp_path / "a", {"t": 2}, progress=False)
    an = analyse(sp, d, data.mean, data.var, data.bsum, 4, outs, seed=3)
    share = an.noise.set_index("output")["noise_share"]
    assert 0.8 < share["y"] < 1.25 and an.noise["status"].eq("noise dominates").all()
    assert (an.indices["warning"] != "").any()
    _, outs, sp, ctx = _ishigami(R=4, options={"noise_sd": 0.01})
    data = run_design(ctx, d, tmp_path / "b", {"t": 3}, progress=False)
    an = analyse(sp, d, data.mean, data.var, data.bsum, 4, outs, seed=3)
    assert an.noise.set_index("output").loc["y", "noise_share"] < 1e-3


# -- execution -------------------------------------------------------------------------------
def test_failed_chunk_is_retried_and_recorded(tmp_path):
    _, outs, sp, ctx = _ishigami(R=2)
    d = make_design("sobol", sp, 32, 7)
    clean = run_design(ctx, d, tmp_path / "clean", {"t": 4}, runs_per_chunk=100, progress=False)
    marks = tmp_path / "marks"
    marks.mkdir()
    flaky = dataclasses.replace(ctx, options={"fail_once_dir": str(marks)})
    data = run_design(flaky, d, tmp_path / "flaky", {"t": 4}, runs_per_chunk=100,
                      progress=False)
    log = pd.read_csv(tmp_path / "flaky" / "failures.csv")
    assert len(log) == data.chunks_new == len(data.failures) > 1
    assert (log["attempt"] == 1).all() and log["chunk"].is_unique
    assert np.array_equal(data.mean, clean.mean)
    for f in marks.iterdir():  # every chunk fails again, no retry left: the study stops
        f.unlink()
    with pytest.raises(StudyError, match="chunk 0-"):
        run_design(flaky, d, tmp_path / "stop", {"t": 4}, runs_per_chunk=100, retries=0,
                   progress=False)
    nan = dataclasses.replace(ctx, options={"nan": True})
    with pytest.raises(StudyError, match=r"chunk 0-\d+: NaN in \['y'\]"):
        run_design(nan, d, tmp_path / "nan", {"t": 4}, progress=False)


def _model_ctx(sc, names, R=2):
    fs = tuple(prob.select_factors(names, sc.policy, sc.params))
    outs = tuple(prob.output_names(sc.policy))
    ctx = EvalContext(fs, outs, roots_from_seeds(replication_seeds(sc.seed, R)), sc.policy,
                      dict(sc.params), sc.start, sc.horizon, sc.t7_count_from, sc.budget)
    return fs, outs, prob.build_problem(fs, outs), ctx


def test_levers_reach_the_model(baseline):
    fs, outs, _, ctx = _model_ctx(baseline, ["P6c.award", "rd_price_elasticity"])
    X = np.array([[0.0, 1.0], [40.0, 1.0]])
    y = model_evaluator(ctx, X)  # (2 rows, R, O)
    cost = y[:, :, outs.index("cost_firm_awards")].mean(axis=1)
    assert cost[1] > cost[0] > 0  # P6a/b/d still pay when P6c pays nothing


def test_resume_and_backends_give_identical_numbers(tmp_path, baseline):
    fs, outs, sp, ctx = _model_ctx(baseline, ["rd_price_elasticity", "P6c.award"])
    d = make_design("sobol", sp, 8, 3)
    kw = dict(runs_per_chunk=16, progress=False)  # 2 base points (8 rows x 2 runs) a chunk
    one = run_design(ctx, d, tmp_path / "one", {"t": 5}, **kw)
    assert one.chunks_new == 4
    half = run_design(ctx, d, tmp_path / "kill", {"t": 5}, max_chunks=2, **kw)
    assert half.chunks_new == 2 and np.isnan(half.mean).any()
    resumed = run_design(ctx, d, tmp_path / "kill", {"t": 5}, **kw)
    assert resumed.chunks_new == 2 and resumed.runs_reused == half.runs_new
    two = run_design(ctx, d, tmp_path / "two", {"t": 5}, workers=2, **kw)
    runs = {"resumed": resumed, "2 workers": two}
    pytest.importorskip("distributed")
    runs["dask"] = run_design(ctx, d, tmp_path / "dask", {"t": 5}, workers=2, dask_local=True,
                              **kw)
    ref = analyse(sp, d, one.mean, one.var, one.bsum, 2, outs, seed=9)
    for name, r in runs.items():
        assert np.array_equal(r.mean, one.mean), name
        assert np.array_equal(r.var, one.var) and np.array_equal(r.bsum, one.bsum), name
        an = analyse(sp, d, r.mean, r.var, r.bsum, 2, outs, seed=9)
        pd.testing.assert_frame_equal(an.indices, ref.indices)
    # extending to 2N reuses every stored chunk and evaluates only the new base points
    big = make_design("sobol", sp, 16, 3)
    ext = run_design(ctx, big, tmp_path / "one", {"t": 5}, **kw)
    assert ext.runs_reused == one.runs_new and ext.chunks_new == 4
    assert np.array_equal(ext.mean[: d.rows], one.mean)
    with pytest.raises(InputError, match="study.json"):  # other settings, same folder
        run_design(ctx, d, tmp_path / "one", {"t": 6}, **kw)


def test_cli_writes_results_and_rejects_bad_input(tmp_path, capsys):
    from model.cli import main

    out = tmp_path / "study"
    assert main(["sensitivity", "baseline", "--n", "12", "--out", str(out)]) == 2
    assert "power of 2" in capsys.readouterr().err
    assert not (out / "indices.csv").exists()
    rc = main(["sensitivity", "baseline", "--n", "8", "-R", "1", "--workers", "1",
               "--factors", "P6c.award", "P4.rate", "--no-discovery", "--out", str(out)])
    assert rc == 0
    ind = pd.read_csv(out / "indices.csv")
    assert list(ind.columns[:6]) == ["output", "factor", "index", "value", "lower", "upper"]
    assert {"S1", "ST"} <= set(ind["index"])
    assert (out / "figures" / "st_heatmap.png").exists()
    assert "P6c.award" in (out / "summary.md").read_text()
    assert json.loads((out / "problem.json").read_text())["names"] == ["P4.rate", "P6c.award"]
    assert main(["--lang", "zh", "sensitivity", "baseline", "--n", "8", "-R", "1",
                 "--workers", "1", "--factors", "P6c.award", "P4.rate", "--no-discovery",
                 "--out", str(out)]) == 0
    text = (out / "summary.md").read_text()
    assert "主要影响因素" in text and "沿用已有分块32次" in text
    assert Path(out / "chunks").is_dir()


@pytest.mark.parametrize("method", ["morris", "pawn"])  # delta: too slow in SALib 1.6 for here
def test_other_methods_on_ishigami(tmp_path, method):
    fs, outs, sp, ctx = _ishigami()
    d = make_design(method, sp, {"morris": 64, "pawn": 256}[method], 7)
    assert np.array_equal(make_design(method, sp, 16, 7).X, d.X[: 16 * d.step])  # prefixes
    data = run_design(ctx, d, tmp_path, {"m": method}, progress=False)
    an = analyse(sp, d, data.mean, data.var, data.bsum, 1, outs, seed=3, resamples=10)
    prim = {"morris": "mu_star", "pawn": "PAWN_median"}[method]
    e = an.indices[(an.indices["output"] == "y") & (an.indices["index"] == prim)]
    v = e.set_index("factor")
    assert np.isfinite(v["value"]).all() and (v["lower"] <= v["upper"]).all()
    assert v.loc["x2", "value"] > v.loc["x3", "value"] if method != "morris" else \
        v.loc["x1", "value"] > 0.5
    assert sorted(set(an.convergence["N"]))[-1] == d.N
