"""Clause parameters' units in Chinese: `parksim --lang zh policy` must not fall back to the
English units of the clause files, and a new unit in a clause file must come with its zh
entry in model/i18n.py's UNITS (else the zh table would silently show English again)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from model.cli import _param_text, _short, main
from model.i18n import UNITS, unit_text
from model.policy.spec import load_policy
from model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
POLICY = load_policy()
CLAUSE_FILES = sorted((ROOT / "model" / "policy" / "clauses").glob("*.toml"))
ASCII_WORD = re.compile(r"[A-Za-z]")


def _units(policy) -> set[str]:
    return {_short(p.unit) for c in policy.clauses.values() for p in c.params.values()}


def _raw_units() -> set[str]:
    """Units read straight from the clause files' text, not through the loader, so a unit
    the loader might drop or rename is still caught."""
    found = set()
    for f in CLAUSE_FILES:
        found |= {_short(u) for u in re.findall(r'^unit\s*=\s*"([^"]*)"', f.read_text(), re.M)}
    return found


def test_every_clause_unit_has_a_chinese_template():
    units = _units(POLICY) | _raw_units()
    # the shipped scenario that adds clauses of its own
    units |= _units(load_scenario(ROOT / "scenarios" / "innovation_vouchers.toml").policy)
    assert len(units) >= 20  # all of them, not an empty set that passes trivially
    missing = sorted(u for u in units if u not in UNITS or not UNITS[u].get("zh"))
    assert not missing, f"add zh entries to model/i18n.py UNITS for {missing}"
    for u in units:
        zh = UNITS[u]["zh"]
        assert "{v}" in zh and not ASCII_WORD.search(zh.replace("{v}", "")), (u, zh)


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_english_template_is_the_clause_files_wording(unit):
    """The en side adds nothing to the data: the number, then the unit as the files write it
    (shares as '% of ...'), so `parksim policy` in English is unchanged by the catalogue."""
    en = UNITS[unit]["en"].format(v="7")
    if unit.startswith("share"):
        assert en == f"7% {unit.removeprefix('share').strip()}"
    else:
        assert en == f"7 {unit}"


def test_a_unit_outside_the_catalogue_is_shown_as_written():
    assert unit_text("widgets per year", "3", "zh") == "3 widgets per year"
    assert unit_text("share of sales", "5", "zh") == "5% of sales"


def test_zh_policy_table_has_no_english_unit_words(capsys):
    assert main(["--lang", "zh", "policy"]) == 0
    out = capsys.readouterr().out
    # the English words each unit adds to its number ("one-off", "per contract", "% of the
    # year's grants", ...) must not appear; 万元 is the Chinese unit itself
    for unit in _units(POLICY):
        words = unit.removeprefix("share").replace("万元", "").strip()
        if words:
            assert words not in out, (unit, words)
    for cid, c in POLICY.clauses.items():
        for name in c.params:
            zh = _param_text(POLICY, cid, name, "zh")
            # switch names in brackets are identifiers, the same in both languages
            assert not ASCII_WORD.search(re.sub(r"\[[^\]]*\]", "", zh)), (cid, name, zh)
    # and the Chinese is what the table shows (cells wrap, so compare without whitespace)
    flat = re.sub(r"\s+", "", out)
    assert re.sub(r"\s+", "", _param_text(POLICY, "P6c", "award", "zh")) == "一次性20万元"
    assert "一次性20万元" in flat and "合同实际成交额的3%" in flat
