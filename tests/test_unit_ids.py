"""Unit ids as budget offices write them: credit codes, Chinese names, numbers as text.

The award core's caps group rows by unit, so an events file whose ids are texts must give every
unit exactly the awards the same file with integer ids gives; the ledger keeps each id exactly
(CSV through the formula-safety prefix, the workbook as text with Excel's quote prefix), and
an optional credit_code column is checked against GB 32100-2015.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from model.cli import main
from model.creditcode import problem, with_check

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "cases" / "events_example.csv"
# Codes built with the standard's algorithm: a Changji (652301) company, a Y-registered body
# (GB 32100-2015 lets the authority be a letter), and python-stdnum's real example.
CODE_A = with_check("91652301MA77ABCD1")
CODE_Y = with_check("Y1652301MA7XKT8Q0")
REAL = "91110000600037341L"
TEXT_IDS = {  # integer id of the example -> the id a budget office would write
    "101": CODE_A, "102": "昌吉新能源科技有限公司", "103": "007", "104": "=HYPERLINK(\"x\")",
    "105": "新疆某某生物有限公司(昌吉分公司)", "106": "-A7", "107": CODE_Y, "108": "108",
    "109": "Gazelle Ltd.", "110": "+86 994", "111": "@unit",
}


def rewrite(src: Path, dst: Path, ids: dict[str, str], credit: dict[str, str] | None = None):
    rows = list(csv.reader(io.StringIO(src.read_text(encoding="utf-8"))))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(rows[0] + (["credit_code"] if credit is not None else []))
    for r in rows[1:]:
        new = [ids[r[0]], *r[1:]]
        w.writerow(new + ([credit.get(r[0], "")] if credit is not None else []))
    dst.write_text(out.getvalue(), encoding="utf-8")


def ledger(path: Path, out: Path, *extra: str) -> pd.DataFrame:
    assert main(["awards", str(path), "--out", str(out), *extra]) == 0
    return pd.read_csv(out, dtype={"unit_id": str, "credit_code": str}, keep_default_na=False)


def integer_ledger(path: Path) -> pd.DataFrame:
    """The example's ledger straight from the award core with integer unit ids (the core's own
    input type), bypassing the reader's text ids."""
    from model.policy.core import Events, compute_ledger
    from model.policy.spec import load_policy

    policy = load_policy()
    f = pd.read_csv(path, dtype=str, keep_default_na=False)
    amount = pd.to_numeric(f["amount"].replace("", None)).to_numpy(float)
    ev = Events.from_columns(policy, f["unit_id"].astype(int), f["year"].astype(int),
                             f["event"].to_numpy(), amount,
                             f["eligible"].str.lower().isin(["", "true", "1", "yes"]).to_numpy())
    return compute_ledger(ev, policy).to_frame()


def test_text_ids_give_the_same_awards_per_unit(tmp_path):
    ref = integer_ledger(EXAMPLE)
    base = ledger(EXAMPLE, tmp_path / "int.csv")
    text_file = tmp_path / "text.csv"
    rewrite(EXAMPLE, text_file, TEXT_IDS)
    got = ledger(text_file, tmp_path / "text_ledger.csv")
    safe = {k: ("'" + v if v[0] in "=+@" or v == "-A7" else v) for k, v in TEXT_IDS.items()}
    # per unit, the money the core gives integer ids
    want = ref.groupby(ref["unit_id"].astype(str))["amount"].sum()
    for frame, name in ((base, lambda u: u), (got, lambda u: safe[u])):
        per = frame.groupby("unit_id")["amount"].sum()
        assert len(per) == len(want)
        for k, v in want.items():
            assert per[name(k)] == v, k
    # and row for row (units keep the order the file first names them in)
    assert got["unit_id"].tolist() == [safe[u] for u in base["unit_id"]]
    pd.testing.assert_frame_equal(got.drop(columns="unit_id"), base.drop(columns="unit_id"))
    cols = ["year", "clause", "kind", "amount", "capped_by", "reason", "event_year"]
    pd.testing.assert_frame_equal(base[cols], ref[cols].reset_index(drop=True),
                                  check_dtype=False)


def test_caps_group_by_the_text_of_the_id(tmp_path):
    """Four contracts of one unit share its 150 cap per unit and year; the same contracts
    under four ids (text differing by one character) are capped one by one."""
    head = "unit_id,year,event,amount,eligible\n"
    same = tmp_path / "same.csv"
    same.write_text(head + "".join(f" 昌吉甲公司 ,2021,tech_contract,{a},\n"
                                   for a in (1000, 2000, 4000, 1500)), encoding="utf-8")
    apart = tmp_path / "apart.csv"
    apart.write_text(head + "".join(f"昌吉甲公司{i},2021,tech_contract,{a},\n"
                                    for i, a in enumerate((1000, 2000, 4000, 1500))),
                     encoding="utf-8")
    a = ledger(same, tmp_path / "a.csv")
    b = ledger(apart, tmp_path / "b.csv")
    assert a["amount"].sum() == pytest.approx(150)  # surrounding spaces dropped: one unit
    assert set(a["unit_id"]) == {"昌吉甲公司"}
    assert b["amount"].sum() == pytest.approx(30 + 50 + 50 + 45)


def test_the_workbook_keeps_ids_exactly(tmp_path):
    text_file = tmp_path / "text.csv"
    rewrite(EXAMPLE, text_file, TEXT_IDS, credit={"101": CODE_A, "107": CODE_Y})
    out = tmp_path / "ledger.csv"
    led = ledger(text_file, out, "--xlsx")
    assert led.columns[:2].tolist() == ["unit_id", "credit_code"]
    assert dict(zip(led["unit_id"], led["credit_code"], strict=False))[CODE_A] == CODE_A
    wb = openpyxl.load_workbook(out.with_suffix(".xlsx"))
    ws = wb.worksheets[0]
    cells = {c.value: c for c in ws["A"][1:]}
    assert set(cells) == set(TEXT_IDS.values())  # exactly, no apostrophe in the value
    for v, c in cells.items():  # formula-like text is stored as text with the quote prefix
        assert c.data_type == "s"
        assert bool(c.quotePrefix) == (v[0] in "=+@" or v == "-A7"), v
    assert isinstance(ws["F2"].value, float | int)  # amounts are numbers


@pytest.mark.parametrize("code", [REAL, CODE_A, CODE_Y, CODE_A.lower(),
                                  f"{CODE_A[:6]} {CODE_A[6:]}"])
def test_valid_credit_codes_are_accepted(code):
    from model.creditcode import normal

    assert problem(normal(code)) is None


def typo(code: str) -> str:
    """The code with one character changed (a digit for another, as a slip of the hand)."""
    i = 10
    ch = "1" if code[i] != "1" else "2"
    return code[:i] + ch + code[i + 1:]


@pytest.mark.parametrize("code,why", [
    (typo(CODE_A), "check character"), (typo(REAL), "check character"),
    (REAL[:-1] + ("0" if REAL[-1] != "0" else "1"), "check character"),
    (REAL[:17], "17 characters"), ("91110000600037341O", "'O'"),
    ("9111ABCD600037341L", "administrative division"),
])
def test_invalid_credit_codes_are_refused(tmp_path, capsys, code, why):
    ev = tmp_path / "ev.csv"
    ev.write_text("unit_id,year,event,amount,eligible,credit_code\n"
                  f"甲公司,2021,hte_certified,,,{REAL}\n乙公司,2022,hte_certified,,,{code}\n",
                  encoding="utf-8")
    assert main(["awards", str(ev), "--out", str(tmp_path / "l.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "row 3" in err and "'credit_code'" in err and why in err
    assert "GB 32100-2015" in err
    assert not (tmp_path / "l.csv").exists()


@pytest.mark.parametrize("rows,where,what", [
    (f"甲,2021,hte_certified,,,{REAL}\n甲,2022,hte_certified,,,{CODE_A}\n", "row 3",
     "the code row 2 gives unit '甲'"),
    (f"甲,2021,hte_certified,,,{REAL}\n乙,2022,hte_certified,,,{REAL}\n", "row 3",
     "one company, one unit"),
])
def test_one_code_per_unit_and_one_unit_per_code(tmp_path, capsys, rows, where, what):
    ev = tmp_path / "ev.csv"
    ev.write_text("unit_id,year,event,amount,eligible,credit_code\n" + rows, encoding="utf-8")
    assert main(["awards", str(ev), "--out", str(tmp_path / "l.csv")]) == 2
    err = capsys.readouterr().err
    assert where in err and what in err


def test_a_blank_credit_code_is_allowed(tmp_path):
    ev = tmp_path / "ev.csv"
    ev.write_text("unit_id,year,event,amount,eligible,credit_code\n"
                  f"甲,2023,hte_certified,,,\n乙,2023,hte_certified,,,{REAL}\n",
                  encoding="utf-8")
    led = ledger(ev, tmp_path / "l.csv")
    assert led["credit_code"].tolist() == ["", REAL] and led["amount"].sum() == 40


@pytest.mark.parametrize("cell,what", [
    ("", "blank"), ("  ", "blank"), ("x" * 201, "at most 200 characters"),
    ('"a\tb"', "control characters"), ('"a\nb"', "control characters"),
])
def test_unusable_unit_ids_are_refused(tmp_path, capsys, cell, what):
    ev = tmp_path / "ev.csv"
    ev.write_text(f"unit_id,year,event,amount,eligible\n{cell},2021,hte_certified,,\n",
                  encoding="utf-8")
    assert main(["awards", str(ev), "--out", str(tmp_path / "l.csv")]) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "'unit_id'" in err and what in err


# -- the event types: `parksim events` and docs/events.md, from events.toml ----------------------
def test_events_listing_shows_every_event_type(capsys):
    from model.policy.spec import load_policy

    policy = load_policy()
    for lang in ("en", "zh"):
        assert main(["--lang", lang, "events"]) == 0
        out = capsys.readouterr().out
        for name, e in policy.events.items():
            assert name in out, name
            assert e.label[lang][:6] in out.replace("\n", ""), (lang, name)
            amount = {"amount": "1000", "count": "3", "once": ""}[e.basis]
            unit = {"en": "Firm A", "zh": "甲公司"}[lang]
            assert f"{unit},2022,{name},{amount}," in out, (lang, name)  # never wrapped


def test_every_example_row_is_a_valid_events_file(tmp_path):
    """The example rows are what awards reads: all of them together make a valid file."""
    from model.policy.events_listing import rows

    ev = tmp_path / "ev.csv"
    ev.write_text("unit_id,year,event,amount,eligible\n"
                  + "".join(r[-1] + "\n" for r in rows()), encoding="utf-8")
    assert main(["awards", str(ev), "--out", str(tmp_path / "l.csv")]) == 0


def test_docs_list_the_event_types_as_generated():
    from model.policy import events_listing

    text = events_listing.DOC_PATH.read_text(encoding="utf-8")
    assert text == events_listing.markdown(), \
        "run `python -m model.policy.events_listing` to refresh docs/events.md"
    for name, e in events_listing.load_policy().events.items():
        assert f"`{name}`" in text and e.label["zh"] in text and e.label["en"] in text


def test_every_event_unit_has_chinese():
    from model.policy.spec import load_policy

    for name, e in load_policy().events.items():
        assert e.basis == "once" or e.unit_zh, f"events.toml [{name}] needs unit_zh"
