"""`parksim sensitivity`: a whole study from a scenario, and the same as a Python call.

    parksim sensitivity [SCENARIO] [--model park|ishigami|ishigami-noisy|
        ishigami-random-coef|ishigami-binary] --method sobol|morris|pawn|delta [--n N]
        [--replications R] [--target-width W] [--outputs ...] [--factors ...] [--groups]
        [--second-order] [--workers W] [--scheduler ADDR] [--dask-local] [--seed S] [--fresh]
        --out DIR

Sobol: when --n or --replications is omitted, or --target-width is given, a pilot study
(DIR/pilot) measures each output's noise and chooses them (plan.py), and the plan is printed
before the study runs. DIR is checked before any work (model.outputs): new, or an earlier
sensitivity study's folder (its run.json or study.json); never a folder of other files. It
keeps the chunk store (DIR/chunks, DIR/study.json, DIR/pilot): rerunning the command resumes a
killed study, and a larger --n extends it, evaluating only the new base points. The results
(indices.csv, convergence.csv, noise.csv, ranking.csv, plan.csv, discovery.csv, factors.csv,
problem.json, figures/, summary.md) are staged and moved into DIR at the end with the run
record (run.json, run.local.json), so a failed or killed study never leaves half-written
results. The study's size is estimated and refused when it cannot fit in memory or a day
(model.resources).
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
from model.errors import InputError, suggest
from model.fonts import figure_lang
from model.run_record import engine_digest, local_record, manifest
from model.sensitivity import analytic, discovery, plots
from model.sensitivity.analyse import (
    JOINT,
    NOISE_DOMINATES,
    NOISE_WARN,
    PRIMARY,
    WIDE,
    Analysis,
    analyse,
)
from model.sensitivity.design import METHODS, SCRAMBLES, check_size, make_design, rows_per_base
from model.sensitivity.plan import DEFAULT_WIDTH, PILOT_R, TABLE_COLUMNS, Plan, pilot, pilot_seed
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
RESULT_FILES = ("indices.csv", "convergence.csv", "noise.csv", "ranking.csv", "plan.csv",
                "discovery.csv", "factors.csv", "problem.json", "summary.md", "figures")
WRITES = (*(f for f in RESULT_FILES if f != "figures"), "figures/*.png")  # model.outputs
MAX_SEED = 2**32 - 1  # the design's and bootstrap's seed, kept to 32 bits as SALib's are
MODELS = ("park", *analytic.PROBLEMS)
STATUS_KEYS = ("status_ok", "status_noisy", "status_noise dominates", "status_deterministic")
DEFAULT_N, DEFAULT_R = 64, 8  # Morris, PAWN, delta when --n / -R are omitted (no pilot)
# How runs get their seeds; stored chunks made another way are refused (--fresh starts over)
SEEDING = "per base point and replication, s(j, r) (issue 15)"


@dataclass
class Report:
    out: Path
    analysis: Analysis
    data: StudyData
    problem: dict
    boxes: list
    wall: float
    plan: Plan | None = None


def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s // 60 % 60:02d}m{s % 60:02d}s" if s >= 3600 else \
        f"{s // 60}m{s % 60:02d}s"


def _problem(model: str, scenario, factors, groups: bool, outputs):
    """(factors, outputs, ProblemSpec, EvalContext fields, name) of the park model or a
    known-answer problem."""
    if model == "park":
        if scenario is None:
            raise InputError("sensitivity", "scenario", "a scenario (a TOML file or a name in "
                             "scenarios/) for --model park")
        fs = select_factors(factors, scenario.policy, scenario.params)
        names = output_names(scenario.policy)
        ctx = dict(policy=scenario.policy, params=dict(scenario.params), start=scenario.start,
                   horizon=scenario.horizon, t7_count_from=scenario.t7_count_from,
                   budget=scenario.budget)
        label = scenario.name
    elif model in analytic.PROBLEMS:
        if factors or groups:
            raise InputError("--factors" if factors else "--groups", "factors",
                             f"no --factors or --groups for --model {model} (its factors are "
                             f"{', '.join(analytic.FACTORS)})", factors or "--groups")
        fs = analytic.factors()
        names = list(analytic.OUTPUTS)
        ctx = dict(evaluator=analytic.analytic_evaluator, options={"function": model})
        label = model
    else:
        raise InputError("--model", "model", f"one of {MODELS}", model)
    if outputs:
        for o in outputs:
            if o not in names:
                raise InputError("--outputs", o, "an output of this study: " + ", ".join(names)
                                 + suggest(o, names), o)
        names = [o for o in names if o in outputs]
    names = tuple(names)
    return fs, names, build_problem(fs, names, grouped=groups), ctx, label


def study(scenario=None, *, model: str = "park", method: str = "sobol", n: int | None = None,
          replications: int | None = None, target_width: float | None = None,
          outputs: list[str] | None = None, factors: list[str] | None = None,
          groups: bool = False, second_order: bool = False, out: str | Path,
          workers: int = 1, scheduler: str | None = None, dask_local: bool = False,
          seed: int | None = None, fresh: bool = False, retries: int = RETRIES,
          runs_per_chunk: int | None = None, resamples: int = 100, discover: bool = True,
          lang: str = "en", progress: bool = True, evaluator=None, options: dict | None = None,
          max_chunks: int | None = None, command: str = "", log=print) -> Report:
    """Run (or resume, or extend) a study of `scenario` (a model.scenario.Scenario), or of a
    known-answer problem (`model`, see analytic.py), and write its results to `out`.

    Sobol: with `n` or `replications` omitted, or a `target_width`, a pilot (plan.py) chooses
    what is missing; given values are used as given. `log` receives the plan (None: quiet).
    `evaluator`/`options` replace the model's evaluation (tests of the plumbing)."""
    t0 = time.perf_counter()
    if n is not None:
        check_size(method, n)
    if replications is not None:
        replications = values.whole("--replications", replications, 1)
    retries = values.whole("--retries", retries, 0)
    if runs_per_chunk is not None:
        runs_per_chunk = values.whole("--chunk-runs", runs_per_chunk, 1)
    workers = values.workers("--workers", workers)
    if target_width is not None and not (0 < target_width < 1):
        raise InputError("--target-width", "W", "a half-width between 0 and 1", target_width)
    if groups and method not in ("sobol", "morris"):
        raise InputError("--groups", "groups", "method sobol or morris (PAWN and delta "
                         "index single factors)", method)
    planned = method == "sobol" and (n is None or replications is None
                                     or target_width is not None)
    if method != "sobol" and target_width is not None:
        raise InputError("--target-width", "method", "method sobol (the pilot predicts "
                         "Sobol' intervals)", method)
    if method != "sobol":  # no pilot for these: documented defaults
        n, replications = n or DEFAULT_N, replications or DEFAULT_R
    seed = values.whole("--seed", seed if seed is not None else scenario.seed
                        if scenario is not None else analytic.DEFAULT_SEED, 1, MAX_SEED,
                        "a whole-number seed (SALib ignores seed 0)")
    fs, outs, problem, ctx_kw, label = _problem(model, scenario, factors, groups, outputs)
    if model != "park" and evaluator is None:  # runs of microseconds: big chunks, in-process
        runs_per_chunk = runs_per_chunk or analytic.RUNS_PER_CHUNK
        workers, scheduler, dask_local = 1, None, False
    runs_per_chunk = runs_per_chunk or RUNS_PER_CHUNK
    if evaluator is not None:
        ctx_kw.update(evaluator=evaluator, options=dict(options or {}))
    if n is not None:  # before a pilot too: with R to choose, its smallest (1) must fit
        _check_size(problem, method, n, replications or 1, second_order, workers, resamples,
                    model=ctx_kw.get("evaluator") is None)
    place = places.prepare_folder(out, "sensitivity", writes=WRITES, inputs=[
        *scenario.chain, scenario.posterior] if model == "park" else [])
    try:
        return _study(place, scenario, model, fs, outs, problem, ctx_kw, label, method=method,
                      n=n, replications=replications, target_width=target_width,
                      outputs=outputs, planned=planned, groups=groups,
                      second_order=second_order, workers=workers, scheduler=scheduler,
                      dask_local=dask_local, seed=seed, fresh=fresh, retries=retries,
                      runs_per_chunk=runs_per_chunk, resamples=resamples, discover=discover,
                      lang=lang, progress=progress, max_chunks=max_chunks, command=command,
                      log=log, t0=t0)
    finally:
        place.discard()  # the staging folder; after a commit there is none


def _check_size(problem, method: str, n: int, R: int, second_order: bool, workers: int,
                resamples: int, model: bool) -> None:
    """Refuse a study that cannot fit in memory or end within a day (model.resources): the
    design and its per-row results (every replication kept), the bootstrap of the analysis,
    and the processes; runs at the batch engine's lower-bound speed."""
    rows = n * rows_per_base(method, problem, second_order)
    n_var, n_out = problem["num_vars"], len(problem["outputs"])
    memory = (resources.process_memory(workers) + 8 * (3 * rows * n_var + 4 * rows * n_out
                                                       + 2 * rows * R * n_out
                                                       + 4 * n * resamples))
    seconds = rows * R * resources.SECONDS_PER_RUN["batch"] if model else 0.0
    resources.check("parksim sensitivity", memory=memory, seconds=seconds, workers=workers,
                    advice="use a smaller --n or fewer --replications")


def _study(place: places.OutputFolder, scenario, model, fs, outs, problem, ctx_kw, label, *,
           method, n, replications, target_width, outputs, planned, groups, second_order,
           workers, scheduler, dask_local, seed, fresh, retries, runs_per_chunk, resamples,
           discover, lang, progress, max_chunks, command, log, t0) -> Report:
    """The study itself, once every value and the folder are checked."""
    out = place.path
    if fresh:
        for sub in (out, out / "pilot"):
            shutil.rmtree(sub / "chunks", ignore_errors=True)
            (sub / "study.json").unlink(missing_ok=True)
            (sub / "failures.csv").unlink(missing_ok=True)
    ev = ctx_kw.get("evaluator")
    base_fp = {
        "model": model, "scenario": label,
        "scenario_digest": scenario.digest() if model == "park" else "-", "method": method,
        "factors": [[f.name, list(f.bounds), f.dist, f.group] for f in fs], "groups": groups,
        "second_order": second_order, "outputs": list(outs), "seeding": SEEDING,
        "evaluator": "model" if ev is None else
        f"{ev.__module__}.{ev.__name__}:{json.dumps(ctx_kw.get('options'), sort_keys=True)}",
        "engine": engine_digest() if ev is None else "-",
    }

    def run(N: int, R: int, s: int, folder: Path, bar: bool, max_ch=None, so=second_order):
        design = make_design(method, problem, N, s, so)
        ctx = EvalContext(tuple(fs), outs, s, R, **ctx_kw)
        fp = {**base_fp, "replications": R, "seed": s, "second_order": so}
        try:
            data = run_design(ctx, design, folder, fp, workers=workers, scheduler=scheduler,
                              dask_local=dask_local, retries=retries,
                              runs_per_chunk=runs_per_chunk, max_chunks=max_ch, progress=bar)
        except StudyError as e:
            raise InputError(folder / "failures.csv", "chunks", "every chunk to run (the study "
                             "stops rather than drop one; rerun to resume)", str(e)) from None
        return design, data

    plan = None
    if planned:
        plan = _plan(run, problem, outs, out / "pilot", seed, n=n, R=replications,
                     width=target_width, outputs_asked=outputs, log=log, lang=lang,
                     step=rows_per_base(method, problem, second_order))
        n, replications = plan.N, plan.R
        _check_size(problem, method, n, replications, second_order, workers, resamples,
                    model=ctx_kw.get("evaluator") is None)
    if log is not None:
        log(t("about_to_run", lang, N=n, R=replications,
              runs=f"{n * rows_per_base(method, problem, second_order) * replications:,}",
              eta="" if plan is None or not np.isfinite(plan.seconds_per_run) else
              t("eta", lang, t=_hms(plan.seconds(workers)), w=workers)))
    design, data = run(n, replications, seed, out, progress, max_chunks)
    if np.isnan(data.Y).any():  # stopped early on purpose (max_chunks)
        return Report(out, None, data, dict(problem), [], time.perf_counter() - t0, plan)
    det = frozenset(o for o, m in (plan.models.items() if plan else ()) if m.deterministic)
    an = analyse(problem, design, data.Y, outs, seed=seed, resamples=resamples,
                 deterministic=det)
    targets = [o for o in outs if o.startswith("P_")]
    boxes = (discovery.find_boxes(design, list(problem["names"]), data.Y, outs, targets)
             if discover else [])
    wall = time.perf_counter() - t0
    rep = Report(out, an, data, dict(problem), boxes, wall, plan)
    _write(rep, place.staging, scenario, model, label, fs, method, groups, seed, lang, workers,
           scheduler, dask_local, command)
    place.commit(manifest(
        "sensitivity", model=model,
        scenario={"name": label, "digest": base_fp["scenario_digest"]},
        method=method, n=n, replications=replications, seed=seed, second_order=second_order,
        groups=groups, factors=[f.name for f in fs], outputs=list(outs),
        seeding=SEEDING, evaluator=base_fp["evaluator"], engine_digest=base_fp["engine"]),
        local_record({"wall_time_s": round(wall, 3), "workers": workers,
                      "scheduler": scheduler, "dask_local": dask_local,
                      "runs_new": data.runs_new, "runs_reused": data.runs_reused,
                      "worker_seconds": round(data.worker_seconds, 3),
                      "chunk_runs": runs_per_chunk}))
    return rep


def _plan(run, problem, outs, folder: Path, seed: int, *, n, R, width, outputs_asked, log,
          lang, step) -> Plan:
    """Run the pilot (plan.pilot) in `folder` on its own seed, without second order (it
    plans S1 and ST; `step`, the study's rows per base point, prices the plan), and log it."""
    planned = [o for o in outs if o not in JOINT or (outputs_asked and o in outputs_asked)]
    ps = pilot_seed(seed)

    def run_pilot(Np):
        design, data = run(Np, PILOT_R, ps, folder, False, so=False)
        return design, data.Y, data.worker_seconds, data.runs

    p, Np = pilot(run_pilot, index_names(problem), outs, planned,
                  {o: width or DEFAULT_WIDTH for o in planned}, step, N=n, R=R)
    if not p.models:
        raise InputError(folder, "pilot", "an output that varies over the design to plan "
                         "for; give --n and --replications", ", ".join(planned))
    if log is not None:
        log(t("pilot", lang, N=Np, R=PILOT_R, runs=f"{p.pilot_runs:,}"))
        pred = p.predicted()
        for o, m in p.models.items():
            log(t("plan_line", lang, output=o, rho=fmt_num(m.rho), hw=f"{pred[o]:.3f}",
                  target=f"{p.targets[o]:.3f}"))
        for o, v in p.imprecise().items():
            log(t("plan_imprecise", lang, output=o, pct=f"{100 * v:.0f}"))
        for o, w in p.unplanned.items():
            log(f"  {o}: {w}")
        if not p.feasible:
            log(t("plan_unreachable", lang, N=p.N, R=p.R))
    return p


def _write(rep: Report, tmp: Path, scenario, model, label, fs, method, groups, seed, lang,
           workers, scheduler, dask_local, command) -> None:
    """Every result into the staging folder `tmp`; model.outputs moves them into place."""
    (tmp / "figures").mkdir()
    an = rep.analysis
    places.write_csv(an.indices, tmp / "indices.csv")
    places.write_csv(an.convergence, tmp / "convergence.csv")
    places.write_csv(an.noise, tmp / "noise.csv")
    places.write_csv(an.ranking, tmp / "ranking.csv")
    places.write_csv(_plan_table(rep), tmp / "plan.csv")
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
    (tmp / "summary.md").write_text(
        summary(rep, scenario, model, label, fs, method, groups, seed, lang, command),
        encoding="utf-8")


def _plan_table(rep: Report) -> pd.DataFrame:
    """plan.csv: per output the pilot's noise-to-signal ratio, the target and the predicted
    half-width at the N and R run, the relative standard error of the pilot's Var m(X) (the
    predictions scale with it), and the half-width reached (largest over its indices)."""
    an, d = rep.analysis, rep.data
    got = (an.indices[an.indices["index"].isin(["S1", "ST"])]
           .assign(hw=lambda e: (e["upper"] - e["lower"]) / 2).groupby("output")["hw"].max())
    if rep.plan is not None:
        tab = rep.plan.table()
    else:
        tab = pd.DataFrame([(o, np.nan, False, np.nan, np.nan, d.design.N, d.R, np.nan,
                             "N and R given: no pilot") for o in d.outputs],
                           columns=TABLE_COLUMNS)
    return tab.assign(achieved_half_width=tab["output"].map(got))


def _clip(v: float) -> str:
    return fmt_num(float(np.clip(v, 0.0, 1.0)))


def _driver_items(an: Analysis, o: str, prim: str, lang: str) -> list[str]:
    """The top three indices of output o (raw value > 0.01), shown clipped to [0, 1]; a
    flagged one is marked †."""
    e = an.indices[(an.indices["output"] == o) & (an.indices["index"] == prim)]
    e = e[e["value"] > 0.01].sort_values("value", ascending=False).head(3)
    clip = prim in ("S1", "ST")
    return [t("driver_item", lang, f=r.factor + (" †" if r.warning else ""), idx=prim,
              v=_clip(r.value) if clip else fmt_num(r.value),
              lo=_clip(r.lower) if clip else fmt_num(r.lower),
              hi=_clip(r.upper) if clip else fmt_num(r.upper)) for r in e.itertuples()]


def summary(rep: Report, scenario, model, label, fs, method, groups, seed, lang,
            command) -> str:
    """summary.md: the top drivers of cost and of each target in plain words."""
    an, d = rep.analysis, rep.data
    prim = PRIMARY[method]
    names = index_names(rep.problem)
    L = [f"# {t('title', lang, scenario=label)}", ""]
    L.append(t("meta", lang, method=method, N=d.design.N, rows=d.design.rows, R=d.R, seed=seed,
               runs=f"{d.runs:,}", k=len(names),
               what=t("what_groups" if groups else "what_factors", lang)))
    p = rep.plan
    if p is not None:
        L += ["", t("plan_note", lang, N=p.N, R=p.R, pilot=f"{p.pilot_runs:,}", w=max(
            p.targets.values()), outputs=", ".join(p.models)) + (
            "" if p.feasible else " " + t("plan_unreachable", lang, N=p.N, R=p.R))]
    if method == "sobol":
        L += ["", t("method_sobol", lang, K=SCRAMBLES)]
    if model == "park":
        L += ["", t("outputs_note", lang, start=scenario.start, horizon=scenario.horizon)]
    else:
        L += ["", t("analytic_note", lang, model=model)]
    if any(f.source in ("clause", "switch") for f in fs):
        L += ["", f"Policy levers range from {LEVER_RANGE[0]:g}x to {LEVER_RANGE[1]:g}x the "
              "value written in the scenario (assumption); p1_award and p12_paid_share use "
              "the ranges in switches.toml." if lang == "en" else
              f"政策杠杆取值为情景中写明数值的{LEVER_RANGE[0]:g}至{LEVER_RANGE[1]:g}倍(假设);"
              "p1_award与p12_paid_share取switches.toml中的范围。"]
    noise = an.noise.set_index("output")
    careful = [o for o in d.outputs if o in noise.index and (
        o in JOINT or noise.loc[o, "status"] in ("noise dominates", "no signal beyond noise"))]
    means = dict(zip(d.outputs, d.mean.mean(axis=0), strict=True))

    def line(o):
        items = _driver_items(an, o, prim, lang)
        if not items:  # every index is about zero: nothing stands out
            return None
        mean = means[o]
        mtxt = f"{mean:.2f}" if o.startswith("P_") or model != "park" else \
            f"{fmt_num(mean)} 万元"
        return t("driver_line", lang, output=output_label(o, lang), mean=mtxt,
                 list=t("then", lang).join(items))

    L += ["", f"## {t('drivers', lang)}", ""]
    L += [x for o in d.outputs if o not in careful and (x := line(o))]
    const = an.noise[an.noise["status"] == "constant"]["output"].tolist()
    if const:
        L += ["", t("constant", lang, list=", ".join(output_label(o, lang) for o in const))]
    failed = an.noise[an.noise["status"].str.startswith("analysis failed")]
    for r in failed.itertuples():
        L.append(f"- {output_label(r.output, lang)}: {r.status}")
    if careful:
        L += ["", f"## {t('careful', lang)}", "", t("careful_lead", lang), ""]
        for o in careful:
            rho = noise.loc[o, "rho"]
            why = t("why_joint" if o in JOINT else "why_noise", lang,
                    rho=fmt_num(rho) if np.isfinite(rho) else "-")
            L.append((line(o) or f"- **{output_label(o, lang)}**:") + " " + why)
    if model != "park" and method == "sobol":
        L += ["", f"## {t('known', lang)}", "", _known_answer(an, lang)]
    L += ["", f"## {t('noise', lang)}", "", t("noise_lead", lang, warn=NOISE_WARN,
                                                  dom=NOISE_DOMINATES), ""]
    for r in an.noise.itertuples():
        if r.status == "constant":
            continue
        share = "-" if not np.isfinite(r.noise_share) else f"{r.noise_share:.1%}"
        rho = "-" if not np.isfinite(r.rho) else fmt_num(r.rho)
        key = f"status_{r.status}"
        st = t(key, lang) if key in STATUS_KEYS else r.status
        L.append(t("noise_line", lang, output=output_label(r.output, lang), rho=rho,
                   share=share, status=st))
    nflag = int((an.indices["warning"].fillna("") != "").sum())
    if nflag:
        L += ["", t("flagged", lang, n=nflag, wide=WIDE)]
    if not an.ranking.empty:
        r0 = an.ranking.iloc[0]
        L += ["", f"## {t('convergence', lang)}", "",
              t("conv_lead", lang, idx=prim, n1=r0.n_first, n2=r0.n_second), ""]
        for r in an.ranking.itertuples():
            verdict = t("stable" if r.order_stable else "set_stable" if r.set_stable
                        else "unstable", lang)
            L.append(t("conv_line", lang, output=output_label(r.output, lang),
                       top=r.top3_first, top2=r.top3_second, verdict=verdict))
    if rep.boxes:
        L += ["", f"## {t('discovery', lang)}", "", t("disc_lead", lang), ""]
        L += [f"- {discovery.describe(b, lang)}" for b in rep.boxes]
    if d.failures:
        L += ["", t("failed_chunks", lang, n=len(d.failures))]
    L += ["", f"## {t('files', lang)}", "",
          "indices.csv, convergence.csv, noise.csv, ranking.csv, plan.csv, discovery.csv, "
          "factors.csv, problem.json, figures/*.png", ""]
    if command:
        L += [t("rerun", lang), "", "```", command, "```", ""]
    return "\n".join(L)


def _known_answer(an: Analysis, lang: str) -> str:
    """A table of the estimates against the known indices of a test problem."""
    head = t("known_head", lang)
    rows = [head, "|---|---|---|---|---|"]
    ind = an.indices.set_index(["index", "factor"])
    for key, truth in (("S1", analytic.ISHIGAMI_S1), ("ST", analytic.ISHIGAMI_ST)):
        for f, v in zip(analytic.FACTORS, truth, strict=True):
            if (key, f) not in ind.index:
                continue
            r = ind.loc[(key, f)]
            inside = t("yes" if r["lower"] <= v <= r["upper"] else "no", lang)
            rows.append(f"| {key}({f}) | {r['value']:.4f} | [{r['lower']:.4f}, "
                        f"{r['upper']:.4f}] | {v:.4f} | {inside} |")
    return "\n".join(rows)


# -- the CLI -------------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", default=None,
                   help="scenario TOML file or a name in scenarios/ (--model park)")
    p.add_argument("--model", choices=MODELS, default="park",
                   help="the park model, or a known-answer test problem (no scenario)")
    p.add_argument("--method", choices=METHODS, default="sobol",
                   help="SALib method: Sobol indices, Morris screening, PAWN or delta")
    p.add_argument("--n", type=int, default=None, help="base samples (Sobol: a power of 2), "
                   "trajectories (Morris) or samples (PAWN, delta) (default: Sobol, a pilot "
                   f"chooses it; others {DEFAULT_N})")
    p.add_argument("--replications", "-R", type=int, default=None,
                   help="replications per design point, each base point on its own seeds "
                   f"(default: Sobol, a pilot chooses it; others {DEFAULT_R})")
    p.add_argument("--target-width", type=float, default=None, metavar="W",
                   help="Sobol: the half-width of the 95%% interval wanted for every index of "
                   "the outputs studied; a pilot chooses what of --n and -R is not given "
                   f"(default when either is omitted: {DEFAULT_WIDTH})")
    p.add_argument("--outputs", nargs="+", default=None, metavar="NAME",
                   help="only these outputs (default: every cost and target)")
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
                   help="root seed of the design and of every run's seeds (default: the "
                   f"scenario's; {analytic.DEFAULT_SEED} for a test problem)")
    p.add_argument("--retries", type=int, default=RETRIES, help="retries of a failed chunk")
    p.add_argument("--chunk-runs", type=int, default=None,
                   help=f"model runs per chunk (memory bound; default {RUNS_PER_CHUNK:,}, "
                   f"{analytic.RUNS_PER_CHUNK:,} for a test problem)")
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
    if args.model != "park" and args.scenario is not None:
        raise InputError("sensitivity", "scenario", f"no scenario with --model {args.model} "
                         "(a test problem has its own factors)", args.scenario)
    sc = load_scenario(scenario_path(args.scenario)) if args.scenario is not None else None
    argv = [a for a in sys.argv[1:] if a != "--fresh"] if sys.argv and "parksim" in \
        sys.argv[0] else []
    command = "parksim " + shlex.join(argv) if argv else ""
    rep = study(sc, model=args.model, method=args.method, n=args.n,
                replications=args.replications, target_width=args.target_width,
                outputs=args.outputs, factors=args.factors, groups=args.groups,
                second_order=args.second_order, out=args.out, workers=args.workers,
                scheduler=args.scheduler, dask_local=args.dask_local, seed=args.seed,
                fresh=args.fresh, retries=args.retries, runs_per_chunk=args.chunk_runs,
                discover=not args.no_discovery, lang=lang, command=command)
    if rep.data.runs_reused:
        print(t("resumed", lang, runs=f"{rep.data.runs_reused:,}",
                chunks=rep.data.chunks_reused, dir=Path(args.out) / "chunks"))
    print(t("done", lang, out=args.out, runs=f"{rep.data.runs:,}", wall=_hms(rep.wall)))
    return 0
