"""What `parksim run` prints when it ends: the time taken and the headline numbers.

Read back from the CSVs the run has just written (targets.csv, fiscal.csv), so every number on
the screen is a row of a file: per target `P(T1 met) 99.8% [99.3%, 99.9%]` (policy arm,
Wilson 95%), all nine together, the total cost P50 and P95, and where to read more.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model.i18n import t


def duration(seconds: float, lang: str = "en") -> str:
    """`8.2 s`, or `2 min 05 s` from a minute on."""
    if seconds < 60:
        return t("seconds", lang, v=seconds)
    m, s = divmod(round(seconds), 60)
    return t("minutes", lang, m=m, s=s)


def _pct(p: float) -> str:
    return f"{100 * p:.1f}%"


def _totals(frame: pd.DataFrame, **keys: str) -> pd.DataFrame:
    """Rows matching `keys`, with every other breakdown column (kind, payer, ...) at 'all'."""
    m = pd.Series(True, index=frame.index)
    for k, v in keys.items():
        m &= frame[k].astype(str) == v
    for col in ("kind", "payer"):
        if col in frame.columns and col not in keys:
            m &= frame[col].astype(str) == "all"
    return frame[m]


def headline(folder: str | Path, lang: str = "en", seconds: float | None = None,
             compile_seconds: float = 0.0) -> str:
    """The lines printed after a run's output folder."""
    folder = Path(folder)
    tg = pd.read_csv(folder / "targets.csv", dtype={"target": str})
    fi = pd.read_csv(folder / "fiscal.csv", dtype=str)
    lines = []
    if seconds is not None:
        lines.append(t("took_compiled", lang, s=duration(seconds, lang),
                       c=duration(compile_seconds, lang)) if compile_seconds
                     else t("took", lang, s=duration(seconds, lang)))
    pm = tg[(tg["measure"] == "p_met") & (tg["arm"] == "policy")]
    for r in pm.itertuples():
        key = "headline_all" if r.target == "all" else "headline_p"
        lines.append(t(key, lang, tid=r.target, p=_pct(r.probability), lo=_pct(r.ci_low),
                       hi=_pct(r.ci_high)))
    paid = _totals(fi, measure="paid", clause="all", year="all")
    q = {s: float(paid.loc[paid["statistic"] == s, "value"].iloc[0]) for s in ("p50", "p95")}
    years = sorted(int(y) for y in _totals(fi, measure="paid", clause="all")["year"]
                   if y.isdigit())
    lines.append(t("headline_cost", lang, y0=years[0], y1=years[-1], p50=f"{q['p50']:,.0f}",
                   p95=f"{q['p95']:,.0f}"))
    lines.append(t("headline_ci", lang))
    lines.append(t("headline_more", lang, summary=folder / "summary.md"))
    return "\n".join(lines)
