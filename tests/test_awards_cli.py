"""`parksim awards` and `parksim policy` as users run them: right money, clear errors, no debris.

The example file tests/cases/events_example.csv is checked against awards worked out by hand
below; malformed files must exit 2 naming file, row and column, with no traceback and no
ledger left behind.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from model.cli import COMMANDS, _clause_row, main, money
from model.errors import InputError
from model.policy.core import compute_ledger
from model.policy.events_io import read_events
from model.policy.spec import load_policy

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "cases" / "events_example.csv"
POLICY = load_policy()

# Hand-computed awards for tests/cases/events_example.csv (万元):
SHARE_2020 = 199 / 366  # 2020-06-16..12-31 is 199 of 366 days
HAND = {
    # unit 101, 2021, contracts 1000, 2000, 4000, 1500 at 3%: 30, 60 -> 50, 120 -> 50, 45;
    # unit-year cap 150: 30 + 50 + 50 = 130, the fourth gets 150 - 130 = 20
    ("P4", "grant"): 30 + 50 + 50 + 20,
    # unit 102, 2022: 5% x 400 = 20, 5% x 1200 = 60; cap 50 per unit-year: 20 + 30
    ("P7", "grant"): 20 + 30,
    # unit 103, 2021: 3 invention + 12 utility = 15 grants, 3/15 = 20% inventions -> 10
    ("P8a", "grant"): 10,
    # unit 104: HTE 2023 -> 20; 2024 again -> already awarded
    ("P6c", "grant"): 20,
    # unit 105: 双创 base approved 2020: (50 + 30 + 20) x 199/366 (the 2020 share follows it)
    ("P13a", "grant"): (50 + 30 + 20) * SHARE_2020,
    # unit 106: platform of 999 < 1000 -> 0; 5% x 3000 = 150 -> cap 100
    ("P11", "grant"): 0 + 100,
    # unit 107: 2 national x 20 + 1 local x 5
    ("P8b", "grant"): 2 * 20 + 1 * 5,
    # unit 108: unicorn, ineligible -> 0
    ("P6a", "grant"): 0,
    # unit 109: gazelle settled 2019, before the window -> 0
    ("P6b", "grant"): 0,
    # unit 110: breakthrough 2025: grant 200; follow-on 500 in total = 250 in 2026 + 250 in
    # 2027, honoured after the window by default
    ("P3", "grant"): 200,
    ("P3", "fund_investment"): 250 + 250,
    # unit 111: 10% x 2500 = 250 -> cap 200
    ("P5", "grant"): 200,
}
HAND_GRANTS = 150 + 50 + 10 + 20 + 100 * SHARE_2020 + 100 + 45 + 200 + 200  # = 775 + 54.37...
HAND_FUND = 500


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "model.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def printed_totals(out: str) -> dict[tuple[str, str], str]:
    got = {}
    for line in out.splitlines():
        m = re.match(r"^(P\w+|Grand total)\s+(grant|fund investment)\s+(\d+)\s+([\d,.]+)$", line)
        if m:
            got[(m[1], m[2].replace(" ", "_"))] = m[4]
    return got


def test_example_matches_hand_computed_awards(tmp_path, capsys):
    out = tmp_path / "ledger.csv"
    assert main(["awards", str(EXAMPLE), "--out", str(out)]) == 0
    ledger = pd.read_csv(out, keep_default_na=False)
    totals = {k: math.fsum(g["amount"]) for k, g in ledger.groupby(["clause", "kind"])}
    assert set(totals) == set(HAND)
    for key, value in HAND.items():
        assert totals[key] == pytest.approx(value, abs=1e-9), key
    printed = printed_totals(capsys.readouterr().out)
    for key, value in HAND.items():
        assert printed[key] == money(value), key
    assert printed[("Grand total", "grant")] == money(HAND_GRANTS) == "829.3716"
    assert printed[("Grand total", "fund_investment")] == money(HAND_FUND)
    # the ledger says why the zero rows pay nothing
    reasons = dict(zip(ledger["clause"] + "/" + ledger["unit_id"].astype(str),
                       ledger["reason"], strict=False))
    assert reasons["P6a/108"] == "ineligible" and reasons["P6b/109"] == "out_of_window"


def test_written_ledger_round_trips_exactly(tmp_path):
    """The CSV holds every float exactly, so its rows re-add to the printed totals."""
    out = tmp_path / "ledger.csv"
    assert main(["awards", str(EXAMPLE), "--out", str(out)]) == 0
    frame = pd.read_csv(out, keep_default_na=False)
    ledger = compute_ledger(read_events(EXAMPLE, POLICY), POLICY)
    for (cid, kind), v in ledger.totals().items():
        rows = frame[(frame["clause"] == cid) & (frame["kind"] == kind)]["amount"]
        assert math.fsum(rows) == v


def test_scenario_changes_the_money(tmp_path, capsys):
    scen = tmp_path / "s.toml"
    scen.write_text('name = "t"\n[policy.switches]\np3_followon = "per_year"\n'
                    'first_year_rule = "all"\n[policy.clauses.P5]\ncap_per_item = 300.0\n')
    assert main(["awards", str(EXAMPLE), "--out", str(tmp_path / "l.csv"),
                 "--scenario", str(scen)]) == 0
    p = printed_totals(capsys.readouterr().out)
    assert p[("P3", "fund_investment")] == money(500 + 500)
    assert p[("P13a", "grant")] == money(50 + 30 + 20)  # 2020 in full
    assert p[("P5", "grant")] == money(250)  # 10% x 2500 under a 300 cap


BAD = {
    "unknown event": ("unit_id,year,event,amount,eligible\n1,2021,tech_contract,10,\n"
                      "2,2021,hte_certifed,,\n", "row 3", "'event'", "hte_certified"),
    "non-numeric amount": ("unit_id,year,event,amount,eligible\n1,2021,tech_contract,ten,\n",
                           "row 2", "'amount'", "a number"),
    "missing column": ("unit_id,year,event,eligible\n1,2021,hte_certified,\n",
                       "row 1", "'amount'", "column"),
    "year not an integer": ("unit_id,year,event,amount,eligible\n1,2021,hte_certified,,\n"
                            "1,2021,hte_certified,,\n1,20x1,hte_certified,,\n",
                            "row 4", "'year'", "integer"),
    "year with decimals": ("unit_id,year,event,amount,eligible\n1,2021.5,hte_certified,,\n",
                           "row 2", "'year'", "integer"),
    "unit not an integer": ("unit_id,year,event,amount,eligible\nA1,2021,hte_certified,,\n",
                            "row 2", "'unit_id'", "integer"),
    "negative amount": ("unit_id,year,event,amount,eligible\n1,2021,tech_contract,-5,\n",
                        "row 2", "'amount'", "non-negative"),
    "blank money amount": ("unit_id,year,event,amount,eligible\n1,2021,tech_contract,,\n",
                           "row 2", "'amount'", "万元"),
    "fractional count": ("unit_id,year,event,amount,eligible\n1,2021,patents_utility,2.5,\n",
                         "row 2", "'amount'", "whole"),
    "bad eligible": ("unit_id,year,event,amount,eligible\n1,2021,hte_certified,,maybe\n",
                     "row 2", "'eligible'", "true/false"),
    "short row": ("unit_id,year,event,amount,eligible\n1,2021,hte_certified\n",
                  "row 2", "fields", "5"),
    "unknown column": ("unit_id,year,event,amount,elegible\n1,2021,hte_certified,,\n",
                       "row 1", "eligible", "elegible"),
    "empty file": ("", "file", "header", "empty"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_malformed_file_exits_2_in_process(name, tmp_path, capsys):
    text, row, col, hint = BAD[name]
    src = tmp_path / "ev.csv"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "ledger.csv"
    assert main(["awards", str(src), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(src) in err
    assert row in err and col in err and hint in err, err
    assert "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == ["ev.csv"], "nothing left behind"


@pytest.mark.parametrize("name", ["unknown event", "non-numeric amount", "missing column",
                                  "year not an integer"])
def test_malformed_file_exits_2_as_a_command(name, tmp_path):
    text, row, col, hint = BAD[name]
    src = tmp_path / "ev.csv"
    src.write_text(text, encoding="utf-8")
    r = run_cli("awards", str(src), "--out", str(tmp_path / "ledger.csv"))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert str(src) in r.stderr and row in r.stderr and col in r.stderr and hint in r.stderr
    assert r.stdout == ""
    assert sorted(os.listdir(tmp_path)) == ["ev.csv"]


def test_undecodable_file(tmp_path, capsys):
    src = tmp_path / "ev.csv"
    src.write_bytes(b"unit_id,year,event,amount,eligible\n1,2021,\xff\xfe,,\n")
    assert main(["awards", str(src), "--out", str(tmp_path / "l.csv")]) == 2
    assert "UTF-8" in capsys.readouterr().err


def test_missing_events_file_and_missing_out_folder(tmp_path, capsys):
    assert main(["awards", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "l.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err
    assert main(["awards", str(EXAMPLE), "--out", str(tmp_path / "no" / "l.csv")]) == 2
    assert "existing folder" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == []


def test_bad_scenario_names_key_and_leaves_no_ledger(tmp_path, capsys):
    scen = tmp_path / "s.toml"
    scen.write_text("[policy.switches]\np8a_frequncy = \"per_year\"\n")
    out = tmp_path / "l.csv"
    assert main(["awards", str(EXAMPLE), "--out", str(out), "--scenario", str(scen)]) == 2
    err = capsys.readouterr().err
    assert "policy.switches.p8a_frequncy" in err and "p8a_frequency" in err
    assert not out.exists()


def test_failed_write_leaves_old_ledger_and_no_temp(tmp_path, monkeypatch, capsys):
    out = tmp_path / "l.csv"
    out.write_text("old ledger\n")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    # An existing ledger is replaced only with --overwrite (issue 13), and a failure of the
    # machine is now one `error:` line with status 1 instead of a traceback.
    assert main(["awards", str(EXAMPLE), "--out", str(out), "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "disk full" in err and len(err.strip().splitlines()) == 1
    assert out.read_text() == "old ledger\n"
    assert sorted(os.listdir(tmp_path)) == ["l.csv"]


def test_eligible_spellings_and_blank_lines(tmp_path):
    src = tmp_path / "ev.csv"
    src.write_text("Unit_ID,Year,Event,Amount,Eligible\n"
                   "1,2022,hte_certified,,TRUE\n2,2022,hte_certified,,No\n\n"
                   "3,2022,hte_certified,,0\n4,2022,hte_certified,,yes\n5,2022.0,hte_certified,,\n",
                   encoding="utf-8")
    ev = read_events(src, POLICY)
    assert ev.eligible.tolist() == [True, False, False, True, True]
    assert ev.year.tolist() == [2022] * 5
    # an error after a blank line still names the spreadsheet row
    src.write_text("unit_id,year,event,amount,eligible\n1,2022,hte_certified,,\n\n"
                   "2,2022,bogus,,\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 4"):
        read_events(src, POLICY)


# -- parksim policy -------------------------------------------------------------------------


def test_policy_table_lists_every_clause_with_data_amounts(capsys):
    assert main(["policy"]) == 0
    out = capsys.readouterr().out
    for cid, c in POLICY.clauses.items():
        assert re.search(rf"^{cid}\s", out, re.M), cid
        assert f"A2 item {c.item}" in out
    for name in POLICY.switches:
        assert name in out
    assert "2020-06-16" in out and "2025-12-31" in out
    assert max(len(line) for line in out.splitlines()) <= 160
    # cells wrap, so check P4's row itself: amounts and units come from the clause data
    cid, item, name, trigger, award, caps, kind = _clause_row(POLICY, "P4", "en")
    assert (item, kind) == ("A2 item 4", "grant")
    assert award.startswith("3% of the contract")
    assert caps == "50 万元 per contract; 150 万元 per unit per year"
    _, _, _, _, award, caps, _ = _clause_row(POLICY.with_param("P4", "rate", 0.04), "P4", "en")
    assert award.startswith("4% ")
    assert _clause_row(POLICY, "P11", "en")[5].endswith("≥ 1,000 万元 enterprise investment")


def test_policy_in_chinese_both_positions(capsys):
    assert main(["--lang", "zh", "policy"]) == 0
    before = capsys.readouterr().out
    assert main(["policy", "--lang", "zh"]) == 0
    after = capsys.readouterr().out
    assert before == after
    for head in ("编号", "条目", "触发条件", "奖补标准", "上限", "类型", "开关", "有效期"):
        assert head in after
    assert "加大科技成" in after  # start of P4's Chinese label, from the data
    assert _clause_row(POLICY, "P4", "zh")[2] == "加大科技成果转化激励力度"


def test_policy_lists_the_background_layer(capsys, tmp_path):
    """"Background policies" from model/policy/background.toml: every entry, the regional
    amounts from the registry, the switch, the sources; the scenario's values with --scenario."""
    from model.behaviour.background import load_background

    assert main(["policy"]) == 0
    out = capsys.readouterr().out
    flat = re.sub(r"\s+", "", out)
    assert "Background policies" in out
    bg = load_background()
    assert {b.level for b in bg.values()} == {"national", "regional", "zone"}
    for b in bg.values():
        assert re.sub(r"\s+", "", b.label["en"]) in flat, b.id
        assert re.sub(r"\s+", "", b.quote) in flat, b.id
    assert "regional_award_new_hte=30万元" in flat and "regional_layer=1" in flat
    assert "ChinaDaily2022-03-04" in flat and "rules.toml" in out
    assert main(["policy", "--scenario", str(ROOT / "scenarios" / "no_regional_layer.toml")]) == 0
    assert "regional_layer=0" in re.sub(r"\s+", "", capsys.readouterr().out)
    assert main(["--lang", "zh", "policy"]) == 0
    zh = re.sub(r"\s+", "", capsys.readouterr().out)
    assert "背景政策" in zh and "自治区高新技术企业发展专项资金" in zh


def test_awards_in_chinese(tmp_path, capsys):
    assert main(["awards", str(EXAMPLE), "--out", str(tmp_path / "l.csv"), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "条款" in out and "合计" in out and "总计" in out and "基金投资" in out


def test_registry_and_help():
    assert [c.name for c in COMMANDS][:2] == ["policy", "awards"]
    r = run_cli("--help")
    assert r.returncode == 0 and "policy" in r.stdout and "awards" in r.stdout
    r = run_cli("awards")
    assert r.returncode == 2 and "Traceback" not in r.stderr  # argparse usage error


def test_console_script(tmp_path):
    exe = shutil.which("parksim", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("console script not installed")
    r = subprocess.run([exe, "awards", str(EXAMPLE), "--out", str(tmp_path / "l.csv")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "829.3716" in r.stdout
