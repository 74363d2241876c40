"""The dashboard's pages (Solara): the policy page and the agents page, in English or Chinese.

`parksim dashboard` serves this module with `solara run model.dashboard.app`; the server's
settings come in environment variables (model.dashboard.command writes them). Levers are
built in loops from model.dashboard.levers; numbers come from model.dashboard.compute.
"""

from __future__ import annotations

import html
import os
import threading
import time
from pathlib import Path

import solara
import solara.lab

from model.dashboard import compute, figures
from model.dashboard import levers as lv
from model.dashboard.text import choice_label, tr
from model.i18n import label as data_label
from model.targets import TARGET_IDS, load_targets

ENV = "PARKSIM_DASHBOARD_"
LABEL_STYLE = "font-size: 0.85em; color: #444"
IDLE_PAUSE = 1.0  # seconds without a lever move before the answer is refined

lang = solara.reactive("en")
changes = solara.reactive({})  # lever key -> value: only what differs from the base scenario
answer = solara.reactive(None)  # (settings key, compute.Result) last shown
attr_on = solara.reactive(False)  # show what each clause group buys (computed on demand)
attr_shown = solara.reactive(None)  # (settings key, compute.Attribution) last shown
saved = solara.reactive(("", ""))  # (message, path)

_evaluator: compute.Evaluator | None = None
_lock = threading.Lock()


def config() -> dict:
    """The server's settings (from `parksim dashboard`, or defaults for a bare solara run)."""
    fast = int(os.environ.get(ENV + "R", compute.FAST_R))
    return {"scenario": os.environ.get(ENV + "SCENARIO", ""),
            "seed": int(os.environ.get(ENV + "SEED", compute.DEFAULT_SEED)),
            "fast": fast, "idle": max(fast, int(os.environ.get(ENV + "IDLE_R", compute.IDLE_R))),
            "attr": int(os.environ.get(ENV + "ATTR_R", compute.ATTR_R)),
            "workers": int(os.environ.get(ENV + "WORKERS", 2)),
            "save_dir": Path(os.environ.get(ENV + "SAVE_DIR", "results/dashboard/scenarios")),
            "overwrite": os.environ.get(ENV + "OVERWRITE", "0") == "1"}


def evaluator() -> compute.Evaluator:
    """The server's one Evaluator, its pool warm; sessions share its caches."""
    global _evaluator
    with _lock:
        if _evaluator is None:
            from model.scenario import SCENARIOS, load_scenario

            cfg = config()
            sc = load_scenario(cfg["scenario"] or SCENARIOS / "baseline.toml")
            _evaluator = compute.Evaluator(sc, seed=cfg["seed"],
                                           executor=compute.pool(cfg["workers"]))
    return _evaluator


def _key(d: dict) -> tuple:
    return tuple(sorted(d.items()))


def _fmt(v: float, unit: str) -> str:
    return f"{v * 100:g}%" if unit.startswith("share") else f"{v:g} {unit}".strip()


def _testid(name: str, child, tag: str = "div"):
    """Wrap an element so the browser test can find it by data-testid."""
    return solara.v.Html(tag=tag, attributes={"data-testid": name}, children=[child])


# -- levers ---------------------------------------------------------------------------------
@solara.component
def LeverControl(lever: lv.Lever):
    """One lever as a slider, checkbox or menu; a value equal to the base drops out."""
    la = lang.value
    val = changes.value.get(lever.key, lever.default)
    name = data_label(lever.label, la)

    def set_value(v) -> None:
        if lever.kind == "float":
            v = round(float(v), 9)
        new = {k: x for k, x in changes.value.items() if k != lever.key}
        if v != lever.default:
            new[lever.key] = v
        changes.set(new)

    if lever.kind == "bool":
        el = solara.Checkbox(label=name, value=bool(val), on_value=set_value)
    elif lever.kind == "choice":
        shown = {choice_label(c, la): c for c in lever.choices}
        el = solara.Select(name, values=list(shown), value=choice_label(val, la),
                           on_value=lambda s: set_value(shown[s]), dense=True)
    elif lever.kind == "int":
        el = solara.Column(gap="0px", children=[
            solara.Text(f"{name}: {val}", style=LABEL_STYLE),
            solara.SliderInt("", value=int(val), min=int(lever.min), max=int(lever.max),
                             step=int(lever.step), on_value=set_value)])
    else:
        el = solara.Column(gap="0px", children=[
            solara.Text(f"{name}: {_fmt(val, lever.unit)}", style=LABEL_STYLE),
            solara.SliderFloat("", value=float(val), min=lever.min, max=lever.max,
                               step=lever.step, on_value=set_value)])
    _testid(f"lever-{lever.key}", el)


@solara.component
def LeverPanel():
    """Every lever, grouped: window and budget, one fold per clause, switches, uncertainties."""
    ev = evaluator()
    la = lang.value
    policy = ev.scenario.policy
    groups: dict[str, list[lv.Lever]] = {}
    for lever in ev.levers:
        groups.setdefault(lever.group, []).append(lever)
    solara.Markdown(f"**{tr('g_window', la)}**")
    budget_on = changes.value.get("budget.on", ev.defaults["budget.on"])
    for lever in groups["window"] + groups["budget"]:
        if lever.key.startswith("budget.") and lever.key != "budget.on" and not budget_on:
            continue  # the line's amount and rules matter only when there is a line
        LeverControl(lever)
    solara.Markdown(f"**{tr('g_clauses', la)}**")
    for cid in policy.clause_ids:
        if cid in groups:
            moved = any(lever.key in changes.value for lever in groups[cid])
            title = f"{cid} {data_label(policy.clauses[cid].label, la)}" + (" •" if moved else "")
            solara.Details(title, children=[LeverControl(lever) for lever in groups[cid]],
                           expand=moved or cid == "P6c")
    solara.Details(tr("g_switches", la),
                   children=[LeverControl(lever) for lever in groups["switches"]])
    solara.Details(tr("g_uncertainties", la),
                   children=[LeverControl(lever) for lever in groups["uncertainties"]])


@solara.component
def SavePanel():
    """Save the current levers as a scenario file that `parksim run` accepts."""
    ev = evaluator()
    la = lang.value
    name = solara.use_reactive(f"{ev.scenario.name}_dashboard")

    def save() -> None:
        from model.errors import InputError
        from model.outputs import IDENTIFIER_TEXT, is_identifier

        slug = name.value.strip()
        if not is_identifier(slug):
            saved.set((tr("save_failed", la, msg=IDENTIFIER_TEXT), ""))
            return
        try:
            out = lv.save_scenario({**ev.defaults, **changes.value}, ev.levers,
                                   base_path=ev.base_path,
                                   out=config()["save_dir"] / f"{slug}.toml", name=slug,
                                   overwrite=config()["overwrite"])
        except (InputError, OSError) as e:
            saved.set((tr("save_failed", la, msg=str(e)), ""))
            return
        saved.set((tr("saved", la, path=out), str(out)))

    solara.InputText(tr("save_name", la), value=name, continuous_update=True)
    _testid("save", solara.Button(tr("save", la), on_click=save, color="primary"))
    msg, path = saved.value
    if msg:
        solara.v.Html(tag="div", attributes={"data-testid": "saved", "data-path": path},
                      children=[msg], style_="font-size: 0.85em; word-break: break-all")


# -- the policy page ------------------------------------------------------------------------
def _ci(a: tuple | list, pct: bool = True) -> str:
    f = (lambda x: f"{100 * x:.0f}%") if pct else (lambda x: f"{x:,.0f}")
    return f"{f(a[0])} [{f(a[1])}, {f(a[2])}]"


def _pp(x: float) -> str:
    """A probability difference in percentage points, signed, without a "-0"."""
    s = f"{100 * x:+.0f}"
    return "+0" if s == "-0" else s


def changes_text(diff: dict, la: str) -> str:
    """The changes from the base, in lever order: "P6c.award = 80.0, ..."."""
    return ", ".join(f"{k} = {choice_label(v, la) if isinstance(v, bool) else v}"
                     for k, v in sorted(diff.items()))


def targets_html(r: compute.Result, la: str) -> str:
    """The nine targets: P(met) for this setting, the base and no policy; Δ; additionality."""
    t = load_targets()
    heads = ["th_target", "th_threshold", "th_now", "th_base", "th_none", "th_delta", "th_add"]
    rows = ["<tr>" + "".join(f"<th>{html.escape(tr(h, la))}</th>" for h in heads) + "</tr>"]
    for j, tid in enumerate(TARGET_IDS):
        d = [_pp(x) for x in r.dp[j]]
        delta = f"{d[0]} pp [{d[1]}, {d[2]}]"
        a = r.additional[tid]
        add = f"{a[0]:+.3g} [{a[1]:+.3g}, {a[2]:+.3g}]"
        cells = [f"{tid} {t[tid]['label'][la]}", f"{t[tid]['op']} {t[tid]['threshold']:g}",
                 _ci(r.p_met[j]), _ci(r.p_base[j]), _ci(r.p_none[j]), delta, add]
        rows.append(f"<tr data-testid='row-{tid}'>" + "".join(
            f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return "<table class='parksim-targets'>" + "".join(rows) + "</table>"


def attribution_html(a: compute.Attribution, la: str) -> str:
    """What each clause group buys: the summary.md table, from the setting's attribution."""
    from model.policy.groups import group_label
    from model.report.i18n import t

    tab = a.table
    hte, cost = (tab[tab["measure"] == m].set_index("group") for m in ("T1", "cost"))
    heads = [t(k, la) for k in ("col_group", "col_own", "col_cost_shapley", "col_hte_shapley",
                                "col_hte_loo", "col_per_hte_own")]
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr>"]
    for g in hte.index:
        h, c = hte.loc[g], cost.loc[g]
        per = h["cost_per_additional"]
        cells = [t("total_row", la) if g == "total" else group_label(g, la),
                 f"{c['own_outlay']:,.0f}", f"{c['shapley']:,.0f}",
                 f"{h['shapley']:+.1f} [{h['shapley_ci_low']:+.1f}, {h['shapley_ci_high']:+.1f}]",
                 f"{h['leave_one_out']:+.1f}", "" if per != per else f"{per:,.0f}"]
        rows.append(f"<tr data-testid='attr-{g}'>" + "".join(
            f"<td>{html.escape(x)}</td>" for x in cells) + "</tr>")
    return "<table class='parksim-targets'>" + "".join(rows) + "</table>"


CSS = """
.parksim-targets { border-collapse: collapse; font-size: 0.85em; }
.parksim-targets th, .parksim-targets td { padding: 2px 8px; border-bottom: 1px solid #ddd;
  text-align: right; }
.parksim-targets td:first-child, .parksim-targets th:first-child { text-align: left; }
.parksim-kf { font-size: 1.6em; font-weight: 600; }
"""


@solara.component
def KeyFigure(title: str, value: str, sub: str, testid: str, setting: str):
    """One number in large type; `data-for` names the setting it belongs to (for tests)."""
    with solara.Card(title, margin=1, style="min-width: 200px"):
        solara.v.Html(tag="div", class_="parksim-kf", children=[value],
                      attributes={"data-testid": testid, "data-for": setting})
        solara.Text(sub, style="font-size: 0.8em")


@solara.component
def Results(r: compute.Result, la: str):
    ev = evaluator()
    sc = ev.scenario
    lo, hi = r.years[0], r.years[-1]
    per = r.per_hte
    setting = changes_text(lv.changes(r.settings, ev.levers), la)
    with solara.Row(style="flex-wrap: wrap"):
        KeyFigure(tr("kf_pmet", la, tid="T1"), f"{100 * r.p_met[0, 0]:.0f}%",
                  f"95% [{100 * r.p_met[0, 1]:.0f}%, {100 * r.p_met[0, 2]:.0f}%] · "
                  f"{tr('base_scn', la)} {100 * r.p_base[0, 0]:.0f}%", "pmet-T1", setting)
        KeyFigure(tr("kf_cost", la, lo=lo, hi=hi), f"{r.cost['mean']:,.0f} 万元",
                  tr("kf_dcost", la, d=r.dcost[0], a=r.dcost[1], b=r.dcost[2]), "cost", setting)
        a = r.additional["T1"]
        KeyFigure(tr("kf_add_hte", la), f"{a[0]:+.1f}", f"95% [{a[1]:+.1f}, {a[2]:+.1f}]",
                  "add-T1", setting)
        KeyFigure(tr("kf_per_hte", la),
                  f"{per[0]:,.0f} 万元" if per[3] == "ok" else tr("undefined", la),
                  f"95% [{per[1]:,.0f}, {per[2]:,.0f}]" if per[3] == "ok" else per[3],
                  "per-hte", setting)
    solara.HTML(tag="div", unsafe_innerHTML=targets_html(r, la))
    solara.Text(tr("ci_note", la), style="font-size: 0.8em; color: #555")
    budget = r.settings.get("budget.total") if r.settings.get("budget.on") else None
    solara.FigureMatplotlib(figures.pmet_figure(r, la, sc.horizon), format="png")
    with solara.Row(style="flex-wrap: wrap"):
        solara.FigureMatplotlib(figures.fan_figure(r, la, budget), format="png")
        solara.FigureMatplotlib(figures.clause_figure(r, la), format="png")


def _setting_ref():
    """The setting on screen (its key) and a ref always holding the newest one: a task
    started for an older setting reads it to know it has been superseded."""
    key = _key(changes.value)
    latest = solara.use_ref(key)
    latest.current = key
    return key, latest


@solara.component
def AttributionPanel():
    """What each clause group buys for the setting on screen: 2^groups runs per replication,
    so computed only when asked (the checkbox), at the server's attribution replications."""
    ev = evaluator()
    cfg = config()
    la = lang.value
    key, latest = _setting_ref()

    def work() -> None:
        if not attr_on.value:
            return
        try:
            a = ev.attribution(dict(key), cfg["attr"],
                               stop=lambda: latest.current != key or not attr_on.value)
        except compute.Cancelled:
            return
        if latest.current == key:
            attr_shown.set((key, a))

    task = solara.lab.use_task(work, dependencies=[key, attr_on.value], raise_error=False)
    _testid("attr-toggle", solara.Checkbox(label=tr("attr_toggle", la, R=cfg["attr"]),
                                           value=attr_on))
    if not attr_on.value:
        return
    if task.error:
        solara.Error(str(task.exception))
    shown = attr_shown.value
    if shown is None or shown[0] != key:
        solara.Text(tr("attr_computing", la, R=cfg["attr"]))
        return
    a = shown[1]
    solara.v.Html(tag="div", attributes={"data-testid": "attr-status"},
                  children=[tr("attr_status", la, R=a.replications, C=a.runs // a.replications,
                               runs=a.runs, s=a.seconds)])
    solara.HTML(tag="div", unsafe_innerHTML=attribution_html(a, la))
    solara.Text(tr("attr_note", la), style="font-size: 0.8em; color: #555")


@solara.component
def PolicyPage():
    """Levers on the left; P(target), costs and figures on the right, against the base."""
    ev = evaluator()
    cfg = config()
    la = lang.value
    key, latest = _setting_ref()

    def work() -> None:
        def stop() -> bool:
            return latest.current != key

        try:
            r = ev.evaluate(dict(key), cfg["fast"], stop)
            if stop():
                return
            answer.set((key, r))
            if cfg["idle"] > cfg["fast"]:
                end = time.monotonic() + IDLE_PAUSE
                while time.monotonic() < end:
                    if stop():
                        return
                    time.sleep(0.05)
                r = ev.evaluate(dict(key), cfg["idle"], stop)
                if not stop():
                    answer.set((key, r))
        except compute.Cancelled:
            return

    task = solara.lab.use_task(work, dependencies=[key], raise_error=False)
    shown = answer.value
    with solara.Sidebar():
        solara.Text(tr("base", la, name=ev.scenario.name), style="font-weight: 600")
        solara.Button(tr("reset", la), on_click=lambda: changes.set({}), text=True,
                      disabled=not changes.value)
        SavePanel()
        LeverPanel()
    solara.Style(CSS)
    diff = changes_text(changes.value, la)
    solara.Text(tr("changes", la, c=diff) if diff else tr("no_changes", la))
    fresh = shown is not None and shown[0] == key
    if shown is None or not fresh:
        state = tr("computing", la)
    elif task.pending:
        state = tr("status", la, R=shown[1].replications, s=shown[1].seconds) + " · " + tr(
            "refining", la, R=cfg["idle"])
    else:
        state = tr("status", la, R=shown[1].replications, s=shown[1].seconds)
    solara.v.Html(tag="div", attributes={"data-testid": "status",
                                         "data-fresh": "1" if fresh else "0",
                                         "data-replications": str(shown[1].replications
                                                                  if shown else 0)},
                  children=[state])
    if task.error:
        solara.Error(str(task.exception))
    if shown is not None:
        Results(shown[1], la)
    AttributionPanel()


# -- the agents page ------------------------------------------------------------------------
def _figure_component(draw):
    """A SolaraViz component (a function of the model) drawing one of our figures."""
    def component(model):
        return solara.FigureMatplotlib(draw(model, lang.value), format="png")
    return component


@solara.component
def AgentsPage():
    """One ParkModel run under the current levers, stepped year by year with Mesa's SolaraViz."""
    from mesa.visualization import SolaraViz, make_plot_component

    from model.park import ParkModel

    ev = evaluator()
    la = lang.value
    sc = ev.scenario
    spec = ev.spec({**ev.defaults, **changes.value})
    fixed = {"policy": spec.policy, "params": spec.params, "budget": spec.budget,
             "start": sc.start, "t7_count_from": sc.t7_count_from}
    model = solara.use_memo(lambda: ParkModel(**fixed, horizon=sc.horizon, rng=ev.seed),
                            [_key(changes.value)])
    model_params = {
        **fixed,
        "horizon": {"type": "SliderInt", "value": sc.horizon, "min": sc.start + 1,
                    "max": lv.END_YEAR_MAX, "step": 1, "label": tr("horizon", la)},
        "counterfactual": {"type": "Checkbox", "value": False, "label": tr("counterfactual", la)},
        "rng": {"type": "SliderInt", "value": ev.seed % 1000, "min": 0, "max": 999, "step": 1,
                "label": tr("seed", la)},
    }

    def money_labels(ax) -> None:
        ax.set_title(tr("fig_money", la), fontsize=10)
        ax.legend([tr("grants_paid", la), tr("fund_investment_paid", la)], fontsize=7)

    components = [
        (_figure_component(figures.indicators_figure), 0),
        (_figure_component(figures.firms_figure), 0),
        (_figure_component(figures.scatter_figure), 0),
        (_figure_component(figures.awards_figure), 0),
        make_plot_component({"grants_paid": "#1f77b4", "fund_investment_paid": "#ff7f0e"},
                            post_process=money_labels),
    ]
    solara.Text(tr("mesa_note", la), style="font-size: 0.85em")
    SolaraViz(model, components=components, model_params=model_params,
              name=tr("agents_title", la))


# -- layout and routes ------------------------------------------------------------------------
@solara.component
def Layout(children=None):
    """The app bar: page links and the language switch."""
    la = lang.value
    route, routes_ = solara.use_route()
    solara.Title(tr("app_title", la))
    with solara.AppLayout(children=children or [], navigation=False) as main:
        with solara.AppBar():
            if route.path != "agents":  # there SolaraViz sets the title (two would mix)
                solara.AppBarTitle(tr("app_title", la))
            for r in routes_:
                with solara.Link(solara.resolve_path(r)):
                    solara.Button(tr(f"nav_{r.label}", la), text=True, dark=True,
                                  outlined=r is route)
            _testid("lang", solara.Button(tr("language", la), text=True, dark=True,
                                          on_click=lambda: lang.set("zh" if la == "en"
                                                                    else "en")))
    return main


routes = [
    solara.Route(path="/", component=PolicyPage, label="policy", layout=Layout),
    solara.Route(path="agents", component=AgentsPage, label="agents"),
]

if os.environ.get(ENV + "WARM", "1") == "1" and os.environ.get(ENV + "SCENARIO") is not None:
    # served by `parksim dashboard`: start the pool and the baseline before the first visitor
    def _warm() -> None:
        try:
            evaluator().evaluate({}, config()["fast"])
        except Exception:  # noqa: BLE001 - a server stopped while warming: nothing to say
            pass

    threading.Thread(target=_warm, daemon=True, name="parksim-warm").start()
