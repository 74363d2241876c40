"""Posterior predictive checks: does the calibrated model reproduce each fact, fitted or not?

For N parameter sets drawn from the posterior (one replication each, with its no-policy
counterfactual on the same random numbers), the model's statistic for every fact in
calibration/observed.csv; the same for N draws from the prior and N replications at the
registry defaults, for contrast. A fact is *reproduced* when
- compare = near: its tolerance band overlaps the model's 90% predictive interval;
- compare = above: the model's median is at least the value minus the tolerance.
Writes validation.csv/.md, posterior_summary.csv, one figure per fact and one of the
posterior marginals into the results folder, each file renamed into place when complete.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from model.batch import replication_seeds, roots_from_seeds
from model.calibration.observed import Fact
from model.calibration.posterior import draw_posterior, load_posterior, resolve, summary
from model.calibration.summaries import simulate, statistics
from model.outputs import ROOT, follow_umask, write_csv
from model.params import load_registry

HORIZON = 2025
WRITES = ("validation.csv", "validation.md", "validation.json", "posterior_summary.csv",
          "predictive_samples.csv", "posterior_marginals.png", "fact_*.png")  # model.outputs


def predictive(params: dict, n: int, seed: int, ids, *, workers: int = 1,
               progress: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
    """{fact id: (n,) values}: n runs (params scalars or (n,) arrays) with their
    counterfactuals on the same roots (replications seeded from `seed`)."""
    roots = roots_from_seeds(replication_seeds(seed, n))
    both = {k: (np.r_[v, v] if np.ndim(v) else v) for k, v in params.items()}
    tr = simulate(np.r_[roots, roots], both, on=np.r_[np.ones(n), np.zeros(n)],
                  horizon=HORIZON, workers=workers, progress=progress)
    return statistics(tr.take(slice(0, n)), ids, counterfactual=tr.take(slice(n, 2 * n)))


def prior_draws(names, n: int, seed: int) -> dict[str, np.ndarray]:
    """n draws from the uniform priors (registry ranges) of the named parameters."""
    reg = load_registry()
    rng = np.random.default_rng(np.random.SeedSequence((int(seed), 0x9819)))
    return {k: rng.uniform(*reg[k].range, size=n) for k in names}


def reproduced(fact: Fact, x: np.ndarray) -> bool:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return False
    lo, hi = fact.band()
    if fact.compare == "above":
        return bool(np.median(x) >= lo)
    q5, q95 = np.quantile(x, [0.05, 0.95])
    return bool(q95 >= lo and q5 <= hi)


def table(facts: dict[str, Fact], post: dict, prior: dict, default: dict) -> pd.DataFrame:
    rows = []
    for fid, f in facts.items():
        x = post[fid][np.isfinite(post[fid])]
        q = np.quantile(x, [0.05, 0.5, 0.95]) if x.size else [np.nan] * 3
        lo, hi = f.band()
        rows.append({
            "fact": fid, "use": f.use, "quantity": f.quantity, "unit": f.unit,
            "observed": f.value, "band_lo": lo, "band_hi": hi, "compare": f.compare,
            "model_p5": q[0], "model_median": q[1], "model_p95": q[2],
            "prior_median": float(np.nanmedian(prior[fid])),
            "default_median": float(np.nanmedian(default[fid])),
            "reproduced": "yes" if reproduced(f, post[fid]) else "no",
            "source": f.source, "date": f.date,
        })
    return pd.DataFrame(rows)


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "inf" if v > 0 else "-"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def markdown(tab: pd.DataFrame) -> str:
    head = ("| fact | use | observed (band) | model median [90%] | defaults median | "
            "reproduced |\n|---|---|---|---|---|---|\n")
    body = []
    for r in tab.itertuples():
        band = (f"≥ {_fmt(r.band_lo)}" if r.compare == "above"
                else f"{_fmt(r.band_lo)} to {_fmt(r.band_hi)}")
        body.append(f"| {r.fact} ({r.unit}) | {r.use} | {_fmt(r.observed)} ({band}) | "
                    f"{_fmt(r.model_median)} [{_fmt(r.model_p5)}, {_fmt(r.model_p95)}] | "
                    f"{_fmt(r.default_median)} | {r.reproduced} |")
    return head + "\n".join(body) + "\n"


def _fact_figure(f: Fact, post: np.ndarray, prior: np.ndarray, default: np.ndarray, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4))
    allv = np.concatenate([a[np.isfinite(a)] for a in (post, prior, default)] + [[f.value]])
    log = f.scale == "log" and allv.min() > 0
    lo, hi = np.quantile(allv, [0.005, 0.995])
    lo, hi = min(lo, f.band()[0] if np.isfinite(f.band()[0]) else lo, f.value), max(
        hi, f.value, f.band()[1] if np.isfinite(f.band()[1]) else hi)
    bins = (np.geomspace(max(lo, 1e-9), hi, 40) if log else np.linspace(lo, hi + 1e-9, 40)
            if hi > lo else 10)
    for arr, lab, kw in ((prior, "prior predictive", dict(histtype="step", color="0.55")),
                         (default, "registry defaults", dict(histtype="step", color="tab:orange",
                                                             ls="--")),
                         (post, "posterior predictive", dict(alpha=0.55, color="tab:blue"))):
        a = arr[np.isfinite(arr)]
        if a.size:
            ax.hist(a, bins=bins, density=True, label=lab, **kw)
    blo, bhi = f.band()
    ax.axvspan(blo, bhi if np.isfinite(bhi) else hi, color="tab:green", alpha=0.15,
               label="observed ± tolerance" if f.compare == "near" else "observed: at least")
    ax.axvline(f.value, color="tab:green", lw=2, label=f"observed {_fmt(f.value)}")
    if log:
        ax.set_xscale("log")
    ax.set_title(f"{f.id} ({f.use}): {'reproduced' if reproduced(f, post) else 'missed'}",
                 fontsize=10)
    ax.set_xlabel(f"{f.quantity} [{f.unit}]".replace("万元", "10^4 yuan"), fontsize=8)
    ax.set_yticks([])
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _marginals_figure(df: pd.DataFrame, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reg = load_registry()
    names = [c for c in df.columns if c != "weight"]
    ncol = 4
    nrow = -(-len(names) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, 2.4 * nrow))
    for ax, n in zip(np.ravel(axes), names, strict=False):
        lo, hi = reg[n].range
        ax.hist(df[n], bins=np.linspace(lo, hi, 21), weights=df["weight"], density=True,
                color="tab:blue", alpha=0.7)
        ax.axhline(1 / (hi - lo), color="0.5", ls=":", label="prior")
        ax.axvline(reg[n].value, color="tab:orange", ls="--", label="default")
        ax.set_title(n, fontsize=9)
        ax.set_yticks([])
    for ax in np.ravel(axes)[len(names):]:
        ax.axis("off")
    np.ravel(axes)[0].legend(fontsize=7, frameon=False)
    fig.suptitle("Posterior marginals (uniform priors on the registry ranges)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _put(out: Path, name: str, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        follow_umask(tmp)  # mkstemp makes 0600; a result file is not private
        os.replace(tmp, out / name)
    finally:
        Path(tmp).unlink(missing_ok=True)


def validate(posterior: str | Path | None, facts: dict[str, Fact], out: str | Path, *,
             draws: int = 300, seed: int = 20200616, workers: int = 1,
             progress: bool = False) -> pd.DataFrame:
    """Run the checks and write the table and figures into `out`; returns the table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    df = load_posterior(posterior)
    names = [c for c in df.columns if c != "weight"]
    ids = list(facts)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=6 * draws, unit="run", desc="validate")
    step = bar.update if bar is not None else None
    try:
        post = predictive(draw_posterior(posterior, draws, seed), draws, seed, ids,
                          workers=workers, progress=step)
        prior = predictive(prior_draws(names, draws, seed), draws, seed, ids, workers=workers,
                           progress=step)
        default = predictive({}, draws, seed, ids, workers=workers, progress=step)
    finally:
        if bar is not None:
            bar.close()
    tab = table(facts, post, prior, default)
    _put(out, "validation.csv", lambda p: write_csv(tab, p))
    _put(out, "validation.md", lambda p: Path(p).write_text(markdown(tab), encoding="utf-8"))
    _put(out, "posterior_summary.csv", lambda p: summary(df).to_csv(p, index=False))
    for fid, f in facts.items():
        _put(out, f"fact_{fid}.png", lambda p, f=f, fid=fid: _fact_figure(
            f, post[fid], prior[fid], default[fid], p + ".png") or os.replace(p + ".png", p))
    _put(out, "posterior_marginals.png",
         lambda p: _marginals_figure(df, p + ".png") or os.replace(p + ".png", p))
    samples = pd.DataFrame({f"{arm}:{k}": v for arm, d in (("posterior", post), ("prior", prior),
                                                           ("default", default))
                            for k, v in d.items()})
    _put(out, "predictive_samples.csv", lambda p: samples.to_csv(p, index=False))
    post_file = resolve(posterior)
    meta = {"posterior": (post_file.relative_to(ROOT).as_posix()
                          if post_file.is_relative_to(ROOT) else str(post_file)),
            "draws": draws, "seed": seed,
            "horizon": HORIZON, "runs": 6 * draws,
            "rule": "near: tolerance band overlaps the model's 90% interval; above: model "
                    "median >= value - tolerance",
            "reproduced": {r.fact: r.reproduced for r in tab.itertuples()}}
    _put(out, "validation.json", lambda p: Path(p).write_text(json.dumps(meta, indent=2),
                                                              encoding="utf-8"))
    return tab
