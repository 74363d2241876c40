"""Load the registry (registry.toml): value, unit, range, distribution, source, meaning.

Sensitivity factors and calibration priors are drawn from here, never listed again by hand.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from model.errors import InputError

PATH = Path(__file__).with_name("registry.toml")
KINDS = ("uncertainty", "setting")
DISTS = ("uniform", "triang", "norm", "lognorm")


@dataclass(frozen=True)
class ParamSpec:
    name: str
    value: float
    range: tuple[float, float]
    unit: str
    group: str
    kind: str
    source: str
    meaning: str
    dist: str = "uniform"

    @property
    def is_assumption(self) -> bool:
        return self.source.lower().startswith("assumption")


@cache
def load_registry() -> dict[str, ParamSpec]:
    with open(PATH, "rb") as f:
        raw = tomllib.load(f)
    out = {}
    for name, d in raw.items():
        for key in ("value", "range", "unit", "group", "kind", "source", "meaning"):
            if key not in d:
                raise InputError(PATH, f"{name}.{key}", "every parameter to carry it")
        lo, hi = d["range"]
        if not lo <= d["value"] <= hi:
            raise InputError(PATH, f"{name}.value", f"a value within range [{lo}, {hi}]",
                             d["value"])
        if d["kind"] not in KINDS:
            raise InputError(PATH, f"{name}.kind", f"one of {KINDS}", d["kind"])
        dist = d.get("dist", "uniform")
        if dist not in DISTS:
            raise InputError(PATH, f"{name}.dist", f"one of {DISTS}", dist)
        out[name] = ParamSpec(name, float(d["value"]), (float(lo), float(hi)), d["unit"],
                              d["group"], d["kind"], d["source"], d["meaning"], dist)
    return out


def default_params() -> dict[str, float]:
    """Name -> default value: what the model runs with unless a scenario says otherwise."""
    return {k: s.value for k, s in load_registry().items()}


def col(p: dict, name: str):
    """A parameter as a (B, 1) column when it varies across runs, else a scalar."""
    import numpy as np

    v = np.asarray(p[name], np.float64)
    return v.reshape(-1, 1) if v.ndim else v


def per_run(p: dict, name: str, B: int):
    """A parameter as a (B,) vector, one value per run."""
    return as_runs(p[name], B)


def as_runs(v, B: int):
    """A scalar or per-run value ((B,) or (B, 1)) as a (B,) vector, one value per run."""
    import numpy as np

    a = np.asarray(v, np.float64)
    if a.size == 1:  # the common cases first: broadcast_to costs ~8 µs, called ~80 times a year
        return np.full(B, a.reshape(()))
    if a.size == B:
        out = a.reshape(B)  # a view of the caller's values: read-only, as broadcast_to's is
        out.flags.writeable = False
        return out
    return np.broadcast_to(a.reshape(-1, 1), (B, 1))[:, 0]  # NumPy's error for a wrong size
