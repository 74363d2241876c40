"""The model's counterpart of each observed fact: summary statistics of simulated runs.

`simulate` runs the batch engine's yearly loop (the same `initial_state`, `step_year`,
`close_run` that `model.batch.run_batch` calls, so the same numbers: tests check T1 against
run_batch) and keeps, per run and year, the few zone totals the facts need that BatchResult
does not carry: revenue, R&D, awards received by firms, technology contracts, firms near
the HTE threshold, the most patents of one firm. `STATISTICS[id](trace)` turns a Trace into
one value per run for the fact with that id in calibration/observed.csv.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from model.params import default_params
from model.params.rules import hte_rd_threshold, load_rules, population_facts
from model.policy.spec import Policy, load_policy

SERIES = ("hte", "firms", "hte_new", "hte_lapsed", "revenue", "rd", "award", "contracts",
          "near_above", "near_below")
NEAR = 0.10  # "just at the threshold": within 10% of the required R&D intensity


@dataclass
class Trace:
    """Per-run series (B, Y) for the years stepped, plus the per-run patent maximum."""

    years: tuple[int, ...]
    hte: np.ndarray  # HTE stock at year end (T1)
    firms: np.ndarray  # active firms at year end
    hte_new: np.ndarray  # certifications in the year
    hte_lapsed: np.ndarray  # HTEs that failed to renew in the year
    revenue: np.ndarray  # zone revenue of the year (万元), firms active at year end
    rd: np.ndarray  # zone R&D of the year (万元)
    award: np.ndarray  # awards paid to firms in the year (万元)
    contracts: np.ndarray  # technology contract amounts bought in the year (万元)
    near_above: np.ndarray  # firms with hts >= 60% and R&D intensity in [thr, (1+NEAR) thr)
    near_below: np.ndarray  # ... in [(1-NEAR) thr, thr)
    max_patents: np.ndarray  # (B,) most grants one firm received after the first year

    @property
    def B(self) -> int:
        return self.hte.shape[0]

    def y(self, year: int) -> int:
        if year not in self.years:
            raise KeyError(f"year {year} not simulated (years {self.years[0]}-{self.years[-1]})")
        return self.years.index(year)

    def take(self, idx) -> Trace:
        """The runs `idx` (an index array or slice) of this trace."""
        kw = {f.name: (getattr(self, f.name)[idx] if f.name != "years" else self.years)
              for f in fields(self)}
        return Trace(**kw)

    @staticmethod
    def concat(parts: list[Trace]) -> Trace:
        kw = {f.name: (np.concatenate([getattr(p, f.name) for p in parts])
                       if f.name != "years" else parts[0].years) for f in fields(Trace)}
        return Trace(**kw)


def simulate(roots: np.ndarray, params: dict | None = None, *, on: np.ndarray | None = None,
             policy: Policy | None = None, start: int = 2020, horizon: int = 2025,
             chunk: int = 100, workers: int = 1, progress: Callable[[int], None] | None = None
             ) -> Trace:
    """Run B = len(roots) runs (params scalars or (B,) arrays, as run_batch takes them).

    Chunks of `chunk` runs go to `workers` processes; the numbers do not depend on either.
    """
    policy = policy or load_policy()
    p = {**default_params(), **(params or {})}
    roots = np.asarray(roots, np.uint64)
    B = roots.size
    on = np.ones(B) if on is None else np.asarray(on, np.float64)
    jobs = []
    for lo in range(0, B, chunk):
        sl = slice(lo, min(lo + chunk, B))
        pc = {k: (np.asarray(v, np.float64)[sl] if np.ndim(v) else v) for k, v in p.items()}
        jobs.append((roots[sl], pc, on[sl], policy, start, horizon))
    parts: list[Trace] = []
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as ex:
            for part in ex.map(_job, jobs):
                parts.append(part)
                if progress:
                    progress(part.B)
    else:
        for job in jobs:
            parts.append(_job(job))
            if progress:
                progress(parts[-1].B)
    return Trace.concat(parts)


def _job(job) -> Trace:
    from model.dynamics import Context, close_run, init_run, step_year
    from model.layout import make_layout
    from model.population import initial_state

    roots, p, on, policy, start, horizon = job
    p = {k: (np.asarray(v).reshape(-1, 1) if np.ndim(v) else v) for k, v in p.items()}
    layout = make_layout(start, horizon, population_facts()["firms_2018"])
    st = initial_state(layout, p, roots)
    ctx = Context(policy, p, on.reshape(-1, 1), layout, "policy_start", None, keep_events=True)
    init_run(st, ctx)
    B, Y = roots.size, len(layout.years)
    out = {k: np.zeros((B, Y)) for k in SERIES}
    min_hts = load_rules()["hte_criteria"]["min_hitech_share"]
    granted_after_first = np.zeros(0)
    for y, year in enumerate(layout.years):
        yo = step_year(st, year, ctx)
        f = st.f
        act = f["active"]
        # this year's revenue: revenue was grown at the end of the step by growth_last
        rev = f["revenue"] / (1.0 + f["growth_last"])
        rd = f["rd_prev1"]  # this year's R&D, shifted at the end of the step
        out["hte"][:, y] = yo.indicators["T1"]
        out["firms"][:, y] = yo.counts["firms"]
        out["hte_new"][:, y] = yo.counts["hte_new"]
        out["hte_lapsed"][:, y] = yo.counts["hte_lapsed"]
        out["revenue"][:, y] = np.where(act, rev, 0.0).sum(1)
        out["rd"][:, y] = np.where(act, rd, 0.0).sum(1)
        out["award"][:, y] = f["award_last"].sum(1)
        out["contracts"][:, y] = yo.events["firm"]["tech_contract"].reshape(B, -1).sum(1)
        kappa = rd / np.maximum(rev, 1e-9)
        thr = hte_rd_threshold(rev)
        cand = act & (f["hts"] >= min_hts)
        out["near_above"][:, y] = (cand & (kappa >= thr) & (kappa < thr * (1 + NEAR))).sum(1)
        out["near_below"][:, y] = (cand & (kappa < thr) & (kappa >= thr * (1 - NEAR))).sum(1)
        if y == 0:
            granted_after_first = f["pat_granted"].copy()
    close_run(st, ctx)
    gained = st.f["pat_granted"] - granted_after_first
    max_pat = np.where(st.f["active"], gained, 0.0).max(1)
    return Trace(layout.years, **out, max_patents=max_pat)


# -- statistics: one value per run for each fact id ----------------------------------------------
def _growth(series: str, year: int) -> Callable[[Trace], np.ndarray]:
    def f(t: Trace) -> np.ndarray:
        s = getattr(t, series)
        y = t.y(year)
        return s[:, y] / np.maximum(s[:, y - 1], 1e-9) - 1.0
    return f


def _hte_new_rate(year: int) -> Callable[[Trace], np.ndarray]:
    def f(t: Trace) -> np.ndarray:
        y = t.y(year)
        return t.hte_new[:, y] / np.maximum(t.hte[:, y - 1], 1.0)
    return f


def _hte_loss_rate(year: int) -> Callable[[Trace], np.ndarray]:
    def f(t: Trace) -> np.ndarray:
        y = t.y(year)
        lost = t.hte_new[:, y] - (t.hte[:, y] - t.hte[:, y - 1])
        return lost / np.maximum(t.hte[:, y - 1], 1.0)
    return f


def _level(series: str, year: int) -> Callable[[Trace], np.ndarray]:
    return lambda t: getattr(t, series)[:, t.y(year)].astype(np.float64)


def _bunching(year: int) -> Callable[[Trace], np.ndarray]:
    def f(t: Trace) -> np.ndarray:
        y = t.y(year)
        return t.near_above[:, y] / np.maximum(t.near_below[:, y], 1.0)
    return f


def _lag(kind: str) -> Callable[[Trace], np.ndarray]:
    return lambda t: np.full(t.B, 12.0 * load_rules()["patent_lags"][f"{kind}_years"])


def _hte_share(year: int) -> Callable[[Trace], np.ndarray]:
    return lambda t: t.hte[:, t.y(year)] / np.maximum(t.firms[:, t.y(year)], 1.0)


STATISTICS: dict[str, Callable[[Trace], np.ndarray]] = {
    "hte_growth_2021": _growth("hte", 2021),
    "hte_growth_2022": _growth("hte", 2022),
    "hte_growth_2023": _growth("hte", 2023),
    "hte_growth_2024": _growth("hte", 2024),
    "hte_new_rate_2022": _hte_new_rate(2022),
    "hte_loss_rate_2022": _hte_loss_rate(2022),
    "contract_turnover_2023": _level("contracts", 2023),
    "contract_growth_2023": _growth("contracts", 2023),
    "revenue_growth_2023": _growth("revenue", 2023),
    "bunching_ratio_2023": _bunching(2023),
    "invention_lag_months": _lag("invention"),
    "utility_lag_months": _lag("utility"),
    "max_firm_patents_2021_2025": lambda t: t.max_patents.astype(np.float64),
    "hte_share_2020": _hte_share(2020),
    "zone_revenue_2020": _level("revenue", 2020),
    "rd_per_award": lambda t: _paired_only(),
}
PAIRED = ("rd_per_award",)  # statistics that need the counterfactual run as well


def _paired_only():
    raise ValueError("rd_per_award needs the policy and counterfactual traces: use "
                     "paired_statistic(policy_trace, counterfactual_trace)")


def rd_per_award(policy: Trace, counterfactual: Trace) -> np.ndarray:
    """Extra R&D caused by the policy per 万元 of awards paid to firms, over the run."""
    extra = policy.rd.sum(1) - counterfactual.rd.sum(1)
    paid = policy.award.sum(1)
    return np.where(paid > 0, extra / np.maximum(paid, 1e-9), np.nan)


def horizon_needed(ids) -> int:
    """The last year any of these statistics reads."""
    last = {"max_firm_patents_2021_2025": 2025, "rd_per_award": 2025}
    years = [last.get(i, int(i.rsplit("_", 1)[-1]) if i.rsplit("_", 1)[-1].isdigit() else 2020)
             for i in ids]
    return max(years + [2021])


def statistics(trace: Trace, ids, counterfactual: Trace | None = None) -> dict[str, np.ndarray]:
    """{fact id: (B,) values}; paired statistics only when a counterfactual trace is given."""
    out = {}
    for i in ids:
        if i in PAIRED:
            if counterfactual is not None:
                out[i] = rd_per_award(trace, counterfactual)
            continue
        out[i] = STATISTICS[i](trace)
    return out
