"""Benchmark of the yearly award settlement (`model.settle.settle_year`) at batch size.

Runs one batch (B runs, default 100) once, capturing every year's input to `settle_year`
(events and bookkeeping state), then replays each year through the reference and the
compiled path on fresh copies of that input, and prints the best time per year of each.
Only settlement is timed: the behaviour that produced the events is not.
Run: `.venv/bin/python benchmarks/settle.py [B] [--budget] [--repeat R]`.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import model.dynamics as dyn  # noqa: E402
from model import settle  # noqa: E402
from model.batch import replication_seeds, roots_from_seeds, run_batch  # noqa: E402
from model.budget import Budget  # noqa: E402


def capture(B: int, budget) -> list[tuple]:
    """Every year's (state, ctx, year, ev) as settle_year received it, copied."""
    calls = []
    real = dyn.settle_year

    def spy(st, ctx, year, ev):
        calls.append((_snapshot(st), copy.copy(ctx), year, copy.deepcopy(ev)))
        return real(st, ctx, year, ev)

    dyn.settle_year = spy
    try:
        roots = roots_from_seeds(replication_seeds(20200616, B))
        run_batch(roots, budget=budget, chunk=B, engine="reference")
    finally:
        dyn.settle_year = real
    return calls


def _snapshot(st):
    """What settle_year reads and writes of a State."""
    return SimpleNamespace(extra=copy.deepcopy(st.extra), layout=st.layout, B=st.B,
                           f={"active": st.f["active"].copy()},
                           z={"pay_ratio": st.z["pay_ratio"].copy()})


def replay(calls, engine: str, repeat: int) -> list[float]:
    """Best wall time (s) of settle_year per captured year."""
    best = []
    for st0, ctx0, year, ev in calls:
        ctx = copy.copy(ctx0)
        ctx.engine = engine
        times = []
        for _ in range(repeat):
            st = _snapshot(st0)
            t = time.perf_counter()
            settle.settle_year(st, ctx, year, ev)
            times.append(time.perf_counter() - t)
        best.append(min(times))
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("B", nargs="?", type=int, default=100)
    ap.add_argument("--budget", action="store_true", help="a pro-rata budget line, carried")
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    budget = Budget(total=3000.0, rule="pro_rata", unpaid="carry") if a.budget else None
    calls = capture(a.B, budget)
    n = [c[0].f["active"].shape[1] for c in calls]
    print(f"B={a.B} years={len(calls)} firm slots {min(n)}..{max(n)} "
          f"budget={'pro_rata/carry 3000' if budget else 'none'}")
    replay(calls[:1], "compiled", 1)  # compile (or load the numba cache) outside the timing
    res = {e: replay(calls, e, a.repeat) for e in ("reference", "compiled")}
    for e, t in res.items():
        per = ", ".join(f"{1e3 * x:.2f}" for x in t)
        print(f"{e:9s} ms per year: {per}   mean {1e3 * np.mean(t):.2f} ms")
    print(f"speedup={np.sum(res['reference']) / np.sum(res['compiled']):.1f}")


if __name__ == "__main__":
    main()
