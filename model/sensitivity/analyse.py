"""Indices with intervals, replication noise, convergence over N/8..N, and ranking stability.

Sobol: the indices are those of the mean response E[Y | X], estimated from every replication
with the replication noise removed (stochastic.py: cross products over different
replications), with 95% t-intervals over the design's independent scrambles. With R = 1 and a
first-order design the values are SALib's `sobol.analyze` (a second-order design adds the
mirror-side estimates, stochastic.point_terms). Either is right only for a deterministic
output: an index of a noisy output at R = 1 is flagged unless a pilot measured the output
deterministic.

Replication noise is reported per output (`noise.csv`): noise_var = E σ²(X), the within-point
variance of one run, averaged over the design (for a P(target), the binomial p(1-p)); total_var
= Var m(X) with the noise removed; rho = noise_var / total_var, the noise-to-signal ratio that
decides how many replications pay (run-optimal R ≈ 1 + ρ / ST); noise_share = the part of the
variance of a design point's R-run mean that is noise. Since the estimators remove the noise,
noise no longer biases the indices in expectation (the old rules "noise shrinks S1 and inflates
ST" hold for a mean over R runs analysed as if it were deterministic); it widens their
intervals, which measure it. An output whose noise share is at least NOISE_DOMINATES is read
with care (summary.md puts it, and P_all, apart from the top drivers).

Morris, PAWN, delta: SALib's analyses of each point's mean over its R runs; points are
independent (their own seeds), so SALib's bootstrap over them is valid, but their noise is
not removed (noise inflates mu* and delta): read the noise table first.
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

from model.sensitivity.design import MORRIS_LEVELS, Design, convergence_sizes
from model.sensitivity.problem import index_names
from model.sensitivity.stochastic import CONF, sobol_indices

NOISE_WARN = 0.2  # noise share above which an output's indices are read with care
NOISE_DOMINATES = 0.5
WIDE = 0.3  # interval width (upper - lower) above which an index is called imprecise
PRIMARY = {"sobol": "ST", "morris": "mu_star", "delta": "delta", "pawn": "PAWN_median"}
PAWN_SLICES = 10
COLUMNS = ["output", "factor", "index", "value", "lower", "upper"]
JOINT = ("P_all",)  # joint events: always apart from the top drivers (rare, very noisy)
FLAG_R1 = "noise not measured (R = 1)"
FLAG_NOISE = "noise dominates"
FLAG_WIDE = "wide interval"
FLAG_OUTSIDE = "interval outside [0, 1]"


@dataclass
class Analysis:
    indices: pd.DataFrame  # output, factor, index, value, lower, upper, warning
    convergence: pd.DataFrame  # output, factor, index, N, value, lower, upper, width
    noise: pd.DataFrame  # output, noise_var, total_var, rho, noise_share, status
    ranking: pd.DataFrame  # output, index, top3 in each independent half, stable
    method: str


def noise_table(Y: np.ndarray, design: Design, outputs, deterministic=frozenset()
                ) -> pd.DataFrame:
    """Per output: the replication noise of one run and of a point's mean, against the
    variance of the mean response (Sobol: over the A and B rows, which sample X plainly)."""
    R = Y.shape[1]
    plain = np.ones(design.rows, bool)
    if design.method == "sobol":  # the A and B rows: first and last of each base point
        sel = np.zeros(design.step, bool)
        sel[[0, design.step - 1]] = True
        plain = np.tile(sel, design.N)
    rows = []
    for o, name in enumerate(outputs):
        y = Y[:, :, o]
        scale = max(1.0, float(np.max(np.abs(y))))
        if np.ptp(y) <= 1e-9 * scale:
            rows.append((name, np.nan, np.nan, np.nan, np.nan, "constant"))
            continue
        if R == 1:
            status = "deterministic (pilot)" if name in deterministic else FLAG_R1
            rows.append((name, np.nan, float(np.var(y[plain, 0], ddof=1)), np.nan, np.nan,
                         status))
            continue
        s2 = y.var(axis=1, ddof=1)
        noise = float(s2.mean())
        total = float(np.var(y[plain].mean(axis=1), ddof=1) - s2[plain].mean() / R)
        if noise == 0.0:
            rows.append((name, 0.0, total, 0.0, 0.0, "deterministic"))
            continue
        if not total > 0:
            rows.append((name, noise, total, np.inf, 1.0, "no signal beyond noise"))
            continue
        share = noise / R / (total + noise / R)
        status = ("noise dominates" if share >= NOISE_DOMINATES else
                  "noisy" if share >= NOISE_WARN else "ok")
        rows.append((name, noise, total, noise / total, share, status))
    return pd.DataFrame(rows, columns=["output", "noise_var", "total_var", "rho",
                                       "noise_share", "status"])


def _sobol(problem, design: Design, y: np.ndarray, n: int, conf: float, sel=None):
    """(factor, index, value, lower, upper) at the first n base points (or those in sel)."""
    names = index_names(problem)
    rows = y[: n * design.step]
    groups = design.groups(n)
    if sel is not None:
        rows = rows.reshape(n, design.step, -1)[sel].reshape(-1, y.shape[1])
        groups = groups[sel]
    res = sobol_indices(rows, names, groups, second_order=design.second_order, conf=conf,
                        salib_problem=problem if y.shape[1] == 1 and sel is None else None)
    if res is None:
        return None
    out = []
    for key, (v, lo, hi, _) in (("S1", res.S1), ("ST", res.ST)):
        out += [(f, key, float(v[i]), float(lo[i]), float(hi[i])) for i, f in enumerate(names)]
    if res.S2 is not None:
        v, lo, hi, _ = res.S2
        out += [(f"{names[i]} x {names[j]}", "S2", float(v[p]), float(lo[p]), float(hi[p]))
                for p, (i, j) in enumerate(res.pairs)]
    return out


def _salib(problem: ProblemSpec, method: str, X: np.ndarray, y: np.ndarray, *, seed: int,
           conf: float, resamples: int) -> list[tuple]:
    """(factor, index, value, lower, upper) from SALib's Morris, delta or PAWN analysis."""
    names = index_names(problem)
    out = []
    if method == "morris":
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


def _flags(key: str, v: float, lo: float, hi: float, status: str) -> str:
    if key not in ("S1", "ST", "S2", "delta"):
        return ""
    w = []
    if status == FLAG_R1:
        w.append(FLAG_R1)
    if status in ("noise dominates", "no signal beyond noise"):
        w.append(FLAG_NOISE)
    if np.isfinite(hi - lo) and hi - lo > WIDE:
        w.append(FLAG_WIDE)
    if key in ("S1", "ST") and (hi < 0 or lo > 1):
        w.append(FLAG_OUTSIDE)
    return "; ".join(w)


def _halves(design: Design, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two independent halves of the first n base points: disjoint scrambles, disjoint seeds."""
    g = design.groups(n)
    ids = np.unique(g)
    first = np.isin(g, ids[: ids.size // 2])
    return first, ~first


def _top3(res) -> list[str]:
    prim = [(v, f) for f, k, v, _, _ in res if k == "ST"]
    return [f for v, f in sorted(prim, key=lambda t: (-t[0], t[1]))[:3]]


def analyse(problem: ProblemSpec, design: Design, Y: np.ndarray, outputs, *, seed: int,
            conf: float = CONF, resamples: int = 100, deterministic=frozenset()) -> Analysis:
    """Indices at N (with warnings), convergence at N/8..N, noise and ranking stability.

    Y: (rows, R, outputs), every run. `deterministic`: outputs a pilot measured to be
    deterministic (their indices at R = 1 are not flagged)."""
    method = design.method
    noise = noise_table(Y, design, outputs, deterministic)
    conv_rows, idx_rows, rank_rows = [], [], []
    # SALib 1.6's delta takes ~20 s per output even at N = 128: indices at N only
    sizes = convergence_sizes(method, design.N) if method != "delta" else [design.N]
    mean = Y.mean(axis=1)
    for o, name in enumerate(outputs):
        status = noise.iloc[o]["status"]
        if status == "constant":
            continue
        for n in sizes:
            d = design.prefix(n)
            try:
                if method == "sobol":
                    res = _sobol(problem, design, Y[:, :, o], n, conf)
                else:
                    y = mean[: d.rows, o]
                    if np.ptp(y) <= 1e-9 * max(1.0, float(np.max(np.abs(y)))):
                        continue
                    res = _salib(problem, method, d.X, y, seed=seed, conf=conf,
                                 resamples=resamples)
            except Exception as e:  # noqa: BLE001 - e.g. a KDE on a two-valued output
                if n == design.N:
                    noise.loc[o, "status"] = f"analysis failed: {type(e).__name__}: {e}"
                continue
            if res is None:
                continue
            for f, k, v, lo, hi in res:
                conv_rows.append((name, f, k, n, v, lo, hi, hi - lo))
            if n == design.N:
                idx_rows += [(name, f, k, v, lo, hi, _flags(k, v, lo, hi, status))
                             for f, k, v, lo, hi in res]
        if method == "sobol" and design.N >= 8:
            a, b = _halves(design, design.N)
            ra = _sobol(problem, design, Y[:, :, o], design.N, conf, a)
            rb = _sobol(problem, design, Y[:, :, o], design.N, conf, b)
            if ra is not None and rb is not None:
                ta, tb = _top3(ra), _top3(rb)
                rank_rows.append((name, "ST", int(a.sum()), " > ".join(ta), int(b.sum()),
                                  " > ".join(tb), ta == tb, set(ta) == set(tb)))
    return Analysis(
        pd.DataFrame(idx_rows, columns=[*COLUMNS, "warning"]),
        pd.DataFrame(conv_rows, columns=["output", "factor", "index", "N", "value", "lower",
                                         "upper", "width"]),
        noise,
        pd.DataFrame(rank_rows, columns=["output", "index", "n_first", "top3_first",
                                         "n_second", "top3_second", "order_stable",
                                         "set_stable"]),
        method)
