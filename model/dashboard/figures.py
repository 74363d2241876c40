"""The dashboard's matplotlib figures: pure functions of a Result or a ParkModel, so tests can
draw them without a browser. Labels follow the page's language when a CJK font exists.
"""

from __future__ import annotations

from textwrap import shorten

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from model.dashboard.compute import Result  # noqa: E402
from model.dashboard.text import tr as _tr  # noqa: E402
from model.fonts import figure_lang, plain  # noqa: E402
from model.targets import TARGET_IDS, load_targets  # noqa: E402

C_NOW, C_BASE, C_NONE = "#1f77b4", "#ff7f0e", "#7f7f7f"


def tr(key: str, lang: str, **fmt) -> str:
    return plain(_tr(key, lang, **fmt))


def _columns(agents, attrs: list[str]) -> list[np.ndarray]:
    """One array per attribute over an AgentSet (`get` returns one row per agent)."""
    rows = agents.get(attrs) if len(agents) else []
    return [np.asarray([r[i] for r in rows]) for i in range(len(attrs))]


def _fig(w: float, h: float, lang: str) -> tuple[Figure, str]:
    lang = figure_lang(lang)
    return Figure(figsize=(w, h), dpi=90, layout="constrained"), lang


def pmet_figure(r: Result, lang: str, horizon: int) -> Figure:
    """P(met) per target with Wilson intervals: this setting, the base, no policy."""
    fig, lang = _fig(7.5, 3.2, lang)
    ax = fig.subplots()
    x = np.arange(len(TARGET_IDS))
    for k, (arr, col, key) in enumerate(((r.p_met, C_NOW, "this_setting"),
                                         (r.p_base, C_BASE, "base_scn"),
                                         (r.p_none, C_NONE, "no_policy"))):
        xs = x + (k - 1) * 0.25
        ax.bar(xs, arr[:, 0], 0.24, color=col, alpha=0.8, label=tr(key, lang))
        ax.errorbar(xs, arr[:, 0], yerr=[arr[:, 0] - arr[:, 1], arr[:, 2] - arr[:, 0]],
                    fmt="none", ecolor="black", lw=0.8, capsize=2)
    ax.set_xticks(x, list(TARGET_IDS))
    ax.set_ylim(0, 1.22)  # headroom for the legend above the bars
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_title(tr("fig_pmet", lang, h=horizon), fontsize=10)
    ax.legend(fontsize=8, ncols=3, loc="upper center", frameon=False)
    return fig


def fan_figure(r: Result, lang: str, budget_line: float | None) -> Figure:
    """Each year's outlay: P5–P95 band and median, the base's median, the budget line."""
    fig, lang = _fig(4.6, 3.0, lang)
    ax = fig.subplots()
    y = list(r.years)
    ax.fill_between(y, r.fan["p5"], r.fan["p95"], color=C_NOW, alpha=0.25,
                    label=tr("band", lang))
    ax.plot(y, r.fan["p50"], color=C_NOW, lw=2, label=tr("median", lang))
    ax.plot(y, r.fan["base_p50"], color=C_BASE, lw=1.2, ls="--",
            label=f"{tr('base_scn', lang)} ({tr('median', lang)})")
    if budget_line is not None:
        ax.axhline(budget_line, color="crimson", lw=1, ls=":", label=tr("budget_line", lang))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(tr("year", lang))
    ax.set_title(tr("fig_fan", lang), fontsize=10)
    ax.legend(fontsize=7)
    return fig


def clause_figure(r: Result, lang: str) -> Figure:
    """Mean outlay per clause over the years run, against the base scenario."""
    fig, lang = _fig(4.6, 3.0, lang)
    ax = fig.subplots()
    keep = [i for i in range(len(r.clause_ids))
            if r.by_clause[i] > 0 or r.by_clause_base[i] > 0]
    x = np.arange(len(keep))
    ax.barh(x - 0.2, r.by_clause[keep], 0.4, color=C_NOW, label=tr("this_setting", lang))
    ax.barh(x + 0.2, r.by_clause_base[keep], 0.4, color=C_BASE, alpha=0.7,
            label=tr("base_scn", lang))
    ax.set_yticks(x, [r.clause_ids[i] for i in keep], fontsize=8)
    ax.invert_yaxis()
    ax.set_title(tr("fig_clause", lang, lo=r.years[0], hi=r.years[-1]), fontsize=10)
    ax.legend(fontsize=7)
    return fig


# -- agents page ------------------------------------------------------------------------------
def firms_figure(model, lang: str) -> Figure:
    """Firms by sector, HTEs apart, from the Enterprise agents of the run."""
    from model.agents import Enterprise
    from model.params.rules import load_rules

    fig, lang = _fig(4.6, 3.0, lang)
    ax = fig.subplots()
    sec = load_rules()["sectors"]
    names = sec["names"]
    shown = sec["labels_zh"] if lang == "zh" else [n.replace("_", " ") for n in names]
    firms = model.agents_by_type[Enterprise]
    sectors, hte = _columns(firms, ["sector", "is_hte"])
    hte = hte.astype(bool)
    n_h = np.array([np.sum((sectors == s) & hte) for s in names])
    n_o = np.array([np.sum((sectors == s) & ~hte) for s in names])
    y = np.arange(len(names))
    ax.barh(y, n_h, color=C_NOW, label=tr("hte", lang))
    ax.barh(y, n_o, left=n_h, color="#c7c7c7", label=tr("not_hte", lang))
    ax.set_yticks(y, shown, fontsize=8)
    ax.invert_yaxis()
    year = model.year if model.year >= model.years[0] else None
    ax.set_title(tr("fig_sectors", lang, y=year) if year else tr("fig_sectors0", lang),
                 fontsize=10)
    ax.legend(fontsize=7)
    return fig


def scatter_figure(model, lang: str) -> Figure:
    """Revenue against R&D intensity, one dot per firm, HTEs coloured."""
    from model.agents import Enterprise

    fig, lang = _fig(4.6, 3.0, lang)
    ax = fig.subplots()
    firms = model.agents_by_type[Enterprise]
    if len(firms):
        rev, rdi, hte = _columns(firms, ["revenue", "rd_intensity", "is_hte"])
        hte = hte.astype(bool)
        rev = np.maximum(rev, 1.0)
        rdi = np.maximum(rdi, 1e-4)
        ax.scatter(rev[~hte], rdi[~hte], s=5, c="#9a9a9a", alpha=0.5, label=tr("not_hte", lang))
        ax.scatter(rev[hte], rdi[hte], s=9, c=C_NOW, label=tr("hte", lang))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(fontsize=7)
    ax.set_xlabel(tr("revenue", lang))
    ax.set_ylabel(tr("rd_intensity", lang))
    ax.set_title(tr("fig_scatter", lang), fontsize=10)
    return fig


def awards_figure(model, lang: str) -> Figure:
    """Awards paid by clause: in the current year and so far (the run's fiscal arrays)."""
    fig, lang = _fig(4.6, 3.0, lang)
    ax = fig.subplots()
    ids = model.policy.clause_ids
    if model.year in model.years:
        y = model.years.index(model.year)
        paid = model.fiscal.paid[0]  # (C, K, Y)
        now, cum = paid[:, :, y].sum(axis=1), paid[:, :, :y + 1].sum(axis=(1, 2))
        keep = [i for i in range(len(ids)) if cum[i] > 0]
        x = np.arange(len(keep))
        ax.barh(x, cum[keep], color="#aec7e8", label=tr("so_far", lang))
        ax.barh(x, now[keep], color=C_NOW, height=0.5,
                label=tr("this_year", lang, y=model.year))
        ax.set_yticks(x, [ids[i] for i in keep], fontsize=8)
        ax.invert_yaxis()
        ax.legend(fontsize=7)
    ax.set_title(tr("fig_awards", lang), fontsize=10)
    return fig


def indicators_figure(model, lang: str) -> Figure:
    """The nine indicators year by year from the DataCollector, thresholds dashed."""
    fig, lang = _fig(7.5, 4.6, lang)
    axes = fig.subplots(3, 3).ravel()
    df = model.datacollector.get_model_vars_dataframe()
    t = load_targets()
    for ax, tid in zip(axes, TARGET_IDS, strict=True):
        if len(df):
            ax.plot(df["year"], df[tid], "o-", color=C_NOW, ms=3)
            ax.set_xlim(model.years[0] - 0.3, model.years[-1] + 0.3)
        ax.axhline(t[tid]["threshold"], color="crimson", ls="--", lw=0.8)
        ax.set_title(shorten(f"{tid} {t[tid]['label'][lang]}", 34, placeholder="…"),
                     fontsize=7)
        ax.tick_params(labelsize=6)
    fig.suptitle(tr("fig_indicators", lang), fontsize=10)
    return fig
