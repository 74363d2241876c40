"""The saved posterior (calibration/posterior.csv): load it, check it, draw from it.

Each row is an ABC particle: calibrated parameter values and a weight. `draw_posterior` gives
one parameter set per replication, resampled by weight from a seed, so an experiment carries
parameter uncertainty as well as randomness and stays reproducible; replication r's draw
does not depend on how the replications are chunked.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from model.errors import InputError
from model.params import load_registry

ROOT = Path(__file__).resolve().parents[2]
POSTERIOR = ROOT / "calibration" / "posterior.csv"
SEED_SALT = 0x7057  # draws use SeedSequence((seed, SALT)): independent of replication streams


def resolve(path: str | Path | None) -> Path:
    """A posterior path: absolute as given, else relative to the repository root (where
    `parksim calibrate` writes it), whatever the working directory."""
    if path is None:
        return POSTERIOR
    p = Path(path)
    return p if p.is_absolute() else ROOT / p


def _priors_used(file: Path) -> dict:
    """The priors of the calibration that wrote `file` (posterior.json beside it), or {}."""
    info = file.with_suffix(".json")
    if not info.is_file():
        return {}
    try:
        with open(info, encoding="utf-8") as fh:
            priors = json.load(fh).get("priors", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return priors if isinstance(priors, dict) else {}


def stale_columns(file: Path, columns, reg) -> dict[str, str]:
    """Columns calibrated on a prior the registry no longer has: the parameter was removed, or
    redefined with another range since the calibration (its posterior.json says which prior
    it used). {column: why}. Such draws mean something else now: they are not drawn."""
    out = {}
    for c, prior in _priors_used(file).items():
        if c not in columns or not isinstance(prior, dict) or "range" not in prior:
            continue
        if c not in reg:
            out[c] = "no longer a registry parameter"
        elif tuple(float(x) for x in prior["range"]) != reg[c].range:
            lo, hi = reg[c].range
            out[c] = (f"calibrated on the prior range {list(prior['range'])}, redefined since "
                      f"(registry range [{lo:g}, {hi:g}])")
    return out


def load_posterior(path: str | Path | None = None) -> pd.DataFrame:
    """The particles with normalised weights; every column a registry parameter in range.

    A column calibrated on a prior that the registry has since changed (a parameter removed
    or redefined, see `stale_columns`) is dropped: runs use the registry's value for it until
    the calibration is rerun. `df.attrs["not_drawn"]` lists them with why (`draw_posterior`
    warns; checking a scenario does not, so a bad scenario still gets one error line)."""
    file = resolve(path)
    if not file.is_file():
        raise InputError(file, "file", "a posterior CSV made by `parksim calibrate`")
    try:
        df = pd.read_csv(file)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise InputError(file, "file", "a readable CSV", str(e)) from None
    if "weight" not in df.columns:
        raise InputError(file, "header", "a 'weight' column", ", ".join(df.columns))
    if len(df) == 0:
        raise InputError(file, "rows", "at least one particle")
    reg = load_registry()
    stale = stale_columns(file, df.columns, reg)
    df = df.drop(columns=list(stale))
    for c in df.columns:
        if c == "weight":
            continue
        if c not in reg:
            raise InputError(file, f"column {c}", "a parameter of model/params/registry.toml")
        v = pd.to_numeric(df[c], errors="coerce")
        if v.isna().any():
            raise InputError(file, f"column {c}", "numbers in every row")
        lo, hi = reg[c].range
        bad = (v < lo - 1e-12) | (v > hi + 1e-12)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError(file, f"row {row}, column {c}", f"a value within the registry "
                             f"range [{lo:g}, {hi:g}]", float(v[bad].iloc[0]))
        df[c] = v.astype(np.float64)
    w = pd.to_numeric(df["weight"], errors="coerce")
    if w.isna().any() or (w < 0).any() or w.sum() <= 0:
        raise InputError(file, "column weight", "non-negative numbers with a positive sum")
    df["weight"] = w / w.sum()
    df.attrs["not_drawn"] = dict(sorted(stale.items()))
    return df


def draw_posterior(path: str | Path | None, n: int, seed: int) -> dict[str, np.ndarray]:
    """n parameter sets resampled by weight: {name: (n,) array}, the same for the same seed."""
    if n < 1:
        raise ValueError("n must be at least 1")
    df = load_posterior(path)
    for c, why in df.attrs["not_drawn"].items():
        warnings.warn(f"{resolve(path)}: {c} is not drawn ({why}); runs use its registry value "
                      "until the calibration is rerun", stacklevel=2)
    rng = np.random.default_rng(np.random.SeedSequence((int(seed), SEED_SALT)))
    idx = rng.choice(len(df), size=n, p=df["weight"].to_numpy())
    return {c: df[c].to_numpy()[idx].copy() for c in df.columns if c != "weight"}


def posterior_params(scenario, replications: int, seed: int) -> dict[str, np.ndarray]:
    """The per-replication draws a scenario asks for (`[run] posterior`), or {} if none.

    experiments merge them into the scenario's parameters: replication r runs with
    `{name: v[r]}`; the policy run and its counterfactual share the draw."""
    path = getattr(scenario, "posterior", None)
    if not path:
        return {}
    return draw_posterior(path, replications, seed)


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Weighted mean, 5%, 50% and 95% quantiles of each parameter, with its prior range."""
    reg = load_registry()
    w = df["weight"].to_numpy()
    rows = []
    for c in df.columns:
        if c == "weight":
            continue
        x = df[c].to_numpy()
        order = np.argsort(x)
        cw = np.cumsum(w[order])
        q = [float(x[order][np.searchsorted(cw, p * cw[-1])]) for p in (0.05, 0.5, 0.95)]
        lo, hi = reg[c].range
        rows.append({"parameter": c, "default": reg[c].value, "prior_lo": lo, "prior_hi": hi,
                     "mean": float(np.sum(w * x)), "p5": q[0], "p50": q[1], "p95": q[2],
                     "unit": reg[c].unit})
    return pd.DataFrame(rows)


def replication_params(params: dict, draws: dict[str, np.ndarray], rows) -> dict:
    """`params` with each drawn parameter set to its draw for replication(s) `rows` (an int
    gives scalars, an index array gives per-run arrays for run_batch)."""
    if not draws:
        return params
    return {**params, **{k: (v[rows] if np.ndim(rows) else float(v[rows]))
                         for k, v in draws.items()}}


def replication_spec(spec, draws: dict[str, np.ndarray], r: int):
    """A RunSpec (model.experiments) whose parameters are replication r's draw."""
    import dataclasses

    if not draws:
        return spec
    return dataclasses.replace(spec, params=replication_params(spec.params, draws, r))
