"""The model's counterpart of each observed fact: summary statistics of simulated runs.

`simulate` runs the batch engine (`run_batch` with an observer) and keeps, per run and
year, the few zone totals the facts need that BatchResult does not carry: revenue, R&D,
awards received by firms, technology contracts, firms near the HTE threshold, the most
patents of one firm. `STATISTICS[id](trace)` turns a Trace into one value per run for the
fact with that id in calibration/observed.csv.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from model.batch import run_batch
from model.params.rules import hte_rd_threshold, load_rules
from model.policy.spec import Policy

SERIES = ("hte", "firms", "hte_new", "hte_lapsed", "revenue", "revenue_hitech", "rd", "award",
          "contracts", "near_above", "near_below")
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
    revenue_hitech: np.ndarray  # ... of firms in the strategic (high-tech) sectors
    rd: np.ndarray  # zone R&D of the year (万元)
    award: np.ndarray  # awards paid to firms in the year (万元)
    contracts: np.ndarray  # technology contract amounts bought in the year, all types (万元)
    near_above: np.ndarray  # firms with hts >= 60% and reported three-year R&D intensity in
    #                         [thr, (1+NEAR) thr) (model.behaviour.enterprise.reported_intensity)
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
    """Run B = len(roots) runs on the batch engine (params scalars or (B,) arrays) and keep
    the series the facts need. Chunks and workers do not change the numbers."""
    res = run_batch(np.asarray(roots, np.uint64), policy=policy, params=params, on=on,
                    start=start, horizon=horizon, chunk=chunk, workers=workers,
                    progress=progress, observer=TraceObserver())
    return Trace(res.years, **{k: res.observed[k] for k in (*SERIES, "max_patents")})


class TraceObserver:
    """What `simulate` records each year of each run, beside run_batch's own outputs."""

    needs_events = True  # the year's contract amounts

    def __init__(self) -> None:
        self._granted_first = np.zeros(0)

    def year(self, st, y: int, out) -> dict[str, np.ndarray]:
        f = st.f
        act = f["active"]
        B = act.shape[0]
        # this year's revenue: revenue was grown at the end of the step by growth_last
        rev = f["revenue"] / (1.0 + f["growth_last"])
        rd = f["rd_prev1"]  # this year's R&D, shifted at the end of the step
        # the three-year intensity firms reported at this year's HTE decision (relabelled up
        # to the threshold by claimants), against the threshold of that year's revenue band
        reported = f["reported_i3"]
        thr = hte_rd_threshold(f["rev_prev1"])
        cand = act & (f["hts"] >= load_rules()["hte_criteria"]["min_hitech_share"])
        strategic = load_rules()["sectors"]["strategic_mask"][f["sector"]]
        if y == 0:
            self._granted_first = f["pat_granted"].copy()
        return {
            "hte": out.indicators["T1"], "firms": out.counts["firms"],
            "hte_new": out.counts["hte_new"], "hte_lapsed": out.counts["hte_lapsed"],
            "revenue": np.where(act, rev, 0.0).sum(1), "rd": np.where(act, rd, 0.0).sum(1),
            "revenue_hitech": np.where(act & strategic, rev, 0.0).sum(1),
            "award": f["award_last"].sum(1),
            # every registered type, as the fact counts them (P4 pays only on a share)
            "contracts": (out.events["firm"]["tech_contract"].reshape(B, -1).sum(1)
                          + out.events["firm"]["tech_contract_other"].reshape(B, -1).sum(1)),
            "near_above": (cand & (reported >= thr) & (reported < thr * (1 + NEAR))).sum(1),
            "near_below": (cand & (reported < thr) & (reported >= thr * (1 - NEAR))).sum(1),
        }

    def final(self, st) -> dict[str, np.ndarray]:
        gained = st.f["pat_granted"] - self._granted_first
        return {"max_patents": np.where(st.f["active"], gained, 0.0).max(1)}


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
    # no observed fact for these: they serve synthetic recovery tests
    "hitech_revenue_growth_2021": _growth("revenue_hitech", 2021),
    "hitech_revenue_growth_2022": _growth("revenue_hitech", 2022),
    "hitech_revenue_growth_2023": _growth("revenue_hitech", 2023),
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
