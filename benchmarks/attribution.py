"""How long the attribution (model.attribution) takes for a scenario, on this machine.

Prints the game (players, coalitions), the wall time of `parksim run`'s Monte Carlo and of the
attribution on the same replications, and the time per run, so `make run`'s replications can be
set to keep it within a budget. The load average is printed before and after: other work on
the machine slows every figure. Run:

    .venv/bin/python benchmarks/attribution.py [SCENARIO] [-R 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import time

from model import attribution
from model.batch import worker_pool
from model.experiments import monte_carlo
from model.report.run_command import load


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("scenario", nargs="?", default="baseline")
    p.add_argument("-R", "--replications", type=int, default=1000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--chunk", type=int, default=500)
    a = p.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    sc = load(a.scenario)
    game = attribution.make_game(sc.policy)
    print(f"{sc.name}: players {', '.join(game.players)} -> {game.coalitions} coalitions, "
          f"{attribution.n_runs(sc, a.replications)} runs at R={a.replications}")
    if a.workers > 1:
        t = time.perf_counter()
        worker_pool(a.workers).submit(int).result()
        print(f"pool start: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    exp = monte_carlo(sc, a.replications, sc.seed, chunk=a.chunk, workers=a.workers)
    mc = time.perf_counter() - t
    t = time.perf_counter()
    att = attribution.for_run(exp, None, chunk=a.chunk, workers=a.workers)
    wall = time.perf_counter() - t
    print(f"monte_carlo (with its ledgers): {mc:.1f} s")
    print(f"attribution: {wall:.1f} s for {att.runs} runs = {1000 * wall / att.runs:.2f} ms "
          f"per run over {a.workers} worker(s); check {att.check}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
