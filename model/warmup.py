"""Get the batch engine ready before a run's clock starts: compile (once) and start workers.

numba compiles the engine's kernels the first time they run on a machine (about a minute on a
quiet 2-core machine, several on a busy one) and caches them on disk; later runs load them in
a second. Done inside the first chunk, that minute froze the progress bar at 0 and made its
estimate (and the run's first chunk) twenty times too long. So a run first runs one
replication of its own scenario in this process, through the same code path as the real
runs (same parameter types, hence the same compiled signatures), announcing the compilation
when it takes longer than a cache load could; then, when the run will use worker processes,
starts them and has each load the cached kernels. Only then does the progress bar start, so
its estimate after the first chunk is the run's own speed.

Compiling at install time instead (`make`) was considered and not chosen: numba's cache is
invalidated whenever an engine source changes (a pull, an edit), and `pip install` users
never run make, so the first run after either would again compile without a word.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# A warm cache loads every kernel in about a second on the project's machine (0.8 s measured
# under a load of 6 on 2 cores); beyond this the kernels are being compiled, and we say so.
ANNOUNCE_AFTER_S = 3.0


def _one_replication(scenario, seed: int) -> None:
    """One replication with its counterfactual, in this process, as monte_carlo runs it."""
    from model.experiments import monte_carlo

    monte_carlo(scenario, 1, seed, engine="batch", chunk=1, workers=1, ledger_reps=0,
                cap_reps=0)


def _worker_ready(scenario, seed: int) -> int:
    """In a worker: import the engine and load its cached kernels."""
    import os

    _one_replication(scenario, seed)
    return os.getpid()


def pool_size(replications: int, chunk: int, workers: int) -> int:
    """The worker processes a Monte Carlo run will use: monte_carlo hands run_batch a chunk's
    policy and counterfactual runs at a time, and run_batch starts its pool only when that is
    more than one job of DEFAULT_CHUNK runs."""
    from model.batch import DEFAULT_CHUNK

    return workers if workers > 1 and 2 * min(replications, chunk) > DEFAULT_CHUNK else 1


def prepare(scenario, seed: int, workers: int, say: Callable[[str], None],
            notice: str) -> float:
    """Compile or load the kernels here, then start and warm `workers` processes (when more
    than one). `say(notice)` is called if compiling takes longer than a cache load.
    Returns the seconds spent compiling (0 when the cache was warm)."""
    t0 = time.perf_counter()
    done = threading.Event()
    announced = threading.Event()

    def announce() -> None:
        if not done.wait(ANNOUNCE_AFTER_S):
            announced.set()
            say(notice)

    timer = threading.Thread(target=announce, daemon=True, name="parksim-compile-notice")
    timer.start()
    try:
        _one_replication(scenario, seed)
    finally:
        done.set()
        timer.join()
    compiled = time.perf_counter() - t0 if announced.is_set() else 0.0
    if workers > 1:
        from model.batch import worker_pool

        ex = worker_pool(workers)
        # one task per worker: each idle worker takes one, so each loads the kernels now
        list(ex.map(_worker_ready, [scenario] * workers, [seed] * workers))
    return compiled

