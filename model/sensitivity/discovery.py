"""Scenario discovery: where in factor space is a target likely met? PRIM boxes.

For each target, a design point counts as a success when its P(met), estimated from its R
replications, is at least LIKELY (0.8). EMA Workbench 3.0's PRIM (`ema_workbench.analysis.
prim`) peels the factor space toward the successes; of the boxes on its peeling trajectory
the one kept is the widest (highest coverage) whose density is at least LIKELY, i.e. a box in
which at least 80% of the sampled points meet the target with P >= 0.8. The box is then said
in plain words from its restricted dimensions.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.sensitivity.text import fmt_num, t

LIKELY = 0.8
MIN_SUCCESSES = 5
MAX_LIMITS = 4  # limits named in the sentence; the CSV keeps all of them


@dataclass
class Box:
    output: str
    status: str  # "box" | "always" | "mostly" | "rarely" | "no box" | "unavailable"
    successes: int
    points: int
    coverage: float = np.nan
    density: float = np.nan
    mass: float = np.nan
    limits: list | None = None  # (factor, lower or None, upper or None, share of range kept)


def find_boxes(X: np.ndarray, names: list[str], mean: np.ndarray, outputs, targets
               ) -> list[Box]:
    """One PRIM box per target output (names such as "P_T1")."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError:
        return [Box(o, "unavailable", 0, X.shape[0]) for o in targets]
    x = pd.DataFrame(X, columns=names)
    lo0, hi0 = X.min(axis=0), X.max(axis=0)
    out = []
    for name in targets:
        y = mean[:, list(outputs).index(name)] >= LIKELY
        k, n = int(y.sum()), y.size
        if k == n:
            out.append(Box(name, "always", k, n))
            continue
        if k < MIN_SUCCESSES:
            out.append(Box(name, "rarely", k, n))
            continue
        if k >= LIKELY * n:  # the whole design is already such a box
            out.append(Box(name, "mostly", k, n, 1.0, k / n, 1.0, []))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = prim.Prim(x, y)
            box = p.find_box()
        traj = None if box is None else box.peeling_trajectory
        ok = None if traj is None else traj[traj["density"] >= LIKELY]
        if ok is None or ok.empty:
            out.append(Box(name, "no box", k, n))
            continue
        i = int(ok["coverage"].idxmax())
        box.select(i)
        lim = box.box_lim
        limits = []
        for j, f in enumerate(names):
            a, b = float(lim[f].iloc[0]), float(lim[f].iloc[1])
            width = hi0[j] - lo0[j]
            raised, lowered = a > lo0[j] + 1e-12 * width, b < hi0[j] - 1e-12 * width
            if raised or lowered:
                limits.append((f, a if raised else None, b if lowered else None,
                               (b - a) / width if width > 0 else 1.0))
        limits.sort(key=lambda r: r[3])
        out.append(Box(name, "box", k, n, float(traj.loc[i, "coverage"]),
                       float(traj.loc[i, "density"]), float(traj.loc[i, "mass"]), limits))
    return out


def describe(box: Box, lang: str = "en") -> str:
    """The box in one sentence."""
    s = _describe(box, lang)
    return s[0].upper() + s[1:] if s else s


def _describe(box: Box, lang: str) -> str:
    target = box.output.removeprefix("P_").replace("all", t("all_nine", lang))
    if box.status == "unavailable":
        return t("disc_unavailable", lang, target=target)
    if box.status == "always":
        return t("disc_always", lang, target=target)
    if box.status == "mostly":
        return t("disc_mostly", lang, target=target, share=f"{box.density:.0%}")
    if box.status == "rarely":
        return t("disc_rarely", lang, target=target, k=box.successes, n=box.points)
    if box.status == "no box" or not box.limits:
        return t("disc_nobox", lang, target=target, k=box.successes, n=box.points)
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
             density=f"{box.density:.0%}", coverage=f"{box.coverage:.0%}",
             mass=f"{box.mass:.0%}")


def boxes_table(boxes: list[Box]) -> pd.DataFrame:
    rows = []
    for b in boxes:
        base = (b.output, b.status, b.successes, b.points, b.coverage, b.density, b.mass)
        if not b.limits:
            rows.append((*base, "", np.nan, np.nan))
        for f, lo, hi, _ in b.limits or []:
            rows.append((*base, f, np.nan if lo is None else lo, np.nan if hi is None else hi))
    return pd.DataFrame(rows, columns=["output", "status", "successes", "points", "coverage",
                                       "density", "mass", "factor", "lower", "upper"])
