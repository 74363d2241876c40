"""The run record: `run.json` (tracked) and `run.local.json` (untracked) in an output folder.

One rule for every command: `run.json` holds only what fixes the numbers and does not change
when the same numbers are regenerated (the kind of output, the scenario and its digest, seed,
replications, engine and its source digest, the pinned package versions, and the list of files
written; model.outputs adds `kind` and `files`). So `make run` twice leaves `git status` clean.
What changes from run to run (wall times, host, worker count, chunk size, git commit and dirty
flag, the command line, CPU features) goes to `run.local.json` beside it, which git ignores.

`local_record` is the one place that gathers the volatile facts every command records; add a
new one there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from model.machine import dispatch_info

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("numpy", "numba", "llvmlite", "mesa", "scipy", "pandas", "SALib", "matplotlib", "tqdm")
# What a run's numbers depend on besides its settings: their digest changes when the engine's
# source does (and then regenerated numbers may differ).
ENGINE_FILES = ("model/batch.py", "model/dynamics.py", "model/settle.py", "model/population.py",
                "model/population_compiled.py", "model/rng.py", "model/numerics.py",
                "model/layout.py", "model/state.py", "model/targets.py", "model/targets.toml",
                "model/mathfn.py",
                "model/budget.py", "model/behaviour/*.py", "model/policy/*.py",
                "model/policy/clauses/*.toml", "model/policy/*.toml",
                "model/params/*.py", "model/params/*.toml", "calibration/population.toml")


def engine_digest() -> str:
    """16 hex digits of SHA-256 over the engine's source files (paths and bytes)."""
    h = hashlib.sha256()
    for pat in ENGINE_FILES:
        for p in sorted(ROOT.glob(pat)):
            h.update(p.relative_to(ROOT).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def file_digest(path: str | Path) -> str:
    """16 hex digits of SHA-256 of a file's bytes (e.g. the posterior a scenario draws from)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def package_versions() -> dict[str, str | None]:
    """Python and the pinned packages the numbers go through."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def git_state() -> dict:
    """The commit the code came from and whether tracked sources were modified (results/
    aside: a run rewrites them, they are not its input)."""
    def git(*a: str) -> str | None:
        try:
            r = subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True,
                               timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!results")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def command_line() -> str | None:
    """The command as typed, when parksim was started as `parksim ...`."""
    if sys.argv and Path(sys.argv[0]).name == "parksim":
        return " ".join(["parksim", *sys.argv[1:]])
    return None


def manifest(kind: str, **fields) -> dict:
    """run.json's content besides `kind` and `files` (which model.outputs adds): the fields
    that fix the numbers, then the package versions."""
    return {"kind": kind, **fields, "versions": package_versions()}


def local_record(extra: dict) -> dict:
    """run.local.json: what changes from run to run. `extra` carries the command's own
    (wall time, workers, chunk, ...); every command gets the host, git state, command line
    and time here. The machine's CPU features join here as one more entry."""
    record = {
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "git": git_state(),
        "command": command_line(),
        "python_executable": sys.executable,
    }
    # the CPU features NumPy, numba and the C library used: the numbers do not depend on them
    # (model.mathfn), but a difference found later can be traced
    record["machine"] = dispatch_info()
    record.update(extra)
    return record
