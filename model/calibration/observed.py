"""What is known about the zone, as rows of calibration/observed.csv, loaded and checked.

Each row is one fact: a value with its year, unit, tolerance and source, how the model's
statistic is compared with it (`near`: within the tolerance; `above`: at least the value minus
the tolerance) and whether it is fitted or held out for validation. A value may reference the
2018 facts of calibration/population.toml (`=hte_2018/firms_2018`) so they are written once.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from model import values
from model.errors import InputError
from model.textfiles import read_text

ROOT = Path(__file__).resolve().parents[2]
OBSERVED = ROOT / "calibration" / "observed.csv"
COLUMNS = ("id", "quantity", "value", "year", "unit", "tolerance", "scale", "compare", "use",
           "source", "url", "date", "note")
USES = ("fit", "validation")
SCALES = ("abs", "log")
COMPARES = ("near", "above")
_REF = re.compile(r"^=([a-z0-9_]+)(?:/([a-z0-9_]+))?$")


@dataclass(frozen=True)
class Fact:
    id: str
    quantity: str
    value: float
    year: int
    unit: str
    tolerance: float
    scale: str  # "abs": distance in the unit; "log": distance in log units
    compare: str  # "near" | "above"
    use: str  # "fit" | "validation"
    source: str
    url: str
    date: str
    note: str

    def scaled_gap(self, x):
        """(model - observed) / tolerance, on the fact's scale; for `above`, only a shortfall
        counts. Works on scalars and arrays."""
        import numpy as np

        from model import mathfn as mf

        x = np.asarray(x, np.float64)
        if self.scale == "log":
            gap = mf.log(np.maximum(x, 1e-12)) - mf.log(self.value)
        else:
            gap = x - self.value
        if self.compare == "above":
            gap = np.minimum(gap + self.tolerance, 0.0)
            return gap / max(self.tolerance, 1e-9) if self.tolerance > 0 else gap * 1e3
        return gap / self.tolerance

    def band(self) -> tuple[float, float]:
        """The observed value's tolerance band in the fact's unit."""
        if self.scale == "log":
            from model import mathfn as mf

            lo = float(self.value * mf.exp(-self.tolerance))
            hi = float(self.value * mf.exp(self.tolerance))
        else:
            lo, hi = self.value - self.tolerance, self.value + self.tolerance
        return (lo, math.inf) if self.compare == "above" else (lo, hi)


def _population_value(key: str, file: Path, where: str) -> float:
    from model.params.rules import population_facts

    facts = population_facts()
    if key not in facts:
        raise InputError(file, where, "a key of calibration/population.toml (" +
                         ", ".join(facts) + ")", key)
    return float(facts[key])


def _value(text: str, file: Path, where: str) -> float:
    text = text.strip()
    m = _REF.match(text)
    if m:
        v = _population_value(m.group(1), file, where)
        if m.group(2):
            v /= _population_value(m.group(2), file, where)
        return v
    try:
        v = float(text)
    except ValueError:
        raise InputError(file, where, "a number, or =key[/key] of calibration/population.toml",
                         text) from None
    if not math.isfinite(v):
        raise InputError(file, where, "a finite number", text)
    return v


def load_observed(path: str | Path | None = None) -> dict[str, Fact]:
    """The facts of observed.csv by id, every row checked (source, use, numbers, units)."""
    from model.calibration.summaries import STATISTICS

    file = Path(path) if path else OBSERVED
    text = read_text(file, "observed-facts CSV", 10 * 2**20)
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise InputError(file, "file", "well-formed CSV", str(e)) from None
    header = tuple(rows[0].keys()) if rows else ()
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(file, "header", "columns " + ", ".join(COLUMNS),
                         ", ".join(header) or "an empty file")
    out: dict[str, Fact] = {}
    for n, r in enumerate(rows, start=2):
        at = f"row {n}"
        fid = (r["id"] or "").strip()
        if not fid:
            raise InputError(file, f"{at}, column id", "a fact id")
        if fid in out:
            raise InputError(file, f"{at}, column id", "a unique id", fid)
        if fid not in STATISTICS:
            raise InputError(file, f"{at}, column id", "an id with a model statistic in "
                             "model/calibration/summaries.py: " + ", ".join(STATISTICS), fid)
        for c in ("quantity", "unit", "source", "date"):
            if not (r[c] or "").strip():
                raise InputError(file, f"{at}, column {c}", "a non-empty text")
        value = _value(r["value"] or "", file, f"{at}, column value")
        tol = _value(r["tolerance"] or "", file, f"{at}, column tolerance")
        if tol < 0:
            raise InputError(file, f"{at}, column tolerance", "a non-negative number", tol)
        try:
            year = int(r["year"])
        except (TypeError, ValueError):
            year = None
        if year is None or not values.MIN_YEAR <= year <= values.MAX_YEAR:
            raise InputError(file, f"{at}, column year", f"a year from {values.MIN_YEAR} to "
                             f"{values.MAX_YEAR}", r["year"])
        for c, valid in (("use", USES), ("scale", SCALES), ("compare", COMPARES)):
            if r[c] not in valid:
                raise InputError(file, f"{at}, column {c}", "one of " + ", ".join(valid), r[c])
        if r["compare"] == "near" and tol <= 0:
            raise InputError(file, f"{at}, column tolerance", "a positive tolerance for "
                             "compare = near", tol)
        if r["scale"] == "log" and value <= 0:
            raise InputError(file, f"{at}, column value", "a positive value on a log scale",
                             value)
        out[fid] = Fact(fid, r["quantity"].strip(), value, year, r["unit"].strip(), tol,
                        r["scale"], r["compare"], r["use"], r["source"].strip(),
                        (r["url"] or "").strip(), r["date"].strip(), (r["note"] or "").strip())
    if not any(f.use == "fit" for f in out.values()):
        raise InputError(file, "column use", "at least one fact with use = fit")
    return out


def fit_facts(facts: dict[str, Fact]) -> dict[str, Fact]:
    return {k: f for k, f in facts.items() if f.use == "fit"}
