"""Sobol' indices of a stochastic model: estimators with the replication noise removed, their
intervals from independent scrambles, and the variance model a pilot study fits.

What is estimated: the indices of the mean response m(x) = E[Y | X = x]: V = Var m(X),
V_i = Var E[m | X_i], V_Ti = E Var(m | X_~i). The design (design.py) gives base point j and
replication r its own seed s(j, r), shared by every row built from j. Write Y_A[j, r],
Y_B[j, r], Y_ABi[j, r] (outputs centred on their overall mean) and, for vectors u, v over the
replications of one base point, the cross product

    u ⊗ v = Σ_{r≠s} u_r v_s / (R (R − 1)),

an unbiased estimate of E[u | x] · E[v | x] when the noise of different replications is
independent (replications r ≠ s never share a seed). Per base point (SA_STOCHASTIC.md):

- total variance: W = ½ (Y_A ⊗ Y_A + Y_B ⊗ Y_B) (= the variance of the point means minus the
  mean within-point variance / R), V = mean_j W;
- total effect (Jansen 1999): T_i = ½ D_i ⊗ D_i with D_i = Y_A − Y_ABi on the same seed
  (= ½ (D̄² − s²_D / R)), V_Ti = mean_j T_i;
- first order (Saltelli et al. 2010): F_i = Y_B ⊗ (Y_ABi − Y_A), V_i = mean_j F_i;
- second order (Saltelli 2002): V_ij^closed = mean_j (Y_BAi ⊗ Y_ABj − Y_A ⊗ Y_B);
- with the BA_i rows of a second-order design, T_i and F_i are also taken from the mirror
  pair (B, BA_i) and the two averaged (Saltelli 2002): no extra run, and about half the
  variance where the two sides' noise is independent.

With R = 1 a cross product is the plain product on the one replication, and without BA_i rows
the formulas are SALib's (`sobol.analyze`; the study then takes SALib's values, tested equal
to these, which use one side only): right
for a deterministic output, biased by the noise otherwise, which is why a noisy output needs
R ≥ 2. This follows Mazo (2019) and Hart et al. (2017) in estimating the indices of E[Y | X]
from repeated runs, with the noise terms removed by products over different replications
rather than by a metamodel (Marrel et al. 2012).

Intervals: S = mean_j(num) / mean_j(W) is a ratio of means over base points; linearised per
independent group g of base points (a scramble of the Sobol' design), z_g = (num_g − S W_g)/V,
and the 95% interval is S ± t_{G−1} sd(z_g) / √G (Owen, Monte Carlo theory, randomised QMC):
it measures the real spread of the estimate, seed noise included, because groups share no
seed and no point.

Pilot (R ≥ 4): each index's per-point term is a U-statistic of order 2 over the replications,
with kernel L(r, s) = (h_num(r, s) − S h_W(r, s)) / V; by Hoeffding's decomposition its
variance over base points at R replications is a + [4 (R − 2) ζ1 + 2 ζ2] / (R (R − 1)), with
a = Var_x θ(x), ζ1 = E Cov(L(1,2), L(1,3) | x), ζ2 = E Var(L(1,2) | x), all estimated without
bias from products of L over distinct replications. The half-width at N base points is then
predicted as t · √(variance / N): exact for plain Monte Carlo, an upper bound (up to noise)
for the scrambled Sobol' points, which do at least as well on the smooth part.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONF = 0.95


def cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Σ_{r≠s} u_r v_s / (R(R−1)) over the last axis (R = 1: u·v on the one replication)."""
    R = u.shape[-1]
    if R == 1:
        return (u * v)[..., 0]
    return (u.sum(-1) * v.sum(-1) - (u * v).sum(-1)) / (R * (R - 1))


@dataclass
class Blocks:
    """One output's runs split by Saltelli row, centred and scaled like SALib's."""

    A: np.ndarray  # (n, R)
    B: np.ndarray  # (n, R)
    AB: np.ndarray  # (n, k, R)
    BA: np.ndarray | None  # (n, k, R) with second order
    mu: float  # mean of the pooled A and B values (after centring)
    scale: float  # overall standard deviation the outputs were divided by


def blocks(y: np.ndarray, k: int, second_order: bool) -> Blocks | None:
    """y (rows, R) of one output in SALib's row layout; None when it is constant."""
    step = 2 * k + 2 if second_order else k + 2
    sd = float(y.std())
    if not sd > 1e-12 * max(1.0, float(np.abs(y).max())):
        return None
    z = ((y - y.mean()) / sd).reshape(-1, step, y.shape[1])
    A, B = z[:, 0], z[:, -1]
    mu = float(np.mean(np.r_[A, B]))
    return Blocks(A, B, z[:, 1:k + 1], z[:, k + 1:2 * k + 1] if second_order else None, mu, sd)


def point_terms(b: Blocks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per base point: W (n,), first-order F (n, k), total-effect T (n, k) numerators.

    With the BA_i rows (second-order designs) every index is estimated from both sides and
    the two averaged (Saltelli 2002, "making best use of model evaluations"): T_i also from
    B − BA_i, F_i also from A ⊗ (BA_i − B), the mirror images (A ↔ B) of the formulas above."""
    cA, cB = b.A - b.mu, b.B - b.mu
    W = 0.5 * (cross(cA, cA) + cross(cB, cB))
    D = b.A[:, None, :] - b.AB  # same seed: common random numbers inside the difference
    T = 0.5 * cross(D, D)
    F = cross(b.B[:, None, :], -D)
    if b.BA is not None:
        D2 = b.B[:, None, :] - b.BA
        T = 0.5 * (T + 0.5 * cross(D2, D2))
        F = 0.5 * (F + cross(b.A[:, None, :], -D2))
    return W, F, T


def second_order_terms(b: Blocks, F: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Per base point, the linear numerator of S2_ij (n, pairs): closed minus both firsts."""
    k = b.AB.shape[1]
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    AxB = cross(b.A, b.B)
    Q = np.stack([cross(b.BA[:, i], b.AB[:, j]) - AxB - F[:, i] - F[:, j] for i, j in pairs],
                 axis=1) if pairs else np.zeros((b.A.shape[0], 0))
    return Q, pairs


def ratio_interval(num: np.ndarray, W: np.ndarray, groups: np.ndarray, conf: float = CONF,
                   value: np.ndarray | None = None):
    """S = mean(num) / mean(W) per column of num (n, m), with a t-interval over the groups.

    `value` replaces the point estimate (SALib's at R = 1); the interval keeps its width.
    Returns (value, lower, upper, se); se is 0 where every group agrees exactly (an inert
    factor under common random numbers)."""
    V = float(W.mean())
    S = num.mean(axis=0) / V if value is None else np.asarray(value, float)
    ids, inv = np.unique(groups, return_inverse=True)
    G = ids.size
    cnt = np.bincount(inv).astype(float)
    num_g = np.stack([np.bincount(inv, num[:, c]) for c in range(num.shape[1])], 1) \
        / cnt[:, None] if num.shape[1] else np.zeros((G, 0))
    W_g = np.bincount(inv, W) / cnt
    z = (num_g - S[None, :] * W_g[:, None]) / V
    se = z.std(axis=0, ddof=1) / np.sqrt(G) if G > 1 else np.full(S.shape, np.nan)
    t = stats.t.ppf(0.5 + conf / 2, G - 1) if G > 1 else np.nan
    return S, S - t * se, S + t * se, se


@dataclass
class SobolResult:
    names: list[str]
    S1: tuple  # (value, lower, upper, se) arrays of k
    ST: tuple
    S2: tuple | None  # arrays over pairs
    pairs: list[tuple[int, int]]
    V: float  # total variance of m(X), noise removed, in output units²


def sobol_indices(y: np.ndarray, names: list[str], groups: np.ndarray, *,
                  second_order: bool = False, conf: float = CONF, salib_problem=None
                  ) -> SobolResult | None:
    """S1, ST (and S2) of one output from its runs y (rows, R) in SALib's row layout.

    `groups` (n,): the independent group of each base point. With R = 1, a first-order
    design and a SALib problem given, the point values are SALib's `sobol.analyze` (the
    deterministic case as SALib computes it); the intervals always come from the groups.
    None for a constant output or one whose variance, noise removed, is not positive."""
    k = len(names)
    b = blocks(y, k, second_order)
    if b is None:
        return None
    W, F, T = point_terms(b)
    if not W.mean() > 0:
        return None
    v1 = vt = None
    if y.shape[1] == 1 and salib_problem is not None and not second_order:
        v1, vt = _salib_values(salib_problem, y[:, 0])
    S1 = ratio_interval(F, W, groups, conf, v1)
    ST = ratio_interval(T, W, groups, conf, vt)
    S2, pairs = None, []
    if second_order:
        Q, pairs = second_order_terms(b, F)
        S2 = ratio_interval(Q, W, groups, conf)
    return SobolResult(names, S1, ST, S2, pairs, float(W.mean()) * b.scale * b.scale)


def _salib_values(problem, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """S1 and ST as SALib's `sobol.analyze` computes them on a first-order design."""
    from SALib.analyze import sobol as sobol_analyze

    with contextlib.redirect_stdout(io.StringIO()):
        r = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=2, seed=1)
    return np.asarray(r["S1"], float), np.asarray(r["ST"], float)


# -- the pilot's variance model ------------------------------------------------------------------
def _u_moments(M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For kernels M (..., R, R), symmetric, diagonal ignored: the means of L(r,s)L(t,u) over
    distinct (r,s,t,u), of L(r,s)L(r,t) over distinct (r,s,t), and of L(r,s)² (R ≥ 4)."""
    R = M.shape[-1]
    M = M * (1 - np.eye(R))
    S = M.sum(axis=(-2, -1))
    Q2 = np.square(M).sum(axis=(-2, -1))
    T1 = np.square(M.sum(-1)).sum(-1) - Q2
    T0 = np.square(S) - 2 * Q2 - 4 * T1
    return (T0 / (R * (R - 1) * (R - 2) * (R - 3)), T1 / (R * (R - 1) * (R - 2)),
            Q2 / (R * (R - 1)))


def _sym(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """½ (u_r v_s + u_s v_r) as (..., R, R)."""
    o = u[..., :, None] * v[..., None, :]
    return 0.5 * (o + np.swapaxes(o, -1, -2))


@dataclass
class VarianceModel:
    """Per index, the variance of its linearised per-point term at R replications:
    a + (4 (R − 2) ζ1 + 2 ζ2) / (R (R − 1)); `names` "S1:x" / "ST:x"."""

    names: list[str]
    a: np.ndarray
    zeta1: np.ndarray
    zeta2: np.ndarray
    rho: float  # noise-to-signal ratio of the output: E σ²(X) / Var m(X)
    deterministic: bool  # every replication of every pilot row gave the same value

    def var(self, R: int) -> np.ndarray:
        if R == 1:  # only meaningful without noise (ζ = 0)
            return self.a + np.where(self.deterministic, 0.0, np.inf)
        return self.a + (4 * (R - 2) * self.zeta1 + 2 * self.zeta2) / (R * (R - 1))

    def half_width(self, N: int, R: int, groups: int, conf: float = CONF) -> np.ndarray:
        """Predicted half-widths of the 95% intervals at N base points and R replications."""
        G = min(N, groups)
        return stats.t.ppf(0.5 + conf / 2, G - 1) * np.sqrt(self.var(R) / N)


def variance_model(y: np.ndarray, names: list[str], *, known_total: bool = False
                   ) -> VarianceModel | None:
    """Fit the variance model of one output's S1 and ST from a pilot's runs y (rows, R ≥ 4).

    `known_total`: as if Var m(X) were known exactly (the W terms dropped from the kernels):
    a floor that no extra runs spent on the total variance (more replications of the A and B
    rows, a separate design) could beat, for the benchmark to report."""
    R = y.shape[1]
    if R < 4:
        raise ValueError("a pilot needs at least 4 replications")
    k = len(names)
    b = blocks(y, k, False)
    if b is None:
        return None
    W, F, T = point_terms(b)
    V = float(W.mean())
    if not V > 0:
        return None
    S1, ST = F.mean(0) / V, T.mean(0) / V
    cA, cB = b.A - b.mu, b.B - b.mu
    hW = 0.5 * (_sym(cA, cA) + _sym(cB, cB))  # (n, R, R)
    D = b.A[:, None, :] - b.AB  # (n, k, R)
    hT = 0.5 * _sym(D, D)
    hF = _sym(b.B[:, None, :].repeat(k, 1), -D)
    w = 0.0 if known_total else 1.0
    L = np.concatenate([(hF - w * S1[None, :, None, None] * hW[:, None]) / V,
                        (hT - w * ST[None, :, None, None] * hW[:, None]) / V], axis=1)
    P0, P1, P2 = _u_moments(L)  # (n, 2k)
    Lbar = np.concatenate([F - w * S1 * W[:, None], T - w * ST * W[:, None]], 1) / V
    a = np.maximum(P0.mean(0) - np.square(Lbar.mean(0)), 0.0)
    z2 = np.maximum((P2 - P0).mean(0), 0.0)
    z1 = np.clip((P1 - P0).mean(0), 0.0, z2)  # a covariance is at most the variance
    rows_var = y.var(axis=1, ddof=1)
    rho = float(rows_var.mean() / (V * b.scale * b.scale))
    det = bool(np.all(y == y[:, :1]))
    return VarianceModel([f"S1:{n}" for n in names] + [f"ST:{n}" for n in names], a, z1, z2,
                         rho, det)
