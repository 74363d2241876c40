"""Issue 13: never lose a user's file, and refuse bad input before any work starts.

Each test reproduces one finding of the issue as a user meets it (`Found n`), run through the
command line in-process (`model.cli.main`) or as a process where signals are concerned; each
failed on the code before the issue. Refusals must come with exit status 2, one `error:` line
naming the file or option, and no traceback; nothing outside the output place may change.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from model.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "baseline.toml"
EXAMPLE = ROOT / "tests" / "cases" / "events_example.csv"
HEADER = "unit_id,year,event,amount,eligible\n"


def tree(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under `folder` with its mode and (files) bytes: a snapshot to compare."""
    out = {}
    for p in sorted(folder.rglob("*")):
        st = os.lstat(p)
        data = p.read_bytes() if stat.S_ISREG(st.st_mode) else None
        out[str(p.relative_to(folder))] = (stat.S_IFMT(st.st_mode), data)
    return out


def refused(capsys, *needles: str) -> str:
    """The single error line printed for a refusal, checked for `needles`."""
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def scenario(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    """A scenario file extending the baseline (absolute path, so it can live anywhere)."""
    p = tmp_path / name
    p.write_text(f'extends = "{BASE}"\n' + body, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory) -> Path:
    """One small `parksim run` output (R = 2, seed 3), copied by the tests that need one."""
    out = tmp_path_factory.mktemp("earlier") / "res"
    assert main(["run", str(BASE), "-R", "2", "--seed", "3", "--out", str(out), "--quiet"]) == 0
    return out


def copy_of(folder: Path, to: Path) -> Path:
    import shutil

    shutil.copytree(folder, to)
    return to


@pytest.fixture
def no_work(monkeypatch):
    """Make the simulation itself fail the test: refusals must come before any work."""
    def work(*a, **k):
        raise AssertionError("the simulation started before the input was refused")

    import model.compare as compare
    import model.report.run_command as run_command

    monkeypatch.setattr(run_command, "monte_carlo", work)
    monkeypatch.setattr(compare, "monte_carlo", work)


# -- Found 1: --out at an existing folder or file ---------------------------------------------
@pytest.mark.parametrize("command", ["run", "compare"])
def test_out_at_a_folder_of_documents_is_refused_and_left_alone(tmp_path, capsys, no_work,
                                                                command):
    v = tmp_path / "V"
    v.mkdir()
    (v / "thesis.docx").write_bytes(b"x")
    before = tree(tmp_path)
    args = ([command, str(BASE)] if command == "run"
            else [command, str(BASE), "no_policy"]) + ["-R", "3", "--out", str(v), "--quiet"]
    assert main(args) == 2
    refused(capsys, str(v), "thesis.docx", "parksim did not write")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("command", ["run", "compare"])
def test_out_at_an_existing_file_is_refused_not_renamed(tmp_path, capsys, no_work, command):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    args = ([command, str(BASE)] if command == "run"
            else [command, str(BASE), "no_policy"]) + ["-R", "3", "--out", str(f), "--quiet"]
    assert main(args) == 2
    refused(capsys, str(f), "is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # no .notes.txt.old-PID
    assert f.read_text() == "mine"


def test_rerun_replaces_only_parksims_own_files(tmp_path, earlier_run):
    out = copy_of(earlier_run, tmp_path / "res")
    (out / "my_notes.md").write_text("kept")  # a user's note beside parksim's output
    first = json.loads((out / "run.json").read_text())
    assert first["kind"] == "run" and "summary.md" in first["files"]
    assert main(["run", str(BASE), "-R", "2", "--seed", "4", "--out", str(out), "--quiet"]) == 0
    assert (out / "my_notes.md").read_text() == "kept"
    assert json.loads((out / "run.json").read_text())["root_seed"] == 4
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_commit_killed_halfway_is_flagged_and_repaired_by_the_next_run(tmp_path,
                                                                          monkeypatch):
    from model import outputs

    out = tmp_path / "o"
    place = outputs.prepare_folder(out, "compare", writes=("a.csv", "b.csv"))
    for name in ("a.csv", "b.csv"):
        (place.staging / name).write_text("old " + name)
    place.commit({"kind": "compare"}, {})
    place = outputs.prepare_folder(out, "compare", writes=("a.csv", "b.csv"))
    for name in ("a.csv", "b.csv"):
        (place.staging / name).write_text("new " + name)
    real, moved = os.replace, []

    def killed_after_one(src, dst):
        if moved and str(dst).endswith(".csv"):
            raise KeyboardInterrupt  # the process dies between two renames
        moved.append(dst)
        real(src, dst)

    monkeypatch.setattr(outputs.os, "replace", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        place.commit({"kind": "compare"}, {})
    monkeypatch.setattr(outputs.os, "replace", real)
    assert not (out / "run.json").exists()  # a mixed folder never claims to be complete
    assert (out / outputs.JOURNAL).exists()
    place = outputs.prepare_folder(out, "compare", writes=("a.csv", "b.csv"))  # recognised
    for name in ("a.csv", "b.csv"):
        (place.staging / name).write_text("newer " + name)
    place.commit({"kind": "compare"}, {})
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.csv", "run.json",
                                                     "run.local.json"]
    assert (out / "b.csv").read_text() == "newer b.csv"


def test_staging_left_by_a_killed_run_is_removed_by_the_next(tmp_path, earlier_run):
    out = copy_of(earlier_run, tmp_path / "res")
    dead = out / ".parksim-tmp-999999999-abc"
    dead.mkdir()
    (dead / "half.csv").write_text("x")
    from model import outputs
    from model.report.run_command import FILES

    outputs.prepare_folder(out, "run", writes=FILES).discard()  # what `run` does first
    assert not dead.exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in earlier_run.iterdir())


def test_run_into_another_kind_of_parksim_folder_is_refused(tmp_path, capsys, no_work):
    out = tmp_path / "res"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"kind": "compare", "files": []}))
    assert main(["run", str(BASE), "-R", "2", "--out", str(out), "--quiet"]) == 2
    refused(capsys, "compare output")


# -- Found 2: a scenario's name used as a path --------------------------------------------------
@pytest.mark.parametrize("name", ["../../t/victim", "", "/tmp/x", "a/b", "..", ".hidden",
                                  "-rf", "x y"])
def test_scenario_name_is_an_identifier_never_a_path(tmp_path, capsys, no_work, name):
    victim = tmp_path / "t" / "victim"
    victim.mkdir(parents=True)
    (victim / "keep.txt").write_text("mine")
    results = tree(ROOT / "results")
    s = scenario(tmp_path, f"name = {json.dumps(name)}\n")
    assert main(["run", str(s), "-R", "2", "--quiet"]) == 2
    refused(capsys, "s.toml", "name")
    assert (victim / "keep.txt").read_text() == "mine"
    assert tree(ROOT / "results") == results


@pytest.mark.parametrize("name", ["calibration", "sensitivity", "baseline", "dashboard"])
def test_a_name_never_reaches_a_shipped_reference_folder_by_default(tmp_path, capsys, no_work,
                                                                     name):
    results = tree(ROOT / "results")
    s = scenario(tmp_path, f'name = "{name}"\n')
    assert main(["run", str(s), "-R", "2", "--quiet"]) == 2
    refused(capsys, f"results/{name}", "--out")
    assert tree(ROOT / "results") == results


def test_names_with_cjk_characters_are_fine(tmp_path):
    from model.scenario import load_scenario

    assert load_scenario(scenario(tmp_path, 'name = "基线_2"\n')).name == "基线_2"


# -- Found 3: the atomic writer renamed over anything --------------------------------------------
def test_awards_never_replaces_a_device(capsys):
    assert main(["awards", str(EXAMPLE), "--out", "/dev/null", "--overwrite"]) == 2
    refused(capsys, "/dev/null", "device")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_awards_never_replaces_a_fifo_a_symlink_or_its_input(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    target = tmp_path / "target.csv"
    target.write_text("mine")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    events = tmp_path / "ev.csv"
    events.write_bytes(EXAMPLE.read_bytes())
    before = tree(tmp_path)
    for out, word in ((fifo, "FIFO"), (link, "symbolic link"), (events, "input")):
        assert main(["awards", str(events), "--out", str(out), "--overwrite"]) == 2
        refused(capsys, str(out), word)
    assert tree(tmp_path) == before


def test_awards_out_at_a_folder_is_a_clean_refusal(tmp_path, capsys):
    assert main(["awards", str(EXAMPLE), "--out", str(tmp_path)]) == 2
    refused(capsys, "folder")
    assert list(tmp_path.iterdir()) == []


def test_awards_replaces_an_existing_ledger_only_with_overwrite(tmp_path, capsys):
    out = tmp_path / "ledger.csv"
    out.write_text("old")
    assert main(["awards", str(EXAMPLE), "--out", str(out)]) == 2
    refused(capsys, "--overwrite")
    assert out.read_text() == "old"
    assert main(["awards", str(EXAMPLE), "--out", str(out), "--overwrite"]) == 0
    assert out.read_text().startswith("unit_id,")


# -- Found 4: NaN and infinity --------------------------------------------------------------------
@pytest.mark.parametrize("body,key", [
    ("[policy.clauses.P6c]\naward = nan\n", "policy.clauses.P6c.award"),
    ("[policy.clauses.P6c]\naward = inf\n", "policy.clauses.P6c.award"),
    ("[policy.clauses.P4]\nrate = nan\n", "policy.clauses.P4.rate"),
    ("[policy.clauses.P6c]\naward = 1e308\n", "policy.clauses.P6c.award"),
    ("[budget]\ntotal = nan\n", "budget.total"),
    ("[budget]\ntotal = inf\n", "budget.total"),
])
@pytest.mark.parametrize("command", ["run", "compare"])
def test_nan_inf_and_huge_values_are_refused_at_the_door(tmp_path, capsys, no_work, body, key,
                                                         command):
    s = scenario(tmp_path, 'name = "bad"\n' + body)
    args = [command, str(s)] if command == "run" else [command, str(BASE), str(s)]
    assert main([*args, "-R", "2", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    refused(capsys, "s.toml", key)
    assert not (tmp_path / "o").exists()


# -- Found 5: spreadsheet formula injection -----------------------------------------------------
EXTRA_CLAUSE = """[policy.extra_clauses.{cid}]
item = 22
kind = "grant"
beneficiary = "enterprise"
formula = "fixed"
quote = "q"
label = {{en = "voucher"}}
trigger = {{en = "an HTE certified"}}
triggers = [{{event = "hte_certified", param = "award"}}]
params.award = {{value = 1.0, unit = "万元 one-off", label = "a", source = "assumption"}}
"""


def test_a_complete_extra_clause_with_a_plain_id_loads(tmp_path):
    from model.scenario import load_scenario

    sc = load_scenario(scenario(tmp_path, 'name = "ok"\n' + EXTRA_CLAUSE.format(cid="V1")))
    assert "V1" in sc.policy.clause_ids  # so the refusal above is about the id alone



@pytest.mark.parametrize("body,key", [
    ('name = "=HYPERLINK(\\"http://evil.example\\",\\"x\\")"\n', "name"),
    ('name = "+cmd"\n', "name"), ('name = "@SUM(A1)"\n', "name"),
    ('name = "\\tx"\n', "name"), ('name = "-x"\n', "name"),
    ('name = "ok"\n' + EXTRA_CLAUSE.format(cid='"=HYPERLINK(1)"'),
     "policy.extra_clauses.=HYPERLINK(1)"),
])
def test_formula_names_and_clause_ids_are_refused(tmp_path, capsys, no_work, body, key):
    s = scenario(tmp_path, body)
    assert main(["run", str(s), "-R", "2", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    refused(capsys, "s.toml", key)


@pytest.mark.parametrize("cell,safe", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1+1", "'+1+1"), ("@A1", "'@A1"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-x", "'-x"), ("-", "'-"),
    ("-5", "-5"), ("-0.25", "-0.25"), ("P6c", "P6c"), ("", ""), ("基线", "基线"),
])
def test_safe_cell_prefixes_formula_starts_only(cell, safe):
    from model.outputs import safe_cell

    assert safe_cell(cell) == safe
    assert safe_cell(-5.0) == -5.0 and safe_cell(3) == 3


def test_csv_writer_escapes_free_text_cells(tmp_path):
    from model.outputs import write_csv

    write_csv(pd.DataFrame({"unit_id": ["=1+1", "ok"], "amount": [-1.5, 2.0]}),
              tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["unit_id"].tolist() == ["'=1+1", "ok"] and back["amount"].tolist() == [-1.5, 2]


# -- Found 6: the output place checked after the work ---------------------------------------
def _read_only_place(tmp_path: Path) -> Path:
    """A folder parksim may not create anything in (a read-only file system for root)."""
    if os.geteuid() == 0:
        return Path("/proc/parksim-test/res")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    return ro / "res"


def test_unwritable_out_is_refused_before_the_simulation(tmp_path, capsys, no_work):
    out = _read_only_place(tmp_path)
    assert main(["run", str(BASE), "-R", "1000", "--out", str(out), "--quiet"]) == 2
    refused(capsys, "--out")


@pytest.mark.parametrize("out", ["file.txt/sub", "file.txt"])
def test_out_below_a_file_is_refused(tmp_path, capsys, no_work, out, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("mine")
    assert main(["run", str(BASE), "-R", "2", "--out", out, "--quiet"]) == 2
    refused(capsys, "file.txt")
    assert (tmp_path / "file.txt").read_text() == "mine"


def test_out_dot_works_in_an_empty_folder_and_is_refused_in_a_busy_one(tmp_path, capsys,
                                                                      monkeypatch):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "a.txt").write_text("mine")
    monkeypatch.chdir(busy)
    assert main(["run", str(BASE), "-R", "2", "--out", ".", "--quiet"]) == 2
    refused(capsys, "a.txt")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    assert main(["run", str(BASE), "-R", "2", "--out", ".", "--quiet"]) == 0
    assert (empty / "run.json").is_file() and (empty / "summary.md").is_file()
    assert not [p for p in empty.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("bad", ["file", "below_file", "read_only"])
def test_sensitivity_and_calibrate_refuse_a_bad_out_cleanly(tmp_path, capsys, bad):
    (tmp_path / "f").write_text("mine")
    out = {"file": tmp_path / "f", "below_file": tmp_path / "f" / "sub",
           "read_only": _read_only_place(tmp_path)}[bad]
    assert main(["sensitivity", "baseline", "--n", "8", "-R", "1", "--workers", "1",
                 "--out", str(out)]) == 2
    refused(capsys, "--out")
    assert main(["calibrate", "--out", str(out), "--no-validate", "--budget", "8",
                 "--population", "2", "--replications", "1"]) == 2
    refused(capsys, "--out")
    assert (tmp_path / "f").read_text() == "mine"


# -- Found 7: tracebacks from bad values ----------------------------------------------------------
def test_negative_seed_is_refused_by_every_command(capsys, tmp_path, no_work):
    with socket.socket() as busy:  # the dashboard must refuse the seed before it serves
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        for args in (["run", str(BASE), "-R", "2"], ["compare", str(BASE), "no_policy"],
                     ["sensitivity", "baseline", "--n", "8", "--out", str(tmp_path / "s")],
                     ["dashboard", "--port", port],
                     ["calibrate", "--out", str(tmp_path / "c")]):
            assert main([*args, "--seed", "-1"]) == 2, args
            refused(capsys, "--seed")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("row,col", [
    ("1,99999,hte_certified,,", "year"), ("1,-5,hte_certified,,", "year"),
    ("1,1948,hte_certified,,", "year"), ("1,2101,hte_certified,,", "year"),
    ("100000000000000000000000,2021,hte_certified,,", "unit_id"),
    ("1,100000000000000000000000,hte_certified,,", "year"),
    ("1,2021,tech_contract,1e400,", "amount"), ("1,2021,tech_contract,1e300,", "amount"),
])
def test_implausible_event_values_are_refused(tmp_path, capsys, row, col):
    ev = tmp_path / "ev.csv"
    ev.write_text(HEADER + row + "\n")
    assert main(["awards", str(ev), "--out", str(tmp_path / "l.csv")]) == 2
    refused(capsys, "ev.csv", "row 2", f"'{col}'")
    assert not (tmp_path / "l.csv").exists()


def test_years_outside_the_window_stay_valid_and_earn_nothing(tmp_path):
    ev = tmp_path / "ev.csv"
    ev.write_text(HEADER + "1,2019,hte_certified,,\n2,2026,hte_certified,,\n"
                  "3,1949,hte_certified,,\n4,2100,hte_certified,,\n")
    out = tmp_path / "l.csv"
    assert main(["awards", str(ev), "--out", str(out)]) == 0
    led = pd.read_csv(out, keep_default_na=False)
    assert (led["amount"] == 0).all() and set(led["reason"]) == {"out_of_window"}


def test_a_run_too_big_for_memory_is_refused_within_seconds(tmp_path, capsys, no_work):
    t0 = time.monotonic()
    assert main(["run", str(BASE), "-R", "1000000000", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    assert time.monotonic() - t0 < 30
    refused(capsys, "memory", "--replications")
    assert not (tmp_path / "o").exists()
    assert main(["run", str(BASE), "-R", "20000000", "--engine", "mesa", "--out",
                 str(tmp_path / "o"), "--quiet"]) == 2
    refused(capsys)  # memory or a day: either way, before any work
    assert not (tmp_path / "o").exists()


def test_a_huge_sensitivity_design_is_refused(tmp_path, capsys):
    t0 = time.monotonic()
    assert main(["sensitivity", "baseline", "--n", "1099511627776", "--out",
                 str(tmp_path / "s")]) == 2
    assert time.monotonic() - t0 < 30
    refused(capsys, "--n")
    assert not (tmp_path / "s").exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("addr", ["notaurl", "tcp://x", "http://127.0.0.1:1", "closed"])
def test_scheduler_address_checked_and_an_unreachable_one_refused_quickly(tmp_path, capsys,
                                                                           addr):
    if addr == "closed":
        addr = f"tcp://127.0.0.1:{_closed_port()}"
    t0 = time.monotonic()
    assert main(["sensitivity", "baseline", "--n", "8", "-R", "1", "--scheduler", addr,
                 "--out", str(tmp_path / "s")]) == 2
    assert time.monotonic() - t0 < 15
    refused(capsys, "--scheduler")
    assert not (tmp_path / "s").exists()


def test_gbk_scenario_is_refused_naming_the_encoding_and_the_fix(tmp_path, capsys, no_work):
    s = tmp_path / "gbk.toml"
    s.write_bytes(f'extends = "{BASE}"\nname = "gbk"\npurpose = "基线情景"\n'.encode("gbk"))
    assert main(["run", str(s), "-R", "2", "--quiet"]) == 2
    refused(capsys, "gbk.toml", "UTF-8", "GBK", "iconv")


def test_utf8_with_bom_is_read(tmp_path):
    from model.policy.events_io import read_events
    from model.policy.spec import load_policy
    from model.scenario import load_scenario

    s = tmp_path / "bom.toml"
    s.write_bytes(b"\xef\xbb\xbf" + f'extends = "{BASE}"\nname = "bom"\n'.encode())
    assert load_scenario(s).name == "bom"
    ev = tmp_path / "ev.csv"
    ev.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    assert len(read_events(ev, load_policy())) > 10


def test_gbk_events_and_binary_facts_are_refused(tmp_path, capsys):
    ev = tmp_path / "ev.csv"
    ev.write_bytes((HEADER + "1,2021,hte_certified,,是\n").encode("gbk"))
    assert main(["awards", str(ev), "--out", str(tmp_path / "l.csv")]) == 2
    refused(capsys, "ev.csv", "GBK")
    binary = tmp_path / "facts.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    assert main(["calibrate", "--facts", str(binary), "--out", str(tmp_path / "c"),
                 "--no-validate", "--budget", "8", "--population", "2",
                 "--replications", "1"]) == 2
    refused(capsys, "facts.bin")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ev.csv", "facts.bin"]


# -- Found 9: signals ----------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _alive(pids: list[int]) -> list[int]:
    import psutil

    out = []
    for p in pids:
        try:
            if psutil.Process(p).status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def _gone_within(pids: list[int], seconds: float) -> list[int]:
    """The processes of `pids` still alive after up to `seconds`."""
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


def _kill_parent_outright(proc: subprocess.Popen, workers: list[int]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert _gone_within(workers, 20) == [], "workers survived their parent"


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "model.cli", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for_workers(proc: subprocess.Popen, n: int, timeout: float = 240) -> list[int]:
    """The pool's worker processes (spawned Python children), once `n` of them run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = [p for p in _children(proc.pid) if _is_pool_worker(p)]
        if len(kids) >= n:
            time.sleep(1.0)  # let them take work
            return kids
        if proc.poll() is not None:
            raise AssertionError(f"exited early: {proc.stderr.read()}")
        time.sleep(0.2)
    raise AssertionError("no workers started")


def _is_pool_worker(pid: int) -> bool:
    import psutil

    try:
        cmd = " ".join(psutil.Process(pid).cmdline())
    except psutil.NoSuchProcess:
        return False
    return "multiprocessing" in cmd and "resource_tracker" not in cmd


@pytest.mark.parametrize("command", ["run", "sensitivity"])
def test_workers_die_when_their_parent_is_killed_outright(tmp_path, command):
    out = tmp_path / "o"
    args = (["run", str(BASE), "-R", "2000", "--workers", "2", "--chunk", "100"]
            if command == "run" else
            ["sensitivity", "baseline", "--n", "256", "-R", "8", "--workers", "2"])
    proc = _start([*args, "--out", str(out), "--quiet"] if command == "run"
                  else [*args, "--out", str(out)], tmp_path)
    workers: list[int] = []
    try:
        workers = _wait_for_workers(proc, 2)
        _kill_parent_outright(proc, workers)
    finally:  # whatever survived (on the code before issue 13, the workers did)
        for p in _alive([proc.pid, *_children(proc.pid), *workers]):
            os.kill(p, signal.SIGKILL)


POOL_FROM_A_THREAD = """
import threading, time
from model.workers import process_pool
pools = []
t = threading.Thread(target=lambda: pools.append(process_pool(2)))
t.start(); t.join()  # the thread that started the workers is gone (as the dashboard's is)
print("ready", flush=True)
time.sleep(600)
"""


def test_workers_of_a_pool_started_by_another_thread_outlive_it_but_not_the_process():
    proc = subprocess.Popen([sys.executable, "-c", POOL_FROM_A_THREAD], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    workers: list[int] = []
    try:
        assert proc.stdout.readline().strip() == "ready"
        workers = [p for p in _children(proc.pid) if _is_pool_worker(p)]
        assert len(workers) == 2
        time.sleep(1.5)  # PR_SET_PDEATHSIG would have fired when the thread ended
        assert _alive(workers) == workers, "workers died with the thread that started them"
        _kill_parent_outright(proc, workers)
    finally:
        for p in _alive([proc.pid, *workers]):
            os.kill(p, signal.SIGKILL)


def test_ctrl_c_ends_with_one_line_and_status_130_leaving_the_old_results(tmp_path,
                                                                           earlier_run):
    out = copy_of(earlier_run, tmp_path / "o")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "run.local.json"}
    proc = _start(["run", str(BASE), "-R", "3000", "--workers", "2", "--chunk", "100",
                   "--out", str(out), "--quiet"], tmp_path)
    workers = _wait_for_workers(proc, 2)
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C: the whole group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0] and "Traceback" not in err, err
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "run.local.json"}
    assert after == before  # consistent: the old results, no staging folder
    assert _gone_within(workers, 20) == []


# -- Found 10: smaller ones -------------------------------------------------------------------
def test_rows_zeroed_by_the_unit_year_cap_say_why(tmp_path, capsys):
    ev = tmp_path / "ev.csv"
    ev.write_text(HEADER + "1,2021,tech_contract,5000,\n1,2021,tech_contract,5000,\n"
                  "1,2021,tech_contract,5000,\n1,2021,tech_contract,5000,\n")
    assert main(["awards", str(ev), "--out", str(tmp_path / "l.csv")]) == 0
    out = capsys.readouterr().out
    reasons = out.split("by reason:")[1].strip().splitlines()
    assert reasons and all(not r.strip().startswith(":") for r in reasons), out
    assert any("cap per unit and year" in r for r in reasons), out


def test_event_row_is_the_spreadsheet_row_of_the_event(tmp_path):
    ev = tmp_path / "ev.csv"
    ev.write_text(HEADER + "1,2021,hte_certified,,\n\n2,2022,hte_certified,,\n")
    out = tmp_path / "l.csv"
    assert main(["awards", str(ev), "--out", str(out)]) == 0
    led = pd.read_csv(out, keep_default_na=False)
    assert sorted(led.loc[led.clause == "P6c", "event_row"]) == [2, 4]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "1,2021,hte_certified,,\n\n2,20x2,hte_certified,,\n")
    with pytest.raises(Exception, match="row 4"):
        from model.policy.events_io import read_events
        from model.policy.spec import load_policy

        read_events(bad, load_policy())


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_ledger_and_results_follow_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        out = tmp_path / "l.csv"
        assert main(["awards", str(EXAMPLE), "--out", str(out)]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o666 & ~mask


def test_minus_zero_amounts_become_zero(tmp_path):
    ev = tmp_path / "ev.csv"
    ev.write_text(HEADER + "1,2021,tech_contract,-0.0,\n")
    out = tmp_path / "l.csv"
    assert main(["awards", str(ev), "--out", str(out)]) == 0
    assert "-0" not in out.read_text()
    from model.scenario import load_scenario

    sc = load_scenario(scenario(tmp_path, 'name = "z"\n[policy.clauses.P6c]\naward = -0.0\n'))
    import math

    assert math.copysign(1.0, sc.policy.value("P6c", "award")) == 1.0


def test_an_empty_budget_table_is_an_error(tmp_path, capsys, no_work):
    s = scenario(tmp_path, 'name = "b"\n[budget]\n')
    assert main(["run", str(s), "-R", "2", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    refused(capsys, "s.toml", "budget", "enabled = false")


@pytest.mark.parametrize("args,option", [
    (["compare", str(BASE), "no_policy", "--chunk", "0"], "--chunk"),
    (["run", str(BASE), "--chunk", "0"], "--chunk"),
    (["run", str(BASE), "--workers", "0"], "--workers"),
    (["run", str(BASE), "--budget-line", "nan"], "--budget-line"),
    (["run", str(BASE), "--budget-line", "inf"], "--budget-line"),
    (["sensitivity", "baseline", "--n", "8", "--chunk-runs", "0"], "--chunk-runs"),
    (["sensitivity", "baseline", "--n", "8", "--chunk-runs", "-5"], "--chunk-runs"),
    (["sensitivity", "baseline", "--n", "8", "--retries", "-1"], "--retries"),
    (["sensitivity", "baseline", "--n", "8", "--workers", "0"], "--workers"),
])
def test_bad_command_line_numbers_are_refused(tmp_path, capsys, no_work, args, option):
    assert main([*args, "-R", "2", "--out", str(tmp_path / "o")]) == 2
    refused(capsys, option)
    assert not (tmp_path / "o").exists()


def test_calibrate_budget_below_one_generation_is_refused(tmp_path, capsys):
    assert main(["calibrate", "--budget", "40", "--out", str(tmp_path / "c")]) == 2
    refused(capsys, "--budget")
    assert list(tmp_path.iterdir()) == []


def test_calibrate_budget_is_a_hard_cap():
    from model.calibration.abc import Settings, calibrate

    # pyabc checked its budget only between generations: --budget 40 made 78 runs
    cal = calibrate(Settings(population_size=10, replications=2, generations=6, budget=100,
                             seed=3))
    assert len(cal.info["epsilon_schedule"]) >= 1  # at least one complete generation
    assert cal.info["model_runs"] <= 100
    assert cal.info["stopped_by"] == "budget"


def test_calibrate_never_defaults_to_the_shipped_posterior(capsys):
    from model.cli import build_parser

    with pytest.raises(SystemExit) as e:
        build_parser(["calibrate"]).parse_args(["calibrate"])
    assert e.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_dashboard_saves_replace_a_file_only_with_overwrite_and_never_the_base(tmp_path):
    from model.dashboard import levers as lv
    from model.errors import InputError
    from model.scenario import load_scenario

    base = load_scenario(BASE)
    levers = lv.all_levers(base.policy, base.params, base.budget)
    settings = {**lv.defaults(levers), "P6c.award": 45.0}
    mine = tmp_path / "mine.toml"
    mine.write_text("my own notes")
    with pytest.raises(InputError, match="--overwrite"):
        lv.save_scenario(settings, levers, base_path=BASE, out=mine, name="mine")
    assert mine.read_text() == "my own notes"
    lv.save_scenario(settings, levers, base_path=BASE, out=mine, name="mine", overwrite=True)
    assert load_scenario(mine).policy.value("P6c", "award") == 45.0
    copy = tmp_path / "base.toml"
    copy.write_bytes(BASE.read_bytes())
    with pytest.raises(InputError, match="input"):
        lv.save_scenario(settings, levers, base_path=copy, out=copy, name="base",
                         overwrite=True)
    assert copy.read_bytes() == BASE.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.toml", "mine.toml"]


# -- Found 11: the dashboard and its Host header -------------------------------------------------
def test_dashboard_refuses_a_foreign_host_header():
    import urllib.error
    import urllib.request

    from model.dashboard.command import start, stop

    proc, url = start("baseline", replications=2, idle_replications=2, workers=1)
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            assert r.status == 200
        req = urllib.request.Request(url, headers={"Host": "evil.example:80"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=30)
        assert e.value.code == 400
        port = url.rsplit(":", 1)[1].strip("/")
        req = urllib.request.Request(url + "readyz", headers={"Host": f"rebind.example:{port}"})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(req, timeout=30)
    finally:
        stop(proc)


# -- the run record --------------------------------------------------------------------------
def test_run_json_is_identical_when_the_same_numbers_are_regenerated(tmp_path, earlier_run):
    a, b = earlier_run, tmp_path / "b"
    assert main(["run", str(BASE), "-R", "2", "--seed", "3", "--out", str(b), "--quiet",
                 "--workers", "1", "--chunk", "1"]) == 0
    for f in json.loads((a / "run.json").read_text())["files"] + ["run.json"]:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    local = json.loads((b / "run.local.json").read_text())
    assert local["chunk"] == 1 and "host" in local and "git" in local
    assert "run.local.json" in (ROOT / ".gitignore").read_text()
