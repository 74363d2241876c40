"""What each clause group buys: exact Shapley values of the policy's effect over its groups.

The players are the clause groups of model/policy/groups.toml that have a paying clause on in
the scenario. A coalition S runs the scenario with only the clauses of the groups in S on
(each as the scenario sets it: a clause the scenario switched off stays off), on the same
random numbers and the same posterior draw per replication as `monte_carlo`: replication r
uses root r of `replication_seeds(seed, R)` and draw r of `posterior_params`. So v(∅) is the
no-policy counterfactual and v(all) the policy run, bit for bit (tests hold them equal), and
every one of the 2^G coalitions of a replication shares its random numbers.

A group's Shapley value is its marginal effect averaged over every order in which the groups
could be switched on: phi_g = sum over S without g of |S|! (G-|S|-1)! / G! (v(S+g) - v(S)).
The values add up to v(all) - v(∅) (efficiency), whatever the interactions (budget rationing,
firms reacting to several awards), which are shared equally between the groups involved.
Leave-one-group-out, v(all) - v(all - g), is reported beside it: it need not add up. Values
are computed per replication (so they come with a paired Student-t interval) and averaged.

Measures: the nine indicators at the horizon (their units, model/targets.toml) and `cost`,
the total outlay over the years run (万元, grants plus fund investments: what additionality.csv
divides by). Runs: R x 2^G on the batch engine, R_chunk replications per coalition call.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from model.batch import DEFAULT_CHUNK, replication_seeds, roots_from_seeds, run_batch
from model.calibration.posterior import posterior_params, replication_params
from model.experiments import Experiment, RunSpec, as_spec, paired_ci
from model.policy.groups import clauses_by_group, fallback_group, load_groups
from model.policy.spec import Policy
from model.targets import TARGET_IDS, load_targets

MEASURES = (*TARGET_IDS, "cost")
COST = len(TARGET_IDS)  # index of `cost` in MEASURES
TOTAL = "total"  # the row of a measure holding policy minus no policy
COLUMNS = ("measure", "group", "shapley", "leave_one_out", "own_outlay", "cost_per_additional",
           "shapley_ci_low", "shapley_ci_high", "unit", "clauses", "replications")
# A runner evaluates coalitions: (roots (n,), params for those n runs, one Policy per coalition)
# -> per coalition (final indicators (n, 9), money paid (n, C, K, Y)).
Runner = Callable[[np.ndarray, dict, Sequence[Policy]], list[tuple[np.ndarray, np.ndarray]]]


# -- the game ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Game:
    """The players (groups switched on and off) and what each one switches."""

    players: tuple[str, ...]  # groups with a paying clause on in the scenario, report order
    members: dict[str, tuple[str, ...]]  # player -> the clauses it switches (on in the scenario)
    groups: tuple[str, ...]  # every group reported: the data's groups, the fallback if used
    clauses: dict[str, tuple[str, ...]]  # group -> its clauses on in the scenario (any formula)

    @property
    def coalitions(self) -> int:
        return 1 << len(self.players)


def make_game(policy: Policy) -> Game:
    """The game of `policy`: a group is a player when one of its clauses is on and can pay.

    A group whose clauses are all off or pay nothing (P2, or P1 while its unpublished amount
    is 0) changes no run: it is a dummy, its Shapley value is exactly 0 (a test checks that
    switching such a clause changes no bit), and leaving it out of the game halves the work
    without changing any other group's value."""
    by_group = clauses_by_group(policy)
    on = {g: tuple(c for c in cs if policy.clauses[c].enabled) for g, cs in by_group.items()}
    players = tuple(g for g, cs in on.items() if any(can_pay(policy, c) for c in cs))
    fb = fallback_group()
    groups = tuple(g for g in load_groups() if g != fb or g in by_group)
    return Game(players, {g: on[g] for g in players}, groups,
                {g: on.get(g, ()) for g in groups})


def can_pay(policy: Policy, cid: str) -> bool:
    """Whether clause `cid` is on and one of the amounts or rates it pays by is not 0."""
    c = policy.clauses[cid]
    if not c.enabled:
        return False
    if c.formula == "fixed":
        amounts = [policy.value(cid, t.param) for t in c.triggers if t.param]
    elif c.formula == "rate":
        amounts = [policy.value(cid, "rate")]
    elif c.formula == "patent_threshold":
        amounts = [policy.value(cid, "award")]
    elif c.formula == "schedule":
        amounts = [a for _, _, a in policy.schedule(cid)]
    else:
        amounts = []
    return any(np.any(np.asarray(a, np.float64) != 0) for a in amounts)


def coalition_policy(policy: Policy, game: Game, mask: int) -> Policy:
    """`policy` with the clauses of the players not in `mask` (bit i: player i) switched off."""
    out = policy
    for i, g in enumerate(game.players):
        if not mask >> i & 1:
            for cid in game.members[g]:
                out = out.with_clause(cid, enabled=False)
    return out


def shapley_weights(n: int) -> np.ndarray:
    """w[s] = s! (n-s-1)! / n!: the weight of v(S+i) - v(S) for a coalition S of s players."""
    return np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n)
                     for s in range(n)])


def shapley(values: np.ndarray) -> np.ndarray:
    """Shapley values (..., n) of games given by their values (..., 2^n) over coalitions
    (bit i of a coalition's index: player i in it).

    Marginal contributions first, then their weighted sum in a fixed order (no BLAS, whose
    order of summation depends on the CPU): a player that changes no value gets exactly 0."""
    values = np.asarray(values, np.float64)
    M = values.shape[-1]
    n = M.bit_length() - 1
    if M != 1 << n:
        raise ValueError(f"values over 2^n coalitions expected, got {M}")
    w = shapley_weights(n)
    out = np.zeros((*values.shape[:-1], n))
    for i in range(n):
        acc = out[..., i]
        for m in range(M):
            if not m >> i & 1:
                acc += w[bin(m).count("1")] * (values[..., m | 1 << i] - values[..., m])
    return out


def leave_one_out(values: np.ndarray) -> np.ndarray:
    """v(all) - v(all without i), (..., n)."""
    M = values.shape[-1]
    n = M.bit_length() - 1
    full = M - 1
    return np.stack([values[..., full] - values[..., full & ~(1 << i)] for i in range(n)],
                    axis=-1)


# -- running the coalitions --------------------------------------------------------------------
def batch_runner(workers: int = 1, progress: Callable[[int], None] | None = None) -> Runner:
    """Coalitions one after the other on `run_batch` and its worker pool; each call's runs cut
    into equal jobs, a multiple of `workers`, so no worker waits at the end of a call."""
    def run(roots: np.ndarray, params: dict, policies: Sequence[Policy], **kw: Any):
        n = roots.size
        jobs = workers * math.ceil(n / (workers * DEFAULT_CHUNK))
        out = []
        for pol in policies:
            res = run_batch(roots, policy=pol, params=params, on=np.ones(n), workers=workers,
                            chunk=math.ceil(n / jobs), progress=progress, **kw)
            out.append((res.final, res.fiscal.paid))
        return out
    return run


@dataclass
class Attribution:
    """Per-replication results of the game (R replications, K measures, n players)."""

    game: Game
    spec: RunSpec
    seed: int
    replications: int
    phi: np.ndarray  # (R, K, n) Shapley values
    loo: np.ndarray  # (R, K, n) leave one out
    full: np.ndarray  # (R, K) v(all players): the policy run
    empty: np.ndarray  # (R, K) v(no player): the counterfactual
    own: np.ndarray  # (R, groups) money each group's clauses paid in the policy run, 万元
    seconds: float = 0.0
    check: dict = field(default_factory=dict)  # against the run's own arms (`check_against`)

    @property
    def runs(self) -> int:
        return self.replications * self.game.coalitions


def n_runs(scenario_or_spec: Any, replications: int) -> int:
    """Runs the attribution makes: replications x 2^(players)."""
    return replications * make_game(as_spec(scenario_or_spec).policy).coalitions


def attribute(scenario_or_spec: Any, replications: int, seed: int, *, chunk: int = 500,
              workers: int = 1, progress: Callable[[int], None] | None = None,
              runner: Runner | None = None, draws: dict | None = None) -> Attribution:
    """Run every coalition of the groups for replications 0..R-1 of `seed` and attribute.

    `chunk` replications at a time (memory: chunk x 2^G runs' final values, never all R); the
    numbers depend on neither `chunk` nor `workers`. `runner` replaces the batch engine's pool
    and `draws` the scenario's posterior draws (the dashboard passes its own of both)."""
    t0 = time.perf_counter()
    spec = as_spec(scenario_or_spec)
    R, S = int(replications), int(seed)
    if R < 1:
        raise ValueError("replications must be at least 1")
    game = make_game(spec.policy)
    pols = [coalition_policy(spec.policy, game, m) for m in range(game.coalitions)]
    run = runner or batch_runner(workers, progress)
    roots = roots_from_seeds(replication_seeds(S, R))
    if draws is None:
        draws = posterior_params(spec.scenario, R, S)  # replication r: the run's draw r
    ids = spec.policy.clause_ids
    cols = {g: [ids.index(c) for c in game.clauses[g]] for g in game.groups}
    full_m = game.coalitions - 1
    K = len(MEASURES)
    parts = []
    for lo in range(0, R, max(1, int(chunk))):
        rows = np.arange(lo, min(lo + int(chunk), R))
        params = replication_params(spec.params, draws, rows)
        kw = dict(start=spec.start, horizon=spec.horizon, t7_count_from=spec.t7_count_from,
                  budget=spec.budget)
        outs = run(roots[rows], params, pols, **kw)
        V = np.empty((rows.size, K, game.coalitions))  # values of this chunk's coalitions
        for m, (final, paid) in enumerate(outs):
            V[:, :COST, m] = final
            V[:, COST, m] = paid.sum(axis=(1, 2, 3))
        paid_full = outs[full_m][1].sum(axis=(2, 3))  # (n, C)
        own = np.stack([paid_full[:, cols[g]].sum(axis=1) for g in game.groups], axis=1)
        parts.append((shapley(V), leave_one_out(V), V[:, :, full_m], V[:, :, 0], own))
    cat = [np.concatenate([p[i] for p in parts]) for i in range(5)]
    return Attribution(game, spec, S, R, *cat, seconds=time.perf_counter() - t0)


def check_against(att: Attribution, exp: Experiment) -> dict:
    """Whether v(all) and v(∅) are the run's policy and counterfactual arms, bit for bit, on
    the replications both have (the attribution's are the first of the run's)."""
    n = min(att.replications, exp.replications)
    cost = exp.paid[:n].sum(axis=(1, 2, 3))
    pol = np.array_equal(att.full[:n, :COST], exp.final[0, :n]) and np.array_equal(
        att.full[:n, COST], cost)
    cf = np.array_equal(att.empty[:n, :COST], exp.final[1, :n]) and not att.empty[:n, COST].any()
    return {"replications": n, "policy_arm_equal": bool(pol), "counterfactual_arm_equal": bool(cf),
            "agree": bool(pol and cf)}


# -- the table ---------------------------------------------------------------------------------
def attribution_table(att: Attribution) -> pd.DataFrame:
    """attribution.csv: per measure, one row per group and a `total` row (docs/outputs.md).

    cost_per_additional = own outlay / Shapley value, for T1-T9, when the Shapley value's 95%
    interval lies above 0 (empty otherwise, on every `cost` row, and when R < 2)."""
    meta = load_targets()
    g = att.game
    R = att.replications
    own = att.own.mean(axis=0)
    outlay = float(att.full[:, COST].mean())
    rows = []
    for k, measure in enumerate(MEASURES):
        unit = "万元" if measure == "cost" else meta[measure]["unit"]
        for gi, group in enumerate(g.groups):
            if group in g.players:
                i = g.players.index(group)
                m, lo, hi = paired_ci(att.phi[:, k, i])
                loo = float(att.loo[:, k, i].mean())
            else:  # a dummy: no run depends on it
                m, lo, hi, loo = 0.0, 0.0, 0.0, 0.0
            rows.append(_row(measure, group, m, lo, hi, loo, float(own[gi]), unit,
                             " ".join(g.clauses[group]), R))
        m, lo, hi = paired_ci(att.full[:, k] - att.empty[:, k])
        rows.append(_row(measure, TOTAL, m, lo, hi, m, outlay, unit,
                         " ".join(c for cs in g.clauses.values() for c in cs), R))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _row(measure, group, m, lo, hi, loo, own, unit, clauses, R) -> dict:
    defined = measure != "cost" and not math.isnan(lo) and lo > 0
    return dict(measure=measure, group=group, shapley=m, leave_one_out=loo, own_outlay=own,
                cost_per_additional=own / m if defined else math.nan, shapley_ci_low=lo,
                shapley_ci_high=hi, unit=unit, clauses=clauses, replications=R)


def clause_outlay_per_additional(exp: Experiment, clause: str, target: str = "T1") -> float:
    """A clause's own mean outlay divided by the policy's mean additional outcome (e.g. P6c's
    money per additional HTE): NaN unless the additional outcome's 95% interval is above 0."""
    ci = exp.clause_ids.index(clause)
    j = TARGET_IDS.index(target)
    m, lo, _ = paired_ci(exp.final[0, :, j] - exp.final[1, :, j])
    if math.isnan(lo) or lo <= 0:
        return math.nan
    return float(exp.paid[:, ci].sum(axis=(1, 2)).mean()) / m


# -- for `parksim run` -------------------------------------------------------------------------
def for_run(exp: Experiment, replications: int | None, *, chunk: int = 500, workers: int = 1,
            progress: bool = False) -> Attribution | None:
    """The attribution `parksim run` writes: on the run's first `replications` replications
    (None: all R, so the totals equal additionality.csv's means; 0: none), checked against
    the run's own arms."""
    n = exp.replications if replications is None else min(int(replications), exp.replications)
    if n <= 0:
        return None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_runs(exp.spec, n), unit="run", desc="attribution", file=sys.stderr)
    try:
        att = attribute(exp.spec, n, exp.seed, chunk=chunk, workers=workers,
                        progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    return replace(att, check=check_against(att, exp))


def record(att: Attribution | None) -> dict:
    """What run.json says about the attribution."""
    if att is None:
        return {"replications": 0}
    return {"replications": att.replications, "players": list(att.game.players),
            "coalitions": att.game.coalitions, "runs": att.runs, "engine": "batch",
            "check": att.check}
