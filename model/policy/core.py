"""The award core: events in, award ledger out, every cap applied at its own level.

Vectorised over event rows. The same elemental rules (`rate_award`, `patent_qualifies`,
`Policy.year_share`, `Policy.schedule`, `Policy.payable`) also serve the dense per-year path
that the agent model calls (`model.policy.dense`), so both give the same money.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.policy.spec import Policy

REASONS = ("", "clause_off", "out_of_window", "ineligible", "not_covered", "below_threshold",
           "already_awarded", "after_window", "first_year_share")
CAPS = ("", "per_item", "per_unit_year")
KIND_CODES = ("grant", "fund_investment")
R = {r: i for i, r in enumerate(REASONS)}
CAP = {c: i for i, c in enumerate(CAPS)}
KIND = {k: i for i, k in enumerate(KIND_CODES)}


# -- elemental rules, shared with the dense path ----------------------------------------
def rate_award(amount, rate, cap_item=np.inf, min_amount=0.0):
    """rate × amount, zero below the minimum, then the per-item cap.

    Returns (award, capped, below)."""
    raw = rate * amount
    below = amount < min_amount
    capped = raw > cap_item
    award = np.where(below, 0.0, np.minimum(raw, cap_item))
    return award, capped & ~below, below


def patent_qualifies(inv, util, design, min_grants, min_inv_share, min_util_share):
    """P8a's test: enough grants, and enough of them inventions or utility models."""
    total = inv + util + design
    safe = np.where(total > 0, total, 1)
    return (total >= min_grants) & ((inv / safe >= min_inv_share) | (util / safe >= min_util_share))


def cap_in_order(amount, group, cap):
    """Cap the sum of `amount` within each group, paying rows in their order.

    Each group's running total starts from zero and adds its own rows left to right, so a
    group's payments never depend on other groups (a cumulative sum over all rows would carry
    the rounding error of everything before it into every later group's cap test).

    Returns (paid, cut)."""
    if amount.size == 0:
        return amount, np.zeros(0, bool)
    order = np.argsort(group, kind="stable")  # by group, rows in their order within it
    a, g = amount[order], group[order]
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[first, a.size])
    prior = np.zeros(a.size)  # paid-for total of the earlier rows of the same group
    small = sizes <= _WALK
    by_size = np.argsort(-sizes[small], kind="stable")
    starts, desc = first[small][by_size], sizes[small][by_size]
    for k in range(1, int(desc[0]) if desc.size else 0):  # all small groups at once
        live = starts[: np.count_nonzero(desc > k)] + k
        prior[live] = prior[live - 1] + a[live - 1]
    for s, n in zip(first[~small], sizes[~small], strict=True):  # the few long groups
        prior[s + 1:s + n] = np.cumsum(a[s:s + n - 1])
    paid_sorted = np.clip(cap - prior, 0.0, a)
    paid = np.empty_like(amount)
    paid[order] = paid_sorted
    return paid, paid < amount


_WALK = 32  # groups up to this many rows are walked position by position, longer ones alone


# -- event tables and ledgers -------------------------------------------------------------
@dataclass
class Events:
    """Columnar events: one row an application (unit, year, event, amount, eligible)."""

    unit_id: np.ndarray  # int64
    year: np.ndarray  # int64
    event: np.ndarray  # int64 code into Policy.events
    amount: np.ndarray  # float64, NaN where blank
    eligible: np.ndarray  # bool
    rows: np.ndarray | None = None  # int64: each row's number in its file (header = row 1)

    def __len__(self) -> int:
        return self.unit_id.size

    @classmethod
    def from_columns(cls, policy: Policy, unit_id, year, event, amount=None, eligible=None):
        codes = {k: e.code for k, e in policy.events.items()}
        ev = np.asarray(event)
        if ev.dtype.kind in "US O".replace(" ", ""):
            ev = np.array([codes[e] for e in ev], dtype=np.int64)
        n = ev.size
        return cls(np.asarray(unit_id, np.int64), np.asarray(year, np.int64), ev.astype(np.int64),
                   np.full(n, np.nan) if amount is None else np.asarray(amount, np.float64),
                   np.ones(n, bool) if eligible is None else np.asarray(eligible, bool))


@dataclass
class Ledger:
    """One row per award (or zero award, with its reason): amounts in 万元."""

    unit_id: np.ndarray
    year: np.ndarray  # year the money is paid
    event_year: np.ndarray
    event_row: np.ndarray  # row of the triggering event (first row for P8a groups)
    clause: np.ndarray  # index into clause_ids
    kind: np.ndarray  # index into KIND_CODES
    amount: np.ndarray
    capped_by: np.ndarray  # index into CAPS
    reason: np.ndarray  # index into REASONS
    clause_ids: tuple[str, ...]

    def __len__(self) -> int:
        return self.amount.size

    def to_frame(self):
        import pandas as pd

        order = np.lexsort((self.event_row, self.clause, self.year, self.unit_id))
        return pd.DataFrame({
            "unit_id": self.unit_id[order], "year": self.year[order],
            "clause": np.asarray(self.clause_ids, dtype=object)[self.clause[order]],
            "kind": np.asarray(KIND_CODES, dtype=object)[self.kind[order]],
            "amount": self.amount[order],
            "capped_by": np.asarray(CAPS, dtype=object)[self.capped_by[order]],
            "reason": np.asarray(REASONS, dtype=object)[self.reason[order]],
            "event_year": self.event_year[order], "event_row": self.event_row[order],
        })

    def totals(self) -> dict[tuple[str, str], float]:
        """Total per (clause, kind), each an exactly rounded sum (math.fsum) of its rows."""
        out = {}
        for ci, cid in enumerate(self.clause_ids):
            for ki, kind in enumerate(KIND_CODES):
                m = (self.clause == ci) & (self.kind == ki)
                if m.any():
                    out[(cid, kind)] = math.fsum(self.amount[m])
        return out


class _Rows:
    """Accumulates ledger columns clause by clause."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in (
            "unit_id", "year", "event_year", "event_row", "clause", "kind", "amount",
            "capped_by", "reason")}

    def add(self, *, unit_id, year, event_year, event_row, clause, kind, amount, capped_by, reason):
        n = np.asarray(unit_id).size
        vals = dict(unit_id=unit_id, year=year, event_year=event_year, event_row=event_row,
                    clause=clause, kind=kind, amount=amount, capped_by=capped_by, reason=reason)
        for k, v in vals.items():
            self.cols[k].append(np.broadcast_to(np.asarray(v), (n,)).copy())

    def ledger(self, clause_ids) -> Ledger:
        dtypes = dict(unit_id=np.int64, year=np.int64, event_year=np.int64, event_row=np.int64,
                      clause=np.int16, kind=np.int8, amount=np.float64, capped_by=np.int8,
                      reason=np.int8)
        cols = {k: (np.concatenate(v).astype(dtypes[k]) if v else np.zeros(0, dtypes[k]))
                for k, v in self.cols.items()}
        return Ledger(**cols, clause_ids=tuple(clause_ids))


def _validity(policy: Policy, cid: str, ev: Events, idx: np.ndarray):
    """Window share and base reason code for event rows `idx` of clause `cid`."""
    years = ev.year[idx]
    uniq, inv = np.unique(years, return_inverse=True)
    share = np.array([policy.year_share(cid, int(y)) for y in uniq])[inv] if idx.size else \
        np.zeros(0)
    reason = np.zeros(idx.size, np.int8)
    reason[~ev.eligible[idx]] = R["ineligible"]
    reason[share <= 0] = R["out_of_window"]
    if not policy.clauses[cid].enabled:
        reason[:] = R["clause_off"]
    return share, reason


def compute_ledger(events: Events, policy: Policy) -> Ledger:
    """Every clause's award for every event row, with caps, window and switches applied."""
    rows = _Rows()
    ids = policy.clause_ids
    names = list(policy.events)
    rows_of = _rows_by_event(events.event, len(names))
    for ci, cid in enumerate(ids):
        c = policy.clauses[cid]
        if c.formula == "none":
            continue
        codes = [policy.events[t.event].code for t in c.triggers]
        idx = rows_of(codes)
        if idx.size == 0:
            continue
        share, reason = _validity(policy, cid, events, idx)
        ok = reason == 0
        unit, year = events.unit_id[idx], events.year[idx]
        amount_in = events.amount[idx]
        kind = KIND.get(c.kind, KIND["grant"])
        capped = np.zeros(idx.size, np.int8)
        if c.formula == "fixed":
            award = np.zeros(idx.size)
            trig_of = {policy.events[t.event].code: t for t in c.triggers}
            once = np.zeros(idx.size, bool)
            for code, t in trig_of.items():
                m = events.event[idx] == code
                basis = policy.events[names[code]].basis
                qty = np.nan_to_num(amount_in[m], nan=1.0) if basis == "count" else 1.0
                award[m] = policy.value(cid, t.param) * qty
                once[m] = t.once_per_unit
                if not policy.live(t):
                    reason[m & ok] = R["not_covered"]
            ok = reason == 0
            dup = _repeat_per_unit(unit, year, idx, ok & once)
            reason[dup] = R["already_awarded"]
            ok = reason == 0
            award = np.where(ok, award * share, 0.0)
        elif c.formula == "rate":
            p = c.params
            for t in c.triggers:  # rows of a trigger its switches leave out (P4's other side)
                if not policy.live(t):
                    reason[(events.event[idx] == policy.events[t.event].code) & ok] = \
                        R["not_covered"]
            ok = reason == 0
            amt = np.nan_to_num(amount_in, nan=0.0)
            award, cut, below = rate_award(
                amt, policy.value(cid, "rate"),
                policy.value(cid, "cap_per_item") if "cap_per_item" in p else np.inf,
                policy.value(cid, "min_amount") if "min_amount" in p else 0.0)
            reason[ok & below] = R["below_threshold"]
            ok = reason == 0
            capped[cut & ok] = CAP["per_item"]
            award = np.where(ok, award * share, 0.0)
            if "cap_per_unit_year" in p:
                group = _group(unit, year)
                award, cut2 = cap_in_order(award, group, policy.value(cid, "cap_per_unit_year"))
                capped[cut2] = CAP["per_unit_year"]
        elif c.formula == "patent_threshold":
            _patents(rows, policy, ci, cid, events, idx, share, reason, kind)
            continue
        elif c.formula == "schedule":
            _schedule(rows, policy, ci, cid, idx, unit, year, share, reason)
            continue
        reason = np.where(ok & (share < 1.0) & (award > 0), R["first_year_share"], reason)
        rows.add(unit_id=unit, year=year, event_year=year, event_row=idx, clause=ci, kind=kind,
                 amount=award, capped_by=capped, reason=reason)
    return rows.ledger(ids)


def _unit_year_key(unit: np.ndarray, year: np.ndarray) -> np.ndarray:
    """One int64 per (unit, year), ordered as (unit, year) pairs are.

    A 1-D key sorts an order of magnitude faster than np.unique(..., axis=1) on the pairs."""
    if unit.size == 0:
        return np.zeros(0, np.int64)
    y0 = year.min()
    span = np.int64(year.max() - y0 + 1)
    return (unit - unit.min()) * span + (year - y0)


def _rows_by_event(event: np.ndarray, n_codes: int):
    """A look-up: event codes -> their rows in ascending order; one sort instead of an isin
    pass over all events per clause."""
    small = event.astype(np.int16) if n_codes <= np.iinfo(np.int16).max else event
    order = np.argsort(small, kind="stable")  # radix sort for 16-bit keys
    bounds = np.r_[0, np.cumsum(np.bincount(event, minlength=n_codes))]

    def rows(codes: list[int]) -> np.ndarray:
        parts = [order[bounds[c]:bounds[c + 1]] for c in codes if 0 <= c < n_codes]
        if not parts:
            return np.zeros(0, np.int64)
        return parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))

    return rows


def _group(unit: np.ndarray, year: np.ndarray) -> np.ndarray:
    return np.unique(_unit_year_key(unit, year), return_inverse=True)[1].ravel()


def _repeat_per_unit(unit, year, idx, mask) -> np.ndarray:
    """Rows of `mask` that are not the unit's first (by year, then row)."""
    rep = np.zeros(unit.size, bool)
    sel = np.flatnonzero(mask)
    if sel.size:
        order = sel[np.lexsort((idx[sel], year[sel], unit[sel]))]
        first = np.r_[True, unit[order][1:] != unit[order][:-1]]
        rep[order[~first]] = True
    return rep


def _patents(rows, policy, ci, cid, ev, idx, share, reason, kind):
    """P8a: one row per unit-year with valid patent rows; invalid rows get their own zero rows."""
    ok = reason == 0
    bad = ~ok
    if bad.any():
        rows.add(unit_id=ev.unit_id[idx[bad]], year=ev.year[idx[bad]],
                 event_year=ev.year[idx[bad]], event_row=idx[bad], clause=ci, kind=kind,
                 amount=0.0, capped_by=0, reason=reason[bad])
    v = idx[ok]
    if v.size == 0:
        return
    keys, first, g = np.unique(_unit_year_key(ev.unit_id[v], ev.year[v]),
                               return_index=True, return_inverse=True)
    g = g.ravel()
    n_groups = keys.size
    cnt = np.nan_to_num(ev.amount[v], nan=1.0)
    code = {n: policy.events[n].code for n in ("patents_invention", "patents_utility",
                                                "patents_design")}
    tot = {n: np.bincount(g, weights=cnt * (ev.event[v] == c), minlength=n_groups)
           for n, c in code.items()}
    q = patent_qualifies(tot["patents_invention"], tot["patents_utility"], tot["patents_design"],
                         policy.value(cid, "min_grants"), policy.value(cid, "min_invention_share"),
                         policy.value(cid, "min_utility_share"))
    unit, year = ev.unit_id[v[first]], ev.year[v[first]]
    r = np.where(q, 0, R["below_threshold"]).astype(np.int8)
    if policy.switch("p8a_frequency") == "once_per_unit":
        dup = _repeat_per_unit(unit, year, v[first], q)
        r[dup] = R["already_awarded"]
    gshare = share[ok][first]
    amount = np.where(r == 0, policy.value(cid, "award") * gshare, 0.0)
    r = np.where((r == 0) & (gshare < 1.0), R["first_year_share"], r)
    rows.add(unit_id=unit, year=year, event_year=year, event_row=v[first], clause=ci, kind=kind,
             amount=amount, capped_by=0, reason=r)


def _schedule(rows, policy, ci, cid, idx, unit, year, share, reason):
    """P3, P13: instalments in their own years; later ones stop or not by the switch."""
    ok = reason == 0
    for offset, kind, amount in policy.schedule(cid):
        pay = year + offset
        py, inv = np.unique(pay, return_inverse=True)
        payable = np.array([policy.payable(cid, int(y)) for y in py], bool)[inv.ravel()]
        r = reason.copy()
        r[ok & ~payable] = R["after_window"]
        good = r == 0
        a = np.where(good, amount * share, 0.0)
        r = np.where(good & (share < 1.0), R["first_year_share"], r)
        rows.add(unit_id=unit, year=pay, event_year=year, event_row=idx, clause=ci,
                 kind=KIND[kind], amount=a, capped_by=0, reason=r)
