"""Monte Carlo experiments: R replications, each paired with its no-policy counterfactual.

Replication r of an experiment with root seed S runs on `roots_from_seeds(replication_seeds(S,
R))[r]`, once with the policy on and once with every award off, on the same random numbers
(common random numbers), so `policy - counterfactual` is what the policy caused in that run.
Everything below is a pure function of (scenario, R, S): chunk size and engine do not change a
number. Summaries are tidy (long) pandas DataFrames; docs/outputs.md describes their columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.calibration.posterior import posterior_params, replication_params, replication_spec
from model.policy.core import KIND_CODES
from model.policy.spec import PAYERS, Policy, load_policy
from model.targets import TARGET_IDS, load_targets

ARMS = ("policy", "counterfactual")
FISCAL_STATS = ("mean", "p5", "p50", "p90", "p95", "max")
FAN_STATS = ("mean", "p5", "p25", "p50", "p75", "p95")
COST_TARGETS = {"T1": "HTE", "T5": "platform", "T7": "granted patent"}
CAP_PARAMS = ("cap_per_item", "cap_per_unit_year")
OK_REASONS = ("", "first_year_share")  # ledger rows that are a valid claim
N_BOOT = 2000
MONEY = ("claims", "paid", "committed", "carried", "dropped")  # Fiscal arrays kept (policy arm)


@dataclass(frozen=True)
class RunSpec:
    """What a run needs besides its seed: the scenario's policy, parameters and settings."""

    name: str
    policy: Policy
    params: dict
    start: int = 2020
    horizon: int = 2025
    t7_count_from: str = "policy_start"
    budget: Any = None
    scenario: Any = None  # the model.scenario.Scenario it came from, if any

    def kwargs(self) -> dict:
        return dict(policy=self.policy, params=self.params, start=self.start,
                    horizon=self.horizon, t7_count_from=self.t7_count_from, budget=self.budget)


def as_spec(scenario_or_args: Any) -> RunSpec:
    """A RunSpec from a Scenario, a RunSpec, or a dict of run_batch keyword arguments."""
    if isinstance(scenario_or_args, RunSpec):
        return scenario_or_args
    if isinstance(scenario_or_args, dict):
        a = dict(scenario_or_args)
        return RunSpec(name=a.pop("name", "custom"), policy=a.pop("policy", None) or load_policy(),
                       params=a.pop("params", None) or {}, **a)
    s = scenario_or_args
    return RunSpec(name=s.name, policy=s.policy, params=dict(s.params), start=s.start,
                   horizon=s.horizon, t7_count_from=s.t7_count_from, budget=s.budget, scenario=s)


@dataclass
class Experiment:
    """The raw outcome of `monte_carlo`: per-replication arrays, policy arm and counterfactual."""

    spec: RunSpec
    seed: int
    replications: int
    engine: str
    years: tuple[int, ...]
    clause_ids: tuple[str, ...]
    indicators: np.ndarray  # (2, R, Y, 9): arm (policy, counterfactual), replication, year
    claims: np.ndarray  # (R, C, K, Y) 万元, policy arm
    paid: np.ndarray  # (R, C, K, Y) 万元, policy arm
    committed: np.ndarray  # (R, C, K, 3) 万元 due 1..3 years after the horizon, policy arm
    shared_counterfactual: bool  # the policy has no clause on: the run is its own counterfactual
    carried: np.ndarray | None = None  # (R, C, K, Y) 万元 unpaid at year end, carried (budget)
    dropped: np.ndarray | None = None  # (R, C, K, Y) 万元 unpaid and dropped (budget)
    ledgers: dict[int, pd.DataFrame] = field(default_factory=dict)  # replication -> ledger
    ledger_check: dict = field(default_factory=dict)

    @property
    def final(self) -> np.ndarray:
        """Indicators at the horizon, (2, R, 9)."""
        return self.indicators[:, :, -1, :]

    def met(self) -> np.ndarray:
        """Whether each target is met at the horizon, (2, R, 9) bool."""
        t = load_targets()
        out = np.zeros(self.final.shape, bool)
        for j, tid in enumerate(TARGET_IDS):
            x, thr = self.final[..., j], t[tid]["threshold"]
            out[..., j] = x > thr if t[tid]["op"] == ">" else x >= thr
        return out


# -- running -----------------------------------------------------------------------------------
def monte_carlo(scenario_or_args: Any, replications: int | None = None, seed: int | None = None,
                *, engine: str = "batch", chunk: int = 500, workers: int = 1,
                ledger_reps: int = 2, cap_reps: int = 20,
                progress: Callable[[int], None] | None = None) -> Experiment:
    """R replications from one root seed, each paired with a no-policy counterfactual.

    `chunk` bounds memory (replications per run_batch call, each with its counterfactual);
    `engine="mesa"` runs ParkModel run by run instead (same numbers, slower). Row-wise ledgers
    are kept for the first max(ledger_reps, cap_reps) replications: they give the ledger
    sample, the claimant counts behind the cap bound, and a check against the batch's money.
    `workers` processes share each batch call (numbers do not depend on it). `progress(n)` is
    called as n more runs are done, policy and counterfactual runs each counting: the total is
    `n_runs(scenario, R)`.
    """
    spec = as_spec(scenario_or_args)
    s = spec.scenario
    R = int(replications if replications is not None else (s.replications if s else 1000))
    S = int(seed if seed is not None else (s.seed if s else 20200616))
    if R < 1:
        raise ValueError("replications must be at least 1")
    seeds = replication_seeds(S, R)
    draws = posterior_params(s, R, S)  # [run] posterior: one parameter set per replication
    shared = not spec.policy.any_enabled
    if engine == "batch":
        arrays = _run_batch_engine(spec, seeds, shared, max(1, int(chunk)), workers, progress,
                                   draws)
    elif engine == "mesa":
        arrays = _run_mesa_engine(spec, seeds, shared, progress, draws)
    else:
        raise ValueError(f"engine must be 'batch' or 'mesa', got {engine!r}")
    ind, claims, paid, committed, carried, dropped, years = arrays
    exp = Experiment(spec, S, R, engine, years, tuple(spec.policy.clause_ids), ind, claims, paid,
                     committed, shared, carried=carried, dropped=dropped)
    n_led = min(R, max(ledger_reps, cap_reps))
    exp.ledgers = {r: _ledger(replication_spec(spec, draws, r), seeds[r])
                   for r in range(n_led)}
    exp.ledger_check = _check_ledgers(exp)
    return exp


# Bytes an experiment holds per replication besides the engine's working memory: its seed
# (a SeedSequence, ~470 B measured), the result arrays (indicators of both arms, the money
# arrays; counted twice, as the chunks are joined) and, at the end, additionality_table's
# bootstrap (the resample indices and two resampled arrays, N_BOOT values each).
SEED_BYTES = 470


def bytes_per_replication(scenario_or_args: Any) -> int:
    """The memory one more replication adds to an experiment (see above)."""
    spec = as_spec(scenario_or_args)
    Y = spec.horizon - spec.start + 1
    C, K = len(spec.policy.clause_ids), len(KIND_CODES)
    results = 8 * (2 * Y * len(TARGET_IDS) + len(MONEY) * C * K * Y + C * K * 3)
    return SEED_BYTES + 2 * results + 3 * 8 * N_BOOT


def n_runs(scenario_or_args: Any, replications: int) -> int:
    """Runs an experiment makes: two per replication, one when the policy pays nothing."""
    return replications * (1 if not as_spec(scenario_or_args).policy.any_enabled else 2)


def _run_batch_engine(spec: RunSpec, seeds, shared: bool, chunk: int, workers: int, progress,
                      draws: dict | None = None):
    R = len(seeds)
    roots = roots_from_seeds(seeds)
    parts = []
    for lo in range(0, R, chunk):
        r = roots[lo:lo + chunk]
        n = r.size
        rows = np.arange(lo, lo + n)
        if shared:
            kw = {**spec.kwargs(), "params": replication_params(spec.params, draws, rows)}
            res = run_batch(r, on=np.ones(n), workers=workers, progress=progress, **kw)
            ind = np.stack([res.indicators, res.indicators])
        else:
            kw = {**spec.kwargs(), "params": replication_params(spec.params, draws,
                                                               np.r_[rows, rows])}
            res = run_batch(np.concatenate([r, r]), on=np.r_[np.ones(n), np.zeros(n)],
                            workers=workers, progress=progress, **kw)
            ind = np.stack([res.indicators[:n], res.indicators[n:]])
        f = res.fiscal
        parts.append((ind, *(getattr(f, a)[:n] for a in MONEY)))
        years = res.years
    return (np.concatenate([p[0] for p in parts], axis=1),
            *(np.concatenate([p[i + 1] for p in parts]) for i in range(len(MONEY))),
            tuple(years))


def _park(spec: RunSpec, seed, counterfactual: bool):
    from model.park import ParkModel

    m = ParkModel(spec.policy, spec.params, counterfactual=counterfactual, start=spec.start,
                  horizon=spec.horizon, t7_count_from=spec.t7_count_from, budget=spec.budget,
                  rng=np.random.default_rng(seed))
    m.run_model()
    return m


def _run_mesa_engine(spec: RunSpec, seeds, shared: bool, progress, draws: dict | None = None):
    ind, money = [], {a: [] for a in MONEY}
    years: tuple[int, ...] = ()
    for i, s in enumerate(seeds):
        arms = []
        for cf in (False, True):
            if cf and shared:
                arms.append(arms[0])
                continue
            m = _park(replication_spec(spec, draws, i), s, cf)
            df = m.datacollector.get_model_vars_dataframe()
            arms.append(df[list(TARGET_IDS)].to_numpy(np.float64))
            if not cf:
                for a in MONEY:
                    money[a].append(getattr(m.fiscal, a)[0])
                years = tuple(m.years)
            if progress:
                progress(1)
        ind.append(np.stack(arms))
    return (np.stack(ind, axis=1), *(np.stack(money[a]) for a in MONEY), years)


def _ledger(spec: RunSpec, seed) -> pd.DataFrame:
    return _park(spec, seed, False).ledger.to_frame()


def _check_ledgers(exp: Experiment) -> dict:
    """Row-wise ledger totals against the engine's money, per sampled replication.

    Without a budget line the ledger (which never rations) must equal paid + committed; with
    one it is compared with the claims."""
    worst = 0.0
    for r, led in exp.ledgers.items():
        money = exp.paid[r] if exp.spec.budget is None else exp.claims[r]
        total = money.sum(axis=2) + exp.committed[r].sum(axis=2)  # (C, K)
        got = led.groupby(["clause", "kind"])["amount"].sum()
        for ci, cid in enumerate(exp.clause_ids):
            for ki, kind in enumerate(KIND_CODES):
                worst = max(worst, abs(total[ci, ki] - float(got.get((cid, kind), 0.0))))
    return {"replications": sorted(exp.ledgers), "compared_with":
            "paid + committed" if exp.spec.budget is None else "claims + committed",
            "max_abs_difference_wan_yuan": worst, "agree": worst <= 1e-6}


# -- statistics --------------------------------------------------------------------------------
def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (scipy's, without continuity fix)."""
    if n == 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def _quantiles(x: np.ndarray, which: tuple[str, ...], axis: int = 0) -> dict[str, np.ndarray]:
    out = {}
    for s in which:
        if s == "mean":
            out[s] = x.mean(axis=axis)
        elif s == "max":
            out[s] = x.max(axis=axis)
        else:
            out[s] = np.quantile(x, int(s[1:]) / 100, axis=axis)
    return out


def paired_ci(d: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences with a Student-t interval; exact 0-width when all equal."""
    n = d.size
    m = float(d.mean())
    if n < 2:
        return m, math.nan, math.nan
    sd = float(d.std(ddof=1))
    h = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n) if sd > 0 else 0.0
    return m, m - h, m + h


# -- summaries ---------------------------------------------------------------------------------
def targets_table(exp: Experiment) -> pd.DataFrame:
    """P(met at the horizon) per target and for all nine, and P(k targets met), Wilson 95%."""
    t = load_targets()
    met = exp.met()
    R = exp.replications
    rows = []
    for a, arm in enumerate(ARMS):
        for j, tid in enumerate([*TARGET_IDS, "all"]):
            k = int(met[a, :, j].sum()) if tid != "all" else int(met[a].all(axis=1).sum())
            lo, hi = wilson(k, R)
            rows.append(dict(arm=arm, measure="p_met", target=tid, count=pd.NA,
                             probability=k / R, ci_low=lo, ci_high=hi, n=k, replications=R,
                             threshold=t[tid]["threshold"] if tid != "all" else pd.NA,
                             op=t[tid]["op"] if tid != "all" else pd.NA))
        n_met = met[a].sum(axis=1)
        for c in range(len(TARGET_IDS) + 1):
            k = int((n_met == c).sum())
            lo, hi = wilson(k, R)
            rows.append(dict(arm=arm, measure="p_count_met", target="count", count=c,
                             probability=k / R, ci_low=lo, ci_high=hi, n=k, replications=R,
                             threshold=pd.NA, op=pd.NA))
    df = pd.DataFrame(rows)
    df["count"] = df["count"].astype("Int64")
    return df


def indicators_table(exp: Experiment) -> pd.DataFrame:
    """Per target, year and arm: mean and quantiles over replications."""
    rows = []
    for a, arm in enumerate(ARMS):
        q = _quantiles(exp.indicators[a], FAN_STATS)  # each (Y, 9)
        for y, year in enumerate(exp.years):
            for j, tid in enumerate(TARGET_IDS):
                for s in FAN_STATS:
                    rows.append((tid, year, arm, s, float(q[s][y, j])))
    return pd.DataFrame(rows, columns=["target", "year", "arm", "statistic", "value"])


def _kinds_of(policy: Policy, cid: str) -> list[str]:
    k = policy.clauses[cid].kind
    return [x for x in KIND_CODES if x in k.split("+")]


def _payer_of(policy: Policy, clause: str, kinds: list[str]) -> str:
    """Who pays a clause's money of these kinds: one payer, or "all" when they differ."""
    who = {policy.payer(clause, k) for k in kinds}
    return who.pop() if len(who) == 1 else "all"


def fiscal_table(exp: Experiment, budget_line: float | None = None) -> pd.DataFrame:
    """Money over replications, per clause, kind and year, and totals.

    measure: paid; claims, carried and dropped (only when a budget line rations); committed
    (due after the horizon); p_exceeds (P(a year's total outlay > budget_line), Wilson 95%);
    cap_bound (worst case under the per-unit caps; see docs/outputs.md).

    payer: who pays a row's money (`Policy.payer`: the prefecture's budget, or the region's
    innovation fund for P3's follow-on); `all` where a row adds up several payers. Rows with
    clause `all` and a payer other than `all` are that payer's totals (docs/outputs.md)."""
    pol = exp.spec.policy
    clauses = [c for c in exp.clause_ids if _kinds_of(pol, c)]
    payer = np.array([[pol.payer(c, k) for k in KIND_CODES] for c in exp.clause_ids])
    payers = [x for x in PAYERS
              if any(pol.payer(c, k) == x for c in clauses for k in _kinds_of(pol, c))]
    years = [str(y) for y in exp.years]
    due = [str(exp.spec.horizon + j) for j in (1, 2, 3)]
    measures = [("paid", exp.paid, years)]
    if exp.spec.budget is not None:
        measures += [("claims", exp.claims, years), ("carried", exp.carried, years),
                     ("dropped", exp.dropped, years)]
    measures.append(("committed", exp.committed, due))
    rows = []

    def emit(measure, clause, kind, year, x, who):
        for s, v in _quantiles(x, FISCAL_STATS).items():
            rows.append((measure, clause, kind, who, year, s, float(v), "万元"))

    for measure, arr, ylabels in measures:
        for clause, who in [*((c, None) for c in clauses), ("all", "all"),
                            *(("all", x) for x in payers)]:
            ci = slice(None) if clause == "all" else exp.clause_ids.index(clause)
            kinds = list(KIND_CODES) if clause == "all" else _kinds_of(pol, clause)
            if clause == "all" or len(kinds) > 1:
                kinds = [*kinds, "all"]
            if who not in (None, "all"):
                kinds = ["all"]  # a payer's total (its kinds: the clause rows)
            for kind in kinds:
                ki = slice(None) if kind == "all" else KIND_CODES.index(kind)
                sub = arr[:, ci, ki, :]
                if who not in (None, "all"):  # one payer's money only
                    sub = np.where((payer[:, ki] == who)[None, ..., None], sub, 0.0)
                axes = tuple(range(1, sub.ndim - 1))
                per_year = sub.sum(axis=axes) if axes else sub  # (R, Y)
                row_payer = who or _payer_of(pol, clause, _kinds_of(pol, clause)
                                             if kind == "all" else [kind])
                for y, yl in enumerate(ylabels):
                    emit(measure, clause, kind, yl, per_year[:, y], row_payer)
                if measure == "carried":  # a stock: what is still owed at the horizon
                    emit(measure, clause, kind, "all", per_year[:, -1], row_payer)
                else:
                    emit(measure, clause, kind, "all", sub.sum(axis=tuple(range(1, sub.ndim))),
                         row_payer)
    if budget_line is not None:
        R = exp.replications
        for kind in ("all", "grant"):
            ki = slice(None) if kind == "all" else KIND_CODES.index(kind)
            per_year = exp.paid[:, :, ki, :].sum(axis=(1, 2) if kind == "all" else 1)
            over = per_year > budget_line
            for y, yl in enumerate([*years, "any"]):
                k = int(over[:, y].sum()) if yl != "any" else int(over.any(axis=1).sum())
                lo, hi = wilson(k, R)
                for s, v in (("probability", k / R), ("ci_low", lo), ("ci_high", hi)):
                    rows.append(("p_exceeds", "all", kind, "all", yl, s, v, "probability"))
    rows += _cap_bound_rows(exp)
    df = pd.DataFrame(rows, columns=["measure", "clause", "kind", "payer", "year", "statistic",
                                     "value", "unit"])
    if budget_line is not None:
        df.attrs["budget_line"] = budget_line
    return df


def cap_bound(exp: Experiment) -> pd.DataFrame:
    """For clauses whose text caps an amount per item and/or per unit and year: what they
    would pay if every valid claim observed in the ledgered replications were paid at its cap.

    Per unit-year: min(cap_per_item × share × items, cap_per_unit_year) (either cap alone when
    only one exists); summed over units; the maximum over the ledgered replications."""
    pol = exp.spec.policy
    out = []
    for cid in exp.clause_ids:
        c = pol.clauses[cid]
        if c.formula != "rate" or not any(k in c.params for k in CAP_PARAMS) or not c.enabled:
            continue
        item = pol.value(cid, "cap_per_item") if "cap_per_item" in c.params else math.inf
        uy = pol.value(cid, "cap_per_unit_year") if "cap_per_unit_year" in c.params else math.inf
        for year in exp.years:
            share = pol.year_share(cid, year)
            best, claimants = 0.0, 0
            for led in exp.ledgers.values():
                m = ((led["clause"] == cid) & (led["year"] == year)
                     & led["reason"].isin(OK_REASONS) & ((led["amount"] > 0)
                                                         | (led["capped_by"] != "")))
                items = led.loc[m].groupby("unit_id").size()
                per_unit = np.minimum(item * share * items.to_numpy(np.float64), uy)
                v = float(per_unit.sum())
                if v >= best:
                    best, claimants = v, int(items.size)
            out.append(dict(clause=cid, year=year, cap_per_item=item, cap_per_unit_year=uy,
                            claimants=claimants, bound=best))
    return pd.DataFrame(out)


def _cap_bound_rows(exp: Experiment) -> list[tuple]:
    if not exp.ledgers:  # no claimants observed: no bound to state
        return []
    cb = cap_bound(exp)
    rows = []
    pol = exp.spec.policy
    for r in cb.itertuples():
        who = pol.payer(r.clause, "grant")
        rows.append(("cap_bound", r.clause, "grant", who, str(r.year), "max", r.bound, "万元"))
        rows.append(("cap_bound_claimants", r.clause, "grant", who, str(r.year), "max",
                     float(r.claimants), "units"))
    return rows


def additionality_table(exp: Experiment, n_boot: int = N_BOOT) -> pd.DataFrame:
    """Policy minus counterfactual at the horizon (paired, Student-t 95%), and cost per
    additional HTE, platform and granted patent (percentile bootstrap over replications)."""
    t = load_targets()
    fin = exp.final
    rows = []
    diffs = {}
    for j, tid in enumerate(TARGET_IDS):
        d = fin[0, :, j] - fin[1, :, j]
        diffs[tid] = d
        m, lo, hi = paired_ci(d)
        rows.append(dict(measure="difference", target=tid, unit=t[tid]["unit"],
                         policy_mean=float(fin[0, :, j].mean()),
                         counterfactual_mean=float(fin[1, :, j].mean()), estimate=m, ci_low=lo,
                         ci_high=hi, method="paired t", status="ok", mean_paid=math.nan,
                         mean_additional=m))
    cost = exp.paid.sum(axis=(1, 2, 3))  # (R,) 万元 paid 2020..horizon, grants + fund investment
    rng = np.random.default_rng([exp.seed, 4])
    idx = rng.integers(0, exp.replications, size=(n_boot, exp.replications))
    j_of = {tid: j for j, tid in enumerate(TARGET_IDS)}
    for tid, what in COST_TARGETS.items():
        d = diffs[tid]
        _, lo_d, hi_d = paired_ci(d)
        base = dict(measure="cost_per_additional", target=tid,
                    unit=f"万元 per additional {what}",
                    policy_mean=float(fin[0, :, j_of[tid]].mean()),
                    counterfactual_mean=float(fin[1, :, j_of[tid]].mean()),
                    method=f"ratio of means, percentile bootstrap ({n_boot} resamples)",
                    mean_paid=float(cost.mean()), mean_additional=float(d.mean()))
        defined = not (math.isnan(lo_d) or lo_d <= 0.0 <= hi_d) and d.mean() > 0
        if not defined:
            why = ("not defined: additional outcome's CI includes 0"
                   if not (d.mean() < 0 and hi_d < 0) else "not defined: policy lowers outcome")
            rows.append({**base, "estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                         "status": why})
            continue
        bc, bd = cost[idx].mean(axis=1), d[idx].mean(axis=1)
        ratio = np.where(bd > 0, bc / np.where(bd > 0, bd, 1.0), np.inf)
        lo, hi = np.quantile(ratio, [0.025, 0.975])
        rows.append({**base, "estimate": float(cost.mean() / d.mean()), "ci_low": float(lo),
                     "ci_high": float(hi), "status": "ok"})
    return pd.DataFrame(rows)


def ledger_sample_table(exp: Experiment, reps: int = 2, nonzero_only: bool = True
                        ) -> pd.DataFrame:
    """The row-wise award ledger of the first `reps` replications (policy arm)."""
    frames = []
    for r in sorted(exp.ledgers)[:reps]:
        led = exp.ledgers[r]
        if nonzero_only:
            led = led[(led["amount"] > 0) | (led["capped_by"] != "")]
        frames.append(led.assign(replication=r)[["replication", *led.columns]])
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def summarise(exp: Experiment, budget_line: float | None = None) -> dict[str, pd.DataFrame]:
    """Every table `parksim run` writes, by file stem."""
    return {"targets": targets_table(exp), "fiscal": fiscal_table(exp, budget_line),
            "indicators": indicators_table(exp), "additionality": additionality_table(exp),
            "ledger_sample": ledger_sample_table(exp)}
