"""Benchmark: a Sobol study of 25 factors, N = 1024, R = 64, on this machine.

Issue 6's target: the full study (1024 x 27 x 64 = 1,769,472 runs) in under 10 minutes, at
least 50 times faster than calling the model once per sample and replication (what EMA
Workbench or SALib's `evaluate` do). Measured in one process:

1. the study's way: chunks of about 2,000 runs, one batch-engine workload per chunk, on W
   worker processes (`model.sensitivity.runner.run_design`, the code `parksim sensitivity`
   runs). Timed on the first chunks of the real design (default) or the whole study (--full).
2. one call per run: `run_batch` with B = 1, and `ParkModel` (Mesa) run by run, each on the
   same design rows and seeds, timed on a handful of runs and extrapolated. Their rate per
   core is multiplied by W, i.e. assumed to scale perfectly over W processes (which favours
   them).

    .venv/bin/python benchmarks/sensitivity.py [--workers 2] [--chunks 4] [--full]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

FACTORS = ["rd", "hte", "patents", "contracts", "growth",
           "P6c.award", "P4.rate", "P7.rate", "P3.first_year_grant", "p1_award"]
N, R = 1024, 64


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--chunks", type=int, default=4, help="chunks timed (without --full)")
    ap.add_argument("--single", type=int, default=16, help="runs timed one call per run")
    ap.add_argument("--mesa", type=int, default=4, help="ParkModel runs timed")
    ap.add_argument("--full", action="store_true", help="run the whole study")
    a = ap.parse_args()

    from model.batch import replication_seeds, roots_from_seeds, run_batch
    from model.park import ParkModel
    from model.scenario import load_scenario, scenario_path
    from model.sensitivity.design import make_design
    from model.sensitivity.problem import build_problem, output_names, select_factors
    from model.sensitivity.runner import RUNS_PER_CHUNK, EvalContext, run_design

    sc = load_scenario(scenario_path("baseline"))
    fs = tuple(select_factors(FACTORS, sc.policy, sc.params))
    outs = tuple(output_names(sc.policy))
    sp = build_problem(fs, outs)
    seeds = replication_seeds(sc.seed, R)
    roots = roots_from_seeds(seeds)
    d = make_design("sobol", sp, N, sc.seed)
    total = d.rows * R
    print(f"Sobol study: {len(fs)} factors, N = {N}, R = {R}: {d.rows:,} design points, "
          f"{total:,} runs; {a.workers} workers on {os.cpu_count()} cores")
    ctx = EvalContext(fs, outs, roots, sc.policy, dict(sc.params), sc.start, sc.horizon,
                      sc.t7_count_from, sc.budget)

    # 1. the study's way
    with tempfile.TemporaryDirectory() as tmp:
        warm = run_design(ctx, d.prefix(1), Path(tmp) / "warm", {"w": 1}, progress=False,
                          workers=1)  # compile and cache the kernels outside the timing
        del warm
        t0 = time.perf_counter()
        data = run_design(ctx, d, Path(tmp) / "study", {"b": 1}, workers=a.workers,
                          max_chunks=None if a.full else a.chunks * a.workers,
                          progress=a.full)
        dt = time.perf_counter() - t0
    rate = data.runs_new / dt
    print(f"chunked batch engine: {data.runs_new:,} runs in {dt:.1f} s = {rate:,.0f} runs/s "
          f"({rate / a.workers:,.0f} per worker; chunks of ~{RUNS_PER_CHUNK:,} runs)"
          + ("" if a.full else f" [first {data.chunks_new} chunks of the design]"))

    # 2. one call per run, on the design's first rows and the same seeds
    def row_inputs(i):
        params = dict(sc.params)
        pol = sc.policy
        for j, f in enumerate(fs):
            v = float(d.X[i, j])
            if f.source == "param":
                params[f.name] = v
            elif f.source == "clause":
                pol = pol.with_param(f.clause, f.param, v)
            else:
                pol = pol.with_switches(**{f.name: v})
        return params, pol

    t0 = time.perf_counter()
    for k in range(a.single):
        params, pol = row_inputs(k // R)
        run_batch(roots[k % R: k % R + 1], policy=pol, params=params, start=sc.start,
                  horizon=sc.horizon, t7_count_from=sc.t7_count_from, budget=sc.budget)
    single = a.single / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for k in range(a.mesa):
        params, pol = row_inputs(k // R)
        ParkModel(pol, params, start=sc.start, horizon=sc.horizon, budget=sc.budget,
                  t7_count_from=sc.t7_count_from,
                  rng=np.random.default_rng(seeds[k % R])).run_model()
    mesa = a.mesa / (time.perf_counter() - t0)
    for name, r1, n in (("run_batch with B = 1", single, a.single),
                        ("ParkModel (Mesa)", mesa, a.mesa)):
        rw = r1 * a.workers
        print(f"one call per run, {name}: {r1:,.1f} runs/s per core (timed on {n} runs), "
              f"x{a.workers} workers = {rw:,.1f} runs/s; the study's way is {rate / rw:,.0f}x "
              f"faster; the full study would take {total / rw / 3600:,.1f} h this way")
    print(f"projected full study the study's way: {total / rate / 60:,.1f} min "
          f"(target: under 10 min)" + (f"; measured: {dt / 60:,.1f} min" if a.full else ""))


if __name__ == "__main__":
    main()
