"""`parksim compare` and `parksim scenarios`: common random numbers, outputs, clean failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from model.compare import _cost, compare, comparison_table, run
from model.scenario import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cmp():
    return compare([SCENARIOS / "baseline.toml", SCENARIOS / "hte_award_doubled.toml",
                    SCENARIOS / "baseline.toml"], replications=6, seed=42)


@pytest.fixture(scope="module")
def table(cmp):
    return comparison_table(cmp)


def val(table, scn, measure, item, stat="estimate"):
    m = ((table.scenario == scn) & (table.measure == measure) & (table["item"] == item)
         & (table.statistic == stat))
    assert m.sum() == 1, (scn, measure, item, stat)
    return float(table.loc[m, "value"].iloc[0])


def test_same_seed_same_roots(cmp):
    a, _, c = cmp.experiments
    np.testing.assert_array_equal(a.indicators, c.indicators)
    np.testing.assert_array_equal(a.paid, c.paid)


def test_a_scenario_against_itself_differs_by_exactly_zero(cmp, table):
    name = cmp.names[2]
    assert name == "baseline#2"
    for measure, item in (("cost_diff", "all"), ("indicator_diff", "T1"),
                          ("p_met_diff", "all"), ("additionality_diff", "T7")):
        for stat in ("estimate", "ci_low", "ci_high"):
            assert val(table, name, measure, item, stat) == 0.0


def test_paired_difference_is_sharper_than_unpaired(cmp, table):
    a, b = cmp.experiments[0], cmp.experiments[1]
    d = _cost(b) - _cost(a)
    est = val(table, "hte_award_doubled", "cost_diff", "all")
    assert est == pytest.approx(d.mean())
    assert est > 0  # a larger award costs more
    paired = val(table, "hte_award_doubled", "cost_diff", "all", "ci_high") - val(
        table, "hte_award_doubled", "cost_diff", "all", "ci_low")
    # the same interval from two independent samples would use sqrt(var_a + var_b): common
    # random numbers cut the spread of the difference by a quarter or more here. (The baseline
    # draws each replication's parameters from the calibration posterior, and how much the
    # doubled award adds varies with those parameters; at fixed parameters the cut is larger.)
    R = d.size
    independent_sd = np.sqrt(_cost(a).var(ddof=1) + _cost(b).var(ddof=1))
    assert d.std(ddof=1) < 0.75 * independent_sd
    assert paired == pytest.approx(2 * stats.t.ppf(0.975, R - 1) * d.std(ddof=1) / np.sqrt(R))


def test_table_has_wilson_intervals_and_quantiles(table):
    for scn in ("baseline", "hte_award_doubled"):
        for tid in ("T1", "T7", "all"):
            lo, est, hi = (val(table, scn, "p_met", tid, s) for s in ("ci_low", "estimate",
                                                                       "ci_high"))
            assert 0.0 <= lo <= est <= hi <= 1.0
        q = [val(table, scn, "cost", "all", s) for s in ("p5", "p50", "p90", "p95")]
        assert q == sorted(q) and q[0] > 0
        assert val(table, scn, "additionality", "T1") > 0  # the HTE award adds HTEs


def test_budget_scenario_reports_unpaid(tmp_path):
    out = run([SCENARIOS / "baseline.toml", SCENARIOS / "budget_capped.toml"], replications=3,
              seed=1, out=tmp_path / "cmp")
    # the run record (issue 13): run.json lists the files, run.local.json what varies
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "comparison.md",
                                                     "comparison.png", "run.json",
                                                     "run.local.json"]
    md = (out / "comparison.md").read_text(encoding="utf-8")
    assert "budget_capped" in md and "unpaid" in md and "Paired differences" in md
    assert not list(tmp_path.glob(".cmp.tmp-*"))
    man = json.loads((out / "run.json").read_text())
    assert man["kind"] == "compare" and man["files"] == ["comparison.csv", "comparison.md",
                                                         "comparison.png"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "model.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_bad_scenario_exits_2_without_output(tmp_path):
    bad = tmp_path / "bad.toml"
    base = (SCENARIOS / "baseline.toml").as_posix()
    bad.write_text(f'extends = "{base}"\n[policy.clauses.P6c]\nawrd = 40\n', encoding="utf-8")
    out = tmp_path / "out"
    r = cli("compare", str(SCENARIOS / "baseline.toml"), str(bad), "-R", "2", "--out", str(out),
            "--quiet")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bad.toml" in lines[0] and "policy.clauses.P6c.awrd" in lines[0]
    assert "did you mean 'award'" in lines[0]
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_cli_scenarios_lists_every_shipped_file():
    r = cli("scenarios")
    assert r.returncode == 0, r.stderr
    for p in SCENARIOS.glob("*.toml"):
        assert p.name in r.stdout
    assert "3,000 万元" in r.stdout
