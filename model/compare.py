"""`parksim compare A.toml B.toml [...]` and `parksim scenarios`.

Every scenario runs on the same replication roots (one root seed, the same R), each paired with
its no-policy counterfactual (model.experiments.monte_carlo). Replication r of scenario B is
then the same zone, drawn with the same random numbers, as replication r of scenario A, so
B - A is computed run by run (common random numbers): the paired difference is much sharper
than the difference of two independent means. The first scenario is the reference.

Outputs (one folder, written to a temp folder and renamed at the end): comparison.csv (tidy),
comparison.png (P(target) with Wilson intervals, cost quantiles, additionality) and
comparison.md.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from model import outputs, resources, values
from model.errors import InputError
from model.experiments import (
    Experiment,
    additionality_table,
    bytes_per_replication,
    monte_carlo,
    n_runs,
    paired_ci,
    wilson,
)
from model.i18n import t
from model.policy.core import KIND_CODES
from model.run_record import engine_digest, file_digest, local_record, manifest
from model.scenario import ROOT, Scenario, list_scenarios, load_scenario, scenario_path
from model.targets import TARGET_IDS, load_targets
from model.workers import default_workers

COST_STATS = ("mean", "p5", "p50", "p90", "p95")
BUDGET_LINE = "budget_line"  # the comparison table's attrs key for --budget-line
FILES = ("comparison.csv", "comparison.png", "comparison.md")
WORKBOOK = "comparison.xlsx"  # --xlsx


@dataclass
class Comparison:
    scenarios: list[Scenario]
    experiments: list[Experiment]
    replications: int
    seed: int

    @property
    def names(self) -> list[str]:
        """Scenario names, made unique (a file compared with itself keeps both columns)."""
        out: list[str] = []
        for s in self.scenarios:
            n, k = s.name, 2
            while n in out:
                n, k = f"{s.name}#{k}", k + 1
            out.append(n)
        return out


def compare(scenarios: list, replications: int | None = None, seed: int | None = None, *,
            chunk: int = 500, progress=None, engine: str = "batch",
            workers: int = 1) -> Comparison:
    """Run every scenario on the same roots: R and the seed default to the first scenario's."""
    scs = [s if isinstance(s, Scenario) else load_scenario(scenario_path(s)) for s in scenarios]
    if len(scs) < 2:
        raise InputError("compare", "scenarios", "at least two scenario files", len(scs))
    R = values.whole("--replications", replications if replications is not None
                     else scs[0].replications, 2, what="a whole number (paired intervals "
                     "need two)")
    S = values.seed("--seed", seed if seed is not None else scs[0].seed)
    chunk = values.whole("--chunk", chunk, 1)
    exps = [monte_carlo(s, R, S, chunk=chunk, ledger_reps=0, cap_reps=0, progress=progress,
                        engine=engine, workers=workers) for s in scs]
    return Comparison(scs, exps, R, S)


# -- per-replication quantities ------------------------------------------------------------------
def _cost(exp: Experiment, kind: str = "all") -> np.ndarray:
    """Money paid over the run, per replication (万元); kind 'all', a KIND_CODES entry, or
    'committed' (due after the horizon)."""
    if kind == "committed":
        return exp.committed.sum(axis=(1, 2, 3))
    if kind == "all":
        return exp.paid.sum(axis=(1, 2, 3))
    return exp.paid[:, :, KIND_CODES.index(kind), :].sum(axis=(1, 2))


def _unpaid(exp: Experiment) -> np.ndarray:
    """Claims a budget line left unpaid by the horizon (dropped, or carried and still owed)."""
    return exp.claims.sum(axis=(1, 2, 3)) - exp.paid.sum(axis=(1, 2, 3))


def _q(x: np.ndarray) -> dict[str, float]:
    return {"mean": float(x.mean()), **{s: float(np.quantile(x, int(s[1:]) / 100))
                                         for s in COST_STATS if s != "mean"}}


def _over(exp: Experiment, line: float) -> np.ndarray:
    """(R, Y+1): a year's total outlay above the budget line, per year and in any year."""
    over = exp.paid.sum(axis=(1, 2)) > line
    return np.c_[over, over.any(axis=1)]


def comparison_table(cmp: Comparison, budget_line: float | None = None) -> pd.DataFrame:
    """Tidy table: scenario, measure, item, statistic, value, unit, reference.

    measures: p_met (Wilson 95%), cost (quantiles over replications), additionality (policy
    minus its counterfactual, paired t 95%; additionality_rel: the same over the
    counterfactual mean), unpaid (budget lines only), and for every
    scenario after the first the paired differences from it: p_met_diff, indicator_diff,
    cost_diff, additionality_diff (mean with a paired-t 95% interval). With `budget_line`
    (万元 per year): p_exceeds, P(a year's total outlay above it) per year and in any year
    (Wilson 95%), and its paired difference p_exceeds_diff."""
    t_ = load_targets()
    ref = cmp.experiments[0]
    names = cmp.names
    rows: list[tuple] = []

    def add(scn, measure, item, stat, value, unit, vs=""):
        rows.append((scn, measure, item, stat, float(value), unit, vs))

    def add_ci(scn, measure, item, est, lo, hi, unit, vs=""):
        for stat, v in (("estimate", est), ("ci_low", lo), ("ci_high", hi)):
            add(scn, measure, item, stat, v, unit, vs)

    for name, exp in zip(names, cmp.experiments, strict=True):
        R = exp.replications
        met = exp.met()[0]  # policy arm, (R, 9)
        for j, tid in enumerate([*TARGET_IDS, "all"]):
            hit = met[:, j] if tid != "all" else met.all(axis=1)
            lo, hi = wilson(int(hit.sum()), R)
            add_ci(name, "p_met", tid, hit.mean(), lo, hi, "probability")
        for kind in ("all", *KIND_CODES, "committed"):
            for stat, v in _q(_cost(exp, kind)).items():
                add(name, "cost", kind, stat, v, "万元")
        if budget_line is not None:
            over = _over(exp, budget_line)
            for y, yl in enumerate([*(str(y) for y in exp.years), "any"]):
                k = int(over[:, y].sum())
                add_ci(name, "p_exceeds", yl, k / R, *wilson(k, R), "probability")
        if exp.spec.budget is not None:
            for stat, v in _q(_unpaid(exp)).items():
                add(name, "unpaid", "all", stat, v, "万元")
        ad = additionality_table(exp, n_boot=200)
        for r in ad[ad["measure"] == "difference"].itertuples():
            add_ci(name, "additionality", r.target, r.estimate, r.ci_low, r.ci_high, r.unit)
            base = r.counterfactual_mean if r.counterfactual_mean else np.nan
            add_ci(name, "additionality_rel", r.target, r.estimate / base, r.ci_low / base,
                   r.ci_high / base, "share of the counterfactual mean")
    ref_met, ref_fin = ref.met()[0], ref.final
    for name, exp in zip(names[1:], cmp.experiments[1:], strict=True):
        vs = names[0]
        met, fin = exp.met()[0], exp.final
        for j, tid in enumerate([*TARGET_IDS, "all"]):
            a = ref_met[:, j] if tid != "all" else ref_met.all(axis=1)
            b = met[:, j] if tid != "all" else met.all(axis=1)
            add_ci(name, "p_met_diff", tid, *paired_ci(b.astype(float) - a), "probability", vs)
        for j, tid in enumerate(TARGET_IDS):
            unit = t_[tid]["unit"]
            add_ci(name, "indicator_diff", tid, *paired_ci(fin[0, :, j] - ref_fin[0, :, j]),
                   unit, vs)
            add_b = fin[0, :, j] - fin[1, :, j]
            add_a = ref_fin[0, :, j] - ref_fin[1, :, j]
            add_ci(name, "additionality_diff", tid, *paired_ci(add_b - add_a), unit, vs)
        for kind in ("all", *KIND_CODES, "committed"):
            add_ci(name, "cost_diff", kind, *paired_ci(_cost(exp, kind) - _cost(ref, kind)),
                   "万元", vs)
        if budget_line is not None and exp.years == ref.years:
            d = _over(exp, budget_line)[:, -1].astype(float) - _over(ref, budget_line)[:, -1]
            add_ci(name, "p_exceeds_diff", "any", *paired_ci(d), "probability", vs)
    out = pd.DataFrame(rows, columns=["scenario", "measure", "item", "statistic", "value",
                                      "unit", "reference"])
    if budget_line is not None:
        out.attrs[BUDGET_LINE] = budget_line
    return out


# -- the figure ---------------------------------------------------------------------------------
def figure(table: pd.DataFrame, names: list[str], path: Path, lang: str = "en") -> None:
    """Three panels side by side: P(target met) with Wilson 95% bars, total cost quantiles
    (P5-P95 line, P50 dot, mean diamond), additionality per target as a share of the
    counterfactual mean (the targets' units differ; the share puts them on one axis)."""
    from model.report.figures import figure_lang, plt

    lang = figure_lang(lang)
    items = [*TARGET_IDS, "all"]
    n = len(names)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), dpi=90,
                             gridspec_kw={"width_ratios": [2.2, 1.2, 2.2]})
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    w = 0.8 / n

    def get(scn, measure, item, stat):
        m = ((table.scenario == scn) & (table.measure == measure) & (table["item"] == item)
             & (table.statistic == stat))
        v = table.loc[m, "value"]
        return float(v.iloc[0]) if len(v) else np.nan

    ax = axes[0]
    for s, scn in enumerate(names):
        x = np.arange(len(items)) + (s - (n - 1) / 2) * w
        est = np.array([get(scn, "p_met", i, "estimate") for i in items])
        lo = np.array([get(scn, "p_met", i, "ci_low") for i in items])
        hi = np.array([get(scn, "p_met", i, "ci_high") for i in items])
        ax.bar(x, est, w, color=colors[s % len(colors)], label=scn, alpha=0.85)
        ax.errorbar(x, est, yerr=[est - lo, hi - est], fmt="none", ecolor="k", lw=0.8, capsize=2)
    ax.set_xticks(np.arange(len(items)), [i if i != "all" else t("cmp_all_nine", lang)
                                          for i in items])
    ax.set_ylim(0, 1.05)
    ax.set_title(t("cmp_fig_pmet", lang))
    ax.legend(fontsize=8, loc="upper right")

    ax = axes[1]
    for s, scn in enumerate(names):
        q = {k: get(scn, "cost", "all", k) for k in COST_STATS}
        ax.plot([s, s], [q["p5"], q["p95"]], color=colors[s % len(colors)], lw=3)
        ax.plot(s, q["p50"], "o", color="k")
        ax.plot(s, q["mean"], "D", color="w", mec="k")
    ax.set_xticks(range(n), names, rotation=30, ha="right", fontsize=8)
    ax.set_title(t("cmp_fig_cost", lang))
    ax.set_ylabel("万元" if lang == "zh" else "wan yuan (10,000 yuan)")

    ax = axes[2]
    for s, scn in enumerate(names):
        x = np.arange(len(TARGET_IDS)) + (s - (n - 1) / 2) * w
        est, lo, hi = (100 * np.array([get(scn, "additionality_rel", i, stat)
                                       for i in TARGET_IDS])
                       for stat in ("estimate", "ci_low", "ci_high"))
        ax.bar(x, est, w, color=colors[s % len(colors)], alpha=0.85)
        ok = ~np.isnan(lo)
        ax.errorbar(x[ok], est[ok], yerr=[(est - lo)[ok], (hi - est)[ok]], fmt="none",
                    ecolor="k", lw=0.8, capsize=2)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(np.arange(len(TARGET_IDS)), list(TARGET_IDS))
    ax.set_title(t("cmp_fig_add", lang))
    ax.set_ylabel("%")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# -- the page -----------------------------------------------------------------------------------
def _num(x: float) -> str:
    """Signed, with as many digits as the size needs (shares and counts in one table)."""
    if np.isnan(x):
        return "n/a"
    if x == 0 or abs(x) >= 100:
        return f"{x:+,.0f}"
    return f"{x:+.1f}" if abs(x) >= 1 else f"{x:+.3g}"


def _fmt_ci(est: float, lo: float, hi: float, pct: bool = False) -> str:
    if pct:
        return f"{100 * est:+.1f} pp [{100 * lo:+.1f}, {100 * hi:+.1f}]"
    return f"{_num(est)} [{_num(lo)}, {_num(hi)}]"


def render(cmp: Comparison, table: pd.DataFrame, lang: str = "en") -> str:
    """comparison.md: the settings, the side-by-side table, the paired differences, and a few
    sentences on what differs beyond chance."""
    names = cmp.names

    def get(scn, measure, item, stat):
        m = ((table.scenario == scn) & (table.measure == measure) & (table["item"] == item)
             & (table.statistic == stat))
        v = table.loc[m, "value"]
        return float(v.iloc[0]) if len(v) else np.nan

    lines = [f"# {t('cmp_title', lang)}", "",
             t("cmp_meta", lang, R=cmp.replications, seed=cmp.seed, ref=names[0]), ""]
    for s in cmp.scenarios:
        lines.append(f"- **{s.name}** (`{s.path.name if s.path else '-'}`, digest "
                     f"`{s.digest()}`, {s.start}–{s.horizon}): {s.purpose}")
    horizons = {s.horizon for s in cmp.scenarios}
    if len(horizons) > 1:
        lines += ["", t("cmp_horizons", lang, h=", ".join(str(h) for h in sorted(horizons)))]
    lines += ["", f"## {t('cmp_side', lang)}", "",
              "| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for item in [*TARGET_IDS, "all"]:
        label = item if item != "all" else t("cmp_all_nine", lang)
        cells = [f"{get(n, 'p_met', item, 'estimate'):.2f} [{get(n, 'p_met', item, 'ci_low'):.2f}"
                 f", {get(n, 'p_met', item, 'ci_high'):.2f}]" for n in names]
        lines.append(f"| P({label}) | " + " | ".join(cells) + " |")
    for stat in ("mean", "p50", "p90", "p95"):
        cells = [f"{get(n, 'cost', 'all', stat):,.0f}" for n in names]
        lines.append(f"| {t('cmp_cost_row', lang, stat=stat.upper())} | " + " | ".join(cells)
                     + " |")
    cells = [f"{get(n, 'cost', 'committed', 'mean'):,.0f}" for n in names]
    lines.append(f"| {t('cmp_committed_row', lang)} | " + " | ".join(cells) + " |")
    if (table["measure"] == "p_exceeds").any():
        cells = [f"{get(n, 'p_exceeds', 'any', 'estimate'):.2f} "
                 f"[{get(n, 'p_exceeds', 'any', 'ci_low'):.2f}, "
                 f"{get(n, 'p_exceeds', 'any', 'ci_high'):.2f}]" for n in names]
        lines.append(f"| {t('cmp_exceeds_row', lang, x=f'{table.attrs[BUDGET_LINE]:,.0f}')} | "
                     + " | ".join(cells) + " |")
    if any(s.budget is not None for s in cmp.scenarios):
        cells = [(f"{get(n, 'unpaid', 'all', 'mean'):,.0f}" if s.budget is not None else "–")
                 for n, s in zip(names, cmp.scenarios, strict=True)]
        lines.append(f"| {t('cmp_unpaid_row', lang)} | " + " | ".join(cells) + " |")
    for tid in TARGET_IDS:
        cells = [_fmt_ci(get(n, "additionality", tid, "estimate"),
                         get(n, "additionality", tid, "ci_low"),
                         get(n, "additionality", tid, "ci_high")) for n in names]
        lines.append(f"| {t('cmp_add_row', lang, tid=tid)} | " + " | ".join(cells) + " |")
    lines += ["", f"## {t('cmp_diff', lang, ref=names[0])}", "", t("cmp_diff_lead", lang), "",
              "| | " + " | ".join(names[1:]) + " |", "|---|" + "---:|" * (len(names) - 1)]
    for item in [*TARGET_IDS, "all"]:
        label = item if item != "all" else t("cmp_all_nine", lang)
        cells = [_fmt_ci(*(get(n, "p_met_diff", item, s) for s in ("estimate", "ci_low",
                                                                      "ci_high")), pct=True)
                 for n in names[1:]]
        lines.append(f"| ΔP({label}) | " + " | ".join(cells) + " |")
    for tid in TARGET_IDS:
        cells = [_fmt_ci(*(get(n, "indicator_diff", tid, s) for s in ("estimate", "ci_low",
                                                                        "ci_high")))
                 for n in names[1:]]
        lines.append(f"| Δ{tid} | " + " | ".join(cells) + " |")
    for kind in ("all", "committed"):
        cells = [_fmt_ci(*(get(n, "cost_diff", kind, s) for s in ("estimate", "ci_low",
                                                                    "ci_high")))
                 for n in names[1:]]
        lines.append(f"| {t('cmp_dcost_' + kind, lang)} | " + " | ".join(cells) + " |")
    lines += ["", f"## {t('cmp_reading', lang)}", ""]
    for n in names[1:]:
        sig = []
        for tid in TARGET_IDS:
            lo, hi = get(n, "indicator_diff", tid, "ci_low"), get(n, "indicator_diff", tid,
                                                                   "ci_high")
            if lo > 0 or hi < 0:
                sig.append(f"{tid} {_num(get(n, 'indicator_diff', tid, 'estimate'))}")
        dc = [get(n, "cost_diff", "all", s) for s in ("estimate", "ci_low", "ci_high")]
        cost = (t("cmp_cost_same", lang) if dc[1] <= 0 <= dc[2] else
                t("cmp_cost_more" if dc[0] > 0 else "cmp_cost_less", lang,
                  d=f"{abs(dc[0]):,.0f}", lo=f"{dc[1]:+,.0f}", hi=f"{dc[2]:+,.0f}"))
        moved = ", ".join(sig) if sig else t("cmp_none_moved", lang)
        lines.append("- " + t("cmp_sentence", lang, name=n, ref=names[0], cost=cost,
                              moved=moved))
    lines += ["", t("cmp_files", lang), ""]
    return "\n".join(lines)


# -- writing ------------------------------------------------------------------------------------
def default_folder(scs: list[Scenario]) -> Path:
    """results/compare_A__B[...]; a digest when the names would make too long a file name."""
    name = "compare_" + "__".join(s.name for s in scs)
    if len(name.encode()) > 120:
        name = "compare_" + hashlib.sha256(name.encode()).hexdigest()[:16]
    return ROOT / "results" / name


def run(paths: list, *, replications: int | None = None, seed: int | None = None,
        out: Path | None = None, lang: str = "en", chunk: int = 500,
        progress: bool = False, engine: str = "batch", workers: int | None = None,
        budget_line: float | None = None, xlsx: bool = False) -> Path:
    """Load and check every scenario and the output folder first, run them, then write.
    `workers` defaults to model.workers.default_workers(), as for `parksim run`."""
    scs = [load_scenario(scenario_path(p)) for p in paths]  # all checked before any run
    if len(scs) < 2:
        raise InputError("compare", "scenarios", "at least two scenario files", len(scs))
    R = values.whole("--replications", replications if replications is not None
                     else scs[0].replications, 2, what="a whole number (paired intervals "
                     "need two)")
    S = values.seed("--seed", seed if seed is not None else scs[0].seed)
    chunk = values.whole("--chunk", chunk, 1)
    workers = values.workers("--workers", default_workers() if workers is None else workers)
    if engine not in ("batch", "mesa"):
        raise InputError("--engine", "value", "batch or mesa", engine)
    if budget_line is not None:
        budget_line = values.option_amount("--budget-line", budget_line, "万元 per year")
    resources.check("parksim compare", memory=resources.process_memory(workers)
                    + sum(R * bytes_per_replication(s) for s in scs),
                    seconds=sum(n_runs(s, R) for s in scs) * resources.SECONDS_PER_RUN[engine],
                    workers=workers if engine == "batch" else 1,
                    advice="use fewer replications (--replications) or fewer scenarios"
                    + (", fewer --workers" if workers > 1 else ""))
    place = outputs.prepare_folder(out if out is not None else default_folder(scs), "compare",
                                   writes=(*FILES, WORKBOOK), explicit=out is not None,
                                   inputs=[f for s in scs for f in (*s.chain, s.posterior)])
    with place:
        if engine == "batch":  # compile (once) and start the workers before the clock
            from model import warmup

            warmup.prepare(scs[0], S, warmup.pool_size(R, chunk, workers),
                           _say if progress else lambda m: None, t("compile_notice", lang))
        t0 = time.perf_counter()
        bar = None
        if progress:
            from tqdm import tqdm

            # progress counts runs, a scenario's policy and counterfactual runs each
            bar = tqdm(total=sum(n_runs(s, R) for s in scs), unit="run", desc="compare",
                       file=sys.stderr)
        try:
            cmp = compare(scs, replications, seed, chunk=chunk,
                          progress=bar.update if bar else None, engine=engine, workers=workers)
        finally:
            if bar:
                bar.close()
        table = comparison_table(cmp, budget_line)
        tmp = place.staging
        outputs.write_csv(table, tmp / "comparison.csv", float_format="%.10g",
                          encoding=outputs.csv_encoding(lang))
        if xlsx:
            from model.i18n import localise
            from model.workbook import Sheet, workbook_bytes

            (tmp / WORKBOOK).write_bytes(workbook_bytes(
                [Sheet("comparison", localise(table, lang))], lang, title="parksim compare"))
        figure(table, cmp.names, tmp / "comparison.png", lang)
        (tmp / "comparison.md").write_text(render(cmp, table, lang), encoding="utf-8")
        place.commit(manifest(
            "compare", scenarios=[{"name": s.name, "digest": s.digest(), **(
                {"posterior_digest": file_digest(s.posterior)} if s.posterior else {})}
                for s in scs], reference=cmp.names[0], root_seed=cmp.seed,
            replications=cmp.replications, engine=engine, engine_digest=engine_digest(),
            budget_line_wan_yuan=budget_line, lang=lang),
            local_record({"wall_time_s": round(time.perf_counter() - t0, 3), "chunk": chunk,
                          "workers": workers,
                                      "scenario_paths": [str(s.path) for s in scs]}))
    return place.path


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def print_scenarios(lang: str = "en", folder: Path | None = None) -> int:
    """`parksim scenarios`: each shipped scenario's file and purpose line."""
    rows = list_scenarios(folder, lang) if folder else list_scenarios(lang=lang)
    print(t("scn_title", lang))
    width = max(len(f) for f, _, _ in rows)
    for f, _, purpose in rows:
        print(f"  {f:<{width}}  {purpose}")
    print(t("scn_hint", lang))
    return 0


# -- the CLI ------------------------------------------------------------------------------------
def args_compare(p: argparse.ArgumentParser) -> None:
    """`parksim compare` options (`--lang` comes from the CLI)."""
    p.add_argument("scenarios", nargs="+", help="two or more scenario files (or names in "
                   "scenarios/); the first is the reference")
    p.add_argument("--replications", "-R", type=int, default=None,
                   help="replications (default: the first scenario's)")
    p.add_argument("--seed", type=int, default=None,
                   help="root seed, shared by every scenario (default: the first scenario's)")
    p.add_argument("--out", default=None, help="output folder: new, or an earlier `parksim "
                   "compare` output (default: results/compare_<names>/)")
    from model.report.run_command import add_engine_options

    add_engine_options(p)
    p.add_argument("--xlsx", action="store_true",
                   help="also write comparison.xlsx: the comparison table as an Excel sheet")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def args_scenarios(p: argparse.ArgumentParser) -> None:
    """`parksim scenarios` has no options of its own."""


def cmd_compare(args: argparse.Namespace) -> int:
    """Run the scenarios on common random numbers and write the comparison folder."""
    if len(args.scenarios) < 2:
        raise InputError("compare", "scenarios", "at least two scenario files",
                         len(args.scenarios))
    out = run(args.scenarios, replications=args.replications, seed=args.seed, out=args.out,
              lang=getattr(args, "lang", "en"), chunk=args.chunk, progress=not args.quiet,
              engine=args.engine, workers=args.workers, budget_line=args.budget_line,
              xlsx=args.xlsx)
    print(out)
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the shipped scenarios with their purpose lines."""
    return print_scenarios(getattr(args, "lang", "en"))


COMPARE_HELP = ("scenarios side by side on common random numbers: P(target), cost, "
                "additionality, paired differences")
SCENARIOS_HELP = "list the shipped scenarios with their purpose lines"


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (python -m model.compare compare|scenarios ...); `parksim` registers
    the same two commands in model/cli.py."""
    p = argparse.ArgumentParser(prog="parksim")
    sub = p.add_subparsers(dest="command", required=True)
    for name, add, fn, h in (("compare", args_compare, cmd_compare, COMPARE_HELP),
                             ("scenarios", args_scenarios, cmd_scenarios, SCENARIOS_HELP)):
        q = sub.add_parser(name, help=h)
        q.add_argument("--lang", choices=("en", "zh"), default="en")
        add(q)
        q.set_defaults(func=fn)
    args = p.parse_args(argv)
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(SystemExit(128 + s)))
    try:
        return args.func(args)
    except InputError as e:
        print(f"parksim: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
