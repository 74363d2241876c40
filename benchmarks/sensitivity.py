"""Benchmark: the Sobol' study of cost and the nine targets over FACTORS (37 factors since
issue 16), at the precision of the N = 1024, R = 64 design, run whole and timed here.

What it does, in one process, with W worker processes (the code `parksim sensitivity` runs):

1. a pilot (plan.py: 4 replications, 128 base points, grown while too small to plan from, on
   its own seed) fits each output's variance model;
2. per output, the target is the half-width the N = 1024, R = 64 design would give: the
   root mean square over the output's S1 and ST of the predicted 95% half-widths (the same
   estimators and intervals, only N and R differ; predictions use plain Monte Carlo rates,
   which the scrambled Sobol' points match or beat);
3. the cheapest (N, R) predicted to meet every target (with PLAN_MARGIN of room for the
   pilot's own error) is run whole and analysed; when nothing is cheaper than the reference
   design (an output whose precision is all bought by averaging noise: its signal-times-noise
   term falls as 1 / (N R) whatever the split), the reference design itself is run;
4. per output it prints the target and the achieved half-width (the same root mean square,
   from the study's own intervals) and the precision per 1,000 runs (1 / half-width², per
   1,000 runs) of the new design against the N = 1024, R = 64 one; beside them, the target
   re-estimated from the study's own runs (a pilot can know a very noisy output's Var m(X)
   only roughly, and the target scales with it) and, from that refit, each output's floor
   (plan.least_runs: the fewest runs any N and R could meet the target with).

It exits 1 if any achieved half-width exceeds its target by more than 10%. The last line is
`study_minutes=X`: pilot, study and analysis, wall time. Nothing is hard-coded from the model:
the pilot measures the noise of the model as it is.

    .venv/bin/python benchmarks/sensitivity.py [--workers 2] [--seed 20200616] [--plan-only]
        [--work DIR] [--outputs NAME ...]

--plan-only stops after the plan (what each output would cost on its own, and together, and
the floor: the fewest runs any N and R of this design could meet the output's target with,
and the same were Var m(X) known exactly, i.e. whatever extra runs bought the total variance);
--work keeps the chunk stores in DIR, so a second call reuses the pilot's runs (the timing
then covers only what is run anew: use a fresh DIR, or none, for the measured figure).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from model.workers import default_workers

FACTORS = ["rd", "hte", "patents", "contracts", "growth",
           "P6c.award", "P4.rate", "P7.rate", "P3.first_year_grant", "p1_award"]
OUTPUTS = ("cost_total", *(f"P_T{k}" for k in range(1, 10)))
OLD_N, OLD_R = 1024, 64
TOLERANCE = 1.10  # an achieved half-width may exceed its target by at most 10%
PLAN_MARGIN = 0.9  # plan for 90% of each target: room for the pilot's own estimation error
REFIT_R = 8  # replications of the study the reference precision is re-estimated from


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--seed", type=int, default=None, help="study seed (default: baseline's)")
    ap.add_argument("--outputs", nargs="+", default=list(OUTPUTS),
                    help="outputs studied (default: cost_total and the nine targets)")
    ap.add_argument("--plan-only", action="store_true", help="stop after the plan")
    ap.add_argument("--work", default=None, help="keep the chunk stores here (default: temp)")
    a = ap.parse_args()
    outputs = tuple(a.outputs)

    from model.scenario import load_scenario, scenario_path
    from model.sensitivity import plan
    from model.sensitivity.analyse import analyse
    from model.sensitivity.design import SCRAMBLES, make_design, rows_per_base
    from model.sensitivity.problem import build_problem, index_names, select_factors
    from model.sensitivity.runner import EvalContext, run_design
    from model.sensitivity.stochastic import sobol_indices, variance_model

    sc = load_scenario(scenario_path("baseline"))
    seed = a.seed or sc.seed
    fs = tuple(select_factors(FACTORS, sc.policy, sc.params))
    sp = build_problem(fs, outputs)
    names = index_names(sp)
    step = rows_per_base("sobol", sp)
    old_runs = OLD_N * step * OLD_R
    print(f"Sobol' study of {', '.join(outputs)}: {len(fs)} factors ({step} rows per base "
          f"point); reference design N = {OLD_N}, R = {OLD_R}: {old_runs:,} runs; "
          f"{a.workers} workers on {os.cpu_count()} cores", flush=True)

    def ctx(s, R):
        return EvalContext(fs, outputs, s, R, sc.policy, dict(sc.params), sc.start,
                           sc.horizon, sc.t7_count_from, sc.budget)

    with tempfile.TemporaryDirectory() as scratch:
        tmp = a.work or scratch
        # compile and cache the kernels outside the timing
        run_design(ctx(1, 1), make_design("sobol", sp, 8, 1).prefix(1), Path(tmp) / "warm",
                   {"w": 1}, progress=False, workers=1)
        t0 = time.perf_counter()
        ps = plan.pilot_seed(seed)

        last = {}

        def run_pilot(n):
            d = make_design("sobol", sp, n, ps)
            data = run_design(ctx(ps, plan.PILOT_R), d, Path(tmp) / "pilot", {"p": 1},
                              workers=a.workers, progress=False)
            last["Y"], last["d"] = data.Y, d
            return d, data.Y, data.worker_seconds, data.runs

        def targets(models):
            return {o: plan.summarise(m.half_width(OLD_N, OLD_R, SCRAMBLES), "rms")
                    for o, m in models.items()}

        p, n_pilot = plan.pilot(run_pilot, names, outputs, outputs,
                                lambda m: {o: v * PLAN_MARGIN for o, v in targets(m).items()},
                                step, stat="rms")
        t_pilot = time.perf_counter() - t0
        target = {o: v / PLAN_MARGIN for o, v in p.targets.items()}
        if p.runs >= old_runs or not p.feasible:  # no cheaper design: the reference itself
            p = dataclasses.replace(p, N=OLD_N, R=OLD_R, targets=target, feasible=True)
        print(f"pilot: N = {n_pilot}, R = {plan.PILOT_R}, {p.pilot_runs:,} runs, "
              f"{t_pilot:.0f} s; plan: N = {p.N}, R = {p.R}, {p.runs:,} runs "
              f"({old_runs / p.runs:.1f}x fewer than the reference)"
              + ("" if p.feasible else " [targets not reachable within the caps]"), flush=True)
        for o, m in p.models.items():  # what each output would cost on its own
            n1, r1, _ = plan.choose({o: m}, step, {o: p.targets[o]}, stat="rms")
            floor, rf = plan.least_runs(m, step, target[o], "rms")
            exact = variance_model(last["Y"][:, :, outputs.index(o)], names, known_total=True)
            floor0, r0 = plan.least_runs(exact, step, target[o], "rms")
            r = sobol_indices(last["Y"][:, :, outputs.index(o)], names, last["d"].groups())
            seen = plan.summarise(np.r_[r.S1[3], r.ST[3]], "rms")  # spread over scrambles
            told = plan.summarise(np.sqrt(m.var(plan.PILOT_R) / n_pilot), "rms")
            print(f"  {o}: rho {m.rho:.3g}, Var m(X) ±{p.v_rel[o]:.0%}, pilot's standard "
                  f"errors measured / predicted {seen / told:.2f}, target "
                  f"{target[o]:.4f}; alone it would need "
                  f"N = {n1}, R = {r1}: {n1 * step * r1:,} runs; floor over every N, R: "
                  f"{floor / old_runs:.2f} of the reference (R = {rf}), "
                  f"{floor0 / old_runs:.2f} (R = {r0}) were Var m(X) known exactly")
        for o in p.unplanned:
            print(f"  {o}: not planned ({p.unplanned[o]})")
        print(f"expected study time: {p.seconds(a.workers) / 60:.1f} min at the pilot's speed "
              f"({1 / p.seconds_per_run:,.0f} runs per worker-second)", flush=True)
        if a.plan_only:
            return 0
        d = make_design("sobol", sp, p.N, seed)
        t1 = time.perf_counter()
        data = run_design(ctx(seed, p.R), d, Path(tmp) / "study", {"s": 1}, workers=a.workers,
                          progress=False)
        t_run = time.perf_counter() - t1
        an = analyse(sp, d, data.Y, outputs, seed=seed)
        minutes = (time.perf_counter() - t0) / 60
    # the reference precision again, from the study's own runs (N base points, up to REFIT_R
    # replications): a check on the pilot's estimate, which a noisy output can miss
    refit, floors = {}, {}
    if p.R >= plan.PILOT_R:
        for o in target:
            y = data.Y[:, :REFIT_R, outputs.index(o)]
            m, m0 = variance_model(y, names), variance_model(y, names, known_total=True)
            if m is not None and m0 is not None:
                refit[o] = plan.summarise(m.half_width(OLD_N, OLD_R, SCRAMBLES), "rms")
                floors[o] = (plan.least_runs(m, step, refit[o], "rms"),
                             plan.least_runs(m0, step, refit[o], "rms"))
    ind = an.indices[an.indices["index"].isin(["S1", "ST"])]
    hw = ind.assign(h=(ind["upper"] - ind["lower"]) / 2).groupby("output")["h"]
    achieved = hw.apply(lambda h: plan.summarise(h.to_numpy(), "rms"))
    pred = p.predicted()
    print(f"study: {data.runs:,} runs in {t_run:.0f} s ({data.runs / t_run:,.0f} runs/s)")
    print(f"{'output':<12}{'rho':>8}{'target':>9}{'predicted':>11}{'achieved':>10}"
          f"{'ratio':>7}{'target (study)':>16}   precision per 1,000 runs: new / "
          f"N={OLD_N},R={OLD_R}")
    fail = []
    for o in outputs:
        if o not in target:
            continue
        got, tg = float(achieved.get(o, np.nan)), target[o]
        gain = (1 / got**2 / (data.runs / 1000)) / (1 / tg**2 / (old_runs / 1000))
        ok = got <= TOLERANCE * tg
        fail += [] if ok else [o]
        print(f"{o:<12}{p.models[o].rho:>8.3g}{tg:>9.4f}{pred[o]:>11.4f}{got:>10.4f}"
              f"{got / tg:>7.2f}{refit.get(o, np.nan):>16.4f}   {gain:,.1f}x"
              + ("" if ok else "  <- exceeds target by >10%"))
    print(f"half-widths: root mean square over each output's {2 * len(names)} S1 and ST; "
          "times measured while the machine may be shared; the pass mark is the target from "
          "the pilot, 'target (study)' the same reference precision estimated from the "
          "study's runs")
    for o, ((f, rf), (f0, r0)) in floors.items():
        print(f"  {o}: refit on the study, floor over every N, R: {f / old_runs:.2f} of the "
              f"reference (R = {rf}), {f0 / old_runs:.2f} (R = {r0}) were Var m(X) known")
    if fail:
        print(f"FAIL: {', '.join(fail)} above {TOLERANCE:.2f} x target")
    print(f"study_minutes={minutes:.2f}")
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
