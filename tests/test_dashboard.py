"""The dashboard without a browser: levers from the data, settings applied, scenarios saved and
loaded back, the cached evaluation, the figures, and the pages rendered with solara.render.

The browser test is tests/e2e/test_dashboard_browser.py.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.dashboard import compute
from model.dashboard import levers as lv
from model.dashboard.text import STRINGS
from model.errors import InputError
from model.params import load_registry
from model.scenario import SCENARIOS, load_scenario

R = 12  # replications for evaluation tests: enough for direction, small for speed


@pytest.fixture(scope="module")
def base():
    return load_scenario(SCENARIOS / "baseline.toml")


@pytest.fixture(scope="module")
def ev(base):
    return compute.Evaluator(base, seed=7, executor=None)


@pytest.fixture(scope="module")
def levers(base):
    return lv.all_levers(base.policy, base.params, base.budget)


# -- levers come from the data ------------------------------------------------------------------
def test_levers_are_built_from_the_policy_data_and_the_registry(base, levers):
    keys = {lever.key: lever for lever in levers}
    paying = [cid for cid, c in base.policy.clauses.items() if c.formula != "none"]
    assert {f"{cid}.enabled" for cid in paying} <= keys.keys()
    assert "P2.enabled" not in keys  # P2 pays nothing: no lever
    for cid in paying:
        for name, p in base.policy.clauses[cid].params.items():
            shown = not name.startswith("min") and not p.switch and p.value is not None
            assert (f"{cid}.{name}" in keys) == shown, (cid, name)
            if shown:
                lever = keys[f"{cid}.{name}"]
                assert lever.default == p.value and lever.min <= p.value <= lever.max
    assert {f"switch.{n}" for n in base.policy.switches} <= keys.keys()
    reg = load_registry()
    for name in lv.KEY_UNCERTAINTIES:
        lever = keys[f"param.{name}"]
        assert (lever.min, lever.max) == tuple(reg[name].range)
        assert lever.label["zh"] and lever.label["en"]
    assert keys["P6c.award"].default == 20.0 and keys["P6c.award"].max >= 60.0
    assert keys["policy.end_year"].default == base.policy.end.year


def test_apply_changes_exactly_what_is_set(base, levers):
    d = lv.defaults(levers)
    pol, params, budget = lv.apply(d, base.policy, base.params, base.budget)
    assert pol == base.policy and params == base.params and budget == base.budget
    s = {**d, "P6c.award": 55.0, "P4.enabled": False, "switch.p3_followon": "per_year",
         "policy.end_year": 2023, "param.entry_rate": 0.08, "budget.on": True,
         "budget.total": 2000.0, "budget.rule": "first_come"}
    pol, params, budget = lv.apply(s, base.policy, base.params, base.budget)
    assert pol.value("P6c", "award") == 55.0 and pol.value("P6d", "award") == 20.0
    assert not pol.clauses["P4"].enabled and pol.clauses["P5"].enabled
    assert pol.switch("p3_followon") == "per_year"
    assert pol.end == dt.date(2023, 12, 31)
    assert params["entry_rate"] == 0.08 and params["exit_rate"] == base.params["exit_rate"]
    assert budget.total == 2000.0 and budget.rule == "first_come"


# -- saving a scenario ----------------------------------------------------------------------------
def test_saved_scenario_loads_back_with_the_same_values(base, levers, tmp_path):
    s = {**lv.defaults(levers), "P6c.award": 45.0, "P7.cap_per_unit_year": 80.0,
         "P9b.enabled": False, "switch.first_year_rule": "all", "switch.p1_award": 25.0,
         "policy.end_year": 2024, "param.award_salience": 1.2, "budget.on": True,
         "budget.total": 2500.0, "budget.unpaid": "drop"}
    out = lv.save_scenario(s, levers, base_path=SCENARIOS / "baseline.toml",
                           out=tmp_path / "sub" / "mine.toml", name="mine")
    text = out.read_text(encoding="utf-8")
    assert "extends = " in text and "[policy.clauses.P6c]" in text
    assert "P5" not in text  # only the differences are written
    got = load_scenario(out)
    pol, params, budget = lv.apply(s, base.policy, base.params, base.budget)
    for cid in pol.clause_ids:
        assert got.policy.clauses[cid].enabled == pol.clauses[cid].enabled
        for name in pol.clauses[cid].params:
            assert got.policy.value(cid, name) == pol.value(cid, name), (cid, name)
    assert got.policy.switches == pol.switches and got.policy.end == pol.end
    assert got.params == params
    assert (got.budget.total, got.budget.rule, got.budget.unpaid) == (2500.0, "pro_rata", "drop")
    assert got.name == "mine" and got.replications == base.replications


def test_saving_unchanged_settings_gives_the_base_and_bad_names_write_nothing(base, levers,
                                                                             tmp_path):
    out = lv.save_scenario(lv.defaults(levers), levers, base_path=SCENARIOS / "baseline.toml",
                           out=tmp_path / "same.toml", name="same")
    assert "[" not in out.read_text(encoding="utf-8")  # no table: nothing differs
    assert load_scenario(out).policy == base.policy
    with pytest.raises(InputError, match="toml"):
        lv.save_scenario(lv.defaults(levers), levers, base_path=SCENARIOS / "baseline.toml",
                         out=tmp_path / "bad.txt", name="bad")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.toml"]


# -- the evaluation -------------------------------------------------------------------------------
def test_counterfactual_does_not_depend_on_the_policy(base):
    """The cache shares one counterfactual across policy settings: prove that is exact."""
    roots = roots_from_seeds(replication_seeds(3, 4))
    other = (base.policy.with_param("P6c", "award", 80.0).with_clause("P7", enabled=False)
             .with_switches(p3_followon="per_year").with_window(dt.date(2022, 12, 31)))
    a = run_batch(roots, policy=base.policy, params=base.params, on=np.zeros(4))
    b = run_batch(roots, policy=other, params=base.params, on=np.zeros(4))
    assert np.array_equal(a.indicators, b.indicators)
    assert not a.fiscal.paid.any() and not b.fiscal.paid.any()


def test_raising_the_hte_award_raises_the_cost_and_not_p_t1(ev):
    base_r = ev.evaluate({}, R)
    up = ev.evaluate({"P6c.award": 80.0}, R)
    assert up.replications == R and base_r.replications == R
    assert np.array_equal(base_r.p_base, up.p_base)  # the same cached baseline
    assert up.cost["mean"] > base_r.cost["mean"]
    assert up.dcost[0] > 0 and up.dcost[1] > 0  # paired: sharp even at R = 12
    assert up.p_met[0, 0] >= base_r.p_met[0, 0] - 1 / R  # T1 not lower (one run of slack)
    assert np.allclose(base_r.dp[:, 0], 0.0) and base_r.dcost[0] == 0.0
    lo, hi = up.p_met[:, 1], up.p_met[:, 2]
    assert np.all(lo <= up.p_met[:, 0]) and np.all(up.p_met[:, 0] <= hi)
    assert up.fan["p5"].shape == (len(up.years),)
    assert np.all(up.fan["p5"] <= up.fan["p50"]) and np.all(up.fan["p50"] <= up.fan["p95"])
    assert up.by_clause.sum() == pytest.approx(up.cost["mean"])


def test_more_replications_run_only_the_missing_ones(base, monkeypatch):
    ev = compute.Evaluator(base, seed=11, executor=None)
    runs = []
    real = compute._job

    def counting(roots, on, kwargs):
        runs.append(roots.size)
        return real(roots, on, kwargs)

    monkeypatch.setattr(compute, "_job", counting)
    small = ev.evaluate({}, 6)
    assert sum(runs) == 12  # policy and counterfactual; the baseline is the same setting
    runs.clear()
    big = ev.evaluate({}, 10)
    assert sum(runs) == 8  # 4 more of each arm
    runs.clear()
    ev.evaluate({"P6c.award": 30.0}, 10)
    assert sum(runs) == 10  # a policy lever: new policy runs only, counterfactual cached
    fresh = compute.Evaluator(base, seed=11, executor=None).experiment({}, 10)
    assert np.array_equal(fresh.indicators, ev.experiment({}, 10).indicators)
    assert small.cost["mean"] != big.cost["mean"] or small.replications != big.replications


def test_the_page_shows_what_parksim_run_publishes(base, ev):
    """The baseline draws its calibrated parameters from the posterior per replication; the
    dashboard does the same, so its numbers are those of `parksim run` for the same seed."""
    from model.experiments import monte_carlo

    assert ev.drawn({})  # the baseline has a posterior: the test is not vacuous
    page, run = ev.experiment({}, R), monte_carlo(base, R, 7)
    assert np.array_equal(page.indicators, run.indicators)
    assert np.array_equal(page.paid, run.paid)


def test_a_moved_slider_overrides_the_posterior_draw(base, ev):
    name = "hte_consider_prob"
    assert name in ev.drawn({})
    moved = {f"param.{name}": 0.5}
    assert name not in ev.drawn(moved)
    pol, _ = ev.arms(moved)
    assert pol.kwargs["params"][name] == 0.5


def test_a_superseded_computation_stops(ev):
    with pytest.raises(compute.Cancelled):
        ev.evaluate({"P6c.award": 33.0}, R + 50, stop=lambda: True)


def test_attribution_on_demand_is_what_parksim_run_writes(base, ev):
    """The page's attribution of a setting is model.attribution's on the page's seeds and
    posterior draws: at the base scenario, attribution.csv of `parksim run` with that seed."""
    import pandas as pd

    from model import attribution

    a = ev.attribution({}, 3)
    want = attribution.attribution_table(attribution.attribute(base, 3, 7))
    pd.testing.assert_frame_equal(a.table, want, check_exact=True)
    assert a.players == attribution.make_game(base.policy).players and a.runs == 3 * 64
    assert ev.attribution({}, 3) is a  # cached: a second look costs nothing
    with pytest.raises(compute.Cancelled):
        ev.attribution({"P6c.award": 33.0}, 3, stop=lambda: True)
    moved = ev.attribution({"P6c.award": 60.0}, 3)
    t1 = moved.table[(moved.table.measure == "cost") & (moved.table.group == "firm_awards")]
    t0 = a.table[(a.table.measure == "cost") & (a.table.group == "firm_awards")]
    assert t1["own_outlay"].iloc[0] > t0["own_outlay"].iloc[0]  # a tripled award costs more


# -- figures and pages --------------------------------------------------------------------------
@pytest.mark.filterwarnings("error:Glyph")
def test_figures_draw_in_both_languages(ev):
    from model.dashboard import figures
    from model.fonts import cjk_font

    r = ev.evaluate({"budget.on": True}, R)
    for la in ("en", "zh"):
        for fig in (figures.pmet_figure(r, la, 2025), figures.fan_figure(r, la, 3000.0),
                    figures.clause_figure(r, la)):
            fig.savefig(__import__("io").BytesIO(), format="png")
    if cjk_font():
        import matplotlib.pyplot as plt

        figures.pmet_figure(r, "en", 2025)
        assert plt.rcParams["font.family"] == ["sans-serif", cjk_font()]  # English: fallback


def test_every_text_has_both_languages():
    for key, d in STRINGS.items():
        assert d.get("en") and d.get("zh"), key


@pytest.fixture()
def app(ev, monkeypatch):
    from model.dashboard import app

    monkeypatch.setattr(app, "_evaluator", ev)
    monkeypatch.setenv("PARKSIM_DASHBOARD_R", str(R))
    monkeypatch.setenv("PARKSIM_DASHBOARD_IDLE_R", str(R))
    app.lang.set("en")
    app.changes.set({})
    yield app
    app.lang.set("en")
    app.changes.set({})


def _texts(rc) -> str:
    import ipyvuetify as v
    import solara.widgets

    out = []
    for cls, attr in ((v.Html, "children"), (solara.widgets.HTML, "unsafe_innerHTML"),
                      (v.Slider, "label")):
        for el in rc.find(cls).widgets:
            val = getattr(el, attr)
            out += [c for c in val if isinstance(c, str)] if isinstance(val, list) else [val]
    return "\n".join(str(x) for x in out)


def test_lever_panel_renders_every_clause_and_switches_language(app, base):
    import ipyvuetify as v
    import solara

    box, rc = solara.render(app.LeverPanel(), handle_error=False)
    headers = " ".join(str(h.children) for h in rc.find(v.ExpansionPanelHeader).widgets)
    for cid, c in base.policy.clauses.items():
        if c.formula != "none":
            assert f"{cid} {c.label['en']}" in headers
    app.lang.set("zh")
    headers = " ".join(str(h.children) for h in rc.find(v.ExpansionPanelHeader).widgets)
    assert base.policy.clauses["P6c"].label["zh"] in headers
    rc.close()


def test_a_slider_move_updates_the_settings(app):
    import ipyvuetify as v
    import solara

    box, rc = solara.render(app.LeverControl(next(
        lever for lever in app.evaluator().levers if lever.key == "P6c.award")),
        handle_error=False)
    slider = rc.find(v.Slider).widget
    slider.v_model = 60.0
    assert app.changes.value == {"P6c.award": 60.0}
    slider.v_model = 20.0  # back to the base value: the change drops out
    assert app.changes.value == {}
    rc.close()


def test_results_render_the_numbers(app, ev):
    import solara

    r = ev.evaluate({"P6c.award": 80.0}, R)
    box, rc = solara.render(app.Results(r, "en"), handle_error=False)
    text = _texts(rc)
    assert f"{100 * r.p_met[0, 0]:.0f}%" in text and "T9 International" in text
    rc.close()
    box, rc = solara.render(app.Results(r, "zh"), handle_error=False)
    assert "高新技术企业" in _texts(rc)
    rc.close()


def test_attribution_panel_is_on_demand_and_renders_the_table(app, ev, monkeypatch):
    import solara

    monkeypatch.setenv("PARKSIM_DASHBOARD_ATTR_R", "3")
    app.attr_on.set(False)
    calls = []
    with monkeypatch.context() as m:
        m.setattr(ev, "attribution", lambda *a, **k: calls.append(a))
        box, rc = solara.render(app.AttributionPanel(), handle_error=False)
        time.sleep(0.5)  # a task started by mistake would have called it by now
    assert "What each clause group buys" in str(
        [w.label for w in rc.find(__import__("ipyvuetify").Checkbox).widgets])
    assert "attr-firm_awards" not in _texts(rc) and calls == []  # nothing run until asked
    rc.close()
    a = ev.attribution({}, 3)
    app.attr_shown.set((app._key({}), a))
    app.attr_on.set(True)
    try:
        box, rc = solara.render(app.AttributionPanel(), handle_error=False)
        text = _texts(rc)
        assert "attr-firm_awards" in text and "Firm awards" in text and "192 runs" in text
        rc.close()
        app.lang.set("zh")
        box, rc = solara.render(app.AttributionPanel(), handle_error=False)
        assert "企业奖励" in _texts(rc)
        rc.close()
    finally:
        app.attr_on.set(False)
        app.attr_shown.set(None)


def test_agents_page_renders_and_mesa_steps_the_model(app):
    import ipyvuetify as v
    import ipywidgets as w
    import solara
    from mesa.visualization.solara_viz import ModelController

    from model.agents import Enterprise
    from model.dashboard import figures
    from model.park import ParkModel

    box, rc = solara.render(app.AgentsPage(), handle_error=False)
    assert len(rc.find(w.Image).widgets) == 5  # four figures of ours, one Mesa plot
    rc.close()
    m = ParkModel(policy=app.evaluator().scenario.policy, rng=3, horizon=2021)
    for la in ("en", "zh"):
        for draw in (figures.firms_figure, figures.scatter_figure, figures.awards_figure,
                     figures.indicators_figure):
            draw(m, la)  # before the first step: empty, not an error
    model = solara.reactive(m)
    box, rc = solara.render(ModelController(
        model, render_interval=solara.reactive(1), play_interval=solara.reactive(100),
        use_threads=solara.reactive(False)), handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.click()  # Mesa's own Step button
    assert m.year == 2020 and len(m.datacollector.get_model_vars_dataframe()) == 1
    rc.close()
    bars = figures.firms_figure(m, "en").axes[0].patches
    assert sum(b.get_width() for b in bars) == len(m.agents_by_type[Enterprise])
    paid = figures.awards_figure(m, "en").axes[0].patches
    assert paid and max(b.get_width() for b in paid) > 0  # awards flowed in 2020


def test_dashboard_command_rejects_bad_input(capsys):
    from model.cli import main

    assert main(["dashboard", "no_such_scenario_file.toml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "no_such_scenario_file" in err and "Traceback" not in err
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    assert "free port" in capsys.readouterr().err


def test_screenshot_option_rejects_a_non_png_path_and_writes_nothing(tmp_path, capsys):
    from model.cli import main

    out = tmp_path / "shot.jpg"
    assert main(["dashboard", "--screenshot", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and ".png" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
