"""results.xlsx (`parksim run --xlsx`): the run's tables as Excel sheets, for budget planners.

Sheets, in order (names in the chosen language, model.workbook.SHEET_NAMES): about (the run's
settings), targets, fiscal by year (the wide sheet: clause x year with P50, P90, P95), fiscal
(the long table as in fiscal.csv), indicators, additionality, ledger sample, attribution
(when the run computed it). docs/outputs.md
names them. The CSVs stay the record; the workbook holds the same numbers.
"""

from __future__ import annotations

import pandas as pd

from model.i18n import localise
from model.workbook import Sheet, about_sheet, fiscal_wide, workbook_bytes

ABOUT = {  # info key -> the about sheet's words
    "name": {"en": "scenario", "zh": "情景"},
    "purpose": {"en": "purpose", "zh": "目的"},
    "replications": {"en": "replications", "zh": "重复次数"},
    "seed": {"en": "root seed", "zh": "根种子"},
    "engine": {"en": "engine", "zh": "引擎"},
    "digest": {"en": "scenario digest", "zh": "情景摘要"},
    "start": {"en": "first year", "zh": "起始年份"},
    "horizon": {"en": "horizon", "zh": "评估年份"},
    "budget_line": {"en": "budget line (万元 per year)", "zh": "年度预算线(万元)"},
}
ORDER = ("targets", "fiscal", "indicators", "additionality", "ledger_sample", "attribution")


def workbook(tables: dict[str, pd.DataFrame], info: dict, lang: str = "en") -> bytes:
    """The workbook's bytes (the same tables give the same bytes)."""
    from model.i18n import label

    about = about_sheet([(label(words, lang), info.get(k)) for k, words in ABOUT.items()
                         if info.get(k) is not None], lang)
    sheets = [about, Sheet("targets", localise(tables["targets"], lang)),
              fiscal_wide(tables["fiscal"], info.get("clause_labels", {}), lang)]
    sheets += [Sheet(k, localise(tables[k], lang)) for k in ORDER[1:] if k in tables]
    return workbook_bytes(sheets, lang, title=f"parksim run: {info.get('name', '')}")
