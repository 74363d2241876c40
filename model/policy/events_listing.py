"""The event types `parksim awards` understands, listed from model/policy/events.toml.

One source: `parksim events` prints this table in the chosen language, and docs/events.md holds
the same rows in both languages, generated here (`python -m model.policy.events_listing`
rewrites it; a test checks the file holds exactly what this module generates).
"""

from __future__ import annotations

import sys
from pathlib import Path

from model.i18n import label
from model.policy.spec import Policy, load_policy

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "events.md"
BASIS = {"amount": {"en": "amount", "zh": "金额"}, "count": {"en": "count", "zh": "数量"},
         "once": {"en": "once a row", "zh": "每行一次"}}
ONCE_UNIT = {"en": "(amount left blank)", "zh": "(金额列留空)"}
# What an example row puts in the amount column, by basis: a sum in 万元, a number of items.
EXAMPLE_AMOUNT = {"amount": "1000", "count": "3", "once": ""}
EXAMPLE_UNIT = {"en": "Firm A", "zh": "甲公司"}
EXAMPLE_YEAR = 2022


def event_unit(policy: Policy, name: str, lang: str = "en") -> str:
    """The unit of an event's amount column in `lang`."""
    e = policy.events[name]
    if e.basis == "once":
        return label(ONCE_UNIT, lang)
    return (e.unit_zh or e.unit) if lang == "zh" else e.unit


def example_row(name: str, basis: str, lang: str = "en") -> str:
    """A line of an events CSV for this event type (columns unit_id,year,event,amount,eligible)."""
    return f"{label(EXAMPLE_UNIT, lang)},{EXAMPLE_YEAR},{name},{EXAMPLE_AMOUNT[basis]},"


def clauses_of(policy: Policy) -> dict[str, list[str]]:
    """Event name -> the clauses it can trigger, in clause order."""
    out: dict[str, list[str]] = {n: [] for n in policy.events}
    for cid, c in policy.clauses.items():
        for tr in c.triggers:
            if cid not in out[tr.event]:
                out[tr.event].append(cid)
    return out


def rows(policy: Policy | None = None, lang: str = "en") -> list[list[str]]:
    """One row per event type: name, basis, unit, label, clauses, example row."""
    policy = policy or load_policy()
    by = clauses_of(policy)
    return [[name, label(BASIS[e.basis], lang), event_unit(policy, name, lang),
             label(e.label, lang), ", ".join(by[name]) or "-", example_row(name, e.basis, lang)]
            for name, e in policy.events.items()]


HEADS = {"en": ("event", "basis", "unit of the amount column", "label", "clauses",
                "example row"),
         "zh": ("事项", "计量方式", "金额列单位", "名称", "条款", "示例行")}


def markdown(policy: Policy | None = None) -> str:
    """docs/events.md: every event type with its basis, unit, both labels and an example row."""
    policy = policy or load_policy()
    by = clauses_of(policy)
    lines = [
        "# Event types of `parksim awards`",
        "",
        "Generated from `model/policy/events.toml` by `python -m model.policy.events_listing`;",
        "do not edit by hand. `parksim events` prints the same list (`--lang zh` in Chinese).",
        "",
        "An events CSV (UTF-8, with or without BOM) has one row per application and the columns",
        "",
        "- `unit_id`: who applies, as any text: a unified social credit code, the company's",
        "  Chinese name, a register number (at most 200 characters, no tabs or line breaks;",
        "  surrounding spaces are dropped). Rows with the same text are one unit: the caps per",
        "  unit and year and the one-off awards count them together. The ledger keeps the text",
        "  exactly (text a spreadsheet would take for a formula gets the formula-safety prefix,",
        "  docs/outputs.md); units are listed in the order the file first names them.",
        "- `year`: the year of the event (1949 to 2100; outside the policy's window it earns",
        "  nothing).",
        "- `event`: one of the types below.",
        "- `amount`: what the `basis` column says: a sum in 万元 (`amount`), a number of items",
        "  (`count`), or left blank (`once`: each row is one occurrence).",
        "- `eligible`: true/false, 1/0 or yes/no; blank means true.",
        "- `credit_code` (optional): the unit's unified social credit code, checked against",
        "  GB 32100-2015 (18 characters, the check character last; lower case and spaces are",
        "  accepted and written in the standard form). A blank cell is allowed. One unit has one",
        "  code and one code one unit: a company under two names would otherwise get its caps",
        "  twice. The ledger gets a `credit_code` column after `unit_id`.",
        "",
        "| event | basis | unit | label (en) | label (zh) | clauses | example row |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, e in policy.events.items():
        unit = event_unit(policy, name, "en")
        zh_unit = event_unit(policy, name, "zh")
        lines.append(f"| `{name}` | {e.basis} | {unit} / {zh_unit} | {label(e.label, 'en')} | "
                     f"{label(e.label, 'zh')} | {', '.join(by[name]) or '-'} | "
                     f"`{example_row(name, e.basis)}` |")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Rewrite docs/events.md from events.toml."""
    DOC_PATH.write_text(markdown(), encoding="utf-8")
    print(DOC_PATH)
    return 0


if __name__ == "__main__":
    sys.exit(main())
