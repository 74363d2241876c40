"""The award core on dense arrays: one year's events for every unit of every run at once.

The agent model and the batch engine call this; it uses the same rules and data as the
row-wise core (`compute_ledger`), and a test checks both give the same money to the 万元.
Events arrive as {event name: array (B, U)} of amounts or counts; the contracts
(`tech_contract`, `tech_contract_other`) are (B, U, K), one column per contract, and
`contract_seller` (B, U, K) names the zone firm that sold each (-1: none), which the `_sold`
events read (events.toml: `view_of`).
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
                if x is None or not policy.live(t):
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
            p = c.params
            a = None
            for x, owner in _rate_parts(policy, c, ev):
                item, _, _ = rate_award(
                    x, _lift(policy.value(cid, "rate"), x),
                    _lift(policy.value(cid, "cap_per_item"), x) if "cap_per_item" in p
                    else np.inf,
                    _lift(policy.value(cid, "min_amount"), x) if "min_amount" in p else 0.0)
                if owner is not None:  # items of other units' rows (a seller's contracts)
                    part = _to_owners(item, owner)
                else:
                    part = item.sum(axis=2) if item.ndim == 3 else item
                a = part if a is None else a + part
            if a is None:
                continue
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


def _rate_parts(policy: Policy, c, ev: dict[str, np.ndarray]) -> list[tuple]:
    """The event arrays a `rate` clause pays on this year, in trigger order: (amounts,
    owners), owners None when each item belongs to its row's unit, else the int array of
    the unit each item belongs to (an event that is a `view_of` another's items)."""
    out = []
    for t in c.triggers:
        if not policy.live(t):
            continue
        et = policy.events[t.event]
        if et.view_of is None:
            x = ev.get(t.event)
            if x is not None:
                out.append((x, None))
            continue
        x, owner = ev.get(et.view_of), ev.get(et.unit_from)
        if x is not None and owner is not None:
            out.append((x, owner))
    return out


def _to_owners(item: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Per-unit sums of per-item amounts (B, U, K) whose owners (B, U, K) are unit slots
    (-1: none in the zone): each unit's items added in row, then item order, from 0.0."""
    B, U = item.shape[:2]
    mine = owner >= 0
    flat = (np.arange(B)[:, None, None] * U + owner)[mine]
    return np.bincount(flat, weights=item[mine], minlength=B * U).reshape(B, U)


def _lift(v, x: np.ndarray):
    """A per-run lever (B, 1) against per-item events (B, U, K): add the item axis."""
    v = np.asarray(v, np.float64)
    return v[..., None] if v.ndim == 2 and x.ndim == 3 else v


def dense_to_events(policy: Policy, year: int, ev: dict[str, np.ndarray]) -> Events:
    """Rows for one run's dense events (B == 1): what a zone office would receive.

    Arrays that are not event types (the contracts' sellers) are read only through the events
    that are views of others' items (`tech_contract_sold`: one row per contract a zone firm
    sold, the seller as the unit)."""
    units, events, amounts = [], [], []
    views = [(name, e) for name, e in policy.events.items() if e.view_of is not None
             and e.view_of in ev and e.unit_from in ev]
    for name, x in [*((k, v) for k, v in ev.items() if k in policy.events),
                    *((name, None) for name, _ in views)]:
        et = policy.events[name]
        basis = et.basis
        if x is None:  # a view: the base event's items, owned by the units of `unit_from`
            a = np.asarray(ev[et.view_of])[0]
            owner = np.asarray(ev[et.unit_from])[0]
            keep = (a > 0) & (owner >= 0)
            u = owner[keep].astype(np.int64)
            units.append(u)
            amounts.append(a[keep])
            events.append(np.full(u.size, et.code))
            continue
        a = np.asarray(x)[0]
        if a.ndim == 2:  # contracts: one row per contract
            u, k = np.nonzero(a > 0)
            units.append(u)
            amounts.append(a[u, k])
            events.append(np.full(u.size, et.code))
            continue
        u = np.flatnonzero(a > 0)
        if basis == "once":  # one row per occurrence
            reps = a[u].astype(np.int64)
            u = np.repeat(u, reps)
            amounts.append(np.full(u.size, np.nan))
        else:
            amounts.append(a[u].astype(np.float64))
        units.append(u)
        events.append(np.full(u.size, et.code))
    u = np.concatenate(units) if units else np.zeros(0, np.int64)
    return Events.from_columns(policy, u, np.full(u.size, year),
                               np.concatenate(events).astype(np.int64) if events else u,
                               np.concatenate(amounts) if amounts else np.zeros(0))
