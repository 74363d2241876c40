"""`parksim calibrate`: rerun the ABC calibration, save the posterior, check it.

Writes calibration/posterior.csv and posterior.json (the settings that made it) and then the
posterior predictive checks in results/calibration/. Files are written beside their final
names and renamed at the end, so a failed or killed run leaves the old ones intact.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from model.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def cli_arguments(p: argparse.ArgumentParser) -> None:
    from model.calibration.abc import Settings

    d = Settings()
    p.add_argument("--budget", type=int, default=d.budget, metavar="N",
                   help=f"most model runs (particles x replications), default {d.budget}")
    p.add_argument("--seed", type=int, default=d.seed, help=f"root seed, default {d.seed}")
    p.add_argument("--out", default="calibration", metavar="DIR",
                   help="where posterior.csv and posterior.json go (default calibration/)")
    p.add_argument("--results", default="results/calibration", metavar="DIR",
                   help="where the validation table and figures go")
    p.add_argument("--population", type=int, default=d.population_size, metavar="N",
                   help=f"particles per generation, default {d.population_size}")
    p.add_argument("--replications", type=int, default=d.replications, metavar="R",
                   help=f"replications per particle, default {d.replications}")
    p.add_argument("--generations", type=int, default=d.generations, metavar="G",
                   help=f"most SMC generations, default {d.generations}")
    p.add_argument("--workers", type=int, default=d.workers,
                   help=f"processes (1 gives bit-reproducible results), default {d.workers}")
    p.add_argument("--draws", type=int, default=300, metavar="N",
                   help="posterior (and prior) predictive draws for validation, default 300")
    p.add_argument("--facts", metavar="CSV", help="observed facts (default "
                   "calibration/observed.csv)")
    p.add_argument("--no-validate", action="store_true", help="skip the predictive checks")
    p.add_argument("--validate-only", action="store_true",
                   help="only rerun the checks on the saved posterior")


def _folder(arg: str, opt: str) -> Path:
    p = Path(arg)
    p = p if p.is_absolute() else Path.cwd() / p
    if not p.parent.is_dir():
        raise InputError(opt, opt, "a folder whose parent exists", str(p))
    p.mkdir(exist_ok=True)
    return p


def _positive(args: argparse.Namespace) -> None:
    for k in ("budget", "population", "replications", "generations", "workers", "draws"):
        if getattr(args, k) < 1:
            raise InputError("command line", f"--{k}", "a whole number of at least 1",
                             getattr(args, k))
    if args.seed < 0:
        raise InputError("command line", "--seed", "a non-negative whole number", args.seed)


def write_posterior(cal, out: Path) -> tuple[Path, Path]:
    """posterior.csv and posterior.json into `out`, each renamed into place when complete."""
    csv_path, json_path = out / "posterior.csv", out / "posterior.json"
    tmp_files = []
    try:
        for final, write in ((csv_path, lambda f: cal.posterior.to_csv(f, index=False)),
                             (json_path, lambda f: json.dump(cal.info, f, indent=2,
                                                             ensure_ascii=False))):
            fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{final.name}.", suffix=".tmp")
            tmp_files.append((tmp, final))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                write(f)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; these are shared results
        for tmp, final in tmp_files:
            os.replace(tmp, final)
    finally:
        for tmp, _ in tmp_files:
            Path(tmp).unlink(missing_ok=True)
    return csv_path, json_path


def run_from_args(args: argparse.Namespace) -> int:
    from model.calibration.abc import Settings, calibrate
    from model.calibration.observed import load_observed
    from model.i18n import t

    lang = getattr(args, "lang", "en")
    _positive(args)
    facts = load_observed(args.facts)  # bad facts fail before anything runs
    out = _folder(args.out, "--out")
    post_csv = out / "posterior.csv"
    if not args.validate_only:
        s = Settings(population_size=args.population, replications=args.replications,
                     generations=args.generations, budget=args.budget, seed=args.seed,
                     workers=args.workers, facts_path=args.facts)
        print(t("calib_start", lang, n=len(s.parameters),
                k=sum(f.use == "fit" for f in facts.values()), budget=s.budget))
        cal = calibrate(s, facts=facts, progress=True)
        write_posterior(cal, out)
        print(t("calib_written", lang, file=post_csv, n=len(cal.posterior),
                s=cal.info["wall_time_s"], runs=cal.info["model_runs"]))
    if not args.no_validate:
        from model.calibration.validation import validate

        res = _folder(args.results, "--results")
        table = validate(post_csv, facts, res, draws=args.draws, seed=args.seed,
                         workers=args.workers, progress=True)
        ok = int((table["reproduced"] == "yes").sum())
        print(t("calib_validated", lang, ok=ok, n=len(table), dir=res))
    return 0
