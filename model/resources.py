"""Will it fit? A run's memory and time, estimated before any work, refused when impossible.

`parksim run -R 1000000000` used to grow until MemoryError after minutes of work. Each
command now estimates, from the sizes it was given and before the engine compiles, the memory
it will hold and the time it will take, and refuses (exit 2, with advice) a job whose memory
exceeds what the machine has available or whose time exceeds a day.

The figures below are deliberately on the low side, so that a job refused is one that could
not have finished, never one that merely looked large: the per-run times are lower bounds of
the times measured on the project's 2-core machine (the README's and benchmarks/engines.py's
figures: about 2.2 to 3.5 ms per batch-engine run of the zone 2020-2025 on one process, about
15 times more on Mesa), the process size is the resident size measured after compilation.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from model.errors import InputError

DAY_S = 86_400.0  # the longest job accepted: beyond a day, a smaller design says as much
# Lower bounds of the time one run (one zone, 2020-2025) takes on one process.
SECONDS_PER_RUN = {"batch": 1.0e-3, "mesa": 2.0e-2}
# Resident size of one process with the model imported and its kernels loaded: 404 MB measured
# for `parksim run baseline -R 200` after compilation (973 MB while numba compiles, once).
PROCESS_BYTES = 400 * 2**20
GIB = 2**30


def available_memory() -> int:
    """Bytes this process may still allocate: the machine's available memory, or less when a
    cgroup (container) limit is lower."""
    import psutil

    avail = int(psutil.virtual_memory().available)
    with contextlib.suppress(OSError, ValueError):
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
            avail = min(avail, max(0, int(limit) - used))
    return avail


def _size(n: float) -> str:
    return f"{n / GIB:,.1f} GiB" if n >= GIB / 10 else f"{n / 2**20:,.0f} MiB"


def _duration(s: float) -> str:
    if s >= 2 * DAY_S:
        return f"{s / DAY_S:,.0f} days"
    return f"{s / 3600:,.1f} hours" if s >= 3600 else f"{s / 60:,.0f} minutes"


def check(what: str, *, memory: float, seconds: float, advice: str,
          workers: int = 1) -> None:
    """Refuse a job whose estimated `memory` (bytes) exceeds the memory available or whose
    estimated time (`seconds` of work, shared by `workers`) exceeds a day."""
    avail = available_memory()
    if memory > avail:
        raise InputError(what, "size", f"a job that fits in memory (about {_size(memory)} "
                         f"estimated, {_size(avail)} available); {advice}", "too large")
    wall = seconds / max(1, workers)
    if wall > DAY_S:
        raise InputError(what, "size", f"a job that ends within a day (at least "
                         f"{_duration(wall)} estimated on {workers} "
                         f"process{'es' if workers > 1 else ''}); {advice}", "too long")


def process_memory(workers: int) -> float:
    """This process plus its worker processes, each holding the model."""
    return PROCESS_BYTES * (1 + (workers if workers > 1 else 0))
