"""Fuzzing the door (issue 13): hostile scenario files, events files and command-line values.

Every example runs a command in-process (`model.cli.main`) on inputs in a fresh sandbox
folder and must end in one of two ways: exit 0 with finite numbers in what it wrote, or exit
2 with one `error:` line naming the file or the option at fault. Never a traceback (any other
exception fails the test), never exit 1, and never a change to a file outside the output
folder: the sandbox, the repository's results/, calibration/ and scenarios/ are compared
before and after.

The suite runs the `default` profile (well under a minute). The longer search is a profile:

    PARKSIM_FUZZ=long .venv/bin/python -m pytest tests/test_fuzz.py   # ~500 examples each
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from model.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "baseline.toml"
WATCHED = (ROOT / "results", ROOT / "calibration", ROOT / "scenarios")
PROFILES = {"default": {"awards": 60, "scenario": 60, "run": 6, "options": 40},
            "long": {"awards": 500, "scenario": 500, "run": 60, "options": 300}}
SIZES = PROFILES[os.environ.get("PARKSIM_FUZZ", "default")]


def fuzz(n_key: str):
    return settings(max_examples=SIZES[n_key], deadline=None, derandomize=n_key != "long",
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


# -- values ---------------------------------------------------------------------------------
FLOATS = st.one_of(
    st.sampled_from([0.0, 0.3, 1.0, 20.0, 150.0]),  # plausible values: the run must succeed
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 0.5, 1e308, -1e308, 5e-324, 1e8, 1e8 + 1, 20.0, -5.0]))
INTS = st.one_of(st.integers(-10, 10), st.sampled_from([2**63 - 1, -(2**63), 10**30, 2020,
                                                        1948, 2101, 99999]),
                 st.integers())
HOSTILE_TEXT = st.sampled_from([
    "", " ", "../../victim", "/tmp/x", "..", ".", "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+1", "@SUM(A1)", "\tx", "\rx", "-x", "-5", "a/b", "a\\b", "基线", "x" * 300, "NUL\x00",
    "calibration", "sensitivity", "baseline", "results", "CON", "a b", "é"])
NAMES = st.one_of(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,11}", fullmatch=True),
                  HOSTILE_TEXT, st.text(max_size=20))


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return ("nan" if math.isnan(v) else "inf" if v == math.inf else "-inf"
                if v == -math.inf else repr(v))
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)


@st.composite
def scenario_text(draw) -> bytes:
    """A scenario file: mostly well-formed TOML with hostile values, sometimes garbage."""
    kind = draw(st.sampled_from(["toml"] * 12 + ["garbage", "gbk", "bom"]))
    if kind == "garbage":
        return draw(st.binary(max_size=200))
    lines = [f"extends = {json.dumps(str(BASE))}"]
    if draw(st.booleans()):
        lines.append(f"name = {toml_value(draw(NAMES))}")
    else:
        lines.append('name = "fz"')
    sections = draw(st.lists(st.sampled_from(["run", "award", "rate", "budget", "param",
                                              "switch", "extra", "end"]), max_size=4,
                             unique=True))
    if "run" in sections:
        lines += ["[run]", f"seed = {toml_value(draw(st.one_of(st.integers(0, 99), INTS)))}",
                  f"start = {toml_value(draw(st.one_of(st.just(2020), INTS, FLOATS)))}"]
    if "award" in sections or "rate" in sections:
        lines.append("[policy.clauses.P6c]")
        lines.append(f"award = {toml_value(draw(st.one_of(FLOATS, INTS, NAMES)))}")
    if "rate" in sections:
        lines += ["[policy.clauses.P4]", f"rate = {toml_value(draw(FLOATS))}"]
    if "budget" in sections:
        lines.append("[budget]")
        if draw(st.integers(0, 3)):
            lines.append(f"total = {toml_value(draw(st.one_of(FLOATS, INTS)))}")
    if "param" in sections:
        lines += ["[parameters]", f"hte_pass_prob = {toml_value(draw(FLOATS))}"]
    if "switch" in sections:
        lines += ["[policy.switches]", f"p1_award = {toml_value(draw(FLOATS))}"]
    if "budget" in sections and draw(st.booleans()):
        lines.append(f"[budget.groups.{draw(st.sampled_from(['g', 'talent']))}]")
        lines += ['clauses = ["P6c"]', f"limit = {toml_value(draw(FLOATS))}"]
    if "extra" in sections:
        cid = draw(NAMES)
        lines += [f"[policy.extra_clauses.{json.dumps(cid)}]", "item = 1", 'kind = "grant"',
                  'beneficiary = "enterprise"', 'formula = "fixed"', 'quote = "q"',
                  'label = {en = "x"}', 'trigger = {en = "x"}',
                  'triggers = [{event = "hte_certified", param = "award"}]',
                  f"params.award = {{value = {toml_value(draw(FLOATS))}, unit = \"万元 one-off\","
                  ' label = "a", source = "assumption"}']
    if "end" in sections:
        end = draw(st.sampled_from(["2023-12-31", "1900-01-01", "9999-12-31", "x"]))
        lines += ["[policy]", f"end = {end}"]
    text = "\n".join(lines) + "\n"
    if kind == "gbk":
        try:
            return text.replace('name = "fz"', 'name = "fz"\npurpose = "政策"').encode("gbk")
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")
    data = text.encode("utf-8", "surrogatepass")
    return b"\xef\xbb\xbf" + data if kind == "bom" else data


EVENTS = ["hte_certified", "tech_contract", "patents_invention", "patents_utility",
          "rd_super_deduction", "standard_national", "major_breakthrough", "hte_certifed", ""]
CELL = st.one_of(st.integers().map(str), FLOATS.map(repr), HOSTILE_TEXT,
                 st.text(max_size=8), st.sampled_from(["1e400", "-0.0", "2021.0", "1,5",
                                                       "\"q\"", "nan", "inf"]))


@st.composite
def events_text(draw) -> bytes:
    """An events CSV: a header (usually right) and rows of hostile cells."""
    header = draw(st.sampled_from(["unit_id,year,event,amount,eligible"] * 6
                                  + ["unit_id,year,event,amount", "", "a,b,c,d,e",
                                     "unit_id,year,event,amount,eligible,extra"]))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        unit = draw(st.one_of(st.integers(-10, 10**6).map(str), CELL))
        year = draw(st.one_of(st.integers(2015, 2030).map(str), CELL))
        event = draw(st.one_of(st.sampled_from(EVENTS), CELL))
        amount = draw(st.one_of(st.sampled_from(["", "0", "10", "1000", "-0.0"]), CELL))
        elig = draw(st.sampled_from(["", "true", "0", "maybe", "yes"]))
        rows.append(",".join([unit, year, event, amount, elig]))
        if draw(st.integers(0, 9)) == 0:
            rows.append("")
    text = "\n".join([header, *rows]) + "\n"
    enc = draw(st.sampled_from(["utf-8"] * 6 + ["bom", "gbk", "utf-16"]))
    if enc == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    try:
        return text.encode(enc, "surrogatepass" if enc == "utf-8" else "strict")
    except (UnicodeEncodeError, LookupError):
        return text.encode("utf-8", "surrogatepass")


# -- running and checking -------------------------------------------------------------------
def snapshot(folder: Path, skip: Path | None = None) -> dict:
    out = {}
    for p in sorted(folder.rglob("*")):
        if skip is not None and (p == skip or skip in p.parents):
            continue
        st_ = os.lstat(p)
        out[str(p)] = (st_.st_mode, st_.st_size, st_.st_mtime_ns)
    return out


def run_cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


def check_outcome(code: int, err: str, box: Path, out: Path) -> None:
    """Exit 0 with finite numbers and spreadsheet-safe cells, or exit 2 with one line that
    names a file of the sandbox (or the repository's scenarios) or an option."""
    assert "Traceback" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        lines = [x for x in err.splitlines() if x.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert (str(box) in lines[0] or "--" in lines[0] or "scenarios/" in lines[0]
                or lines[0].startswith("error: parksim ")), lines[0]
        return
    for csv in ([out] if out.suffix == ".csv" else sorted(out.glob("*.csv"))):
        frame = pd.read_csv(csv, keep_default_na=False)
        for col in frame.columns:
            num = pd.to_numeric(frame[col].astype(str), errors="coerce")
            assert all(math.isfinite(v) for v in num.dropna()), (csv, col)
        for cell in frame.astype(str).to_numpy().ravel():  # spreadsheet-safe
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (csv, cell)


def in_sandbox(files: dict[str, bytes], argv_of) -> None:
    """Write `files` into a fresh sandbox, run `argv_of(sandbox)` (argv and the output
    place), check the outcome and that nothing but the output place changed."""
    with tempfile.TemporaryDirectory(prefix="parksim-fuzz-") as d:
        box = Path(d)
        for name, data in files.items():
            (box / name).write_bytes(data)
        argv, out = argv_of(box)
        before = snapshot(box, skip=out)
        watched = [snapshot(w) for w in WATCHED]
        code, err = run_cli(argv)
        event(f"exit {code}")
        check_outcome(code, err, box, out)
        assert snapshot(box, skip=out) == before, "a file outside --out changed"
        assert [snapshot(w) for w in WATCHED] == watched, "the repository changed"


EXAMPLE_EVENTS = (ROOT / "tests" / "cases" / "events_example.csv").read_bytes()
GOOD_SCENARIO = (f'extends = {json.dumps(str(BASE))}\nname = "fz"\n[policy.clauses.P6c]\n'
                 'award = 30.0\n[budget]\ntotal = 2000.0\n').encode()


@fuzz("awards")
@example(events=EXAMPLE_EVENTS, overwrite=False, existing=False)  # the success path, always
@example(events=EXAMPLE_EVENTS, overwrite=True, existing=True)
@given(events=events_text(), overwrite=st.booleans(), existing=st.booleans())
def test_awards_on_hostile_events_files(events, overwrite, existing):
    files = {"ev.csv": events}
    if existing:
        files["out"] = b""  # `--out` at a file that exists (replaced only with --overwrite)

    def argv(box):
        out = box / "out" if existing else box / "out.csv"
        return (["awards", str(box / "ev.csv"), "--out", str(out)]
                + (["--overwrite"] if overwrite else []), out)

    in_sandbox(files, argv)


@fuzz("scenario")
@example(scenario=GOOD_SCENARIO)
@given(scenario=scenario_text())
def test_hostile_scenarios_are_checked_whole_before_use(scenario):
    """Through `awards --scenario`, which validates the whole scenario (every section) and
    applies its policy, without the cost of a simulation."""
    in_sandbox({"s.toml": scenario, "ev.csv": EXAMPLE_EVENTS},
               lambda box: (["awards", str(box / "ev.csv"), "--scenario", str(box / "s.toml"),
                             "--out", str(box / "l.csv")], box / "l.csv"))


@fuzz("run")
@example(scenario=GOOD_SCENARIO, reps="2", seed="7", budget_line="100")
@given(scenario=scenario_text(),
       reps=st.sampled_from(["1", "2", "2", "-5", "0", "1000000000", str(10**30)]),
       seed=st.sampled_from(["7", "0", str(2**63 - 1), "-1", str(2**63)]),
       budget_line=st.sampled_from([None, None, "100", "nan", "inf", "-1", "1e300"]))
def test_run_with_hostile_scenarios_and_values(scenario, reps, seed, budget_line):
    def argv(box):
        a = ["run", str(box / "s.toml"), "-R", reps, "--seed", seed, "--out",
             str(box / "out"), "--quiet"]
        return a + (["--budget-line", budget_line] if budget_line else []), box / "out"

    in_sandbox({"s.toml": scenario}, argv)


@fuzz("options")
@given(values=st.fixed_dictionaries({
    "--n": st.sampled_from(["8", "7", "0", "-8", "1099511627776", "x"]),
    "--replications": st.sampled_from(["1", "0", "-1", str(10**12)]),
    "--chunk-runs": st.sampled_from(["0", "-5", "x"]),
    "--retries": st.sampled_from(["-1", "2"]),
    "--workers": st.sampled_from(["0", "-2", "1", "100000"]),
    "--seed": st.sampled_from(["-1", "0", str(2**40)]),
    "--scheduler": st.sampled_from(["notaurl", "tcp://x", "udp://1.2.3.4:5", None]),
}))
def test_sensitivity_options_are_refused_before_any_study(values):
    """Every combination holds at least one bad value (--chunk-runs is never valid here):
    each must be refused in one line before a study starts."""
    def argv(box):
        a = ["sensitivity", "baseline", "--out", str(box / "out")]
        for k, v in values.items():
            if v is not None:
                a += [k, v] if not v.startswith("-") else [f"{k}={v}"]
        return a, box / "out"

    with tempfile.TemporaryDirectory(prefix="parksim-fuzz-") as d:
        box = Path(d)
        a, out = argv(box)
        code, err = run_cli(a)
        lines = [x for x in err.splitlines() if x.strip()]
        assert code == 2 and len(lines) == 1 and "Traceback" not in err, (a, err)
        assert "--" in lines[0], lines[0]
        assert not out.exists()
