"""How long the dashboard takes to answer a lever move, on this machine, with its warm pool.

Prints, for a few replication counts: the first answer (baseline and its counterfactual), a
policy lever move (P6c award: new policy runs only, the counterfactual is cached) and an
uncertainty move (policy and counterfactual runs); then the attribution (what each clause
group buys, on demand). The load average is printed too: other work on the machine slows
every figure. Run: `.venv/bin/python benchmarks/dashboard.py`.
"""

from __future__ import annotations

import os
import time

from model.dashboard import compute
from model.scenario import SCENARIOS, load_scenario


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    t = time.perf_counter()
    pool = compute.pool(2)
    print(f"pool start (2 spawned workers, warmed): {time.perf_counter() - t:.2f} s")
    sc = load_scenario(SCENARIOS / "baseline.toml")
    for R in (100, 200, 400):
        ev = compute.Evaluator(sc, executor=pool)  # a fresh cache for each R
        first = ev.evaluate({}, R)
        lever = ev.evaluate({"P6c.award": 60.0}, R)
        unc = ev.evaluate({"P6c.award": 60.0, "param.award_salience": 1.0}, R)
        print(f"R={R:4d}: first answer {first.seconds:5.2f} s ({2 * R} runs); "
              f"policy lever {lever.seconds:5.2f} s ({R} runs, "
              f"{1000 * lever.seconds / R:.1f} ms/run over 2 cores); "
              f"uncertainty {unc.seconds:5.2f} s ({2 * R} runs)")
    t = time.perf_counter()
    ev.evaluate({"P6c.award": 60.0}, 1000)
    print(f"refine the lever move 400 -> 1000 replications: {time.perf_counter() - t:.2f} s")
    a = ev.attribution({}, compute.ATTR_R)  # what each clause group buys, on demand
    print(f"attribution at R={a.replications}: {a.seconds:.1f} s ({a.runs} runs, "
          f"{1000 * a.seconds / a.runs:.2f} ms/run over 2 cores)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    compute.shutdown_pool()


if __name__ == "__main__":
    main()
