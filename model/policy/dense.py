"""The award core on dense arrays: one year's events for every unit of every run at once.

The agent model and the batch engine call this; it uses the same rules and data as the
row-wise core (`compute_ledger`), and a test checks both give the same money to the 万元.
Events arrive as {event name: array (B, U)} of amounts or counts; `tech_contract` is
(B, U, K), one column per contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.policy.core import KIND, Events, patent_qualifies, rate_award
from model.policy.spec import Policy


@dataclass
class Award:
    clause: int  # index into policy.clause_ids
    kind: int  # index into KIND_CODES
    offset: int  # years after the event year that it is paid
    amount: np.ndarray  # (B, U) 万元


def dense_awards(policy: Policy, year: int, ev: dict[str, np.ndarray], on: np.ndarray,
                 hist: dict[str, np.ndarray]) -> list[Award]:
    """Claims arising from `year`'s events; `on` (B, 1) is 1 for policy runs, 0 for none.

    `hist` holds, per clause paid once per unit, whether a unit has been paid before; it is
    updated in place.
    """
    out: list[Award] = []
    for ci, (cid, c) in enumerate(policy.clauses.items()):
        share = policy.year_share(cid, year)
        if c.formula == "none" or share <= 0.0:
            continue
        w = share * on
        kind = KIND.get(c.kind, KIND["grant"])
        if c.formula == "fixed":
            total = 0.0
            once_seen = None
            for t in c.triggers:
                x = ev.get(t.event)
                if x is None or (t.requires and policy.switch(t.requires[0]) != t.requires[1]):
                    continue
                if t.once_per_unit:
                    seen = hist.setdefault(cid, np.zeros(x.shape, bool))
                    fresh = (x > 0) & ~seen if once_seen is None else (x > 0) & ~seen & ~once_seen
                    once_seen = fresh if once_seen is None else once_seen | fresh
                    total = total + policy.value(cid, t.param) * fresh
                else:
                    total = total + policy.value(cid, t.param) * x
            if once_seen is not None:
                hist[cid] |= once_seen & (on > 0)
            if not isinstance(total, float):
                out.append(Award(ci, kind, 0, total * w))
        elif c.formula == "rate":
            x = ev.get(c.triggers[0].event)
            if x is None:
                continue
            p = c.params
            a, _, _ = rate_award(
                x, _lift(policy.value(cid, "rate"), x),
                _lift(policy.value(cid, "cap_per_item"), x) if "cap_per_item" in p else np.inf,
                _lift(policy.value(cid, "min_amount"), x) if "min_amount" in p else 0.0)
            if a.ndim == 3:
                a = a.sum(axis=2)
            a = a * w
            if "cap_per_unit_year" in p:
                a = np.minimum(a, policy.value(cid, "cap_per_unit_year"))
            out.append(Award(ci, kind, 0, a))
        elif c.formula == "patent_threshold":
            inv = ev.get("patents_invention")
            if inv is None:
                continue
            util = ev.get("patents_utility", 0.0)
            des = ev.get("patents_design", 0.0)
            q = patent_qualifies(inv, util, des, policy.value(cid, "min_grants"),
                                 policy.value(cid, "min_invention_share"),
                                 policy.value(cid, "min_utility_share"))
            if policy.switch("p8a_frequency") == "once_per_unit":
                seen = hist.setdefault(cid, np.zeros(q.shape, bool))
                q = q & ~seen
                hist[cid] |= q & (on > 0)
            out.append(Award(ci, kind, 0, policy.value(cid, "award") * q * w))
        elif c.formula == "schedule":
            x = ev.get(c.triggers[0].event)
            if x is None:
                continue
            for offset, k, amount in policy.schedule(cid):
                if policy.payable(cid, year + offset):
                    out.append(Award(ci, KIND[k], offset, amount * x * w))
    return out


def _lift(v, x: np.ndarray):
    """A per-run lever (B, 1) against per-item events (B, U, K): add the item axis."""
    v = np.asarray(v, np.float64)
    return v[..., None] if v.ndim == 2 and x.ndim == 3 else v


def dense_to_events(policy: Policy, year: int, ev: dict[str, np.ndarray]) -> Events:
    """Rows for one run's dense events (B == 1): what a zone office would receive."""
    units, events, amounts = [], [], []
    for name, x in ev.items():
        basis = policy.events[name].basis
        a = np.asarray(x)[0]
        if a.ndim == 2:  # contracts: one row per contract
            u, k = np.nonzero(a > 0)
            units.append(u)
            amounts.append(a[u, k])
            events.append(np.full(u.size, policy.events[name].code))
            continue
        u = np.flatnonzero(a > 0)
        if basis == "once":  # one row per occurrence
            reps = a[u].astype(np.int64)
            u = np.repeat(u, reps)
            amounts.append(np.full(u.size, np.nan))
        else:
            amounts.append(a[u].astype(np.float64))
        units.append(u)
        events.append(np.full(u.size, policy.events[name].code))
    u = np.concatenate(units) if units else np.zeros(0, np.int64)
    return Events.from_columns(policy, u, np.full(u.size, year),
                               np.concatenate(events).astype(np.int64) if events else u,
                               np.concatenate(amounts) if amounts else np.zeros(0))
