"""Read an events CSV (`unit_id, year, event, amount, eligible`) into `Events`, strictly.

Planners fill these files in spreadsheets; a mistyped event or a stray comma must stop the run
with the file, row and column named, not turn silently into a zero award.
Rows are numbered as a spreadsheet shows them: the header is line 1, the first data row 2.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from model.errors import InputError, suggest
from model.policy.core import Events
from model.policy.spec import Policy

COLUMNS = ("unit_id", "year", "event", "amount", "eligible")
REQUIRED = COLUMNS
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f"}


def _int(text: str, file: str, row: int, col: str, what: str) -> int:
    s = text.strip()
    try:
        return int(s)
    except ValueError:
        pass
    try:  # "2021.0" from a spreadsheet export is still a whole number
        f = float(s)
    except ValueError:
        f = math.nan
    if math.isfinite(f) and f == int(f):
        return int(f)
    raise InputError(file, f"row {row}, column {col!r}", what, text)


def _eligible(text: str, file: str, row: int) -> bool:
    s = text.strip().lower()
    if s == "" or s in TRUE:
        return True
    if s in FALSE:
        return False
    raise InputError(file, f"row {row}, column 'eligible'",
                     "true/false, 1/0 or yes/no (blank means true)", text)


def read_events(path: str | Path, policy: Policy) -> Events:
    """The events of `path`, validated row by row against `policy`'s event types."""
    file = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise InputError(file, "file", "an existing events CSV file", "no such file") from None
    except IsADirectoryError:
        raise InputError(file, "file", "an events CSV file", "a directory") from None
    except UnicodeDecodeError as e:
        raise InputError(file, f"byte {e.start}", "UTF-8 text", "undecodable bytes") from None
    if not text.strip():
        raise InputError(file, "file", f"a header line with columns {', '.join(COLUMNS)}",
                         "an empty file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as e:
        raise InputError(file, "row 1", "a CSV header line", str(e)) from None
    for col in REQUIRED:
        if col not in header:
            raise InputError(file, "header (row 1)", f"a column {col!r}"
                             + suggest(col, [h for h in header if h not in COLUMNS]),
                             ", ".join(header))
    extra = [h for h in header if h not in COLUMNS]
    if extra:
        raise InputError(file, "header (row 1)",
                         f"only the columns {', '.join(COLUMNS)}" + suggest(extra[0], COLUMNS),
                         extra[0])
    if len(set(header)) != len(header):
        raise InputError(file, "header (row 1)", "each column once", ", ".join(header))
    pos = {h: i for i, h in enumerate(header)}
    events = policy.events
    units: list[int] = []
    years: list[int] = []
    codes: list[int] = []
    amounts: list[float] = []
    elig: list[bool] = []
    row = 1
    try:
        for row, rec in enumerate(reader, start=2):
            if not rec or all(not c.strip() for c in rec):
                continue  # blank line, as spreadsheets leave at the end
            if len(rec) != len(header):
                raise InputError(file, f"row {row}", f"{len(header)} fields as in the header",
                                 f"{len(rec)} fields")
            cell = {h: rec[i] for h, i in pos.items()}
            units.append(_int(cell["unit_id"], file, row, "unit_id", "an integer unit id"))
            years.append(_int(cell["year"], file, row, "year", "an integer year, e.g. 2021"))
            name = cell["event"].strip()
            if name not in events:
                raise InputError(file, f"row {row}, column 'event'",
                                 "an event type of model/policy/events.toml"
                                 + suggest(name, events), name)
            et = events[name]
            codes.append(et.code)
            raw = cell.get("amount", "").strip()
            if raw == "":
                if et.basis == "amount":
                    raise InputError(file, f"row {row}, column 'amount'",
                                     f"an amount in 万元 for {name!r} ({et.unit})", "blank")
                amounts.append(math.nan)
            else:
                try:
                    a = float(raw)
                except ValueError:
                    what = "a number" + (" in 万元" if et.basis == "amount" else "")
                    raise InputError(file, f"row {row}, column 'amount'", what, raw) from None
                if not math.isfinite(a) or a < 0:
                    raise InputError(file, f"row {row}, column 'amount'",
                                     "a finite non-negative number", raw)
                if et.basis == "count" and a != int(a):
                    raise InputError(file, f"row {row}, column 'amount'",
                                     f"a whole count for {name!r} ({et.unit})", raw)
                amounts.append(a)
            elig.append(_eligible(cell.get("eligible", ""), file, row))
    except csv.Error as e:
        raise InputError(file, f"row {row}", "well-formed CSV", str(e)) from None
    return Events(np.asarray(units, np.int64), np.asarray(years, np.int64),
                  np.asarray(codes, np.int64), np.asarray(amounts, np.float64),
                  np.asarray(elig, bool))
