"""Scenario discovery: where in factor space is a target likely met? PRIM boxes.

Each design point's P(met) is estimated by the share of its R replications that meet the
target. EMA Workbench 3.0's regression PRIM (`ema_workbench.analysis.prim.RegressionPrim`)
peels the factor space toward high P(met). A box is said to be one where the target is
*likely met* when the average P(met) over the box, estimated from the points inside it, has
a 95% lower bound of at least LIKELY (0.8): the threshold is applied to an estimate with its
interval, not point by point (with R = 8, "P >= 0.8" at a point means 7 of 8 replications,
which a point whose true P(met) is 0.8 passes half the time). The interval treats the base
points as independent draws (each has its own seeds; the rows of one Sobol' base point are
pooled as one cluster). Of the boxes on the peeling trajectory the one kept is the largest
(highest mass) that qualifies; it is then said in plain words from its restricted dimensions.
The box is chosen by looking at the same data, so its lower bound is somewhat optimistic.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.sensitivity.design import Design
from model.sensitivity.text import fmt_num, t

LIKELY = 0.8
Z95 = 1.959963984540054
MAX_LIMITS = 4  # limits named in the sentence; the CSV keeps all of them


@dataclass
class Box:
    output: str
    status: str  # "box" | "everywhere" | "no box" | "unavailable"
    points: int  # design points inside the box
    mass: float = np.nan  # share of the design's points inside
    mean: float = np.nan  # mean P(met) in the box
    lower: float = np.nan  # its 95% interval
    upper: float = np.nan
    coverage: float = np.nan  # share of the design's expected successes inside the box
    limits: list | None = None  # (factor, lower or None, upper or None, share of range kept)


def box_mean(p: np.ndarray, inside: np.ndarray, cluster: np.ndarray) -> tuple[float, ...]:
    """Mean of p over the rows inside, with a 95% interval over independent clusters."""
    s = np.bincount(cluster, p * inside)
    c = np.bincount(cluster, inside.astype(float))
    keep = c > 0
    s, c = s[keep], c[keep]
    m = s.sum() / c.sum()
    n = s.size
    if n < 2:
        return float(m), np.nan, np.nan
    se = np.sqrt(n / (n - 1) * np.sum(np.square(s - m * c))) / c.sum()
    return float(m), float(m - Z95 * se), float(m + Z95 * se)


def find_boxes(design: Design, names: list[str], Y: np.ndarray, outputs, targets
               ) -> list[Box]:
    """One PRIM box per target output (names such as "P_T1"); Y (rows, R, O) every run."""
    if not targets:  # (ema_workbench takes seconds to import)
        return []
    X = design.X
    cluster = np.arange(X.shape[0]) // design.step
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
            from ema_workbench.analysis.scenario_discovery_util import _in_box
    except ImportError:
        return [Box(o, "unavailable", X.shape[0]) for o in targets]
    x = pd.DataFrame(X, columns=names)
    lo0, hi0 = X.min(axis=0), X.max(axis=0)
    out = []
    for name in targets:
        p = Y[:, :, list(outputs).index(name)].mean(axis=1)
        everything = np.ones(p.size, bool)
        m, lo, hi = box_mean(p, everything, cluster)
        if lo >= LIKELY:
            out.append(Box(name, "everywhere", p.size, 1.0, m, lo, hi, 1.0, []))
            continue
        best = None
        if np.ptp(p) > 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                box = prim.RegressionPrim(x, p).find_box()
            for lim in (box.box_lims if box is not None else []):
                inside = np.asarray(_in_box(x, lim), bool)
                if inside.sum() < 2:
                    continue
                bm, bl, bh = box_mean(p, inside, cluster)
                if bl >= LIKELY and (best is None or inside.sum() > best[0].sum()):
                    best = (inside, lim, bm, bl, bh)
        if best is None:
            out.append(Box(name, "no box", 0, mean=m, lower=lo, upper=hi))
            continue
        inside, lim, bm, bl, bh = best
        limits = []
        for j, f in enumerate(names):
            a, b = float(lim[f].iloc[0]), float(lim[f].iloc[1])
            width = hi0[j] - lo0[j]
            raised, lowered = a > lo0[j] + 1e-12 * width, b < hi0[j] - 1e-12 * width
            if raised or lowered:
                limits.append((f, a if raised else None, b if lowered else None,
                               (min(b, hi0[j]) - max(a, lo0[j])) / width if width > 0 else 1.0))
        limits.sort(key=lambda r: r[3])
        cov = float(p[inside].sum() / p.sum()) if p.sum() > 0 else np.nan
        out.append(Box(name, "box", int(inside.sum()), float(inside.mean()), bm, bl, bh, cov,
                       limits))
    return out


def describe(box: Box, lang: str = "en") -> str:
    """The box in one sentence."""
    s = _describe(box, lang)
    return s[0].upper() + s[1:] if s else s


def _describe(box: Box, lang: str) -> str:
    target = box.output.removeprefix("P_").replace("all", t("all_nine", lang))
    ci = dict(mean=f"{box.mean:.2f}", lo=f"{box.lower:.2f}", hi=f"{box.upper:.2f}")
    if box.status == "unavailable":
        return t("disc_unavailable", lang, target=target)
    if box.status == "everywhere":
        return t("disc_everywhere", lang, target=target, **ci)
    if box.status == "no box" or not box.limits:
        return t("disc_nobox", lang, target=target, **ci)
    parts = []
    for f, a, b, _ in box.limits[:MAX_LIMITS]:
        if a is not None and b is not None:
            parts.append(t("disc_between", lang, f=f, a=fmt_num(a), b=fmt_num(b)))
        elif a is not None:
            parts.append(t("disc_exceeds", lang, f=f, a=fmt_num(a)))
        else:
            parts.append(t("disc_below", lang, f=f, b=fmt_num(b)))
    more = len(box.limits) - MAX_LIMITS
    return t("disc_box", lang, target=target, cond=t("and", lang).join(parts),
             more=t("disc_more", lang, n=more) if more > 0 else "",
             coverage=f"{box.coverage:.0%}", mass=f"{box.mass:.0%}", **ci)


def boxes_table(boxes: list[Box]) -> pd.DataFrame:
    rows = []
    for b in boxes:
        base = (b.output, b.status, b.points, b.mass, b.mean, b.lower, b.upper, b.coverage)
        if not b.limits:
            rows.append((*base, "", np.nan, np.nan))
        for f, lo, hi, _ in b.limits or []:
            rows.append((*base, f, np.nan if lo is None else lo, np.nan if hi is None else hi))
    return pd.DataFrame(rows, columns=["output", "status", "points", "mass", "mean_p",
                                       "mean_p_lower", "mean_p_upper", "coverage", "factor",
                                       "lower", "upper"])
