"""`parksim sensitivity`: a whole study from a scenario, and the same as a Python call.

    parksim sensitivity SCENARIO --method sobol|morris|pawn|delta --n N --replications R
        [--factors ...] [--groups] [--second-order] [--workers W] [--scheduler ADDR]
        [--dask-local] [--seed S] [--fresh] --out DIR

DIR is checked before any work (model.outputs): new, or an earlier sensitivity study's folder
(its run.json or study.json); never a folder of other files. It keeps the chunk store
(DIR/chunks, DIR/study.json): rerunning the command resumes a killed study, and a larger --n
extends it, evaluating only the new base points. The results (indices.csv, convergence.csv,
noise.csv, ranking.csv, discovery.csv, factors.csv, problem.json, figures/, summary.md) are
staged and moved into DIR at the end with the run record (run.json, run.local.json), so a
failed or killed study never leaves half-written results. The study's size is estimated and
refused when it cannot fit in memory or a day (model.resources).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model import outputs as places
from model import resources, values
from model.errors import InputError
from model.fonts import figure_lang
from model.run_record import engine_digest, local_record, manifest
from model.sensitivity import discovery, plots
from model.sensitivity.analyse import NOISE_DOMINATES, NOISE_WARN, PRIMARY, WIDE, Analysis, analyse
from model.sensitivity.design import METHODS, check_size, make_design, rows_per_base
from model.sensitivity.problem import (
    LEVER_RANGE,
    build_problem,
    index_names,
    output_names,
    select_factors,
)
from model.sensitivity.runner import (
    RETRIES,
    RUNS_PER_CHUNK,
    EvalContext,
    StudyData,
    StudyError,
    run_design,
)
from model.sensitivity.text import fmt_num, output_label, t
from model.workers import default_workers

ROOT = Path(__file__).resolve().parents[2]
RESULT_FILES = ("indices.csv", "convergence.csv", "noise.csv", "ranking.csv", "discovery.csv",
                "factors.csv", "problem.json", "summary.md", "figures")
WRITES = (*(f for f in RESULT_FILES if f != "figures"), "figures/*.png")  # model.outputs
MAX_SEED = 2**32 - 1  # the design's and bootstrap's seed, kept to 32 bits as SALib's are


@dataclass
class Report:
    out: Path
    analysis: Analysis
    data: StudyData
    problem: dict
    boxes: list
    wall: float


def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s // 60 % 60:02d}m{s % 60:02d}s" if s >= 3600 else \
        f"{s // 60}m{s % 60:02d}s"


def study(scenario, *, method: str = "sobol", n: int = 64, replications: int = 8,
          factors: list[str] | None = None, groups: bool = False, second_order: bool = False,
          out: str | Path, workers: int = 1, scheduler: str | None = None,
          dask_local: bool = False, seed: int | None = None, fresh: bool = False,
          retries: int = RETRIES, runs_per_chunk: int = RUNS_PER_CHUNK,
          resamples: int = 100, discover: bool = True, lang: str = "en",
          progress: bool = True, evaluator=None, options: dict | None = None,
          max_chunks: int | None = None, command: str = "") -> Report:
    """Run (or resume, or extend) a study of `scenario` (a model.scenario.Scenario) and write
    its results to `out`. `evaluator`/`options` replace the model (see analytic.py)."""

    t0 = time.perf_counter()
    check_size(method, n)
    replications = values.whole("--replications", replications, 1)
    retries = values.whole("--retries", retries, 0)
    runs_per_chunk = values.whole("--chunk-runs", runs_per_chunk, 1)
    workers = values.workers("--workers", workers)
    if groups and method not in ("sobol", "morris"):
        raise InputError("--groups", "groups", "method sobol or morris (PAWN and delta "
                         "index single factors)", method)
    seed = values.whole("--seed", seed if seed is not None else scenario.seed, 1, MAX_SEED,
                        "a whole-number seed (SALib ignores seed 0)")
    fs = select_factors(factors, scenario.policy, scenario.params)
    outputs = tuple(output_names(scenario.policy))
    problem = build_problem(fs, outputs, grouped=groups)
    _check_size(problem, method, n, replications, second_order, workers, resamples,
                model=evaluator is None)
    place = places.prepare_folder(out, "sensitivity", writes=WRITES,
                                  inputs=[*scenario.chain, scenario.posterior])
    try:
        return _study(place, scenario, fs, outputs, problem, method=method, n=n,
                      replications=replications, groups=groups, second_order=second_order,
                      workers=workers, scheduler=scheduler, dask_local=dask_local, seed=seed,
                      fresh=fresh, retries=retries, runs_per_chunk=runs_per_chunk,
                      resamples=resamples, discover=discover, lang=lang, progress=progress,
                      evaluator=evaluator, options=options, max_chunks=max_chunks,
                      command=command, t0=t0)
    finally:
        place.discard()  # the staging folder; after a commit there is none


def _check_size(problem, method: str, n: int, R: int, second_order: bool, workers: int,
                resamples: int, model: bool) -> None:
    """Refuse a study that cannot fit in memory or end within a day (model.resources): the
    design and its per-row results, the per-base sums, the bootstrap of the analysis, and the
    processes; runs at the batch engine's lower-bound speed."""
    rows = n * rows_per_base(method, problem, second_order)
    n_var, n_out = problem["num_vars"], len(problem["outputs"])
    memory = (resources.process_memory(workers) + 8 * (3 * rows * n_var + 4 * rows * n_out
                                                       + 2 * n * R * n_out + 4 * n * resamples))
    seconds = rows * R * resources.SECONDS_PER_RUN["batch"] if model else 0.0
    resources.check("parksim sensitivity", memory=memory, seconds=seconds, workers=workers,
                    advice="use a smaller --n or fewer --replications")


def _study(place: places.OutputFolder, scenario, fs, outputs, problem, *, method, n,
           replications, groups, second_order, workers, scheduler, dask_local, seed, fresh,
           retries, runs_per_chunk, resamples, discover, lang, progress, evaluator, options,
           max_chunks, command, t0) -> Report:
    """The study itself, once every value and the folder are checked."""
    from model.batch import replication_seeds, roots_from_seeds

    design = make_design(method, problem, n, seed, second_order)
    out = place.path
    if fresh:
        shutil.rmtree(out / "chunks", ignore_errors=True)
        (out / "study.json").unlink(missing_ok=True)
        (out / "failures.csv").unlink(missing_ok=True)
    fingerprint = {
        "scenario": scenario.name, "scenario_digest": scenario.digest(), "method": method,
        "factors": [[f.name, list(f.bounds), f.dist, f.group] for f in fs], "groups": groups,
        "second_order": second_order, "replications": replications, "seed": seed,
        "outputs": list(outputs),
        "evaluator": "model" if evaluator is None else
        f"{evaluator.__module__}.{evaluator.__name__}:{json.dumps(options, sort_keys=True)}",
        "engine": engine_digest() if evaluator is None else "-",
    }
    ctx = EvalContext(tuple(fs), outputs, roots_from_seeds(replication_seeds(seed, replications)),
                      scenario.policy, dict(scenario.params), scenario.start, scenario.horizon,
                      scenario.t7_count_from, scenario.budget, evaluator, dict(options or {}))
    try:
        data = run_design(ctx, design, out, fingerprint, workers=workers, scheduler=scheduler,
                          dask_local=dask_local, retries=retries, runs_per_chunk=runs_per_chunk,
                          max_chunks=max_chunks, progress=progress)
    except StudyError as e:
        raise InputError(out / "failures.csv", "chunks", "every chunk to run (the study stops "
                         "rather than drop one; rerun to resume)", str(e)) from None
    if np.isnan(data.mean).any():  # stopped early on purpose (max_chunks)
        return Report(out, None, data, dict(problem), [], time.perf_counter() - t0)
    an = analyse(problem, design, data.mean, data.var, data.bsum, data.R, outputs, seed=seed,
                 resamples=resamples)
    targets = [o for o in outputs if o.startswith("P_")]
    boxes = (discovery.find_boxes(design.X, list(problem["names"]), data.mean, outputs,
                                  targets) if discover else [])
    wall = time.perf_counter() - t0
    rep = Report(out, an, data, dict(problem), boxes, wall)
    _write(rep, place.staging, scenario, fs, method, groups, seed, lang, workers, scheduler,
           dask_local, command)
    place.commit(manifest(
        "sensitivity", scenario={"name": scenario.name, "digest": scenario.digest()},
        method=method, n=n, replications=replications, seed=seed, second_order=second_order,
        groups=groups, factors=[f.name for f in fs], outputs=list(outputs),
        evaluator=fingerprint["evaluator"], engine_digest=fingerprint["engine"]),
        local_record({"wall_time_s": round(wall, 3), "workers": workers,
                      "scheduler": scheduler, "dask_local": dask_local,
                      "runs_new": data.runs_new, "runs_reused": data.runs_reused,
                      "chunk_runs": runs_per_chunk}))
    return rep


def _write(rep: Report, tmp: Path, scenario, fs, method, groups, seed, lang, workers,
           scheduler, dask_local, command) -> None:
    """Every result into the staging folder `tmp`; model.outputs moves them into place."""
    (tmp / "figures").mkdir()
    an = rep.analysis
    places.write_csv(an.indices, tmp / "indices.csv")
    places.write_csv(an.convergence, tmp / "convergence.csv")
    places.write_csv(an.noise, tmp / "noise.csv")
    places.write_csv(an.ranking, tmp / "ranking.csv")
    places.write_csv(discovery.boxes_table(rep.boxes), tmp / "discovery.csv")
    places.write_csv(pd.DataFrame([(f.name, f.source, f.group, f.bounds[0], f.bounds[1],
                                    f.dist, f.value, f.unit) for f in fs],
                                  columns=["factor", "source", "group", "lower", "upper",
                                           "dist", "scenario_value", "unit"]),
                     tmp / "factors.csv")
    (tmp / "problem.json").write_text(json.dumps(rep.problem, indent=1, default=str))
    fig = tmp / "figures"
    lang_fig = figure_lang(lang)
    plots.bars(an.indices, method, fig / f"{method}_indices.png", lang_fig)
    if method == "sobol":
        plots.heatmap(an.indices, "ST", fig / "st_heatmap.png", lang_fig)
    elif method == "morris":
        plots.morris_scatter(an.indices, fig / "morris_mu_star_sigma.png", lang_fig)
        plots.heatmap(an.indices, "mu_star", fig / "mu_star_heatmap.png", lang_fig)
    else:
        plots.heatmap(an.indices, PRIMARY[method], fig / f"{method}_heatmap.png", lang_fig)
    plots.convergence(an.convergence, PRIMARY[method], fig / "convergence.png", lang_fig)
    backend = (f"Dask cluster {scheduler}" if scheduler else
               f"Dask LocalCluster, {workers} workers" if dask_local else
               f"{workers} local process{'es' if workers > 1 else ''}")
    (tmp / "summary.md").write_text(
        summary(rep, scenario, fs, method, groups, seed, lang, backend, command),
        encoding="utf-8")


def summary(rep: Report, scenario, fs, method, groups, seed, lang, backend, command) -> str:
    """summary.md: the top drivers of cost and of each target in plain words."""
    an, d = rep.analysis, rep.data
    prim = PRIMARY[method]
    names = index_names(rep.problem)
    L = [f"# {t('title', lang, scenario=scenario.name)}", ""]
    L.append(t("meta", lang, method=method, N=d.design.N, rows=d.design.rows, R=d.R, seed=seed,
               runs=f"{d.design.rows * d.R:,}", k=len(names),
               what=t("what_groups" if groups else "what_factors", lang), wall=_hms(rep.wall),
               backend=backend, new=f"{d.runs_new:,}", reused=f"{d.runs_reused:,}"))
    if d.worker_seconds > 0:
        L += ["", t("worker_time", lang, t=_hms(d.worker_seconds),
                    rate=f"{d.design.rows * d.R / d.worker_seconds:,.0f}")]
    L += ["", t("outputs_note", lang, start=scenario.start, horizon=scenario.horizon), ""]
    if any(f.source != "param" for f in fs):
        L += [f"Policy levers range from {LEVER_RANGE[0]:g}x to {LEVER_RANGE[1]:g}x the "
              "value written in the scenario (assumption); p1_award and p12_paid_share use "
              "the ranges in switches.toml." if lang == "en" else
              f"政策杠杆取值为情景中写明数值的{LEVER_RANGE[0]:g}至{LEVER_RANGE[1]:g}倍(假设);"
              "p1_award与p12_paid_share取switches.toml中的范围。", ""]
    L += [f"## {t('drivers', lang)}", ""]
    means = dict(zip(d.outputs, d.mean.mean(axis=0), strict=True))
    for o in d.outputs:
        e = an.indices[(an.indices["output"] == o) & (an.indices["index"] == prim)]
        if e.empty:
            continue
        e = e[e["value"] > 0.01].sort_values("value", ascending=False).head(3)
        if e.empty:  # every index is about zero: nothing stands out
            continue
        items = [t("driver_item", lang, f=r.factor, idx=prim, v=fmt_num(r.value),
                   lo=fmt_num(r.lower), hi=fmt_num(r.upper)) for r in e.itertuples()]
        mean = means[o]
        mtxt = f"{mean:.2f}" if o.startswith("P_") else f"{fmt_num(mean)} 万元"
        L.append(t("driver_line", lang, output=output_label(o, lang), mean=mtxt,
                   list=t("then", lang).join(items)))
    const = an.noise[an.noise["status"] == "constant"]["output"].tolist()
    if const:
        L += ["", t("constant", lang, list=", ".join(output_label(o, lang) for o in const))]
    failed = an.noise[an.noise["status"].str.startswith("analysis failed")]
    for r in failed.itertuples():
        L.append(f"- {output_label(r.output, lang)}: {r.status}")
    L += ["", f"## {t('noise', lang)}", "",
          t("noise_lead", lang, warn=NOISE_WARN, dom=NOISE_DOMINATES), ""]
    for r in an.noise.itertuples():
        if r.status == "constant":
            continue
        share = "-" if not np.isfinite(r.noise_share) else f"{r.noise_share:.1%}"
        st = t(f"status_{r.status}", lang) if f"status_{r.status}" in (
            "status_ok", "status_noisy", "status_noise dominates") else r.status
        L.append(t("noise_line", lang, output=output_label(r.output, lang), share=share,
                   status=st))
    dom = an.noise[an.noise["status"] == "noise dominates"]["output"].tolist()
    if dom:
        L += ["", t("noise_warn", lang, list=", ".join(output_label(o, lang) for o in dom))]
    nflag = int((an.indices["warning"].fillna("") != "").sum())
    if nflag:
        L += ["", t("flagged", lang, n=nflag, wide=WIDE)]
    if not an.ranking.empty:
        r0 = an.ranking.iloc[0]
        L += ["", f"## {t('convergence', lang)}", "",
              t("conv_lead", lang, idx=prim, n1=r0.N_half, n2=r0.N), ""]
        for r in an.ranking.itertuples():
            verdict = t("stable" if r.order_stable else "set_stable" if r.set_stable
                        else "unstable", lang)
            L.append(t("conv_line", lang, output=output_label(r.output, lang), top=r.top3,
                       verdict=verdict))
    if rep.boxes:
        L += ["", f"## {t('discovery', lang)}", "", t("disc_lead", lang), ""]
        L += [f"- {discovery.describe(b, lang)}" for b in rep.boxes]
    if d.failures:
        L += ["", t("failed_chunks", lang, n=len(d.failures))]
    L += ["", f"## {t('files', lang)}", "",
          "indices.csv, convergence.csv, noise.csv, ranking.csv, discovery.csv, factors.csv, "
          "problem.json, figures/*.png", ""]
    if command:
        L += [t("rerun", lang), "", "```", command, "```", ""]
    return "\n".join(L)


# -- the CLI -------------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario TOML file or a name in scenarios/")
    p.add_argument("--method", choices=METHODS, default="sobol",
                   help="SALib method: Sobol indices, Morris screening, PAWN or delta")
    p.add_argument("--n", type=int, default=64, help="base samples (Sobol: a power of 2), "
                   "trajectories (Morris) or samples (PAWN, delta)")
    p.add_argument("--replications", "-R", type=int, default=8,
                   help="replications per design point, on common seeds")
    p.add_argument("--factors", nargs="+", default=None, metavar="NAME",
                   help="factor names, group names, 'uncertainties' or 'levers' "
                   "(default: uncertainties)")
    p.add_argument("--groups", action="store_true",
                   help="one index per factor group (registry 'group'; levers: awards, rates, "
                   "caps)")
    p.add_argument("--second-order", action="store_true", help="Sobol S2 as well")
    p.add_argument("--workers", type=int, default=default_workers(),
                   help="local processes; the numbers are the same for any count (default: "
                   "the CPUs this process may use, %(default)s here)")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="a Dask scheduler, e.g. tcp://127.0.0.1:8786 (default: none, local "
                   "processes)")
    p.add_argument("--dask-local", action="store_true", help="run on a Dask LocalCluster")
    p.add_argument("--seed", type=int, default=None,
                   help="root seed of the replications and the design (default: scenario's)")
    p.add_argument("--retries", type=int, default=RETRIES, help="retries of a failed chunk")
    p.add_argument("--chunk-runs", type=int, default=RUNS_PER_CHUNK,
                   help="model runs per chunk (memory bound)")
    p.add_argument("--no-discovery", action="store_true", help="skip PRIM scenario discovery")
    p.add_argument("--fresh", action="store_true", help="discard stored chunks in --out")
    p.add_argument("--out", required=True, help="study folder (chunks and results)")


SCHEDULER_TIMEOUT_S = 5.0  # a scheduler that does not accept a connection by then is down


def check_scheduler(addr: str) -> str:
    """A Dask scheduler address (tcp:// or tls://, host and port) that accepts a connection
    now: refused in seconds, before any work, instead of a ValueError or a 30 s timeout."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, loc = parse_address(addr, strict=False)
        host, port = parse_host_port(loc)
    except (ValueError, TypeError) as e:
        raise InputError("--scheduler", "address", "a Dask scheduler address such as "
                         "tcp://127.0.0.1:8786", f"{addr} ({e})") from None
    if scheme not in ("tcp", "tls") or not host or not 0 < int(port) < 65536:
        raise InputError("--scheduler", "address", "tcp://HOST:PORT or tls://HOST:PORT (port "
                         "1-65535)", addr)
    try:
        socket.create_connection((host, int(port)), timeout=SCHEDULER_TIMEOUT_S).close()
    except OSError as e:
        raise InputError("--scheduler", "address", f"a scheduler that answers within "
                         f"{SCHEDULER_TIMEOUT_S:g} s (is `dask scheduler` running there?)",
                         f"{addr}: {e.strerror or e}") from None
    return addr


def run(args: argparse.Namespace) -> int:
    import shlex
    import sys

    from model.scenario import load_scenario, scenario_path

    values.workers("--workers", args.workers)
    if args.scheduler is not None:
        check_scheduler(args.scheduler)
    lang = getattr(args, "lang", "en")
    sc = load_scenario(scenario_path(args.scenario))
    argv = [a for a in sys.argv[1:] if a != "--fresh"] if sys.argv and "parksim" in \
        sys.argv[0] else []
    command = "parksim " + shlex.join(argv) if argv else ""
    rep = study(sc, method=args.method, n=args.n, replications=args.replications,
                factors=args.factors, groups=args.groups, second_order=args.second_order,
                out=args.out, workers=args.workers, scheduler=args.scheduler,
                dask_local=args.dask_local, seed=args.seed, fresh=args.fresh,
                retries=args.retries, runs_per_chunk=args.chunk_runs,
                discover=not args.no_discovery, lang=lang, command=command)
    if rep.data.runs_reused:
        print(t("resumed", lang, runs=f"{rep.data.runs_reused:,}",
                chunks=rep.data.chunks_reused, dir=Path(args.out) / "chunks"))
    print(t("done", lang, out=args.out, runs=f"{rep.data.design.rows * rep.data.R:,}",
            wall=_hms(rep.wall)))
    return 0
