"""Issue 18: what a new user meets first. Every option explains itself and shows its default,
one rule for default workers, zh output wholly Chinese, the no-font warning in one sentence,
and `parksim run --xlsx` / `compare --xlsx` write workbooks that openpyxl reads back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from model import cli, fonts, warmup
from model.cli import COMMANDS, HelpFormatter, build_parser, main
from model.workers import default_workers

ROOT = Path(__file__).resolve().parents[1]
BASE = str(ROOT / "scenarios" / "baseline.toml")
EXAMPLE = ROOT / "tests" / "cases" / "events_example.csv"


def subparser(name: str):
    parser = build_parser([name])
    return parser._subparsers._group_actions[0].choices[name]


@pytest.mark.parametrize("name", [c.name for c in COMMANDS])
def test_every_option_has_help_and_shows_its_default(name):
    p = subparser(name)
    fmt = HelpFormatter(p.prog)
    for a in p._actions:
        if a.dest == "help":
            continue
        assert a.help and a.help.strip(), f"{name} {a.option_strings or a.dest}: no help"
        takes_value = a.option_strings and a.nargs != 0 and not a.required
        if takes_value:
            text = fmt._get_help_string(a) % {"default": a.default}
            assert "default" in text, f"{name} {a.option_strings}: default not shown"
    assert p.format_help()  # the %(default)s in every help string formats


def test_one_rule_for_default_workers(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert default_workers() == 3
    for name in ("run", "compare", "sensitivity", "dashboard"):
        (w,) = [a for a in subparser(name)._actions if a.dest == "workers"]
        assert w.default == 3, name
    (w,) = [a for a in subparser("calibrate")._actions if a.dest == "workers"]
    assert w.default == 1  # pyabc's particles come in completion order: only 1 reproduces


ALLOW = {"Wilson", "True", "False"}  # Wilson: a name; True, False: switch values (codes)


def english(text: str) -> list[str]:
    """Untranslated English in Chinese output: two or more words in a row, or a capitalised
    word; codes (snake_case), commands, paths and `quoted` text are not labels."""
    found = []
    for line in text.splitlines():
        s = re.sub(r"`[^`]*`", "", line)
        s = re.sub(r"\S*[/\\]\S*", "", s)
        s = re.sub(r"parksim(?: [\w.<>-]+)+", "", s)
        for m in re.finditer(r"[A-Za-z][A-Za-z-]+(?: [A-Za-z][a-z-]+)+|\b[A-Z][a-z]{3,}\b", s):
            if m.group(0) not in ALLOW:
                found.append(f"{m.group(0)!r} in {line.strip()[:70]!r}")
    return found


def test_the_english_detector_sees_english():
    assert english("P3  Grant in year 1: 300万元; Follow-on fund")
    assert not english("P3  第一年资助: 300万元 [p3_followon] `parksim events`")


@pytest.mark.parametrize("argv", [["policy"], ["policy", "--quotes"], ["events"],
                                  ["scenarios"]])
def test_chinese_output_is_wholly_chinese(argv, capsys):
    assert main(["--lang", "zh", *argv]) == 0
    out = capsys.readouterr().out
    assert english(out) == []


def test_chinese_awards_output_and_ledger(tmp_path, capsys):
    out = tmp_path / "ledger.csv"
    assert main(["--lang", "zh", "awards", str(EXAMPLE), "--out", str(out)]) == 0
    assert english(capsys.readouterr().out) == []
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel on Chinese Windows


def test_every_clause_parameter_has_a_chinese_label():
    from model.i18n import PARAM_LABELS
    from model.policy.spec import load_policy

    policy = load_policy()
    labels = {cli._short(p.label) for c in policy.clauses.values() for p in c.params.values()}
    assert labels - set(PARAM_LABELS) == set()


def test_no_font_warning_is_one_sentence_with_the_fix(monkeypatch, capsys):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", set())
    assert fonts.figure_lang("zh") == "en"
    assert fonts.figure_lang("zh") == "en"  # once
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "make fonts" in err and "fonts-noto-cjk" in err
    assert "warn(" not in err and ".py" not in err  # no source line, no file name


def documented_sheets(command: str) -> list[str]:
    """The sheet names docs/outputs.md gives for `command`'s workbook, in order."""
    doc = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- sheets:{command} -->(.*?)<!-- /sheets -->", doc, re.S)
    assert m, f"docs/outputs.md names no sheets for {command}"
    return re.findall(r"^\| `([^`]+)` \|", m.group(1), re.M)


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("r") / "xlsx"
    assert main(["run", BASE, "-R", "6", "--seed", "5", "--out", str(out), "--xlsx",
                 "--workers", "1"]) == 0
    return out


def test_run_writes_a_workbook_openpyxl_reads(run_out):
    wb = openpyxl.load_workbook(run_out / "results.xlsx")
    assert wb.sheetnames == documented_sheets("run")
    wide = wb["fiscal by year"]
    rows = list(wide.iter_rows(values_only=True))
    head = rows[2]
    assert head[:2] == ("clause", "clause name")
    assert {"2020 P50 (万元)", "2020 P90 (万元)", "2020 P95 (万元)", "all years P95 (万元)"} \
        <= set(head)
    fiscal = pd.read_csv(run_out / "fiscal.csv", dtype={"year": str})
    p95 = fiscal[(fiscal.measure == "paid") & (fiscal.clause == "all") & (fiscal.kind == "all")
                 & (fiscal.year == "all") & (fiscal.statistic == "p95")]["value"].iloc[0]
    last = rows[-1]
    assert last[0] == "all"
    got = last[head.index("all years P95 (万元)")]
    assert isinstance(got, float | int) and got == pytest.approx(p95, rel=1e-9)
    targets = wb["targets"]
    header = [c.value for c in targets[1]]
    assert "probability" in header and "95% CI low" in header
    col = header.index("probability")
    assert all(isinstance(r[col], float | int) for r in targets.iter_rows(min_row=2,
                                                                          values_only=True))
    assert pd.read_csv(run_out / "indicators.csv").columns[-1] == "unit"
    assert not (run_out / "targets.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # en: none


def test_run_ends_with_the_time_and_the_headline(run_out, capsys):
    from model.report.headline import headline

    text = headline(run_out, "en", 8.24)
    lines = text.splitlines()
    assert lines[0] == "done in 8.2 s"
    tg = pd.read_csv(run_out / "targets.csv")
    t1 = tg[(tg.arm == "policy") & (tg.measure == "p_met") & (tg.target == "T1")].iloc[0]
    assert lines[1] == (f"P(T1 met) {100 * t1.probability:.1f}% [{100 * t1.ci_low:.1f}%, "
                        f"{100 * t1.ci_high:.1f}%]")
    assert sum(bool(re.fullmatch(r"P\(T\d met\) \d+\.\d% \[\d+\.\d%, \d+\.\d%\]", x))
               for x in lines) == 9
    assert re.search(r"total cost 2020-2025: P50 [\d,]+ 万元, P95 [\d,]+ 万元", text)
    assert "summary.md" in lines[-1]
    assert "after" in headline(run_out, "en", 8.0, 63.0).splitlines()[0]


def test_run_json_holds_nothing_volatile(run_out):
    meta = json.loads((run_out / "run.json").read_text())
    flat = json.dumps(meta)
    assert not {"wall_time_s", "compile_time_s", "workers", "host", "git", "command"} & set(meta)
    local = json.loads((run_out / "run.local.json").read_text())
    assert {"wall_time_s", "compile_time_s", "workers"} <= set(local)
    assert str(local["wall_time_s"]) not in flat
    summary = (run_out / "summary.md").read_text(encoding="utf-8")
    assert not re.search(r"\d+(\.\d+)? ?(s|seconds|秒)\b", summary)


def test_chinese_run_has_bom_and_a_chinese_workbook(tmp_path, capsys):
    out = tmp_path / "zh"
    assert main(["--lang", "zh", "run", BASE, "-R", "3", "--seed", "5", "--out", str(out),
                 "--xlsx", "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "P(T1达成)" in printed and english(printed) == []
    for f in ("targets.csv", "fiscal.csv", "indicators.csv"):
        assert (out / f).read_bytes().startswith(b"\xef\xbb\xbf"), f
    assert pd.read_csv(out / "targets.csv", encoding="utf-8-sig").columns[0] == "arm"
    wb = openpyxl.load_workbook(out / "results.xlsx")
    assert wb.sheetnames == documented_sheets("run_zh")


def test_the_compile_notice_comes_before_the_bar(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(warmup, "ANNOUNCE_AFTER_S", 0.0)  # as if the kernels were compiling
    out = tmp_path / "n"
    assert main(["run", BASE, "-R", "2", "--seed", "5", "--out", str(out),
                 "--workers", "1"]) == 0
    err = capsys.readouterr().err
    notice = err.find("compiling the engine once, about a minute")
    assert 0 <= notice < err.find("baseline (batch)")
    local = json.loads((out / "run.local.json").read_text())
    assert local["compile_time_s"] > 0


def test_compare_has_runs_options_and_a_workbook(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["compare", BASE, "no_policy", "-R", "4", "--seed", "3", "--out", str(out),
                 "--budget-line", "2500", "--engine", "batch", "--workers", "1", "--xlsx",
                 "--quiet"]) == 0
    table = pd.read_csv(out / "comparison.csv")
    assert {"p_exceeds", "p_exceeds_diff"} <= set(table.measure)
    assert "2,500 万元" in (out / "comparison.md").read_text(encoding="utf-8")
    wb = openpyxl.load_workbook(out / "comparison.xlsx")
    assert wb.sheetnames == documented_sheets("compare")
    meta = json.loads((out / "run.json").read_text())
    assert meta["budget_line_wan_yuan"] == 2500 and "workers" not in meta


def test_a_warning_is_one_line_said_once(monkeypatch, capsys):
    """Python's default format prints the warning's file, line and source line; the warm-up
    run and the real run raise the same warning (e.g. a stale posterior column) twice."""
    import types
    import warnings

    from model import cli

    def run(args):
        for _ in range(2):
            warnings.warn("calibration/posterior.csv: x is not drawn", stacklevel=1)
        return 0

    fake = types.SimpleNamespace(parse_args=lambda argv: types.SimpleNamespace(_run=run,
                                                                               lang="en"))
    monkeypatch.setattr(cli, "build_parser", lambda argv: fake)
    monkeypatch.setattr(cli, "_WARNED", set(), raising=False)
    assert cli.main(["run"]) == 0
    assert capsys.readouterr().err == "warning: calibration/posterior.csv: x is not drawn\n"
