"""Run a design in chunks on the batch engine; save each chunk at once; resume; retry.

A chunk is a contiguous range of base indices (see design.py), evaluated as one batch of
B = rows × R runs: every row of base index j runs replication r on the root s(j, r) =
`design.base_roots(seed, j, j + 1, R)[0, r]` (its own seeds, shared by the rows built from
it). A chunk's numbers therefore depend only on its rows, its base indices and the study
seed, never on the backend, the worker count or which chunks ran before: a killed study
resumes from the chunk files in DIR/chunks/ and ends with the numbers an uninterrupted one
gives. Chunks keep every replication's output (rows, R, outputs): the estimators that remove
replication noise need them. Backends: in-process (1 worker), local processes (spawn), a
Dask cluster (`scheduler`) or a Dask LocalCluster (`dask_local`). At most a few chunks are in
flight at a time, and each is saved as it finishes, so a kill loses at most those.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import InputError
from model.sensitivity.design import Design, base_roots
from model.sensitivity.problem import Factor, clause_group, clip_to_bounds
from model.targets import TARGET_IDS, met

RUNS_PER_CHUNK = 2000  # bounds memory: one run_batch workload per chunk
RETRIES = 2


class StudyError(RuntimeError):
    """A chunk failed after its retries, or gave NaN: the study stops and says which."""


class NaNOutputError(RuntimeError):
    """NaN in a chunk's outputs: deterministic, so not retried."""


@dataclass(frozen=True)
class EvalContext:
    """Everything a chunk needs besides its rows; pickled to workers."""

    factors: tuple[Factor, ...]
    outputs: tuple[str, ...]
    seed: int  # the study seed: base index j, replication r runs on root s(j, r)
    R: int  # replications per base point
    policy: Any = None
    params: dict = field(default_factory=dict)
    start: int = 2020
    horizon: int = 2025
    t7_count_from: str = "policy_start"
    budget: Any = None
    evaluator: Callable | None = None  # (ctx, X, roots) -> (rows, R, O); None: the model
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ChunkTask:
    key: str
    lo: int  # base indices [lo, hi)
    hi: int
    X: np.ndarray
    ctx: EvalContext


@dataclass
class StudyData:
    """The evaluated design: every run's outputs, by row and replication."""

    design: Design
    Y: np.ndarray  # (rows, R, O)
    R: int
    outputs: tuple[str, ...]
    runs_new: int = 0
    runs_reused: int = 0
    chunks_new: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0  # wall time of the new chunks
    worker_seconds: float = 0.0  # time the workers spent on every chunk used, old and new
    failures: list[dict] = field(default_factory=list)

    @property
    def mean(self) -> np.ndarray:
        """(rows, O) mean over the replications."""
        return self.Y.mean(axis=1)

    @property
    def runs(self) -> int:
        return self.design.rows * self.R


# -- the model as an evaluator -------------------------------------------------------------------
def model_outputs(res, policy, outputs: tuple[str, ...]) -> np.ndarray:
    """(B, O) outputs of a BatchResult: money paid over the horizon (万元) and targets met."""
    paid = res.fiscal.paid  # (B, C, K, Y)
    groups = np.array([clause_group(policy, c) for c in policy.clause_ids])
    ok = met({t: res.final[:, j] for j, t in enumerate(TARGET_IDS)})
    allmet = np.all([ok[t] for t in TARGET_IDS], axis=0)
    out = np.empty((paid.shape[0], len(outputs)))
    for o, name in enumerate(outputs):
        if name == "cost_total":
            out[:, o] = paid.sum(axis=(1, 2, 3))
        elif name == "cost_grant":
            out[:, o] = paid[:, :, 0, :].sum(axis=(1, 2))
        elif name == "cost_fund_investment":
            out[:, o] = paid[:, :, 1, :].sum(axis=(1, 2))
        elif name.startswith("cost_"):
            out[:, o] = paid[:, groups == name[5:]].sum(axis=(1, 2, 3))
        elif name == "P_all":
            out[:, o] = allmet
        elif name.startswith("P_T"):
            out[:, o] = ok[name[2:]]
        else:
            raise ValueError(f"unknown output {name}")
    return out


def model_evaluator(ctx: EvalContext, X: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """(rows, R, O) model outputs: run b = row b // R, replication b % R, on roots.ravel()[b].

    Policy levers travel as (b, 1) arrays in the policy (the award core broadcasts them);
    since run_batch slices `params` but not the policy into its inner chunks, this calls it
    once per inner block of `model.batch.DEFAULT_CHUNK` runs with the levers sliced to match.
    """
    from model.batch import DEFAULT_CHUNK, run_batch

    X = clip_to_bounds(ctx.factors, X)
    n, R = X.shape[0], ctx.R
    B = n * R
    roots = np.ascontiguousarray(roots, np.uint64).ravel()
    params = dict(ctx.params)
    levers = []
    for j, f in enumerate(ctx.factors):
        col = np.repeat(X[:, j], R)
        if f.source == "param":
            params[f.name] = col
        else:
            levers.append((f, col))
    out = np.empty((B, len(ctx.outputs)))
    for lo in range(0, B, DEFAULT_CHUNK):
        sl = slice(lo, min(lo + DEFAULT_CHUNK, B))
        pol = ctx.policy
        for f, col in levers:
            v = col[sl].reshape(-1, 1)
            pol = (pol.with_param(f.clause, f.param, v) if f.source == "clause"
                   else pol.with_switches(**{f.name: v}))
        p = {k: (v[sl] if np.ndim(v) else v) for k, v in params.items()}
        res = run_batch(roots[sl], policy=pol, params=p, start=ctx.start, horizon=ctx.horizon,
                        t7_count_from=ctx.t7_count_from, budget=ctx.budget,
                        chunk=sl.stop - sl.start)
        out[sl] = model_outputs(res, ctx.policy, ctx.outputs)
    return out.reshape(n, R, len(ctx.outputs))


def chunk_roots(ctx: EvalContext, lo: int, hi: int, rows: int) -> np.ndarray:
    """(rows, R) roots of a chunk's rows: every row of base index j on s(j, ·)."""
    return np.repeat(base_roots(ctx.seed, lo, hi, ctx.R), rows // (hi - lo), axis=0)


def run_chunk(task: ChunkTask) -> dict:
    """Evaluate one chunk (in a worker): every run's outputs, (rows, R, O)."""
    t0 = time.perf_counter()
    ev = task.ctx.evaluator or model_evaluator
    roots = chunk_roots(task.ctx, task.lo, task.hi, task.X.shape[0])
    runs = np.asarray(ev(task.ctx, task.X, roots), np.float64)
    bad = np.isnan(runs)
    if bad.any():
        rows, _, outs = np.nonzero(bad)
        names = sorted({task.ctx.outputs[o] for o in outs})
        step = task.X.shape[0] // (task.hi - task.lo)
        first = sorted({int(r) + task.lo * step for r in rows})[:5]
        raise NaNOutputError(f"chunk {task.key}: NaN in {names} at design rows {first}")
    return {"Y": runs, "seconds": time.perf_counter() - t0}


# -- the chunk store -----------------------------------------------------------------------------
def _atomic_bytes(path: Path, write: Callable[[Any], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_store(folder: Path, fingerprint: dict) -> Path:
    """DIR/chunks, after checking DIR/study.json describes the same study (N aside)."""
    folder = Path(folder)
    (folder / "chunks").mkdir(parents=True, exist_ok=True)
    man = folder / "study.json"
    fp = json.loads(json.dumps(fingerprint, default=str))
    if man.exists():
        old = json.loads(man.read_text())
        for k in sorted(set(old) | set(fp)):
            if old.get(k) != fp.get(k):
                raise InputError(man, k, "the same setting as the study stored in this folder "
                                 "(its chunks would not fit); use another --out",
                                 f"{fp.get(k)!r} (stored: {old.get(k)!r})")
    else:
        _atomic_bytes(man, lambda f: f.write(json.dumps(fp, indent=1).encode()))
    return folder / "chunks"


def save_chunk(chunks: Path, task: ChunkTask, out: dict) -> None:
    path = chunks / f"chunk_{task.lo:08d}_{task.hi:08d}.npz"
    _atomic_bytes(path, lambda f: np.savez(f, lo=task.lo, hi=task.hi, X=task.X, Y=out["Y"],
                                           seconds=out["seconds"]))


def load_chunks(chunks: Path, design: Design, n_out: int, R: int):
    """Stored rows that match the design: (have (N,) bool, Y (rows, R, O), seconds spent)."""
    have = np.zeros(design.N, bool)
    Y = np.full((design.rows, R, n_out), np.nan)
    spent = 0.0
    for path in sorted(chunks.glob("chunk_*.npz")):
        with np.load(path) as z:
            lo, hi = int(z["lo"]), int(z["hi"])
            top = min(hi, design.N)
            if top <= lo or "Y" not in z or z["Y"].shape[1:] != (R, n_out):
                continue
            k = (top - lo) * design.step
            rows = design.base_rows(lo, top)
            if not np.array_equal(z["X"][:k], design.X[rows]):
                continue  # not this design's rows: recomputed
            Y[rows] = z["Y"][:k]
            have[lo:top] = True
            spent += float(z["seconds"]) * (top - lo) / (hi - lo)
    return have, Y, spent


def plan_chunks(missing: np.ndarray, per_chunk: int) -> list[tuple[int, int]]:
    """Contiguous runs of missing base indices, cut into pieces of at most per_chunk."""
    out = []
    idx = np.flatnonzero(missing)
    if idx.size == 0:
        return out
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.r_[idx[0], idx[breaks + 1]]
    ends = np.r_[idx[breaks] + 1, idx[-1] + 1]
    for a, b in zip(starts, ends, strict=True):
        for lo in range(int(a), int(b), per_chunk):
            out.append((lo, min(lo + per_chunk, int(b))))
    return out


# -- backends ------------------------------------------------------------------------------------
class _Serial:
    name = "in-process"
    capacity = 1  # a chunk runs when it is submitted: one at a time, saved before the next

    def submit(self, task):
        f: Future = Future()
        try:
            f.set_result(run_chunk(task))
        except Exception as e:  # noqa: BLE001 - recorded and retried by the caller
            f.set_exception(e)
        return f

    def wait_one(self, futs):
        return [next(iter(futs))]

    def close(self):
        pass


class _Processes:
    def __init__(self, workers: int):
        self.workers = workers
        self.capacity = 2 * workers  # in flight: keeps every worker busy, bounds what a kill loses
        self.name = f"{workers} local processes"
        self._start()

    def _start(self):
        from model.workers import process_pool

        self.ex = process_pool(self.workers)  # its workers die with this process

    def restart(self):
        self.ex.shutdown(wait=False, cancel_futures=True)
        self._start()

    def submit(self, task):
        return self.ex.submit(run_chunk, task)

    def wait_one(self, futs):
        return wait(futs, return_when=FIRST_COMPLETED).done

    def close(self):
        self.ex.shutdown(wait=True, cancel_futures=True)


class _Dask:
    def __init__(self, scheduler: str | None, workers: int):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError("--scheduler", "dask", "dask[distributed] installed "
                             "(pip install 'dask[distributed]')") from None
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
            self.name = f"Dask cluster at {scheduler}"
        else:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None)
            self.client = Client(self.cluster)
            self.name = f"Dask LocalCluster ({workers} workers)"
        n = len(self.client.scheduler_info().get("workers", {})) or workers
        self.capacity = 2 * max(n, workers)

    def submit(self, task):
        return self.client.submit(run_chunk, task, pure=False)

    def wait_one(self, futs):
        from distributed import wait as dwait

        return dwait(list(futs), return_when="FIRST_COMPLETED").done

    def close(self):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _backend(workers: int, scheduler: str | None, dask_local: bool):
    if scheduler or dask_local:
        return _Dask(scheduler, max(1, workers))
    return _Processes(workers) if workers > 1 else _Serial()


# -- the driver ----------------------------------------------------------------------------------
def run_design(ctx: EvalContext, design: Design, folder: Path, fingerprint: dict, *,
               workers: int = 1, scheduler: str | None = None, dask_local: bool = False,
               retries: int = RETRIES, runs_per_chunk: int = RUNS_PER_CHUNK,
               max_chunks: int | None = None, progress: bool = True) -> StudyData:
    """Evaluate what the store lacks, chunk by chunk, and return the whole design's data.

    `max_chunks` stops after that many new chunks (to test resuming; the returned data then
    has NaN rows). A failed chunk is recorded in DIR/failures.csv and retried `retries`
    times; a chunk that still fails, or gives NaN, stops the study with a StudyError.
    """
    chunks = open_store(folder, fingerprint)
    n_out = len(ctx.outputs)
    have, Y, spent = load_chunks(chunks, design, n_out, ctx.R)
    per_chunk = max(1, runs_per_chunk // (design.step * ctx.R))
    todo = plan_chunks(~have, per_chunk)
    if max_chunks is not None:
        todo = todo[:max_chunks]
    runs_per_base = design.step * ctx.R
    data = StudyData(design, Y, ctx.R, ctx.outputs,
                     runs_reused=int(have.sum()) * runs_per_base,
                     chunks_reused=len(plan_chunks(have, per_chunk)), worker_seconds=spent)
    if not todo:
        return data
    tasks = [ChunkTask(f"{lo}-{hi}", lo, hi, design.X[design.base_rows(lo, hi)], ctx)
             for lo, hi in todo]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=design.N * runs_per_base, initial=data.runs_reused, unit="run",
                   desc="sensitivity", smoothing=0.1, dynamic_ncols=True)
    t0 = time.perf_counter()
    be = _backend(workers, scheduler, dask_local)
    attempts: dict[str, int] = {}
    pending = deque(tasks)  # submitted a few at a time, so each is saved as it finishes
    live: dict = {}
    gen = 0

    def fill():
        while pending and len(live) < be.capacity:
            t = pending.popleft()
            live[be.submit(t)] = (t, gen)

    try:
        fill()
        while live:
            for fut in be.wait_one(live):
                task, g = live.pop(fut)
                exc = fut.exception()
                if exc is None:
                    out = fut.result()
                    save_chunk(chunks, task, out)
                    data.Y[design.base_rows(task.lo, task.hi)] = out["Y"]
                    data.chunks_new += 1
                    data.worker_seconds += out["seconds"]
                    data.runs_new += (task.hi - task.lo) * runs_per_base
                    if bar is not None:
                        bar.update((task.hi - task.lo) * runs_per_base)
                    continue
                if isinstance(exc, BrokenProcessPool) and g < gen:
                    pending.appendleft(task)  # a casualty of an earlier breakage
                    continue
                attempts[task.key] = attempts.get(task.key, 0) + 1
                rec = {"chunk": task.key, "attempt": attempts[task.key],
                       "error": type(exc).__name__, "message": str(exc).splitlines()[0]
                       if str(exc) else "", "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
                data.failures.append(rec)
                _record_failure(Path(folder), rec)
                if isinstance(exc, NaNOutputError):
                    raise StudyError(str(exc)) from exc
                if attempts[task.key] > retries:
                    tb = "".join(traceback.format_exception(exc)).strip().splitlines()[-1]
                    raise StudyError(f"chunk {task.key} (base indices {task.lo}..{task.hi - 1})"
                                     f" failed {attempts[task.key]} times; last: {tb}") from exc
                if isinstance(exc, BrokenProcessPool):
                    gen += 1
                    be.restart()
                pending.appendleft(task)
            fill()
    finally:
        be.close()
        if bar is not None:
            bar.close()
    data.seconds = time.perf_counter() - t0
    return data


def _record_failure(folder: Path, rec: dict) -> None:
    path = folder / "failures.csv"
    new = not path.exists()
    with open(path, "a", encoding="utf-8") as f:
        if new:
            f.write("chunk,attempt,error,message,time\n")
        msg = rec["message"].replace('"', "'")
        f.write(f'{rec["chunk"]},{rec["attempt"]},{rec["error"]},"{msg}",{rec["time"]}\n')
        f.flush()
