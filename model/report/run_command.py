"""`parksim run SCENARIO`: Monte Carlo with paired counterfactuals, written to one folder.

The output folder is checked before any work (model.outputs): created if new, else used only
when it holds an earlier `run` output (its run.json); everything is written into a staging
folder inside it and moved into place at the end, so a failed or interrupted run leaves the
old results as they were. The size of the job is estimated first (model.resources). The CLI
(model/cli.py) only registers this command (`cli_arguments`, `run_from_args`); `python -m
model.report.run_command` runs it on its own.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from pathlib import Path

from model import attribution, outputs, resources, values
from model.errors import InputError
from model.experiments import Experiment, bytes_per_replication, monte_carlo, n_runs, summarise
from model.i18n import t
from model.report import figures, summary
from model.run_record import engine_digest, file_digest, local_record, manifest
from model.workers import default_workers

ROOT = Path(__file__).resolve().parents[2]
FILES = ("targets.csv", "fiscal.csv", "indicators.csv", "additionality.csv",
         "ledger_sample.csv", "attribution.csv", "run.json", "summary.md", *summary.FIGURES)
WORKBOOK = "results.xlsx"  # --xlsx: every table as a sheet (model.report.run_workbook)


def cli_arguments(p: argparse.ArgumentParser) -> None:
    """The options under `parksim run` (the CLI adds --lang to every command itself)."""
    add_arguments(p, lang=False)


def add_arguments(p: argparse.ArgumentParser, lang: bool = True) -> argparse.ArgumentParser:
    p.add_argument("scenario", help="scenario TOML file, or a name in scenarios/")
    p.add_argument("--replications", "-R", type=int, default=None,
                   help="replications (default: the scenario's)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    p.add_argument("--out", default=None,
                   help="output folder: new, or an earlier `parksim run` output (default: "
                   "results/<scenario name>/)")
    add_engine_options(p)
    if lang:
        p.add_argument("--lang", choices=("en", "zh"), default="en",
                       help="language of the report")
    p.add_argument("--xlsx", action="store_true",
                   help=f"also write {WORKBOOK}: every table as an Excel sheet, with a wide "
                   "fiscal sheet (clause x year, P50/P90/P95); see docs/outputs.md")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no headline")
    p.add_argument("--attribution-replications", type=int, default=None, metavar="N",
                   help="what each clause group buys (attribution.csv) on the run's first N "
                   "replications, 2^groups runs each (default: all; 0: off)")
    return p


def add_engine_options(p: argparse.ArgumentParser) -> None:
    """The options `run` and `compare` share: engine, budget line, chunk and workers."""
    p.add_argument("--engine", choices=("batch", "mesa"), default="batch",
                   help="batch (fast) or mesa (ParkModel run by run; same numbers)")
    p.add_argument("--budget-line", type=float, default=None, metavar="X",
                   help="a yearly budget line in 万元: report P(a year's outlay exceeds it) "
                   "(default: none)")
    p.add_argument("--chunk", type=int, default=500,
                   help="replications per batch call (bounds memory)")
    p.add_argument("--workers", type=int, default=default_workers(),
                   help="processes for the batch engine; the numbers are the same for any "
                   "count (default: the CPUs this process may use, %(default)s here)")


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


def run(scenario_arg: str | Path, *, replications: int | None = None, seed: int | None = None,
        engine: str = "batch", out: Path | None = None, budget_line: float | None = None,
        lang: str = "en", chunk: int = 500, workers: int | None = None, progress: bool = True,
        attribution_replications: int | None = None, xlsx: bool = False,
        timing: dict | None = None) -> Path:
    """Run the experiment and write every output into `out`; returns the folder.

    Every value and the output folder are checked, and the job's size estimated, before the
    engine starts. `workers` defaults to model.workers.default_workers(); `timing`, when
    given, receives the run's `seconds` and the one-time `compile_seconds`."""
    sc = load(scenario_arg)
    R = values.whole("--replications", replications if replications is not None
                     else sc.replications, 1)
    S = values.seed("--seed", seed if seed is not None else sc.seed)
    if budget_line is not None:
        budget_line = values.option_amount("--budget-line", budget_line, "万元 per year")
    chunk = values.whole("--chunk", chunk, 1)
    workers = values.workers("--workers", default_workers() if workers is None else workers)
    n_att = R if attribution_replications is None else min(
        values.whole("--attribution-replications", attribution_replications, 0), R)
    resources.check("parksim run", memory=resources.process_memory(workers)
                    + R * bytes_per_replication(sc),
                    seconds=n_runs(sc, R) * resources.SECONDS_PER_RUN[engine]
                    + (attribution.n_runs(sc, n_att) * resources.SECONDS_PER_RUN["batch"]
                       if n_att else 0.0),
                    workers=workers if engine == "batch" else 1,
                    advice="use fewer replications (--replications)"
                    + (", fewer --workers" if workers > 1 else ""))
    place = outputs.prepare_folder(out if out is not None else ROOT / "results" / sc.name,
                                   "run", writes=(*FILES, WORKBOOK), explicit=out is not None,
                                   inputs=[*sc.chain, sc.posterior])
    with place:  # on any failure, Ctrl-C or SIGTERM (model.cli) the staged files go
        took = _run(sc, R, S, engine, place, budget_line, lang, chunk, workers, progress, n_att,
                    xlsx)
    if timing is not None:
        timing.update(took)
    return place.path


def _run(sc, R, S, engine, place: outputs.OutputFolder, budget_line, lang, chunk, workers,
         progress, attribution_replications: int, xlsx: bool = False) -> dict:
    compiled = 0.0
    if engine == "batch":  # compile (once) and start the workers before the clock and the bar
        from model import warmup

        compiled = warmup.prepare(sc, S, warmup.pool_size(R, chunk, workers),
                                  _say if progress else lambda m: None, t("compile_notice", lang))
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
    record = _write(exp, sc, place.staging, budget_line=budget_line, lang=lang, att=att,
                    xlsx=xlsx)
    place.commit(record, local_record({
        "wall_time_s": round(wall, 3), "compile_time_s": round(compiled, 3), "chunk": chunk,
        "workers": workers, "scenario_path": str(sc.path) if sc.path else None}))
    return {"seconds": wall, "compile_seconds": compiled}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _write(exp: Experiment, sc, d: Path, *, budget_line, lang, att=None, xlsx=False) -> dict:
    """Every table, figure and summary.md into `d` (and the workbook with `xlsx`); returns
    run.json's content."""
    tables = summarise(exp, budget_line)
    if att is not None:
        tables["attribution"] = attribution.attribution_table(att)
    for name, df in tables.items():
        outputs.write_csv(df, d / f"{name}.csv", float_format="%.10g",
                          encoding=outputs.csv_encoding(lang))
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
    if xlsx:
        from model.report.run_workbook import workbook

        (d / WORKBOOK).write_bytes(workbook(tables, info, lang))
    scenario = {"name": sc.name, "digest": sc.digest(), "contents": sc.raw}
    if sc.posterior is not None:
        scenario["posterior_digest"] = file_digest(sc.posterior)
    return manifest(
        "run", scenario=scenario, root_seed=exp.seed, replications=exp.replications,
        engine=exp.engine, engine_digest=engine_digest(), budget_line_wan_yuan=budget_line,
        lang=lang, figures_lang=fig_lang, years=list(exp.years),
        counterfactual="shared (no clause on)" if exp.shared_counterfactual else
        "paired, same roots, every award off",
        ledger_check={k: (bool(v) if k == "agree" else v) for k, v in
                      exp.ledger_check.items()},
        attribution=attribution.record(att))


def run_from_args(args: argparse.Namespace) -> int:
    """The `run` command's handler: 0 on success (InputError is left to the caller)."""
    from model.report.headline import headline

    lang = getattr(args, "lang", "en")
    timing: dict = {}
    out = run(args.scenario, replications=args.replications, seed=args.seed,
              engine=args.engine, out=args.out, budget_line=args.budget_line, lang=lang,
              chunk=args.chunk, workers=args.workers, progress=not args.quiet,
              attribution_replications=args.attribution_replications, xlsx=args.xlsx,
              timing=timing)
    print(out)
    if not args.quiet:
        print(headline(out, lang, timing["seconds"], timing["compile_seconds"]))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (`python -m model.report.run_command ...`): `parksim run ...`."""
    from model.cli import main as cli_main

    return cli_main(["run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
