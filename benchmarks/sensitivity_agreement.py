"""Do independent sensitivity studies of the baseline agree as their intervals promise?

Runs (or reuses) three studies that differ only by their seed,

    parksim sensitivity baseline --method sobol --n 512 -R 4 \
        --factors uncertainties levers --groups --seed S --out DIR/seed-S   (S = 11, 22, 33)

and compares every total effect between every pair of them: z = (ST_a − ST_b) / √(se_a² + se_b²),
each standard error read from the study's 95% interval (a t-interval over the design's 16
independent scrambles: se = half-width / t(0.975, 15)). If the intervals are right, z is
about standard normal: |z| > 1.96 for about 5% of the (output, group) pairs and mean z² about
1 (issue 15 asks for at most 8% and 0.5 to 1.3). Pairs where both studies give exactly 0 with
zero width (a group that moves no run under common random numbers) carry no test and are
counted apart. Exits 1 when a threshold is missed. A study folder that already holds the
results is reused (the chunk stores make a killed run resume).

    .venv/bin/python benchmarks/sensitivity_agreement.py [--out DIR] [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from model.workers import default_workers

SEEDS = (11, 22, 33)
N, R = 512, 4
MAX_OUTSIDE, Z2_RANGE = 0.08, (0.5, 1.3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="folder for the three studies (default: temp)")
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    ap.add_argument("--n", type=int, default=N)
    ap.add_argument("--replications", "-R", type=int, default=R)
    a = ap.parse_args()

    from model.scenario import load_scenario, scenario_path
    from model.sensitivity.command import study
    from model.sensitivity.design import SCRAMBLES

    sc = load_scenario(scenario_path("baseline"))
    root = Path(a.out or tempfile.mkdtemp(prefix="parksim-agreement-"))
    ind = {}
    for s in a.seeds:
        out = root / f"seed-{s}"
        if not (out / "indices.csv").exists():
            print(f"study seed {s} -> {out}", flush=True)
            study(sc, method="sobol", n=a.n, replications=a.replications,
                  factors=["uncertainties", "levers"], groups=True, seed=s, out=out,
                  workers=a.workers, progress=False, discover=False, log=None)
        e = pd.read_csv(out / "indices.csv")
        ind[s] = e[e["index"] == "ST"].set_index(["output", "factor"])
    t = stats.t.ppf(0.975, SCRAMBLES - 1)
    rows = []
    for s1, s2 in itertools.combinations(a.seeds, 2):
        x, y = ind[s1], ind[s2]
        both = x.index.intersection(y.index)
        x, y = x.loc[both], y.loc[both]
        se = np.sqrt(((x["upper"] - x["lower"]) / (2 * t)) ** 2
                     + ((y["upper"] - y["lower"]) / (2 * t)) ** 2)
        rows.append(pd.DataFrame({"pair": f"{s1}-{s2}", "diff": x["value"] - y["value"],
                                  "se": se}, index=both))
    d = pd.concat(rows).reset_index()
    exact = (d["se"] == 0) & (d["diff"] == 0)
    z = (d["diff"] / d["se"])[~exact]
    outside, z2 = float((z.abs() > 1.96).mean()), float((z**2).mean())
    ok = outside <= MAX_OUTSIDE and Z2_RANGE[0] <= z2 <= Z2_RANGE[1]
    print(f"{len(d)} (output, group) pairs over {len(rows)} pairs of studies; {int(exact.sum())} "
          "exactly 0 in both (no test)")
    by = d[~exact].assign(z=z).groupby("output")["z"]
    print(pd.DataFrame({"pairs": by.size(), "share |z|>1.96": by.apply(
        lambda v: (v.abs() > 1.96).mean()), "mean z2": by.apply(lambda v: (v**2).mean())})
          .round(3).to_string())
    print(f"|z| > 1.96: {outside:.1%} (at most {MAX_OUTSIDE:.0%}); mean z² = {z2:.2f} "
          f"(between {Z2_RANGE[0]} and {Z2_RANGE[1]}) -> {'ok' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
