"""`parksim run`: every file written, readable summary, clean failures, engines agree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from model.report import run_command
from model.targets import TARGET_IDS, load_targets

ROOT = Path(__file__).resolve().parents[1]
BASE = str(ROOT / "scenarios" / "baseline.toml")


def _cmd() -> list[str]:
    """`parksim run` through the CLI when it registers the command, else standalone."""
    try:
        import model.cli as cli  # noqa: F401

        src = Path(cli.__file__).read_text()
        if "run_command" in src:
            return [sys.executable, "-m", "model.cli", "run"]
    except ImportError:
        pass
    return [sys.executable, "-m", "model.report.run_command"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*_cmd(), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("b") / "baseline_small"
    assert run_command.main([BASE, "-R", "4", "--seed", "11", "--out", str(out), "--quiet",
                             "--budget-line", "2500"]) == 0
    return out


def test_writes_every_file(batch_out):
    for f in run_command.FILES:
        assert (batch_out / f).is_file() and (batch_out / f).stat().st_size > 0, f
    assert not list(batch_out.parent.glob(".*tmp*"))
    meta = json.loads((batch_out / "run.json").read_text())
    assert meta["kind"] == "run" and sorted(meta["files"]) == sorted(
        f for f in run_command.FILES if f != "run.json")
    assert meta["root_seed"] == 11 and meta["replications"] == 4 and meta["engine"] == "batch"
    assert len(meta["scenario"]["digest"]) == 16 and meta["scenario"]["contents"]["name"]
    assert meta["versions"]["numpy"] and meta["versions"]["mesa"] == "3.5.1"
    assert meta["ledger_check"]["agree"] is True
    # what changes from run to run is in the untracked run.local.json, never in run.json
    local = json.loads((batch_out / "run.local.json").read_text())
    assert local["git"]["commit"] is None or len(local["git"]["commit"]) == 40
    assert local["wall_time_s"] > 0 and local["workers"] == 1
    # the CPU features NumPy and numba dispatched on (issue 14): recorded, never in run.json
    assert local["machine"]["numpy"]["cpu_features"] and local["machine"]["numba"]["target_cpu"]
    assert not {"git", "wall_time_s", "workers", "chunk", "command", "machine"} & set(meta)
    t = pd.read_csv(batch_out / "targets.csv")
    assert set(t.target) >= {*TARGET_IDS, "all", "count"}
    f = pd.read_csv(batch_out / "fiscal.csv", dtype={"year": str})
    assert {"paid", "committed", "p_exceeds", "cap_bound"} <= set(f.measure)


def test_summary_mentions_each_target(batch_out):
    s = (batch_out / "summary.md").read_text()
    targets = load_targets()
    for tid in TARGET_IDS:
        assert f"{tid} {targets[tid]['label']['en']}" in s
    for word in ("万元", "Budget line 2,500", "Cost per additional", "![fan_chart.png]"):
        assert word in s


def test_mesa_engine_gives_the_same_tables(batch_out, tmp_path):
    out = tmp_path / "m"
    assert run_command.main([BASE, "-R", "4", "--seed", "11", "--out", str(out), "--quiet",
                             "--budget-line", "2500", "--engine", "mesa", "--lang", "zh"]) == 0
    for f in ("targets.csv", "indicators.csv", "fiscal.csv", "additionality.csv",
              "ledger_sample.csv"):
        assert (out / f).read_bytes() == (batch_out / f).read_bytes(), f
    s = (out / "summary.md").read_text()
    assert "高新技术企业" in s and "九项" in s
    assert json.loads((out / "run.json").read_text())["engine"] == "mesa"


def test_missing_scenario_exits_2_and_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    r = _run(str(tmp_path / "nope.toml"), "-R", "2", "--out", str(out), "--quiet")
    assert r.returncode == 2, r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "nope.toml" in lines[0] and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", ["name = 'x'\n[run\nseed = 1\n",
                                     "name = 'x'\n[run]\nreplications = 0\n"])
def test_malformed_scenario_exits_2_and_leaves_nothing(tmp_path, content, capsys):
    scen = tmp_path / "bad.toml"
    scen.write_text(content)
    out = tmp_path / "out"
    assert run_command.main([str(scen), "-R", "2", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.toml" in err
    assert list(tmp_path.iterdir()) == [scen]


def test_failed_run_keeps_old_folder_and_rerun_replaces_it_whole(tmp_path, monkeypatch):
    # Issue 13: the old folder is now an earlier parksim run (a folder of other files is
    # refused before any work, tests/test_safety.py); its files are replaced, nothing else.
    out = tmp_path / "res"
    run_command.run(BASE, replications=2, seed=1, out=out, progress=False)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "run.local.json"}

    def boom(*a, **k):
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(run_command.figures, "targets_chart", boom)
        with pytest.raises(RuntimeError):
            run_command.run(BASE, replications=3, seed=2, out=out, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no temp folder left
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "run.local.json"}
    assert after == before  # the old results untouched, no staging folder inside
    run_command.run(BASE, replications=3, seed=2, out=out, progress=False)
    assert json.loads((out / "run.json").read_text())["replications"] == 3
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*run_command.FILES, "run.local.json"])
