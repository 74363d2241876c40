"""Indices with intervals, replication noise, and convergence over N/8, N/4, N/2, N.

Each output is analysed on its per-sample mean over R replications. Replication noise is
measured, not assumed away: the variance of a sample mean due to the replications is
estimated from the within-sample variance, s²/R (for a P(target), s² = R/(R-1)·p̂(1-p̂), so
s²/R is the unbiased estimate of the binomial p(1-p)/R), averaged over samples, and compared
with the variance of the sample means across the design: their ratio is the *noise share*.
With common seeds the noise is partly shared between samples, so this share is an upper
bound of what noise contributes. Noise shrinks S1 and inflates ST (SALib issues #102,
#273); an index that does not stand above the noise share, or whose interval is wider than
WIDE, is flagged.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib import ProblemSpec
from SALib.analyze import delta as delta_analyze
from SALib.analyze import morris as morris_analyze
from SALib.analyze import pawn as pawn_analyze
from SALib.analyze import sobol as sobol_analyze

from model.sensitivity.design import MORRIS_LEVELS, Design, convergence_sizes
from model.sensitivity.problem import index_names

NOISE_WARN = 0.2  # noise share above which an output's indices are read with care
NOISE_DOMINATES = 0.5
WIDE = 0.3  # interval width (upper - lower) above which an index is called imprecise
PRIMARY = {"sobol": "ST", "morris": "mu_star", "delta": "delta", "pawn": "PAWN_median"}
PAWN_SLICES = 10
COLUMNS = ["output", "factor", "index", "value", "lower", "upper"]


@dataclass
class Analysis:
    indices: pd.DataFrame  # output, factor, index, value, lower, upper, warning
    convergence: pd.DataFrame  # output, factor, index, N, value, lower, upper, width
    noise: pd.DataFrame  # output, noise_var, total_var, noise_share, status
    ranking: pd.DataFrame  # output, index, top_half, top_full, stable
    method: str


def noise_table(mean: np.ndarray, var: np.ndarray, bsum: np.ndarray, R: int, outputs
                ) -> pd.DataFrame:
    """Per output: replication noise in a sample mean vs the variance across samples.

    `noise_share_naive` = mean(s²)/R / var(means): the within-sample variance as if each
    sample had its own seeds (for a P(target), the binomial p(1-p)/R averaged over samples).
    `noise_share` removes the part of the noise common to every sample on a seed (common
    random numbers: a replication effect that shifts every sample mean alike and so adds
    no variance across samples): the interaction mean square of the two-way layout
    (sample × replication), divided by R. Warnings use `noise_share`.
    """
    rows = []
    n = mean.shape[0]
    for o, name in enumerate(outputs):
        m = mean[:, o]
        total = float(np.var(m, ddof=1))
        scale = max(1.0, float(np.max(np.abs(m))))
        if np.ptp(m) <= 1e-9 * scale:
            rows.append((name, np.nan, np.nan, total, np.nan, np.nan, "constant"))
            continue
        if R == 1:
            rows.append((name, np.nan, np.nan, total, np.nan, np.nan, "unmeasured (R = 1)"))
            continue
        naive = float(np.mean(var[:, o]) / R)
        within = float(np.sum(var[:, o]) * (R - 1))
        rep_means = bsum[:, :, o].sum(axis=0) / n  # (R,)
        rep_ss = n * float(np.sum(np.square(rep_means - rep_means.mean())))
        inter = max(within - rep_ss, 0.0) / ((n - 1) * (R - 1))
        noise = inter / R
        share = noise / total
        status = ("noise dominates" if share >= NOISE_DOMINATES else
                  "noisy" if share >= NOISE_WARN else "ok")
        rows.append((name, noise, naive, total, share, naive / total, status))
    return pd.DataFrame(rows, columns=["output", "noise_var", "noise_var_naive", "total_var",
                                       "noise_share", "noise_share_naive", "status"])


def _one(problem: ProblemSpec, method: str, X: np.ndarray, y: np.ndarray, *,
         second_order: bool, seed: int, conf: float, resamples: int) -> list[tuple]:
    """(factor, index, value, lower, upper) for one output at one size."""
    names = index_names(problem)
    out = []
    if method == "sobol":
        r = sobol_analyze.analyze(problem, y, calc_second_order=second_order,
                                  num_resamples=resamples, conf_level=conf, seed=seed)
        for k in ("S1", "ST"):
            for i, n in enumerate(names):
                v, c = float(r[k][i]), float(r[f"{k}_conf"][i])
                out.append((n, k, v, v - c, v + c))
        if second_order:
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    v, c = float(r["S2"][i, j]), float(r["S2_conf"][i, j])
                    out.append((f"{names[i]} x {names[j]}", "S2", v, v - c, v + c))
    elif method == "morris":
        r = morris_analyze.analyze(problem, X, y, num_resamples=resamples, conf_level=conf,
                                   num_levels=MORRIS_LEVELS, seed=seed)
        for i, n in enumerate(names):
            v, c = float(r["mu_star"][i]), float(r["mu_star_conf"][i])
            out.append((n, "mu_star", v, v - c, v + c))
            out.append((n, "sigma", float(r["sigma"][i]), np.nan, np.nan))
            out.append((n, "mu", float(r["mu"][i]), np.nan, np.nan))
    elif method == "delta":
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            r = delta_analyze.analyze(problem, X, y, num_resamples=resamples,
                                      conf_level=conf, seed=seed, method="all")
        # delta: Borgonovo's estimator as SALib's "raw" variant computes it
        for k, key in (("delta", "delta_raw"), ("S1", "S1")):
            for i, n in enumerate(names):
                v, c = float(r[key][i]), float(r[f"{key}_conf"][i])
                out.append((n, k, v, v - c, v + c))
    elif method == "pawn":
        r = pawn_analyze.analyze(problem, X, y, S=PAWN_SLICES, seed=seed)
        med = np.asarray(r["median"], float)
        rng = np.random.default_rng(seed)
        boot = np.empty((resamples, med.size))
        for b in range(resamples):  # SALib gives no interval for PAWN: bootstrap the rows
            idx = rng.integers(0, y.size, y.size)
            boot[b] = pawn_analyze.analyze(problem, X[idx], y[idx], S=PAWN_SLICES,
                                           seed=seed)["median"]
        a = (1 - conf) / 2
        lo, hi = np.quantile(boot, [a, 1 - a], axis=0)
        for i, n in enumerate(names):
            out.append((n, "PAWN_median", float(med[i]), float(lo[i]), float(hi[i])))
    else:
        raise ValueError(method)
    return out


def analyse(problem: ProblemSpec, design: Design, mean: np.ndarray, var: np.ndarray,
            bsum: np.ndarray, R: int, outputs, *, seed: int, conf: float = 0.95,
            resamples: int = 100) -> Analysis:
    """Indices at N (with warnings), convergence at N/8..N, noise and ranking stability."""
    method = design.method
    noise = noise_table(mean, var, bsum, R, outputs)
    conv_rows, idx_rows, rank_rows = [], [], []
    # SALib 1.6's delta takes ~20 s per output even at N = 128: indices at N only
    sizes = convergence_sizes(method, design.N) if method != "delta" else [design.N]
    prim = PRIMARY[method]
    for o, name in enumerate(outputs):
        nz = noise.iloc[o]
        if nz["status"] == "constant":
            continue
        tops = {}
        for n in sizes:
            d = design.prefix(n)
            y = mean[: d.rows, o]
            if np.ptp(y) <= 1e-9 * max(1.0, float(np.max(np.abs(y)))):
                continue
            try:
                res = _one(problem, method, d.X, y, second_order=design.second_order,
                           seed=seed, conf=conf, resamples=resamples)
            except Exception as e:  # noqa: BLE001 - e.g. a KDE on a two-valued output
                if n == design.N:
                    noise.loc[o, "status"] = f"analysis failed: {type(e).__name__}: {e}"
                continue
            for f, k, v, lo, hi in res:
                conv_rows.append((name, f, k, n, v, lo, hi, hi - lo))
            prim_vals = [(v, f) for f, k, v, _, _ in res if k == prim]
            tops[n] = [f for v, f in sorted(prim_vals, key=lambda t: (-t[0], t[1]))[:3]]
            if n == design.N:
                share = nz["noise_share"]
                for f, k, v, lo, hi in res:
                    warn = []
                    if k in ("ST", "S1") and np.isfinite(share) and share >= NOISE_WARN \
                            and v <= share:
                        warn.append("within replication noise")
                    if np.isfinite(hi - lo) and hi - lo > WIDE and k in ("S1", "ST", "delta"):
                        warn.append("wide interval")
                    idx_rows.append((name, f, k, v, lo, hi, "; ".join(warn)))
        if len(sizes) >= 2 and sizes[-1] in tops and sizes[-2] in tops:
            a, b = tops[sizes[-2]], tops[sizes[-1]]
            rank_rows.append((name, prim, sizes[-2], " > ".join(a), design.N, " > ".join(b),
                              a == b, set(a) == set(b)))
    return Analysis(
        pd.DataFrame(idx_rows, columns=[*COLUMNS, "warning"]),
        pd.DataFrame(conv_rows, columns=["output", "factor", "index", "N", "value", "lower",
                                         "upper", "width"]),
        noise,
        pd.DataFrame(rank_rows, columns=["output", "index", "N_half", "top3_half", "N",
                                         "top3", "order_stable", "set_stable"]),
        method)
