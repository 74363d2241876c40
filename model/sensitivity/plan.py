"""N and R from a pilot study: measure each output's noise, predict the intervals, choose.

A pilot (PILOT_N base points, PILOT_R = 4 replications, its own seed derived from the study
seed, kept in DIR/pilot so it resumes) fits, per output and index, the variance model of
stochastic.py: the variance of an index's per-point term at R replications,
a + (4 (R − 2) ζ1 + 2 ζ2) / (R (R − 1)). R = 4 is the least that separates the terms that
shrink as 1/R from those as 1/R² (products over four distinct replications); R = 2 cannot.
The pilot grows its N (by a power of 2, reusing its runs) while the variance of some planned
output is known only to a relative standard error worse than PILOT_V_REL, as long as it costs
less than a tenth of the study it plans (PILOT_SHARE): a very noisy output needs a larger
pilot to be planned for. Where it stops short, the plan says so (`Plan.imprecise`): the
predicted half-widths scale about as 1 / Var m(X), so they are that uncertain (the benchmark's
P(T4): ±26% on Var m(X), and the half-width reached was 1.7 times the predicted one). An
output no factor moves (every index exactly 0, as common random numbers inside a base point
make it) needs no planning.

The plan is the cheapest (N, R) (N a power of 2, R ≤ MAX_R; fewest runs N · rows per base
point · R) whose predicted half-width meets the target for every planned output; a given N
or R is kept as given. R = 1 only when every planned output was measured deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from model.sensitivity.design import SCRAMBLES, Design
from model.sensitivity.stochastic import VarianceModel, blocks, point_terms, variance_model

PILOT_N, PILOT_R = 128, 4
PILOT_MAX_N = 8192
PILOT_V_REL = 0.15  # relative standard error of Var m(X) a pilot aims for, per planned output
PILOT_SHARE = 0.1  # a pilot grows only while it costs less than this share of the study
DEFAULT_WIDTH = 0.05  # target half-width when N or R is omitted and no --target-width given
MIN_N, MAX_N = 16, 2**20  # at least SCRAMBLES base points: a t-interval with 15 df
MAX_R = 256
_PILOT_STREAM = 2  # SeedSequence spawn key of the pilot's seed


def pilot_seed(seed: int) -> int:
    """The pilot's own seed, derived from the study's: its runs share no seed with the study."""
    s = np.random.SeedSequence(seed, spawn_key=(_PILOT_STREAM,)).generate_state(1)[0]
    return int(s % (2**31 - 2)) + 1


def summarise(hw: np.ndarray, stat: str) -> float:
    """One half-width per output: the largest of its indices', or their root mean square."""
    return float(np.max(hw) if stat == "max" else np.sqrt(np.mean(np.square(hw))))


TABLE_COLUMNS = ["output", "rho", "deterministic", "target_half_width", "predicted_half_width",
                 "N", "R", "total_var_rse", "note"]  # plan.csv, before the half-width reached


@dataclass
class Plan:
    N: int
    R: int
    step: int
    models: dict[str, VarianceModel]  # planned outputs
    targets: dict[str, float]
    stat: str  # "max" (every index) or "rms" of each output's half-widths
    feasible: bool  # every target met within the caps
    pilot_runs: int = 0
    seconds_per_run: float = np.nan  # worker time per run, from the pilot
    unplanned: dict[str, str] = field(default_factory=dict)  # output -> why not planned
    v_rel: dict[str, float] = field(default_factory=dict)  # relative s.e. of Var m(X)

    @property
    def runs(self) -> int:
        return self.N * self.step * self.R

    def predicted(self, N: int | None = None, R: int | None = None) -> dict[str, float]:
        N, R = N or self.N, R or self.R
        return {o: summarise(m.half_width(N, R, SCRAMBLES), self.stat)
                for o, m in self.models.items()}

    def imprecise(self) -> dict[str, float]:
        """Planned outputs whose Var m(X) the pilot measured worse than PILOT_V_REL (it
        stopped growing at PILOT_SHARE or PILOT_MAX_N): their predicted half-widths are that
        uncertain."""
        return {o: v for o, v in self.v_rel.items() if v > PILOT_V_REL}

    def table(self) -> pd.DataFrame:
        pred = self.predicted()
        return pd.DataFrame(
            [(o, m.rho, m.deterministic, self.targets.get(o, np.nan), pred[o], self.N, self.R,
              self.v_rel.get(o, np.nan), "") for o, m in self.models.items()]
            + [(o, np.nan, False, np.nan, np.nan, self.N, self.R, np.nan, why)
               for o, why in self.unplanned.items()],
            columns=TABLE_COLUMNS)

    def seconds(self, workers: int) -> float:
        return self.runs * self.seconds_per_run / max(1, workers)


def fit(Y: np.ndarray, design: Design, outputs, names: list[str], planned
        ) -> tuple[dict[str, VarianceModel], dict[str, str], dict[str, float]]:
    """Variance models of the planned outputs from a pilot's runs; why others are not planned;
    the relative standard error of each planned output's Var m(X)."""
    models, why, vrel = {}, {}, {}
    groups = design.groups()
    for o, name in enumerate(outputs):
        if name not in planned:
            continue
        y = Y[:, :, o]
        m = variance_model(y, names)
        if m is None:
            why[name] = "constant or no signal beyond noise in the pilot"
            continue
        if not np.any(m.var(2) > 0):
            why[name] = ("no factor moves it: every index is exactly 0 (common random numbers "
                         "inside each base point)")
            continue
        models[name] = m
        W = point_terms(blocks(y, len(names), False))[0]
        g = np.bincount(groups, W) / np.bincount(groups)
        vrel[name] = float(g.std(ddof=1) / np.sqrt(g.size) / W.mean())
    return models, why, vrel


def _pow2_ceil(x: float) -> int:
    """The smallest power of 2 at or above x >= 1 (integer arithmetic, no log2)."""
    return 1 << (int(np.ceil(x)) - 1).bit_length()


def _pow2_floor(x: float) -> int:
    """The largest power of 2 at or below x >= 1."""
    return 1 << (int(x).bit_length() - 1)


def choose(models: dict[str, VarianceModel], step: int, targets: dict[str, float], *,
           N: int | None = None, R: int | None = None, stat: str = "max"
           ) -> tuple[int, int, bool]:
    """The cheapest (N, R) meeting every target; if none does, the one closest to them."""
    det = all(m.deterministic for m in models.values())
    Ns = np.array([N] if N else [1 << e for e in range(MIN_N.bit_length() - 1,
                                                        MAX_N.bit_length())])
    Rs = np.array([R] if R else ([1] if det else []) + list(range(2, MAX_R + 1)))
    worst = np.zeros((Ns.size, Rs.size))
    for o, m in models.items():
        v = np.stack([m.var(int(r)) for r in Rs])  # (nR, indices)
        t = np.array([stats.t.ppf(0.975, min(int(n), SCRAMBLES) - 1) for n in Ns])
        hw = t[:, None, None] * np.sqrt(v[None] / Ns[:, None, None])  # (nN, nR, indices)
        s = hw.max(-1) if stat == "max" else np.sqrt(np.square(hw).mean(-1))
        worst = np.maximum(worst, s / targets[o])
    runs = Ns[:, None] * step * Rs[None, :]
    ok = worst <= 1.0
    if ok.any():
        i, j = np.unravel_index(np.argmin(np.where(ok, runs, np.iinfo(np.int64).max)),
                                runs.shape)
        return int(Ns[i]), int(Rs[j]), True
    i, j = np.unravel_index(np.lexsort((runs.ravel(), worst.ravel()))[0], runs.shape)
    return int(Ns[i]), int(Rs[j]), False


def least_runs(model: VarianceModel, step: int, target: float, stat: str = "max"
               ) -> tuple[float, int]:
    """The fewest runs any design of this family could meet `target` with, N not restricted
    to powers of 2 (nor to at least MIN_N): (runs, R). A floor the benchmark reports beside
    the plan, to show where the precision of a noisy output comes from."""
    t = stats.t.ppf(0.975, SCRAMBLES - 1)
    t2 = t * t  # no float power in model code (tests/test_portability.py)
    best = (np.inf, 0)
    for R in ([1] if model.deterministic else []) + list(range(2, MAX_R + 1)):
        v = model.var(R)
        v = float(np.max(v) if stat == "max" else np.mean(v))
        best = min(best, (t2 * v / (target * target) * step * R, R))
    return best


def pilot(run: Callable, names: list[str], outputs, planned, targets, step: int, *,
          N: int | None = None, R: int | None = None, stat: str = "max") -> tuple[Plan, int]:
    """Run the pilot, growing it while it is too small to plan from, and choose N and R.

    `run(n)` evaluates the pilot design at n base points and PILOT_R replications (a prefix
    of the larger ones) and returns (design, Y (rows, PILOT_R, O), worker seconds, runs).
    `targets`: the half-width wanted per output, or a function of the fitted models giving
    them. Returns the plan and the pilot's final size."""
    Np = PILOT_N
    while True:
        design, Y, seconds, runs = run(Np)
        models, why, vrel = fit(Y, design, outputs, names, planned)
        if not models:
            return Plan(N or MIN_N, R or PILOT_R, step, {}, {}, stat, False, runs,
                        seconds / max(1, runs), why), Np
        tg = targets(models) if callable(targets) else {o: targets[o] for o in models}
        n_, r_, ok = choose(models, step, tg, N=N, R=R, stat=stat)
        worst = max(vrel[o] for o in models)
        grow = _pow2_ceil(max(2.0, (worst / PILOT_V_REL) * (worst / PILOT_V_REL)))  # se ~ 1/√N
        grow = min(grow, PILOT_MAX_N // Np,
                   _pow2_floor(max(1.0, PILOT_SHARE * n_ * step * r_ / runs)))
        if worst <= PILOT_V_REL or grow < 2:
            return Plan(n_, r_, step, models, tg, stat, ok, runs, seconds / max(1, runs),
                        why, vrel), Np
        Np *= grow
