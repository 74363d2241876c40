"""Figures: indices with their intervals per output, an ST heat map, Morris mu*-sigma, and
convergence of the top factors. Each function writes one PNG and returns its path.

Sobol' indices are drawn clipped to [0, 1] (indices.csv keeps the raw estimates, which noise
can push outside), and an index flagged in indices.csv (column `warning`) is drawn hatched
and named with a †."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from model.sensitivity.text import output_label  # noqa: E402

BAR_INDICES = {"sobol": ("S1", "ST"), "delta": ("delta", "S1"), "pawn": ("PAWN_median",),
               "morris": ("mu_star",)}
UNIT_INDICES = ("S1", "ST", "S2")  # variance shares: shown within [0, 1]


def shown(d: pd.DataFrame) -> pd.DataFrame:
    """Values and bounds as drawn: Sobol' indices clipped to [0, 1]; a `flag` column."""
    d = d.copy()
    unit = d["index"].isin(UNIT_INDICES)
    for c in ("value", "lower", "upper"):
        d.loc[unit, c] = d.loc[unit, c].clip(0.0, 1.0)
    d["flag"] = d["warning"].fillna("").astype(str) != "" if "warning" in d else False
    return d


def _grid(n: int, w: float = 4.2, h: float = 3.2):
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(w * cols, h * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, axes.flat


def bars(ind: pd.DataFrame, method: str, path: Path, lang: str = "en") -> Path | None:
    """One panel per output: bars of each index with its interval, factors sorted."""
    kinds = BAR_INDICES[method]
    outs = list(dict.fromkeys(ind["output"]))
    if not outs:
        return None
    fig, axes = _grid(len(outs))
    for ax, o in zip(axes, outs, strict=False):
        d = shown(ind[(ind["output"] == o) & ind["index"].isin(kinds)])
        order = (d[d["index"] == kinds[-1]].sort_values("value", ascending=False)["factor"]
                 .tolist())
        y = np.arange(len(order))
        hgt = 0.8 / len(kinds)
        flagged = set()
        for k, kind in enumerate(kinds):
            e = d[d["index"] == kind].set_index("factor").reindex(order)
            err = np.vstack([e["value"] - e["lower"], e["upper"] - e["value"]])
            bars = ax.barh(y + k * hgt, e["value"], height=hgt, xerr=np.nan_to_num(err),
                           capsize=2, label=kind)
            for b, f, fl in zip(bars, order, e["flag"].fillna(False), strict=True):
                if fl:
                    b.set_hatch("///")
                    b.set_alpha(0.5)
                    flagged.add(f)
        ax.set_yticks(y + hgt * (len(kinds) - 1) / 2,
                      [f + (" †" if f in flagged else "") for f in order], fontsize=7)
        ax.invert_yaxis()
        ax.set_title(output_label(o, lang), fontsize=9)
        ax.axvline(0, color="grey", lw=0.5)
    axes[0].legend(fontsize=7)
    fig.suptitle("Sensitivity indices with 95% intervals (hatched, †: flagged in indices.csv)",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def heatmap(ind: pd.DataFrame, index: str, path: Path, lang: str = "en") -> Path | None:
    """`index` (ST for Sobol) over factors (rows) x outputs (columns)."""
    d = shown(ind[ind["index"] == index])
    if d.empty:
        return None
    m = d.pivot(index="factor", columns="output", values="value")
    m = m.reindex(columns=list(dict.fromkeys(d["output"])))
    m = m.loc[m.max(axis=1).sort_values(ascending=False).index]
    flag = d.pivot(index="factor", columns="output", values="flag").reindex_like(m)
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * m.shape[1], 1.2 + 0.28 * m.shape[0]))
    im = ax.imshow(m.to_numpy(), aspect="auto", cmap="viridis", vmin=0,
                   vmax=max(1e-9, float(np.nanmax(m.to_numpy()))))
    for (i, j), fl in np.ndenumerate(flag.fillna(False).to_numpy(bool)):
        if fl:  # flagged in indices.csv
            ax.text(j, i, "†", ha="center", va="center", fontsize=7, color="white")
    ax.set_xticks(range(m.shape[1]), [output_label(c, lang) for c in m.columns], rotation=60,
                  ha="right", fontsize=7)
    ax.set_yticks(range(m.shape[0]), m.index, fontsize=7)
    fig.colorbar(im, ax=ax, label=index)
    ax.set_title(f"{index} by factor and output (†: flagged)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def morris_scatter(ind: pd.DataFrame, path: Path, lang: str = "en") -> Path | None:
    """mu* against sigma per output, the usual Morris screening picture."""
    outs = list(dict.fromkeys(ind["output"]))
    if not outs:
        return None
    fig, axes = _grid(len(outs))
    for ax, o in zip(axes, outs, strict=False):
        d = ind[ind["output"] == o].pivot(index="factor", columns="index", values="value")
        ax.scatter(d["mu_star"], d["sigma"], s=12)
        for f, r in d.nlargest(5, "mu_star").iterrows():
            ax.annotate(f, (r["mu_star"], r["sigma"]), fontsize=6)
        ax.set_xlabel("mu*", fontsize=8)
        ax.set_ylabel("sigma", fontsize=8)
        ax.set_title(output_label(o, lang), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def convergence(conv: pd.DataFrame, index: str, path: Path, lang: str = "en",
                top: int = 3) -> Path | None:
    """The top factors' index against N, with interval bands, per output."""
    d = shown(conv[conv["index"] == index])
    outs = list(dict.fromkeys(d["output"]))
    if not outs:
        return None
    fig, axes = _grid(len(outs), 3.6, 2.8)
    for ax, o in zip(axes, outs, strict=False):
        e = d[d["output"] == o]
        nmax = e["N"].max()
        best = e[e["N"] == nmax].nlargest(top, "value")["factor"]
        for f in best:
            g = e[e["factor"] == f].sort_values("N")
            ax.plot(g["N"], g["value"], marker="o", ms=3, label=f)
            ax.fill_between(g["N"], g["lower"], g["upper"], alpha=0.2)
        ax.set_xscale("log", base=2)
        ax.set_title(output_label(o, lang), fontsize=9)
        ax.legend(fontsize=6)
    fig.suptitle(f"Convergence of {index} (top {top} factors)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
