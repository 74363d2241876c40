"""The same model, the same machine, one run each: Mesa's batch_run over ParkModel against
the batch engine, and the floor: NumPy streaming the whole state once per agent-year.
Batch and floor times are the best of several repeats; Mesa's is one pass (it is slow).

ParkModel runs the NumPy reference of the behaviour; the batch engine runs the compiled
kernels (model.behaviour.compiled, model.policy.dense_compiled). The batch engine on the
NumPy reference is timed too, to show what the kernels bring. The head-to-head runs in one
process, on one core, for both; the 1,000-replication run is timed on one process, then on
`--workers` processes (default: all cores) once their pool has started, as `parksim run
--workers` or the dashboard use them.

Prints agent-years per second for each (an agent-year = one active firm in one year),
where the batch engine's time goes (its phases, timed by wrapping the functions the yearly loop
calls), what the two firm kernels alone cost per agent-year (run by run, with each run's data in
the core's cache: close to their bare arithmetic) against what each target allows for the
whole engine, peak memory, and as its last lines `speedup=` (batch over
Mesa, at equal replications) and `floor_ratio=` (batch time over the streaming floor).

    python benchmarks/engines.py [--replications 100] [--big 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import importlib
import resource
import time
from collections import defaultdict

import numpy as np
from mesa.batchrunner import batch_run

from model.batch import replication_seeds, roots_from_seeds, run_batch
from model.layout import make_layout
from model.params import default_params
from model.params.rules import population_facts
from model.park import ParkModel
from model.population import initial_state
from model.state import FIRM_FIELDS
from model.workers import default_workers


def active_agent_years(result) -> float:
    """Active firm-years of a batch result (firms counted each year they are in the zone)."""
    return float(result.counts["firms"].sum()) if "firms" in result.counts else float("nan")


# the phases of a batch: (module, function) as the yearly loop looks them up
PHASES = {"2020 population": ("model.batch", "initial_state"),
          "arrivals": ("model.dynamics", "place_arrivals"),
          "firm decisions": ("model.behaviour.compiled", "firm_decisions"),
          "institutes' contracts": ("model.behaviour.compiled", "sellers"),
          "settlement": ("model.dynamics", "settle_year"),
          "investment, growth, exit": ("model.behaviour.compiled", "close_year"),
          "indicators": ("model.dynamics", "indicators")}


def phase_times(run, repeats: int = 3) -> tuple[dict[str, float], float]:
    """Seconds per phase of `run()` (best of `repeats`), and the whole run's."""
    spent: dict[str, float] = defaultdict(float)
    originals = []
    for name, (mod, fn) in PHASES.items():
        m = importlib.import_module(mod)
        f = getattr(m, fn)

        def timed(*a, _f=f, _name=name, **k):
            t = time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                spent[_name] += time.perf_counter() - t
        originals.append((m, fn, f))
        setattr(m, fn, timed)
    best: dict[str, float] = {}
    whole = float("inf")
    try:
        for _ in range(repeats):
            spent.clear()
            t = time.perf_counter()
            run()
            dt = time.perf_counter() - t
            if dt < whole:
                whole, best = dt, dict(spent)
    finally:
        for m, fn, f in originals:
            setattr(m, fn, f)
    return best, whole


def kernel_seconds(run, B: int, repeats: int = 5) -> tuple[float, float]:
    """Seconds the firm-decision and close kernels take over `run()` (a batch of B runs),
    each call re-timed on a copy of its inputs (best of `repeats`) with nothing else between
    calls: (all B runs per call, their data partly in cache; one run per call, its data in
    the core's own cache). The second is close to the kernels' bare arithmetic (it includes
    numba's call overhead, a few µs a call): what these rules cost with memory out of the way."""
    from model.behaviour import compiled
    calls = []
    originals = {fn: getattr(compiled, fn) for fn in ("_decisions", "_close")}

    def capture(fn):
        def wrapped(*args):
            calls.append((originals[fn], [a.copy() if isinstance(a, np.ndarray) else a
                                          for a in args]))
            return originals[fn](*args)
        return wrapped
    for fn in originals:
        setattr(compiled, fn, capture(fn))
    try:
        run()
    finally:
        for fn, f in originals.items():
            setattr(compiled, fn, f)

    def best_of(f, args) -> float:
        best = float("inf")
        for _ in range(repeats):
            fresh = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
            t = time.perf_counter()
            f(*fresh)
            best = min(best, time.perf_counter() - t)
        return best

    def one_run(a, b: int):
        """Run b's part of a kernel argument: its slice along the first axis of length B."""
        if not isinstance(a, np.ndarray) or B not in a.shape:
            return a
        ax = a.shape.index(B)
        return np.ascontiguousarray(np.take(a, [b], axis=ax))
    together = sum(best_of(f, args) for f, args in calls)
    apart = sum(best_of(f, [one_run(x, b) for x in args]) for f, args in calls
                for b in range(B))
    return together, apart


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=100, help="runs for the head-to-head")
    ap.add_argument("--big", type=int, default=1000, help="replications (+ counterfactuals)")
    ap.add_argument("--seed", type=int, default=20200616)
    ap.add_argument("--workers", type=int, default=default_workers(),
                    help="processes for the second timing of the big run")
    a = ap.parse_args()
    R = a.replications
    seeds = replication_seeds(a.seed, R)
    roots = roots_from_seeds(seeds)

    run_batch(roots[:2])  # compile the kernels before timing
    ParkModel(rng=1).run_model()

    t_batch = float("inf")
    for _ in range(3):  # best of three: the machine is shared
        t = time.perf_counter()
        res = run_batch(roots)
        t_batch = min(t_batch, time.perf_counter() - t)
    ay = active_agent_years(res)
    t = time.perf_counter()
    run_batch(roots, engine="reference")
    t_ref = time.perf_counter() - t

    t = time.perf_counter()
    out = batch_run(ParkModel, parameters={}, rng=[int(s.generate_state(1)[0]) for s in seeds],
                    number_processes=1, data_collection_period=-1, max_steps=100,
                    display_progress=False)
    t_mesa = time.perf_counter() - t
    assert len(out) == R

    # the floor: copy every firm state array once per year, for the same runs and slots
    layout = make_layout(2020, 2025, population_facts()["firms_2018"])
    st = initial_state(layout, default_params(), roots)
    t_floor = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in layout.years:
            for k in FIRM_FIELDS:
                st.f[k] = st.f[k].copy()
        t_floor = min(t_floor, time.perf_counter() - t)

    t = time.perf_counter()
    big = roots_from_seeds(replication_seeds(a.seed, a.big))
    big_roots, big_on = np.concatenate([big, big]), np.r_[np.ones(a.big), np.zeros(a.big)]
    res_big = run_batch(big_roots, on=big_on)
    t_big = time.perf_counter() - t
    t = time.perf_counter()
    run_batch(big_roots[:2 * a.workers], chunk=1, workers=a.workers)  # start the pool
    t_pool = time.perf_counter() - t
    t = time.perf_counter()
    run_batch(big_roots, on=big_on, workers=a.workers)
    t_big_w = time.perf_counter() - t

    print(f"replications (head-to-head): {R}; active agent-years: {ay:,.0f}")
    def line(name: str, secs: float) -> None:
        print(f"{name:<31}{secs:9.3f} s  {ay / secs / 1e6:9.3f} M agent-years/s")

    line("mesa batch_run over ParkModel:", t_mesa)
    line("batch engine, NumPy reference:", t_ref)
    line("batch engine:", t_batch)
    line("numpy streaming floor:", t_floor)
    print(f"batch engine, {a.big} replications + counterfactuals: {t_big:.2f} s "
          f"({active_agent_years(res_big) / t_big / 1e6:.3f} M agent-years/s)")
    print(f"the same on {a.workers} worker processes: {t_big_w:.2f} s "
          f"({active_agent_years(res_big) / t_big_w / 1e6:.3f} M agent-years/s; starting "
          f"the processes took {t_pool:.2f} s more, once per session)")
    phases, whole = phase_times(lambda: run_batch(roots))
    print(f"where the batch engine's time goes ({R} runs, {whole * 1e3:.0f} ms in all):")
    for name, secs in sorted(phases.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<31}{secs * 1e3:7.1f} ms")
    print(f"  {'the rest (Python, bookkeeping)':<31}"
          f"{(whole - sum(phases.values())) * 1e3:7.1f} ms")
    print(f"peak memory: {peak_mb():.0f} MB (before the kernels' inputs are captured below)")
    t_kern, t_bare = kernel_seconds(lambda: run_batch(roots), R)
    ay_big = active_agent_years(res_big)
    print(f"the two firm kernels alone: {t_kern / ay * 1e9:.0f} ns per agent-year on "
          f"{R} runs a call, {t_bare / ay * 1e9:.0f} ns on one run a call with its data in the "
          f"core's cache; the whole batch engine: {t_batch / ay * 1e9:.0f} ns. The targets "
          f"allow, for everything: speedup 50 -> {t_mesa / 50 / ay * 1e9:.0f} ns; {a.big:,} "
          f"replications + counterfactuals in 1 s on {a.workers} cores -> "
          f"{a.workers / ay_big * 1e9:.0f} ns; floor_ratio 25 -> {25 * t_floor / ay * 1e9:.0f} ns")
    print(f"speedup={t_mesa / t_batch:.1f}")
    print(f"floor_ratio={t_batch / t_floor:.1f}")


if __name__ == "__main__":
    main()
