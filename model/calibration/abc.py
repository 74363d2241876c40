"""ABC-SMC calibration with pyabc (Klinger, Rickert and Hasenauer 2018) on the batch engine.

One particle is one parameter set; pyabc evaluates it by a call of `model`, which runs R
replications of the zone 2020-2024 under the 2020 policy (`summaries.simulate`, one batch of
R runs) and returns the mean of each fitted fact's statistic over them. Why the mean: the
fitted facts are regional rates (Xinjiang's HTE growth, the prefecture's GDP growth) that,
under the stated tracking assumptions, estimate the zone's *expected* rate, not one
realisation of it; the zone's own randomness comes back in the posterior predictive checks.

Distance: sqrt(sum over fitted facts of ((model - observed) / tolerance)^2), each gap on the
fact's scale (absolute or log), so a fact weighs by how precisely it is known. Priors: uniform
on the registry range of each calibrated parameter. Epsilon: pyabc's weighted-median schedule
(each generation's epsilon is the median distance of the last accepted population).
Transition: pyabc's multivariate normal kernel (bandwidth from the weighted covariance).
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.batch import roots_from_seeds
from model.calibration.observed import Fact, fit_facts, load_observed
from model.calibration.summaries import simulate, statistics
from model.errors import InputError
from model.params import load_registry
from model.workers import die_with_parent

# The calibrated parameters: "uncertainty" parameters the fitted facts inform, and why.
CALIBRATED: dict[str, str] = {
    "hte_consider_prob": "sets how many eligible firms apply: new certifications, HTE growth",
    "hte_pass_prob": "share of applicants certified: new certifications, HTE growth",
    "hte_renew_prob": "renewals at the end of the three years: HTE losses",
    "hte_effort_cost": "cost side of the apply-or-not test: who seeks HTE status",
    "relabel_share": "share of reported R&D relabelled: the real three-year threshold",
    "profit_margin": "benefit side of the test (the 10-point tax cut on taxable profit)",
    "patent_stock_per_firm": "firms need own IP (a patent) to be eligible",
    "exit_rate": "exits remove HTEs (losses) and revenue",
    "contract_prob": "technology contract turnover",
    "growth_hitech": "zone revenue growth (high-tech sectors)",
    "growth_traditional": "zone revenue growth (traditional sectors)",
}
HORIZON = 2024  # the last year a fitted fact reads


@dataclass
class Settings:
    """Everything that makes a calibration; saved beside the posterior (posterior.json)."""

    population_size: int = 300
    replications: int = 4
    generations: int = 8
    budget: int = 36000  # model runs (particles x replications), the prior sample included: a
    # hard cap (a generation that would exceed it is not started or not kept; `cap_sampler`)
    seed: int = 20200616
    workers: int = 1  # pyabc accepts particles in completion order: only 1 is reproducible
    min_acceptance_rate: float = 0.02
    parameters: tuple[str, ...] = tuple(CALIBRATED)
    facts_path: str | None = None
    horizon: int = HORIZON
    extra: dict = field(default_factory=dict)


@dataclass
class Calibration:
    posterior: pd.DataFrame  # one row per particle: parameters, then weight
    info: dict  # settings, priors, facts, epsilon schedule, timing, provenance


def priors(names) -> dict[str, tuple[float, float]]:
    """Uniform priors on the registry ranges of the named "uncertainty" parameters."""
    reg = load_registry()
    out = {}
    for n in names:
        if n not in reg:
            raise InputError("model/params/registry.toml", n, "a registry parameter")
        spec = reg[n]
        if spec.kind != "uncertainty":
            raise InputError("model/params/registry.toml", n, "an 'uncertainty' parameter "
                             "(settings are not calibrated)", spec.kind)
        if spec.dist != "uniform":
            raise InputError("model/params/registry.toml", f"{n}.dist", "a uniform prior "
                             "(other distributions are not wired into the sampler yet)",
                             spec.dist)
        lo, hi = spec.range
        if hi <= lo:
            raise InputError("model/params/registry.toml", f"{n}.range", "a range with "
                             "hi > lo", spec.range)
        out[n] = (lo, hi)
    return out


def distance(stats: dict[str, float], facts: dict[str, Fact]) -> float:
    """sqrt(sum of squared tolerance-scaled gaps) over the given facts."""
    total = 0.0
    for fid, fact in facts.items():
        g = float(fact.scaled_gap(stats[fid]))
        total += g * g if np.isfinite(g) else 1e6
    return float(np.sqrt(total))


def make_model(facts: dict[str, Fact], replications: int, horizon: int = HORIZON,
               fixed: dict | None = None) -> Callable[[dict], dict]:
    """pyabc's model: parameters -> mean statistic per fitted fact over R fresh replications.

    Replication roots come from numpy's global generator, which pyabc seeds (a single-core
    run from one seed is reproducible)."""
    ids = list(facts)
    owner = os.getpid()

    def model(par) -> dict:
        if os.getpid() != owner:  # in a worker pyabc forked (--workers > 1)
            die_with_parent(owner)  # it exits with us, SIGKILL included (model.workers)
        seeds = [int(s) for s in np.random.randint(  # noqa: NPY002
            0, 2**62, size=replications, dtype=np.int64)]
        params = {**(fixed or {}), **{k: float(v) for k, v in dict(par).items()}}
        tr = simulate(roots_from_seeds(seeds), params, horizon=horizon, chunk=replications)
        st = statistics(tr, ids)
        return {k: float(np.nanmean(v)) for k, v in st.items()}

    return model


def cap_sampler(sampler, max_sims: int, slack: int = 0) -> list[int]:
    """Make `max_sims` model evaluations a hard cap of the whole ABC run.

    pyabc checks its `max_total_nr_simulations` only between generations, so a generation
    started under the budget ran to its end over it (`--budget 40` made 78 runs). Here every
    call of the sampler (the prior sample, then each generation) may evaluate at most what
    the budget has left (less `slack`: parallel workers may each start one more); a
    generation stopped short is not complete, and pyabc then ends the run with the last
    complete generation as the posterior. Returns a one-item list counting the evaluations
    made (pyabc's history does not count those of a generation stopped short)."""
    sampler.check_max_eval = True
    inner = sampler.sample_until_n_accepted
    used = [0]

    def capped(n, simulate_one, t, *, max_eval=np.inf, **kw):
        left = max(0, max_sims - used[0] - slack)
        sample = inner(n, simulate_one, t, max_eval=min(max_eval, left), **kw)
        used[0] += int(sampler.nr_evaluations_)
        return sample

    sampler.sample_until_n_accepted = capped
    return used


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[2], timeout=10
                              ).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def calibrate(settings: Settings | None = None, *, facts: dict[str, Fact] | None = None,
              fixed: dict | None = None, progress: bool = False,
              log: Callable[[str], None] | None = None) -> Calibration:
    """Run ABC-SMC; returns the last generation's weighted particles and the settings.

    `facts` overrides calibration/observed.csv's fitted rows (tests use synthetic facts);
    `fixed` holds parameters at given values (the synthetic-recovery test)."""
    import pyabc

    s = settings or Settings()
    facts = fit_facts(facts if facts is not None else load_observed(s.facts_path))
    pri = priors(s.parameters)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    prior = pyabc.Distribution(**{n: pyabc.RV("uniform", lo, hi - lo)
                                  for n, (lo, hi) in pri.items()})
    model = make_model(facts, s.replications, s.horizon, fixed)
    if s.workers > 1:
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=s.workers)
    else:
        sampler = pyabc.sampler.SingleCoreSampler()
    sampler.show_progress = False
    max_sims = max(1, s.budget // s.replications)
    evaluated = cap_sampler(sampler, max_sims, slack=s.workers - 1)
    np.random.seed(s.seed)  # noqa: NPY002 (pyabc draws particles from numpy's global RNG)
    abc = pyabc.ABCSMC(model, prior, lambda x, _y: distance(x, facts),
                       population_size=s.population_size, sampler=sampler,
                       eps=pyabc.QuantileEpsilon(alpha=0.5))
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        db = "sqlite:///" + os.path.join(tmp, "abc.db")
        abc.new(db, {k: f.value for k, f in facts.items()})
        # one run() call: pyabc adapts epsilon between generations only within a call
        sampler.show_progress = progress
        if progress or log:
            logging.getLogger("ABC").setLevel(logging.INFO)
        h = abc.run(max_nr_populations=s.generations, max_total_nr_simulations=max_sims,
                    min_acceptance_rate=s.min_acceptance_rate)
        if h.max_t < 0:
            raise InputError("--budget", "value", f"a budget that lets one generation finish "
                             f"(the first needed more than {s.budget:,} runs); raise --budget",
                             s.budget)
        pops = h.get_all_populations()
        last = pops.iloc[-1]
        used = evaluated[0]
        acc = float(last["particles"]) / max(float(last["samples"]), 1.0)
        stop = ("budget" if used >= max_sims - (s.workers - 1) else "acceptance rate"
                if acc < s.min_acceptance_rate else "generations")
        if log:
            for r in pops.itertuples():
                if r.t >= 0:
                    log(f"generation {int(r.t)}: epsilon {r.epsilon:.4g}, "
                        f"accepted {int(r.particles)}/{int(r.samples)}")
        df, w = h.get_distribution(m=0, t=h.max_t)
        pops = h.get_all_populations()
        dist = h.get_weighted_distances(t=h.max_t)
    wall = time.time() - t0
    post = df[list(pri)].reset_index(drop=True)
    post["weight"] = np.asarray(w) / np.sum(w)
    schedule = [{"generation": int(r.t), "epsilon": float(r.epsilon),
                 "particles": int(r.particles), "samples": int(r.samples)}
                for r in pops.itertuples() if r.t >= 0]
    info = {
        "method": f"ABC-SMC (pyabc {pyabc.__version__}): uniform priors on registry ranges, "
                  "mean of R replications per particle, tolerance-scaled Euclidean distance, "
                  "weighted-median epsilon, multivariate normal transition",
        "settings": {"population_size": s.population_size, "replications": s.replications,
                     "generations": s.generations, "budget_runs": s.budget, "seed": s.seed,
                     "workers": s.workers, "min_acceptance_rate": s.min_acceptance_rate,
                     "horizon": s.horizon, "policy": "the 2020 policy as written (defaults)",
                     **s.extra},
        "reproducible": s.workers == 1,
        "priors": {n: {"dist": "uniform", "range": [lo, hi],
                       "default": load_registry()[n].value,
                       "why": CALIBRATED.get(n, ""), "source": load_registry()[n].source}
                   for n, (lo, hi) in pri.items()},
        "fixed": fixed or {},
        "facts": {k: {"value": f.value, "tolerance": f.tolerance, "scale": f.scale,
                      "compare": f.compare, "source": f.source} for k, f in facts.items()},
        "epsilon_schedule": schedule,
        "stopped_by": stop,
        "effective_sample_size": float(1.0 / np.sum(np.square(post["weight"].to_numpy()))),
        "model_runs": used * s.replications,
        "final_distance_median": float(np.median(dist["distance"])) if len(dist) else None,
        "wall_time_s": round(wall, 1),
        "git_commit": git_commit(),
    }
    return Calibration(post, info)
