"""The sensitivity problem, built from data: the parameter registry and the policy clauses.

Factors are never listed by hand. Behavioural uncertainties come from the registry
(`kind = "uncertainty"`, with their range, distribution and group); policy levers come from
the clause data of the scenario's policy (every amount, rate and cap a clause pays by) and
from the numeric switches of switches.toml (p1_award, p12_paid_share) with their stated
ranges. A lever's range is LEVER_RANGE times the value written in the scenario (an
assumption: "from no award to twice the written one"), since the text gives one number and
no range. The SALib `ProblemSpec` (names, bounds, dists, groups, outputs) is derived from
these `Factor`s, so a change in the registry or a clause file reaches the study by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from SALib import ProblemSpec

from model import mathfn as mf
from model.errors import InputError, suggest
from model.params import load_registry
from model.policy.groups import clause_group, group_items
from model.policy.spec import Policy
from model.targets import TARGET_IDS

REGISTRY = "model/params/registry.toml"
LEVER_RANGE = (0.0, 2.0)  # lever bounds = these multiples of the written value (assumption)
LEVER_GROUPS = {"amount": "awards", "rate": "rates", "cap": "caps"}
SWITCH_LEVERS = ("p1_award", "p12_paid_share")  # numeric switches with a range in switches.toml
KEYWORDS = ("uncertainties", "levers")
# SALib's names for the registry's distributions; see `_salib_bounds` for the parameters.
SALIB_DIST = {"uniform": "unif", "triang": "triang", "norm": "truncnorm", "lognorm": "lognorm"}

# Cost groups for budget planners: clauses by the A2 item they implement, from the policy data
# (model/policy/groups.toml); a clause a scenario adds (item outside them, e.g. vouchers) counts
# as "other".
CLAUSE_GROUPS: dict[str, tuple[int, ...]] = group_items()


@dataclass(frozen=True)
class Factor:
    """One sensitivity factor and how a sample value reaches the model."""

    name: str  # registry name, "P6c.award" for a clause parameter, or a switch name
    source: str  # "param" | "clause" | "switch"
    bounds: tuple[float, float]
    dist: str  # registry distribution name
    group: str
    unit: str
    label: str
    value: float  # the scenario's value (the centre of attention, the triangle's peak)
    clause: str | None = None
    param: str | None = None


# -- factors -----------------------------------------------------------------------------------
def uncertainty_factors(params: dict | None = None) -> list[Factor]:
    """Every registry parameter of kind "uncertainty" with a range of positive width."""
    out = []
    for name, s in load_registry().items():
        lo, hi = s.range
        if s.kind != "uncertainty" or not hi > lo:
            continue
        v = float((params or {}).get(name, s.value))
        out.append(Factor(name, "param", (lo, hi), s.dist, s.group, s.unit, s.meaning, v))
    return out


def _role(clause, pname: str) -> str | None:
    """amount, rate or cap: what a clause parameter does to the money (None: a threshold)."""
    if pname == "rate":
        return "rate"
    if pname.startswith("cap"):
        return "cap"
    paid = {t.param for t in clause.triggers} | {p.param for p in clause.schedule}
    return "amount" if pname in paid else None


def lever_factors(policy: Policy) -> list[Factor]:
    """Clause amounts, rates and caps (0 to 2x the written value) and the numeric switches."""
    lo_m, hi_m = LEVER_RANGE
    out = []
    for cid, c in policy.clauses.items():
        if c.formula == "none" or not c.enabled:
            continue
        for pname, p in c.params.items():
            role = _role(c, pname)
            if role is None or p.switch:  # thresholds, and amounts set by a switch
                continue
            v = policy.value(cid, pname) if not p.scale_switch else p.value
            v = float(v)
            if v <= 0:
                continue
            out.append(Factor(f"{cid}.{pname}", "clause", (lo_m * v, hi_m * v), "uniform",
                              LEVER_GROUPS[role], p.unit, f"{cid}: {p.label}", v, cid, pname))
    for name in SWITCH_LEVERS:
        sw = policy.switches.get(name)
        if sw is None or sw.range is None:
            continue
        out.append(Factor(name, "switch", (float(sw.range[0]), float(sw.range[1])), "uniform",
                          "awards", sw.unit, sw.label.get("en", name), float(sw.value)))
    return out


def select_factors(tokens: Sequence[str] | None, policy: Policy, params: dict | None = None,
                   where: str = "--factors") -> list[Factor]:
    """Factors named by `tokens`: names, group names, "uncertainties" or "levers".

    Order follows the registry and then the clauses, whatever the order of the tokens, so one
    selection gives one ProblemSpec.
    """
    unc, lev = uncertainty_factors(params), lever_factors(policy)
    pool = unc + lev
    tokens = list(tokens or ["uncertainties"])
    chosen: set[str] = set()
    by_name = {f.name: f for f in pool}
    groups = sorted({f.group for f in pool})
    for tok in (t for item in tokens for t in item.replace(",", " ").split()):
        if tok == "uncertainties":
            chosen |= {f.name for f in unc}
        elif tok == "levers":
            chosen |= {f.name for f in lev}
        elif tok in by_name:
            chosen.add(tok)
        elif tok in groups:
            chosen |= {f.name for f in pool if f.group == tok}
        else:
            reg = load_registry()
            why = ""
            if tok in reg:
                why = " (a registry 'setting' or a parameter with an empty range is held fixed)"
            raise InputError(where, tok, "a factor name, a group name, 'uncertainties' or "
                             "'levers'" + why + suggest(tok, [*by_name, *groups, *KEYWORDS]),
                             tok)
    out = [f for f in pool if f.name in chosen]
    if len(out) < 2:
        raise InputError(where, "factors", "at least two factors", [f.name for f in out])
    return out


# -- outputs -----------------------------------------------------------------------------------
def output_names(policy: Policy) -> list[str]:
    """Every output a study analyses, in a fixed order (costs first, then the targets)."""
    groups = sorted({clause_group(policy, c) for c, cl in policy.clauses.items()
                     if cl.formula != "none"}, key=lambda g: (g == "other", list(
                         CLAUSE_GROUPS).index(g) if g in CLAUSE_GROUPS else 99))
    return (["cost_total", "cost_grant", "cost_fund_investment"]
            + [f"cost_{g}" for g in groups]
            + [f"P_{t}" for t in TARGET_IDS] + ["P_all"])


# -- the SALib problem -------------------------------------------------------------------------
def _salib_bounds(f: Factor) -> list[float]:
    lo, hi = f.bounds
    if f.dist == "triang":  # SALib: [lower, upper, peak as a fraction of the width]
        return [lo, hi, (f.value - lo) / (hi - lo)]
    if f.dist == "norm":  # truncated to the range; sd a quarter of it (assumption)
        return [lo, hi, f.value, (hi - lo) / 4.0]
    if f.dist == "lognorm":  # ln-space mean at the value, sd a quarter of the log range
        return [float(mf.log(f.value)), float(mf.log(hi / lo) / 4.0)]
    return [lo, hi]


def build_problem(factors: Iterable[Factor], outputs: Sequence[str], grouped: bool = False
                  ) -> ProblemSpec:
    """The SALib ProblemSpec for `factors`; `grouped` makes each factor group one index."""
    factors = list(factors)
    spec = {
        "names": [f.name for f in factors],
        "bounds": [_salib_bounds(f) for f in factors],
        "dists": [SALIB_DIST[f.dist] for f in factors],
        "outputs": list(outputs),
    }
    if grouped:
        spec["groups"] = [f.group for f in factors]
    return ProblemSpec(spec)


def index_names(problem: ProblemSpec) -> list[str]:
    """Names the indices are reported for: the groups (first-seen order) or the factors."""
    groups = problem.get("groups")
    if not groups:
        return list(problem["names"])
    return list(dict.fromkeys(groups))


def clip_to_bounds(factors: Sequence[Factor], X: np.ndarray) -> np.ndarray:
    """Keep lognormal draws inside the registry's range (the model validates nothing else)."""
    X = np.array(X, np.float64, copy=True)
    for j, f in enumerate(factors):
        if f.dist == "lognorm":
            X[:, j] = np.clip(X[:, j], *f.bounds)
    return X
