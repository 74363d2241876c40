"""The three figures of a run, drawn from its tidy tables (so a notebook can redraw them from
the CSVs): fan charts of the nine indicators, outlay by year and clause, P(target met).

Chinese labels need a CJK font; when none is installed the figures fall back to English
rather than print empty boxes (model.fonts).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from model.fonts import figure_lang  # noqa: E402
from model.report.i18n import t  # noqa: E402
from model.targets import TARGET_IDS, load_targets  # noqa: E402

COLORS = {"policy": "#1f77b4", "counterfactual": "#7f7f7f"}
DPI = 90


def _label(tid: str, lang: str) -> str:
    return f"{tid} {load_targets()[tid]['label'][lang]}"


def fan_chart(indicators: pd.DataFrame, path: Path, lang: str = "en") -> Path:
    """3×3 fan charts: P5–P95 and P25–P75 bands and the median, each arm, against the
    threshold."""
    lang = figure_lang(lang)
    targets = load_targets()
    wide = indicators.pivot_table(index=["target", "arm", "year"], columns="statistic",
                                  values="value")
    years = sorted(indicators["year"].unique())
    fig, axes = plt.subplots(3, 3, figsize=(12, 9.5), sharex=True)
    for ax, tid in zip(axes.ravel(), TARGET_IDS, strict=True):
        for arm in ("counterfactual", "policy"):
            d = wide.loc[(tid, arm)].reindex(years)
            c = COLORS[arm]
            ax.fill_between(years, d["p5"], d["p95"], color=c, alpha=0.15, lw=0)
            ax.fill_between(years, d["p25"], d["p75"], color=c, alpha=0.3, lw=0)
        for arm, ls in (("policy", "-"), ("counterfactual", "--")):  # medians over the bands
            d = wide.loc[(tid, arm)].reindex(years)
            ax.plot(years, d["p50"], color=COLORS[arm], lw=1.8, ls=ls, label=t(arm, lang))
        ax.axhline(targets[tid]["threshold"], color="#d62728", ls="--", lw=1.2,
                   label=t("threshold", lang))
        ax.set_title(_label(tid, lang), fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel(t("year", lang))
    h, lab = axes[0, 0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=3, frameon=False,
               title=f"{t('median', lang)}; {t('band50', lang)}, {t('band90', lang)}")
    fig.suptitle(t("fan_title", lang, lo=years[0], hi=years[-1]))
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    return _save(fig, path)


def fiscal_chart(fiscal: pd.DataFrame, path: Path, lang: str = "en",
                 clause_labels: dict[str, str] | None = None,
                 budget_line: float | None = None, replications: int | None = None) -> Path:
    """Mean outlay by year, stacked by clause, with the P5–P95 range of the yearly total."""
    lang = figure_lang(lang)
    paid = fiscal[(fiscal["measure"] == "paid") & (fiscal["year"] != "all")]
    if "payer" in paid:  # totals over every payer (each payer's own total is a row apart)
        paid = paid[(paid["clause"] != "all") | (paid["payer"] == "all")]
    by = paid[(paid["clause"] != "all") & (paid["kind"] != "all")
              & (paid["statistic"] == "mean")]
    mean = by.groupby(["year", "clause"], sort=False)["value"].sum().unstack(fill_value=0.0)
    mean = mean.loc[:, mean.sum() > 0]
    mean = mean[mean.sum().sort_values(ascending=False).index]
    years = list(mean.index)
    tot = paid[(paid["clause"] == "all") & (paid["kind"] == "all")].pivot_table(
        index="year", columns="statistic", values="value").reindex(years)
    R = replications if replications is not None else ""
    fig, ax = plt.subplots(figsize=(11, 5.5))
    cmap = plt.get_cmap("tab20")
    bottom = np.zeros(len(years))
    x = np.arange(len(years))
    for i, cid in enumerate(mean.columns):
        v = mean[cid].to_numpy()
        name = f"{cid} {clause_labels[cid]}" if clause_labels and cid in clause_labels else cid
        name = name if len(name) <= 44 else name[:42] + "…"
        ax.bar(x, v, bottom=bottom, color=cmap(i % 20), label=name, width=0.7)
        bottom += v
    ax.errorbar(x, tot["mean"], yerr=[tot["mean"] - tot["p5"], tot["p95"] - tot["mean"]],
                fmt="none", ecolor="black", capsize=4, lw=1.2, label=t("fiscal_p95", lang))
    if budget_line is not None:
        ax.axhline(budget_line, color="#d62728", ls="--", lw=1.2,
                   label=f"budget line {budget_line:g}")
    ax.set_xticks(x, years)
    ax.set_xlabel(t("year", lang))
    ax.set_ylabel(t("wan_yuan", lang))
    ax.set_title(t("fiscal_title", lang, R=R))
    ax.legend(fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.subplots_adjust(left=0.08, right=0.64, top=0.92, bottom=0.1)  # room for the legend
    return _save(fig, path)


def targets_chart(targets: pd.DataFrame, path: Path, lang: str = "en",
                  horizon: int = 2025) -> Path:
    """P(met) per target and for all nine, Wilson 95% bars, policy vs counterfactual."""
    lang = figure_lang(lang)
    d = targets[targets["measure"] == "p_met"]
    ids = [*TARGET_IDS, "all"]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    y = np.arange(len(ids))[::-1]
    for off, arm in ((0.15, "policy"), (-0.15, "counterfactual")):
        a = d[d["arm"] == arm].set_index("target").reindex(ids)
        p = a["probability"].to_numpy(float)
        err = [p - a["ci_low"].to_numpy(float), a["ci_high"].to_numpy(float) - p]
        ax.errorbar(p, y + off, xerr=err, fmt="o", color=COLORS[arm], capsize=3,
                    label=t(arm, lang))
    labels = [_label(i, lang) if i != "all" else t("all_nine", lang) for i in ids]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(t("probability", lang))
    ax.set_title(t("targets_title", lang, h=horizon))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    path = Path(path)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
