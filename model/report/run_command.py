"""`parksim run SCENARIO`: Monte Carlo with paired counterfactuals, written to one folder.

Everything is written into a hidden temp folder beside the destination and renamed at the
end, so a failed or interrupted run leaves no half-written results. The CLI (model/cli.py)
only registers this command (`cli_arguments`, `run_from_args`); `python -m
model.report.run_command` runs it on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path

from model import attribution
from model.errors import InputError
from model.experiments import Experiment, monte_carlo, n_runs, summarise
from model.report import figures, summary

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("numpy", "mesa", "scipy", "pandas", "SALib", "matplotlib", "tqdm")
FILES = ("targets.csv", "fiscal.csv", "indicators.csv", "additionality.csv",
         "ledger_sample.csv", "attribution.csv", "run.json", "summary.md", *summary.FIGURES)


def cli_arguments(p: argparse.ArgumentParser) -> None:
    """The options under `parksim run` (the CLI adds --lang to every command itself)."""
    add_arguments(p, lang=False)


def add_arguments(p: argparse.ArgumentParser, lang: bool = True) -> argparse.ArgumentParser:
    p.add_argument("scenario", help="scenario TOML file, or a name in scenarios/")
    p.add_argument("--replications", "-R", type=int, default=None,
                   help="replications (default: the scenario's)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    p.add_argument("--engine", choices=("batch", "mesa"), default="batch",
                   help="batch (fast, default) or mesa (ParkModel run by run; same numbers)")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: results/<scenario name>/)")
    p.add_argument("--budget-line", type=float, default=None, metavar="X",
                   help="a yearly budget line in 万元: report P(a year's outlay exceeds it)")
    if lang:
        p.add_argument("--lang", choices=("en", "zh"), default="en",
                       help="language of the report")
    p.add_argument("--chunk", type=int, default=500, help="replications per batch call (memory)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes for the batch engine (same numbers for any count)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--attribution-replications", type=int, default=None, metavar="N",
                   help="what each clause group buys (attribution.csv) on the run's first N "
                   "replications, 2^groups runs each (default: all; 0: off)")
    return p


def resolve_scenario(arg: str | Path) -> Path:
    """A scenario path as given, or scenarios/<name>.toml; InputError when neither exists."""
    p = Path(arg)
    if p.is_file():
        return p
    for cand in (ROOT / "scenarios" / f"{arg}.toml", ROOT / "scenarios" / str(arg)):
        if cand.is_file():
            return cand
    raise InputError(arg, "scenario", "an existing scenario TOML file (or a name in scenarios/)",
                     str(arg))


def load(arg: str | Path):
    """Load a scenario, turning file and syntax problems into InputError."""
    from model.scenario import load_scenario

    path = resolve_scenario(arg)
    try:
        return load_scenario(path)
    except tomllib.TOMLDecodeError as e:
        raise InputError(path, "TOML syntax", "a valid TOML file", str(e)) from None
    except OSError as e:
        raise InputError(path, "file", "a readable scenario file", str(e)) from None


def _git() -> dict:
    def git(*a: str) -> str | None:
        try:
            r = subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    # outputs under results/ are what a run rewrites, not an input: they don't make it dirty
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!results")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def run(scenario_arg: str | Path, *, replications: int | None = None, seed: int | None = None,
        engine: str = "batch", out: Path | None = None, budget_line: float | None = None,
        lang: str = "en", chunk: int = 500, workers: int = 1, progress: bool = True,
        attribution_replications: int | None = None) -> Path:
    """Run the experiment and write every output into `out`; returns the folder."""
    sc = load(scenario_arg)
    R = replications if replications is not None else sc.replications
    if R < 1:
        raise InputError("--replications", "value", "a positive integer", R)
    if budget_line is not None and not budget_line >= 0:
        raise InputError("--budget-line", "value", "a non-negative amount in 万元", budget_line)
    if chunk < 1:
        raise InputError("--chunk", "value", "a positive integer", chunk)
    if workers < 1:
        raise InputError("--workers", "value", "a positive integer", workers)
    if attribution_replications is not None and attribution_replications < 0:
        raise InputError("--attribution-replications", "value", "0 (off) or a positive "
                         "integer", attribution_replications)
    S = seed if seed is not None else sc.seed
    out = Path(out) if out is not None else ROOT / "results" / sc.name
    prev = None
    with contextlib.suppress(ValueError):  # only the main thread may set handlers
        prev = signal.signal(signal.SIGTERM, _terminate)  # `kill` cleans up like Ctrl-C
    try:
        return _run(sc, R, S, engine, out, budget_line, lang, chunk, workers, progress,
                    attribution_replications)
    finally:
        if prev is not None:
            signal.signal(signal.SIGTERM, prev)


def _run(sc, R, S, engine, out, budget_line, lang, chunk, workers, progress,
         attribution_replications=None) -> Path:
    t0 = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_runs(sc, R), unit="run", desc=f"{sc.name} ({engine})",
                   file=sys.stderr)
    try:
        exp = monte_carlo(sc, R, S, engine=engine, chunk=chunk, workers=workers,
                          progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    att = attribution.for_run(exp, attribution_replications, chunk=chunk, workers=workers,
                              progress=progress)
    wall = time.perf_counter() - t0
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _write(exp, sc, tmp, budget_line=budget_line, lang=lang, wall=wall, chunk=chunk,
               workers=workers, att=att)
        replace_folder(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write(exp: Experiment, sc, d: Path, *, budget_line, lang, wall, chunk, workers,
           att=None) -> None:
    tables = summarise(exp, budget_line)
    if att is not None:
        tables["attribution"] = attribution.attribution_table(att)
    for name, df in tables.items():
        df.to_csv(d / f"{name}.csv", index=False, float_format="%.10g")
    pol = exp.spec.policy
    clause_labels = {cid: pol.clauses[cid].label.get(lang, pol.clauses[cid].label["en"])
                     for cid in pol.clause_ids}
    fig_lang = figures.figure_lang(lang)
    en_labels = {cid: pol.clauses[cid].label["en"] for cid in pol.clause_ids}
    figures.fan_chart(tables["indicators"], d / "fan_chart.png", lang)
    figures.fiscal_chart(tables["fiscal"], d / "fiscal_exposure.png", lang,
                         clause_labels if fig_lang == lang else en_labels, budget_line,
                         exp.replications)
    figures.targets_chart(tables["targets"], d / "targets.png", lang, exp.spec.horizon)
    purpose = (sc.raw.get("purpose_zh") if lang == "zh" else None) or sc.purpose
    info = {"name": sc.name, "purpose": purpose, "replications": exp.replications,
            "seed": exp.seed, "engine": exp.engine, "digest": sc.digest(),
            "horizon": exp.spec.horizon, "start": exp.years[0],
            "shared_counterfactual": exp.shared_counterfactual, "budget_line": budget_line,
            "ledger_check": exp.ledger_check, "clause_labels": clause_labels,
            "figures_lang": fig_lang, "attribution": attribution.record(att)}
    (d / "summary.md").write_text(summary.render(tables, info, lang), encoding="utf-8")
    meta = {
        "scenario": {"name": sc.name, "path": str(sc.path) if sc.path else None,
                     "digest": sc.digest(), "contents": sc.raw},
        "root_seed": exp.seed, "replications": exp.replications, "engine": exp.engine,
        "chunk": chunk, "workers": workers, "budget_line_wan_yuan": budget_line, "lang": lang,
        "figures_lang": fig_lang, "years": list(exp.years),
        "counterfactual": "shared (no clause on)" if exp.shared_counterfactual else
        "paired, same roots, every award off",
        "ledger_check": {k: (bool(v) if k == "agree" else v) for k, v in
                         exp.ledger_check.items()},
        "attribution": attribution.record(att),
        "git": _git(), "versions": _versions(), "wall_time_s": round(wall, 3),
        "command": " ".join(["parksim", *sys.argv[1:]])
        if Path(sys.argv[0]).name == "parksim" else None,
    }
    (d / "run.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=float),
                                encoding="utf-8")


def _clean_stale(out: Path) -> None:
    """Remove temp folders left by runs killed outright (SIGKILL), whose process is gone."""
    for d in out.parent.glob(f".{out.name}.tmp-*"):
        try:
            os.kill(int(d.name.rsplit("-", 1)[1]), 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (ValueError, PermissionError, OSError):
            pass


def replace_folder(tmp: Path, out: Path) -> None:
    """Swap the finished folder into place; the old one goes only after the new one is in."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def run_from_args(args: argparse.Namespace) -> int:
    """The `run` command's handler: 0 on success (InputError is left to the caller)."""
    out = run(args.scenario, replications=args.replications, seed=args.seed,
              engine=args.engine, out=args.out, budget_line=args.budget_line,
              lang=getattr(args, "lang", "en"),
              chunk=args.chunk, workers=args.workers, progress=not args.quiet,
              attribution_replications=args.attribution_replications)
    print(out)
    return 0


def _terminate(signum, frame):  # noqa: ARG001
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry: the same command without the rest of the CLI."""
    p = add_arguments(argparse.ArgumentParser(prog="parksim run"))
    args = p.parse_args(argv)
    try:
        return run_from_args(args)
    except InputError as e:
        print(f"parksim: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
