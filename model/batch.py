"""The batch engine: the same yearly loop over many runs at once.

Runs are laid along one axis B (samples × replications × {policy, counterfactual});
parameters may differ per run (a (B,) array) or be shared (a scalar). For one run and one
seed it gives exactly what ParkModel gives.
"""

from __future__ import annotations

import gc
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numpy as np

from model.dynamics import Context, step_year
from model.layout import Layout, make_layout
from model.params import default_params
from model.params.rules import population_facts
from model.policy.spec import Policy, load_policy
from model.population import initial_state
from model.rng import root_key
from model.settle import Fiscal, close_run, init_run
from model.targets import TARGET_IDS
from model.workers import forget, shared_pool

ENGINES = ("compiled", "reference")  # numba kernels (default), or the NumPy functions
DEFAULT_CHUNK = 100  # runs per pass: keeps every array in cache-friendly, reusable memory


def roots_from_seeds(seeds) -> np.ndarray:
    """Root keys (R,) for seeds (ints or SeedSequences), as ParkModel(rng=seed) derives them."""
    return np.array([root_key(np.random.default_rng(s)) for s in seeds], dtype=np.uint64)


def replication_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    """n independent replication seeds spawned from one root seed."""
    return np.random.SeedSequence(seed).spawn(n)


@dataclass
class BatchResult:
    years: tuple[int, ...]
    indicators: np.ndarray  # (B, Y, 9) in TARGET_IDS order
    counts: dict[str, np.ndarray]  # name -> (B, Y)
    fiscal: Fiscal
    layout: Layout
    policy: Policy
    observed: dict[str, np.ndarray] = field(default_factory=dict)  # from an observer

    @property
    def final(self) -> np.ndarray:
        """Indicators at the horizon, (B, 9)."""
        return self.indicators[:, -1, :]


def run_batch(roots: np.ndarray, *, policy: Policy | None = None, params: dict | None = None,
              on: np.ndarray | None = None, start: int = 2020, horizon: int = 2025,
              t7_count_from: str = "policy_start", budget=None, chunk: int | None = None,
              workers: int = 1, progress=None, observer=None,
              engine: str = "compiled") -> BatchResult:
    """Run B = len(roots) runs; `on[b]` is 1 for a policy run, 0 for its counterfactual.

    `params` maps names to scalars or (B,) arrays. The batch runs in chunks of `chunk` runs,
    on `workers` processes; results do not depend on either. `progress(n_done)` is called
    as chunks finish. An `observer` (picklable, with `year(state, y, out) -> {name: (B,)}`
    and `final(state) -> {name: (B,)}`, and `needs_events`) records what BatchResult does not
    carry, into `.observed` ((B, Y) per year, (B,) for final values). `engine` "compiled"
    runs the numba kernels, "reference" the NumPy functions ParkModel runs: the same bits.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    policy = policy or load_policy()
    p = {**default_params(), **(params or {})}
    roots = np.asarray(roots, np.uint64)
    B = roots.size
    on = np.ones(B) if on is None else np.asarray(on, np.float64)
    layout = make_layout(start, horizon, population_facts()["firms_2018"])
    chunk = chunk or DEFAULT_CHUNK
    jobs = []
    for lo in range(0, B, chunk):
        sl = slice(lo, min(lo + chunk, B))
        pc = {k: (np.asarray(v)[sl].reshape(-1, 1) if np.ndim(v) else v) for k, v in p.items()}
        jobs.append((roots[sl], pc, on[sl].reshape(-1, 1), _slice_policy(policy, sl, B),
                     layout, t7_count_from, budget, observer, engine))
    if workers > 1 and len(jobs) > 1:
        ex = worker_pool(workers)
        parts = []
        try:
            for part in ex.map(_run_job, jobs):
                parts.append(part)
                if progress:
                    progress(part[0].shape[0])
        except BrokenProcessPool:
            forget(ex)  # a worker died: the next call starts a fresh pool
            raise
    else:
        parts = []
        for job in jobs:
            parts.append(_run_job(job))
            if progress:
                progress(parts[-1][0].shape[0])
    ind = np.concatenate([q[0] for q in parts])
    counts = {k: np.concatenate([q[1][k] for q in parts]) for k in parts[0][1]}
    fis = Fiscal(*(np.concatenate([getattr(q[2], a) for q in parts])
                   for a in ("claims", "paid", "committed", "carried", "dropped")))
    observed = {k: np.concatenate([q[3][k] for q in parts]) for k in parts[0][3]}
    return BatchResult(layout.years, ind, counts, fis, layout, policy, observed)


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """The process pool for `workers` (model.workers.shared_pool): started once, its workers
    die with this process."""
    return shared_pool(workers)


def _slice_policy(policy: Policy, sl: slice, B: int) -> Policy:
    """The policy for runs `sl`: clause values given per run ((B,) or (B, 1)) are cut too."""
    out = policy
    for cid, c in policy.clauses.items():
        for name, prm in c.params.items():
            v = prm.value
            if np.ndim(v) and np.shape(v)[0] == B:
                out = out.with_param(cid, name, np.asarray(v).reshape(B, 1)[sl])
    return out


def _run_job(job):
    # Python's cyclic collector would walk every live object (~10^5 once mesa, pandas and
    # scipy are imported) many times a job, for garbage the job does not make: ~5% of it
    was = gc.isenabled()
    gc.disable()
    try:
        return _run(*job)
    finally:
        if was:
            gc.enable()


def _run(roots, p, on, policy, layout, t7, budget, observer=None, engine="compiled"):
    st = initial_state(layout, p, roots)
    ctx = Context(policy, p, on, layout, t7, budget,
                  keep_events=bool(getattr(observer, "needs_events", False)), engine=engine)
    init_run(st, ctx)
    Y = len(layout.years)
    ind = np.zeros((roots.size, Y, len(TARGET_IDS)))
    counts: dict[str, np.ndarray] = {}
    observed: dict[str, np.ndarray] = {}
    for y, year in enumerate(layout.years):
        out = step_year(st, year, ctx)
        ind[:, y, :] = np.stack([out.indicators[t] for t in TARGET_IDS], axis=1)
        for k, v in out.counts.items():
            counts.setdefault(k, np.zeros((roots.size, Y)))[:, y] = v
        if observer is not None:
            for k, v in observer.year(st, y, out).items():
                observed.setdefault(k, np.zeros((roots.size, Y)))[:, y] = v
    close_run(st, ctx)
    if observer is not None:
        observed.update(observer.final(st))
    return ind, counts, st.extra["fiscal"], observed
