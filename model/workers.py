"""Worker processes that die with their parent, and stop at once on Ctrl-C.

A batch or sensitivity run on W processes holds ~330 MB in each worker. When the parent was
killed outright (SIGKILL, the OOM killer, a closed terminal), its workers used to live on
under init, each finishing whatever queue it had. Every pool parksim starts now comes from
`process_pool`, whose initializer makes each worker:

- ignore SIGINT: Ctrl-C in a terminal reaches the whole process group, and the parent alone
  decides (one line, exit 130; `stop_pools` then ends the workers), so no worker prints a
  KeyboardInterrupt traceback. A worker is started with SIGINT blocked (the parent blocks it
  while it spawns them, and a child inherits the mask), so a Ctrl-C that comes while it
  still imports, before its initializer runs, cannot reach it either; the parent receives
  its own Ctrl-C as soon as the spawning is done;
- ask Linux to SIGKILL it when its parent dies (`prctl(PR_SET_PDEATHSIG)`), when the pool's
  processes were started by the main thread: the signal fires when the *thread* that started
  a process exits, so a pool started from another thread (the dashboard's) relies on
- a watchdog thread that polls the parent's pid and exits when the worker has been
  re-parented: portable, and independent of threads, at the cost of a short delay (a kernel
  call holding the GIL finishes first).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import weakref
from concurrent.futures import ProcessPoolExecutor, wait

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
POLL_S = 0.5  # the watchdog's period
_POOLS: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()
_SHARED: dict[int, ProcessPoolExecutor] = {}  # by worker count, kept for the process's life
_watching = False


def die_with_parent(parent_pid: int, pdeathsig: bool = False) -> None:
    """Pool initializer (in the worker): see the module docstring."""
    global _watching
    with contextlib.suppress(ValueError):  # only possible in the main thread
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if pdeathsig and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(1)
    if not _watching:
        _watching = True
        threading.Thread(target=_watch, args=(parent_pid,), daemon=True,
                         name="parksim-parent-watch").start()


def _watch(parent_pid: int) -> None:
    while True:
        time.sleep(POLL_S)
        if os.getppid() != parent_pid:
            os._exit(1)


def _ready() -> int:
    return os.getpid()


def process_pool(workers: int, *, start_now: bool = True) -> ProcessPoolExecutor:
    """A 'spawn' process pool whose workers die with this process (module docstring).

    `start_now` starts all workers here, in the calling thread, so PR_SET_PDEATHSIG can be
    used when that thread is the main one (it lives as long as the process)."""
    main = threading.current_thread() is threading.main_thread()
    ex = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                             initializer=die_with_parent,
                             initargs=(os.getpid(), main and start_now))
    _POOLS.add(ex)
    if start_now:  # each submit starts one more process while none is idle yet
        with _sigint_blocked(main):
            ready = [ex.submit(_ready) for _ in range(workers)]
        wait(ready)
    return ex


@contextlib.contextmanager
def _sigint_blocked(main: bool):
    """Block SIGINT in this thread (the main one) while workers are spawned: they inherit the
    mask; a Ctrl-C meanwhile stays pending and reaches this process right after."""
    if not (main and hasattr(signal, "pthread_sigmask")):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def shared_pool(workers: int) -> ProcessPoolExecutor:
    """The pool of `workers` processes, started once and kept for the life of the process:
    starting a worker (spawn, imports, loading numba's cached kernels) takes seconds, which
    every batch call would otherwise pay again."""
    ex = _SHARED.get(workers)
    if ex is None:
        ex = _SHARED[workers] = process_pool(workers)
    return ex


def forget(ex: ProcessPoolExecutor) -> None:
    """Drop a broken pool from the cache: the next call starts a fresh one."""
    for k, v in list(_SHARED.items()):
        if v is ex:
            del _SHARED[k]


def stop_pools() -> None:
    """End every pool's workers now (Ctrl-C, SIGTERM): a pool shut down politely would first
    finish every task already queued."""
    for ex in list(_POOLS):
        kill = getattr(ex, "kill_workers", None)  # Python 3.14+
        if kill is not None:
            with contextlib.suppress(Exception):
                kill()
        else:
            for p in list((getattr(ex, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    p.kill()
        with contextlib.suppress(Exception):  # the workers are gone: this returns at once,
            # and waiting lets the pool's manager thread close its pipes before the
            # interpreter's exit handler writes to them (a traceback otherwise, at random)
            ex.shutdown(wait=True, cancel_futures=True)
        _POOLS.discard(ex)
        forget(ex)
