"""Excel workbooks beside the CSVs (`--xlsx` on run, compare and awards), for budget planners.

The CSVs stay the machine-readable record; the workbook is the same tables for a person in
Excel or WPS: one sheet per table, headers in words with their unit, code values (arm, kind,
measure, reason, ...) in the chosen language, numbers stored as numbers (NaN as an empty
cell), text as text. Written with XlsxWriter (a dependency; pinned in constraints.txt), never
by hand.

Text that a spreadsheet would take for a formula (model.outputs.safe_cell: =, +, @, -, tab,
CR) is stored as text with Excel's quote prefix, the workbook's form of the CSVs' leading
apostrophe: the cell shows the text exactly and stays text when edited.

Regenerating a workbook from the same tables gives the same bytes: XlsxWriter's in-memory mode
stamps every part of the zip with 1980-01-01, and the document's properties (title, creation
time) are fixed here rather than taken from the clock; run.local.json records when a run was
made.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.i18n import header_label, label, value_label
from model.outputs import safe_cell

# The document's creation time: fixed (the start of the policy, 2020-06-16) so that the same
# tables give the same bytes; when a run was made is in run.local.json.
CREATED = dt.datetime(2020, 6, 16, tzinfo=dt.UTC)
SHEET_NAMES: dict[str, dict[str, str]] = {
    "about": {"en": "about", "zh": "说明"},
    "targets": {"en": "targets", "zh": "目标达成"},
    "fiscal": {"en": "fiscal", "zh": "财政支出"},
    "fiscal_wide": {"en": "fiscal by year", "zh": "分年财政支出"},
    "indicators": {"en": "indicators", "zh": "指标"},
    "additionality": {"en": "additionality", "zh": "政策增量"},
    "ledger_sample": {"en": "ledger sample", "zh": "台账样本"},
    "comparison": {"en": "comparison", "zh": "情景比较"},
    "ledger": {"en": "ledger", "zh": "奖补明细"},
    "totals": {"en": "totals", "zh": "合计"},
    "attribution": {"en": "attribution", "zh": "条款组贡献"},
}
MAX_SHEET = 31  # Excel's limit on a sheet name
WIDE_STATS = ("p50", "p90", "p95")


@dataclass
class Sheet:
    """One sheet: a table (`key` names it: a CSV's stem) and the words above it, if any."""

    key: str
    frame: pd.DataFrame
    note: str = ""
    headers: dict[str, str] | None = None  # column -> header, for headers built by the caller


def sheet_name(key: str, lang: str = "en") -> str:
    """The sheet's name in `lang`: a known table's word, else the table's own key."""
    name = label(SHEET_NAMES.get(key), lang) or key
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:MAX_SHEET]


def _cell_value(v):
    """A frame's value as the workbook stores it: numbers as numbers, missing as None."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) else (f if math.isfinite(f) else ("∞" if f > 0 else "-∞"))
    return str(v)


def workbook_bytes(sheets: Sequence[Sheet], lang: str = "en", title: str = "parksim") -> bytes:
    """The .xlsx file of `sheets`, in `lang`, as bytes (the same bytes for the same input)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False,
                                   "nan_inf_to_errors": False})
    wb.set_properties({"title": title, "author": "parksim", "company": "",
                       "created": CREATED.replace(tzinfo=None),
                       "comments": "written by parksim; the CSVs beside it hold the same tables"})
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top",
                          "bottom": 1})
    quoted = wb.add_format({"quote_prefix": True})
    note_fmt = wb.add_format({"italic": True})
    used: set[str] = set()
    for sheet in sheets:
        name, k = sheet_name(sheet.key, lang), 2
        while name in used:  # two tables with the same word: number the second
            name, k = f"{sheet_name(sheet.key, lang)[:MAX_SHEET - 3]} {k}", k + 1
        used.add(name)
        ws = wb.add_worksheet(name)
        top = 0
        if sheet.note:
            ws.write_string(0, 0, sheet.note, note_fmt)
            top = 2
        frame = sheet.frame
        widths = []
        for j, col in enumerate(frame.columns):
            head = (sheet.headers or {}).get(col) or header_label(str(col), lang)
            ws.write_string(top, j, head, bold)
            widths.append(min(40, max(8, len(head) + 2)))
        for i, row in enumerate(frame.itertuples(index=False, name=None), start=top + 1):
            for j, (col, v) in enumerate(zip(frame.columns, row, strict=True)):
                v = _cell_value(value_label(str(col), v, lang) if isinstance(v, str) else v)
                if v is None:
                    continue
                if isinstance(v, str):
                    fmt = quoted if safe_cell(v) != v else None
                    ws.write_string(i, j, v, fmt)
                    widths[j] = min(40, max(widths[j], len(v) + 2))
                elif isinstance(v, bool):
                    ws.write_boolean(i, j, v)
                else:
                    ws.write_number(i, j, v)
        for j, w in enumerate(widths):
            ws.set_column(j, j, w)
        ws.freeze_panes(top + 1, 0)
        if len(frame.columns):
            ws.autofilter(top, 0, top + len(frame), len(frame.columns) - 1)
    wb.close()
    return buf.getvalue()


def about_sheet(rows: Sequence[tuple[str, object]], lang: str = "en") -> Sheet:
    """A two-column sheet of facts about the run (scenario, seed, ...), first in the book."""
    frame = pd.DataFrame(list(rows), columns=["key", "value"])
    return Sheet("about", frame, headers={"key": header_label("key", lang),
                                          "value": header_label("value", lang)})


def fiscal_wide(fiscal: pd.DataFrame, clause_labels: dict[str, str], lang: str = "en",
                stats: Sequence[str] = WIDE_STATS) -> Sheet:
    """Money paid, clause by year, with P50, P90 and P95 over replications (万元).

    One row per clause (all its kinds together) and a last row for all clauses; when fiscal.csv
    has a payer column, each row names who pays and each payer's total gets a row before the
    last. A column per year and statistic, then the whole period. Quantiles do not add up: the
    P95 of the total is not the sum of the clauses' P95s."""
    paid = fiscal[(fiscal["measure"] == "paid") & fiscal["statistic"].isin(stats)]
    years = list(dict.fromkeys(y for y in paid["year"] if y != "all")) + ["all"]
    rows, headers = [], {}
    has_payer = "payer" in paid.columns
    keys = [(c, None) for c in dict.fromkeys(c for c in paid["clause"] if c != "all")]
    if has_payer:  # the payers' totals (clause all, payer x), then everything
        keys += [("all", x) for x in dict.fromkeys(paid.loc[paid["clause"] == "all", "payer"])
                 if x != "all"]
    keys.append(("all", "all" if has_payer else None))
    every = label({"en": "all clauses", "zh": "全部条款"}, lang)
    for cid, who in keys:
        sub = paid[paid["clause"] == cid]
        if who is not None:
            sub = sub[sub["payer"] == who]
        kinds = set(sub["kind"])
        sub = sub[sub["kind"] == ("all" if "all" in kinds else next(iter(kinds)))]
        val = sub.set_index(["year", "statistic"])["value"]
        row = {"clause": cid, "clause_label": clause_labels.get(cid, "") if cid != "all"
               else every}
        if has_payer:
            row["payer"] = str(sub["payer"].iloc[0]) if len(sub) else ""
        for y in years:
            for s in stats:
                row[f"{y} {s}"] = float(val.get((y, s), math.nan))
        rows.append(row)
    every = label({"en": "all years", "zh": "全期"}, lang)
    for y in years:
        for s in stats:
            headers[f"{y} {s}"] = f"{every if y == 'all' else y} {s.upper()} (万元)"
    frame = pd.DataFrame(rows)
    note = label({"en": "Money paid (万元) per clause and year over the replications: P50, P90, "
                        "P95. Quantiles do not add up across clauses.",
                  "zh": "各条款各年已支付金额(万元)在各次重复中的P50、P90、P95。"
                        "分位数不可跨条款相加。"},
                 lang)
    return Sheet("fiscal_wide", frame, note=note, headers=headers)
