"""Read an events CSV (`unit_id, year, event, amount, eligible`) into `Events`, strictly.

Planners fill these files in spreadsheets; a mistyped event or a stray comma must stop the run
with the file, row and column named, not turn silently into a zero award.
Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row 2, and
blank rows count (they are skipped, not renumbered). Errors and the ledger's `event_row` both
use these numbers. The file is UTF-8 (with or without BOM; model.textfiles).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from model import values
from model.errors import InputError, suggest
from model.policy.core import Events
from model.policy.spec import Policy
from model.textfiles import read_text

COLUMNS = ("unit_id", "year", "event", "amount", "eligible")
REQUIRED = COLUMNS
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f"}


def _int(text: str, file: str, row: int, col: str, what: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi]; "2021.0" from a spreadsheet export is one too."""
    s = text.strip()
    v: int | None = None
    if len(s) <= values.MAX_NUMBER_TEXT:  # a longer one is no id or year
        try:
            v = int(s)
        except ValueError:
            try:
                f = float(s)
            except ValueError:
                f = math.nan
            if math.isfinite(f) and f == int(f):
                v = int(f)
    if v is None or not lo <= v <= hi:
        raise InputError(file, f"row {row}, column {col!r}", f"{what} from {lo} to {hi}", text)
    return v


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
    text = read_text(path, "events CSV file")
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
    lines: list[int] = []
    row = 1
    try:
        for row, rec in enumerate(reader, start=2):
            if not rec or all(not c.strip() for c in rec):
                continue  # blank line, as spreadsheets leave at the end
            if len(rec) != len(header):
                raise InputError(file, f"row {row}", f"{len(header)} fields as in the header",
                                 f"{len(rec)} fields")
            cell = {h: rec[i] for h, i in pos.items()}
            lines.append(row)
            units.append(_int(cell["unit_id"], file, row, "unit_id", "an integer unit id",
                              -values.MAX_UNIT_ID, values.MAX_UNIT_ID))
            years.append(_int(cell["year"], file, row, "year", "an integer year",
                              values.MIN_YEAR, values.MAX_YEAR))
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
                top = values.MAX_AMOUNT_WAN if et.basis == "amount" else values.MAX_COUNT
                if not (math.isfinite(a) and 0 <= a <= top):
                    raise InputError(file, f"row {row}, column 'amount'",
                                     f"a non-negative number of at most {top:,.0f} "
                                     f"({et.unit})", raw)
                if et.basis == "count" and a != int(a):
                    raise InputError(file, f"row {row}, column 'amount'",
                                     f"a whole count for {name!r} ({et.unit})", raw)
                amounts.append(a + 0.0)  # -0.0 is 0
            elig.append(_eligible(cell.get("eligible", ""), file, row))
    except csv.Error as e:
        raise InputError(file, f"row {row}", "well-formed CSV", str(e)) from None
    return Events(np.asarray(units, np.int64), np.asarray(years, np.int64),
                  np.asarray(codes, np.int64), np.asarray(amounts, np.float64),
                  np.asarray(elig, bool), np.asarray(lines, np.int64))
