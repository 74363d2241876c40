"""What the dashboard shows, computed on the batch engine with caches and a warm process pool.

A lever move re-runs only what it changes. Runs are cached per "arm" (a policy setting, or
the no-policy counterfactual of a parameter setting) as arrays over replications; asking for
more replications of a cached arm runs only the missing ones, because replication r always
uses seed r of `replication_seeds(seed, R)` whatever R is. The counterfactual pays no award,
so it depends on the behavioural parameters alone: moving a policy lever costs R policy runs,
moving an uncertainty 2R. The baseline (the scenario the dashboard started from) is computed
once per replication count and every figure is read against it on common random numbers.

The statistics come from model.experiments (Wilson intervals, paired intervals,
additionality and cost per additional HTE), so the dashboard and `parksim run` agree.
This module imports no Solara: the pool's worker processes import it.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections import OrderedDict
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model import attribution
from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.calibration.posterior import posterior_params, replication_params
from model.dashboard import levers as lv
from model.experiments import (
    Experiment,
    RunSpec,
    additionality_table,
    paired_ci,
    targets_table,
)
from model.targets import TARGET_IDS
from model.workers import process_pool

DEFAULT_SEED = 20200616
FAST_R = 200  # replications of the first answer (docs/dashboard.md: ~1-2 s on 2 cores)
IDLE_R = 1000  # replications the answer is refined to while nobody moves a lever
JOB_RUNS = 100  # runs per pool job: small enough to stop soon when a lever moves
N_BOOT = 400  # bootstrap resamples for cost per additional HTE
ATTR_R = 100  # replications of the attribution, computed on demand: 2^groups runs each
# (the baseline's 64 coalitions: 6,400 runs, ~10 s on 2 quiet cores; docs/dashboard.md)
MONEY = ("claims", "paid", "committed")


class Cancelled(Exception):
    """A newer setting superseded this computation."""


# -- the pool -----------------------------------------------------------------------------
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def pool(workers: int = 2) -> Executor | None:
    """The server's worker pool, created and warmed once ('spawn': start-up ~1-2 s paid once).

    None when workers < 2: runs then stay in this process."""
    global _pool
    if workers < 2:
        return None
    with _pool_lock:
        if _pool is None:
            _pool = process_pool(workers)  # its workers die with the server, SIGKILL included
            roots = roots_from_seeds(replication_seeds(0, 2))
            for f in [_pool.submit(_job, roots, 1.0, {}) for _ in range(workers)]:
                f.result()  # import the model and load numba's cached kernels everywhere
            atexit.register(shutdown_pool)
    return _pool


def shutdown_pool() -> None:
    """Stop the worker processes (the server calls this on exit)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None


def _job(roots: np.ndarray, on: float, kwargs: dict) -> dict[str, Any]:
    """One chunk of runs of one arm (in a worker): the arrays the dashboard reads."""
    res = run_batch(roots, on=np.full(roots.size, on), **kwargs)
    return {"indicators": res.indicators, "years": res.years,
            **{a: getattr(res.fiscal, a) for a in MONEY}}


# -- arms ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Arm:
    """What one set of runs needs: the engine's keyword arguments and the award switch."""

    key: tuple
    kwargs: dict
    on: float
    drawn: tuple[str, ...] = ()  # parameters taken from the scenario's posterior, per replication


def _frozen(d: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in d.items()))


class Evaluator:
    """The dashboard's engine room: one per server, shared by its sessions (thread-safe)."""

    def __init__(self, scenario, *, seed: int = DEFAULT_SEED, executor: Executor | None = None,
                 max_arms: int = 24) -> None:
        self.scenario = scenario
        self.seed = seed
        self.executor = executor
        self.levers = lv.all_levers(scenario.policy, scenario.params, scenario.budget)
        self.defaults = lv.defaults(self.levers)
        self._posterior = tuple(posterior_params(scenario, 1, seed))  # names drawn per run
        self._arms: OrderedDict[tuple, dict[str, np.ndarray]] = OrderedDict()
        self._max_arms = max_arms
        self._lock = threading.RLock()
        self._running = threading.Lock()  # one computation at a time: the pool is the limit,
        # and a second session asking for the same runs then finds them cached
        self._attributions: OrderedDict[tuple, Attribution] = OrderedDict()

    @property
    def base_path(self) -> Path:
        from model.scenario import SCENARIOS

        return Path(self.scenario.path) if self.scenario.path else SCENARIOS / "baseline.toml"

    def spec(self, settings: dict[str, Any]) -> RunSpec:
        s = self.scenario
        policy, params, budget = lv.apply(settings, s.policy, s.params, s.budget)
        return RunSpec(name="dashboard", policy=policy, params=params, start=s.start,
                       horizon=s.horizon, t7_count_from=s.t7_count_from, budget=budget)

    def arms(self, settings: dict[str, Any]) -> tuple[Arm, Arm]:
        """The policy arm and its counterfactual (keyed by the parameters alone)."""
        spec = self.spec(settings)
        params = {k: v for k, v in settings.items() if k.startswith("param.")}
        run = (self.scenario.start, self.scenario.horizon, self.scenario.t7_count_from)
        drawn = self.drawn(settings)
        pol = Arm(("policy", _frozen(settings), run), spec.kwargs(), 1.0, drawn)
        cf = Arm(("counterfactual", _frozen(params), run), spec.kwargs(), 0.0, drawn)
        return pol, cf

    def drawn(self, settings: dict[str, Any]) -> tuple[str, ...]:
        """The parameters each replication takes from the scenario's posterior (`[run]
        posterior`), as `parksim run` does, so the page shows the published numbers; a
        parameter whose slider the user moved takes the slider's value in every replication."""
        moved = {k.partition(".")[2] for k, v in settings.items()
                 if k.startswith("param.") and v != self.defaults.get(k)}
        return tuple(sorted(k for k in self._posterior if k not in moved))

    # -- running, with the cache ----------------------------------------------------------
    def _have(self, arm: Arm) -> int:
        with self._lock:
            got = self._arms.get(arm.key)
            return 0 if got is None else got["indicators"].shape[0]

    def ensure(self, arms: list[Arm], R: int, stop=lambda: False) -> None:
        """Run whatever replications 0..R-1 of `arms` are not cached yet.

        Jobs of every arm go to the pool together so both cores stay busy; `stop()` is asked
        as jobs finish and a True answer cancels the rest (raises Cancelled)."""
        while not self._running.acquire(timeout=0.05):
            if stop():
                raise Cancelled
        try:
            self._ensure(arms, R, stop)
        finally:
            self._running.release()

    def _ensure(self, arms: list[Arm], R: int, stop) -> None:
        arms = list({a.key: a for a in arms}.values())  # the baseline may be the setting
        roots = roots_from_seeds(replication_seeds(self.seed, R))
        # replication r's draw is the same for every R (a prefix of the same resampling)
        draws = posterior_params(self.scenario, R, self.seed) if self._posterior else {}
        todo: list[tuple[Arm, int, Future | dict]] = []
        for arm in arms:
            for lo in range(self._have(arm), R, JOB_RUNS):
                hi = min(lo + JOB_RUNS, R)
                kw = {**arm.kwargs, "params": replication_params(
                    arm.kwargs["params"], {k: draws[k] for k in arm.drawn}, np.arange(lo, hi))}
                if self.executor is None:
                    todo.append((arm, lo, (roots[lo:hi], arm.on, kw)))
                else:
                    todo.append((arm, lo, self.executor.submit(_job, roots[lo:hi], arm.on, kw)))
        parts: dict[tuple, list[tuple[int, dict]]] = {}
        try:
            for arm, lo, job in todo:
                if stop():
                    raise Cancelled
                out = job.result() if isinstance(job, Future) else _job(*job)
                parts.setdefault(arm.key, []).append((lo, out))
        except BaseException:
            for _, _, job in todo:
                if isinstance(job, Future):
                    job.cancel()
            raise
        with self._lock:
            for arm in arms:
                new = sorted(parts.get(arm.key, []), key=lambda p: p[0])
                if not new:
                    self._arms.move_to_end(arm.key)
                    continue
                old = self._arms.get(arm.key)
                if old is not None and old["indicators"].shape[0] != new[0][0]:
                    continue  # another session extended it meanwhile: keep theirs
                chunks = ([old] if old is not None else []) + [p[1] for p in new]
                merged = {a: np.concatenate([c[a] for c in chunks])
                          for a in ("indicators", *MONEY)}
                merged["years"] = new[0][1]["years"]
                self._arms[arm.key] = merged
                self._arms.move_to_end(arm.key)
            while len(self._arms) > self._max_arms:
                self._arms.popitem(last=False)

    def experiment(self, settings: dict[str, Any], R: int, stop=lambda: False) -> Experiment:
        """The paired experiment (policy, counterfactual) for a setting, from the cache."""
        pol, cf = self.arms(settings)
        self.ensure([pol, cf], R, stop)
        with self._lock:
            a, b = self._arms[pol.key], self._arms[cf.key]
        spec = self.spec(settings)
        ind = np.stack([a["indicators"][:R], b["indicators"][:R]])
        return Experiment(spec, self.seed, R, "batch", tuple(a["years"]),
                          tuple(spec.policy.clause_ids), ind, a["claims"][:R], a["paid"][:R],
                          a["committed"][:R], not spec.policy.any_enabled)

    def evaluate(self, settings: dict[str, Any], R: int, stop=lambda: False) -> Result:
        """Everything the policy page shows for `settings` at R replications, with the time."""
        t0 = time.perf_counter()
        settings = {**self.defaults, **settings}
        arms = [*self.arms(settings), *self.arms(self.defaults)]
        self.ensure(arms, R, stop)  # the setting's and the baseline's runs in one go
        cur = self.experiment(settings, R, stop)
        base = self.experiment(self.defaults, R, stop)
        return summarise(cur, base, settings, time.perf_counter() - t0)


    # -- what each clause group buys (on demand) ----------------------------------------------
    def attribution(self, settings: dict[str, Any], R: int, stop=lambda: False) -> Attribution:
        """The attribution table (model.attribution) of a setting at R replications: every
        on/off coalition of its paying clause groups on the page's seeds and posterior draws,
        so at the base scenario it is `parksim run`'s attribution.csv for the same seed."""
        t0 = time.perf_counter()
        settings = {**self.defaults, **settings}
        key = (_frozen(settings), R)
        with self._lock:
            if key in self._attributions:
                return self._attributions[key]
        spec = self.spec(settings)
        drawn = self.drawn(settings)
        draws = posterior_params(self.scenario, R, self.seed) if drawn else {}
        while not self._running.acquire(timeout=0.05):
            if stop():
                raise Cancelled
        try:
            att = attribution.attribute(spec, R, self.seed, chunk=R, runner=self._runner(stop),
                                        draws={k: draws[k] for k in drawn})
        finally:
            self._running.release()
        out = Attribution(attribution.attribution_table(att), att.game.players, R,
                          att.runs, time.perf_counter() - t0, dict(settings))
        with self._lock:
            self._attributions[key] = out
            while len(self._attributions) > 4:
                self._attributions.popitem(last=False)
        return out

    def _runner(self, stop) -> attribution.Runner:
        """Coalitions' runs as pool jobs of JOB_RUNS, all submitted at once (both cores stay
        busy); `stop()` asked as jobs finish."""
        def run(roots: np.ndarray, params: dict, policies, **kw: Any):
            n = roots.size
            cuts = [(lo, min(lo + JOB_RUNS, n)) for lo in range(0, n, JOB_RUNS)]
            jobs: list[Future | tuple] = []
            for pol in policies:
                for lo, hi in cuts:
                    p = {k: (np.asarray(v)[lo:hi] if np.ndim(v) else v) for k, v in params.items()}
                    job = (roots[lo:hi], 1.0, {**kw, "policy": pol, "params": p})
                    jobs.append(self.executor.submit(_job, *job) if self.executor else job)
            done = []
            try:
                for job in jobs:
                    if stop():
                        raise Cancelled
                    done.append(job.result() if isinstance(job, Future) else _job(*job))
            except BaseException:
                for job in jobs:
                    if isinstance(job, Future):
                        job.cancel()
                raise
            k = len(cuts)
            return [(np.concatenate([d["indicators"][:, -1, :] for d in done[c:c + k]]),
                     np.concatenate([d["paid"] for d in done[c:c + k]]))
                    for c in range(0, len(done), k)]
        return run


@dataclass
class Attribution:
    """What each clause group buys, for one setting (attribution.csv's rows)."""

    table: pd.DataFrame
    players: tuple[str, ...]
    replications: int
    runs: int
    seconds: float
    settings: dict[str, Any]


# -- the numbers shown ------------------------------------------------------------------------
@dataclass
class Result:
    """The policy page's numbers for one setting (money in 万元)."""

    replications: int
    seconds: float
    years: tuple[int, ...]
    clause_ids: tuple[str, ...]
    p_met: np.ndarray  # (9, 3): probability, Wilson low, high — the setting
    p_base: np.ndarray  # (9, 3) the baseline scenario
    p_none: np.ndarray  # (9, 3) no policy (the setting's counterfactual)
    dp: np.ndarray  # (9, 3): P(met) setting − baseline, paired mean, 95% low, high
    cost: dict[str, float]  # total paid in the years run: mean, p5, p50, p95
    cost_base: dict[str, float]
    dcost: tuple[float, float, float]  # paired mean difference from the baseline, 95% CI
    committed: float  # mean due after the horizon
    fan: dict[str, np.ndarray]  # p5, p50, p95, mean (Y,) of each year's outlay; base_p50
    by_clause: np.ndarray  # (C,) mean paid per clause over the years run
    by_clause_base: np.ndarray
    additional: dict[str, tuple[float, float, float]]  # target -> policy − no policy, 95% CI
    per_hte: tuple[float, float, float, str]  # cost per additional HTE, 95% CI, status
    settings: dict[str, Any]


def _pmet(table, arm: str) -> np.ndarray:
    t = table[(table["measure"] == "p_met") & (table["arm"] == arm)].set_index("target")
    return np.array([[t.at[tid, "probability"], t.at[tid, "ci_low"], t.at[tid, "ci_high"]]
                     for tid in TARGET_IDS], dtype=np.float64)


def _q(x: np.ndarray) -> dict[str, float]:
    return {"mean": float(x.mean()), **{f"p{q}": float(np.quantile(x, q / 100))
                                        for q in (5, 50, 95)}}


def summarise(cur: Experiment, base: Experiment, settings: dict[str, Any],
              seconds: float) -> Result:
    """The numbers of `cur` against `base` (same replications, same random numbers)."""
    tt, tb = targets_table(cur), targets_table(base)
    met_c, met_b = cur.met()[0], base.met()[0]
    dp = np.array([paired_ci(met_c[:, j].astype(float) - met_b[:, j].astype(float))
                   for j in range(len(TARGET_IDS))])
    total_c = cur.paid.sum(axis=(1, 2, 3))
    total_b = base.paid.sum(axis=(1, 2, 3))
    per_year = cur.paid.sum(axis=(1, 2))  # (R, Y)
    fan = {q: np.quantile(per_year, int(q[1:]) / 100, axis=0) for q in ("p5", "p50", "p95")}
    fan["mean"] = per_year.mean(axis=0)
    fan["base_p50"] = np.median(base.paid.sum(axis=(1, 2)), axis=0)
    add = additionality_table(cur, n_boot=N_BOOT)
    diff = add[add["measure"] == "difference"].set_index("target")
    additional = {tid: (float(diff.at[tid, "estimate"]), float(diff.at[tid, "ci_low"]),
                        float(diff.at[tid, "ci_high"])) for tid in TARGET_IDS}
    hte = add[(add["measure"] == "cost_per_additional") & (add["target"] == "T1")].iloc[0]
    return Result(
        replications=cur.replications, seconds=seconds, years=tuple(cur.years),
        clause_ids=cur.clause_ids, p_met=_pmet(tt, "policy"), p_base=_pmet(tb, "policy"),
        p_none=_pmet(tt, "counterfactual"), dp=dp, cost=_q(total_c), cost_base=_q(total_b),
        dcost=paired_ci(total_c - total_b), committed=float(cur.committed.sum(axis=(1, 2, 3))
                                                            .mean()),
        fan=fan, by_clause=cur.paid.sum(axis=(2, 3)).mean(axis=0),
        by_clause_base=base.paid.sum(axis=(2, 3)).mean(axis=0), additional=additional,
        per_hte=(float(hte["estimate"]), float(hte["ci_low"]), float(hte["ci_high"]),
                 str(hte["status"])),
        settings=dict(settings))
