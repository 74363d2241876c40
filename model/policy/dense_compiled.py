"""The dense award core compiled (numba): the same money as `model.policy.dense`, bit for bit.

`dense_awards` (the readable reference) builds one (B, U) array per claim with NumPy
temporaries and the settlement then sums each with `x.sum(1)`. Here each clause is one pass
over its event arrays: a row of amounts is computed into a small scratch row (in cache), and
from it, in the same pass, the row's total (NumPy's pairwise summation, reproduced by
`model.numerics.pairwise_sum`, needed only when a row has three or more non-zero amounts:
with at most two, every order of summation gives the same bits), the firm receipts, and,
only where asked, the dense array or the instalment buffer.

Every elementwise expression below is the reference's, in the reference's order (e.g.
`(value * x) * (share * on)`), so the floats are the same. What the reference does that this
module does not reproduce (an event array with an item axis for a non-`rate` clause, more
than seven contract columns, a lever that is neither a scalar nor one value per run) raises
`Unsupported`, and the caller falls back to the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from model.numerics import pairwise_sum
from model.policy.core import KIND
from model.policy.dense import Award
from model.policy.spec import Policy

_SUM_SEQUENTIAL_MAX = 7  # NumPy sums up to 7 items in order; beyond, pairwise blocks


class Unsupported(Exception):
    """An input this module does not reproduce bit for bit: use the reference."""


# -- kernels ------------------------------------------------------------------------------
# Sink arguments shared by every kernel (one pass writes what the caller needs):
#   cs (B,)        row totals, x.sum(1) of the claim's amounts
#   recv (B, *)    receipts to add the amounts to, when add_recv
#   out (B, *)     zeros to write the amounts into, when write_out
#   pend (B, W, 3) instalment buffer to add the amounts to at slot `slot`, when slot >= 0
# Each returns the number of non-zero amounts.


@nb.njit(cache=True, inline="always")
def _emit(row, n, nnz, b, cs, recv, add_recv, out, write_out, pend, slot):
    """Send one row of amounts (nnz of them non-zero) to the sinks. Zeros are skipped:
    adding them would change nothing. A row with at most two non-zero amounts has the
    same total in every order of summation."""
    if nnz == 0:
        cs[b] = 0.0
        return 0
    if nnz <= _SPARSE:
        found = 0
        v1 = 0.0
        s = 0.0
        for u in range(n):
            v = row[u]
            if v != 0.0:
                if add_recv:
                    recv[b, u] += v
                if write_out:
                    out[b, u] = v
                if slot >= 0:
                    pend[b, u, slot] += v
                found += 1
                if found == 1:
                    v1 = v
                elif found == 2:
                    s = v1 + v
                if found == nnz:
                    break
        if nnz == 1:
            cs[b] = v1
        elif nnz == 2:
            cs[b] = s
        else:
            cs[b] = pairwise_sum(row, 0, n)
        return nnz
    if add_recv:
        for u in range(n):
            recv[b, u] += row[u]
    if write_out:
        for u in range(n):
            out[b, u] = row[u]
    if slot >= 0:
        for u in range(n):
            pend[b, u, slot] += row[u]
    cs[b] = pairwise_sum(row, 0, n)
    return nnz


_SPARSE = 16  # rows with at most this many non-zero amounts are walked, not swept


@nb.njit(cache=True)
def _fixed(xs, vals, once, seen, onpos, w, cs, recv, add_recv, out, write_out, pend, slot):
    """Fixed amounts per trigger: sum of value × count (or × fresh, for once-per-unit)."""
    B, n = xs[0].shape
    row = np.empty(n)
    once_seen = np.zeros(n, np.bool_)
    any_once = False
    for i in range(len(xs)):
        any_once = any_once or once[i]
    total = 0
    for b in range(B):
        for u in range(n):
            row[u] = 0.0
        first = True
        for i in range(len(xs)):
            x = xs[i]
            v = vals[i, b]
            if once[i]:
                if first:
                    for u in range(n):
                        f = (x[b, u] > 0) & ~seen[b, u]
                        once_seen[u] = f
                        row[u] = row[u] + v * (1.0 if f else 0.0)
                    first = False
                else:
                    for u in range(n):
                        f = (x[b, u] > 0) & ~seen[b, u] & ~once_seen[u]
                        once_seen[u] = once_seen[u] | f
                        row[u] = row[u] + v * (1.0 if f else 0.0)
            else:
                for u in range(n):
                    row[u] = row[u] + v * x[b, u]
        if any_once and onpos[b]:
            for u in range(n):
                seen[b, u] = seen[b, u] | once_seen[u]
        wb = w[b]
        nnz = 0
        for u in range(n):
            a = row[u] * wb
            row[u] = a
            nnz += a != 0.0
        total += _emit(row, n, nnz, b, cs, recv, add_recv, out, write_out, pend, slot)
    return total


@nb.njit(cache=True, inline="always")
def _rate_item(xv, r, ci, mn):
    """One item's award: rate × amount, capped per item, zero below the minimum (the
    reference's np.where(below, 0, np.minimum(raw, cap)): caps are not NaN, the planner
    checks, so a select reproduces np.minimum, NaN amounts included)."""
    raw = r * xv
    a = ci if raw > ci else raw
    return 0.0 if xv < mn else a


@nb.njit(cache=True)
def _rate_part(x, owner, owned, b, r, ci, mn, row):
    """Run b's per-unit sums of one event array's item awards into `row`: each unit's own
    items summed in item order (x.sum(axis=2)), or, when `owned`, each item added to the unit
    `owner` names (-1: none), in row then item order from 0.0 (np.bincount). Items whose award
    is 0.0 are skipped in the latter: a running sum from +0.0 is never -0.0, so adding +0.0
    changes nothing."""
    n, K = x.shape[1], x.shape[2]
    if not owned:
        for k in range(K):
            for u in range(n):
                a = _rate_item(x[b, u, k], r, ci, mn)
                row[u] = a if k == 0 else row[u] + a
        return
    for u in range(n):
        row[u] = 0.0
    for i in range(n):
        for k in range(K):
            o = owner[b, i, k]
            if o >= 0:
                a = _rate_item(x[b, i, k], r, ci, mn)
                if a != 0.0:
                    row[o] = row[o] + a


@nb.njit(cache=True)
def _rate(x1, o1, own1, x2, o2, own2, two, rate, cap_item, min_amount, w, has_cap_unit,
          cap_unit, cs, recv, add_recv, out, write_out, pend, slot):
    """rate × amount per item (zero below the minimum, capped per item), summed per unit over
    the item axis (or to the unit that owns each item), the second event array's sums added
    to the first's, × window share, capped per unit and year."""
    B, n = x1.shape[0], x1.shape[1]
    row = np.empty(n)
    row2 = np.empty(n)
    total = 0
    for b in range(B):
        r, ci, mn, wb, cu = rate[b], cap_item[b], min_amount[b], w[b], cap_unit[b]
        _rate_part(x1, o1, own1, b, r, ci, mn, row)
        if two:
            _rate_part(x2, o2, own2, b, r, ci, mn, row2)
            for u in range(n):
                row[u] = row[u] + row2[u]
        nnz = 0
        for u in range(n):
            a = row[u] * wb
            if has_cap_unit:
                a = cu if a > cu else a
            row[u] = a
            nnz += a != 0.0
        total += _emit(row, n, nnz, b, cs, recv, add_recv, out, write_out, pend, slot)
    return total


@nb.njit(cache=True)
def _patent(inv, has_util, util, has_des, des, min_grants, min_inv, min_util, once, seen,
            onpos, award, w, cs, recv, add_recv, out, write_out, pend, slot):
    """P8a: enough grants, enough of them inventions or utility models; once per unit or
    every year."""
    B, n = inv.shape
    row = np.empty(n)
    qrow = np.zeros(n, np.bool_)
    total = 0
    for b in range(B):
        mg, mi, mu, ab, wb = min_grants[b], min_inv[b], min_util[b], award[b], w[b]
        nnz = 0
        for u in range(n):
            iv = inv[b, u]
            ut = util[b, u] if has_util else 0.0
            tot = (iv + ut) + (des[b, u] if has_des else 0.0)
            q = tot >= mg
            if q:  # rare: the shares (two divisions) only where the count passes
                safe = tot if tot > 0 else 1.0
                q = (iv / safe >= mi) | (ut / safe >= mu)
            if once:
                q = q & ~seen[b, u]
                qrow[u] = q
            a = (ab * (1.0 if q else 0.0)) * wb
            row[u] = a
            nnz += a != 0.0
        if once and onpos[b]:
            for u in range(n):
                seen[b, u] = seen[b, u] | qrow[u]
        total += _emit(row, n, nnz, b, cs, recv, add_recv, out, write_out, pend, slot)
    return total


@nb.njit(cache=True)
def _schedule(x, amount, w, cs, recv, add_recv, out, write_out, pend, slot):
    """One instalment: amount × count × window share."""
    B, n = x.shape
    row = np.empty(n)
    total = 0
    for b in range(B):
        a, wb = amount[b], w[b]
        nnz = 0
        for u in range(n):
            v = (a * x[b, u]) * wb
            row[u] = v
            nnz += v != 0.0
        total += _emit(row, n, nnz, b, cs, recv, add_recv, out, write_out, pend, slot)
    return total


@nb.njit(cache=True)
def due_and_shift(buf, n, cs, recv, add_recv, out, write_out):
    """A year passes for an instalment buffer, in one sweep: what falls due (slot 0, units
    < n) goes to the sinks as a claim, later slots move one year closer. Units with nothing
    pending (most) are only read."""
    B, W, S = buf.shape
    row = np.empty(n)
    pend = np.empty((0, 0, 0))
    total = 0
    for b in range(B):
        nnz = 0
        if S == 3:
            for u in range(W):
                v0 = buf[b, u, 0]
                v1 = buf[b, u, 1]
                v2 = buf[b, u, 2]
                if u < n:
                    row[u] = v0
                    nnz += v0 != 0.0
                if (v0 != 0.0) | (v1 != 0.0) | (v2 != 0.0):
                    buf[b, u, 0] = v1
                    buf[b, u, 1] = v2
                    buf[b, u, 2] = 0.0
        else:
            for u in range(n):
                v = buf[b, u, 0]
                row[u] = v
                nnz += v != 0.0
            for u in range(W):
                for j in range(S - 1):
                    buf[b, u, j] = buf[b, u, j + 1]
                buf[b, u, S - 1] = 0.0
        total += _emit(row, n, nnz, b, cs, recv, add_recv, out, write_out, pend, -1)
    return total


# -- plans --------------------------------------------------------------------------------
_NO2 = np.empty((0, 0))
_NO3 = np.empty((0, 0, 0))
_NOOWN = np.empty((0, 0, 0), np.int32)


@dataclass
class Job:
    """One claim of the year before it is computed: clause, kind, offset, and the kernel call."""

    clause: int
    kind: int
    offset: int
    width: int  # units (columns) of the claim
    kernel: object
    args: tuple  # the kernel's arguments before the sink

    def run(self, cs: np.ndarray, recv: np.ndarray | None = None, out: np.ndarray | None = None,
            pend: np.ndarray | None = None, slot: int = -1) -> int:
        """Compute the claim into the sinks given (`pend[:, :, slot]` for an instalment);
        returns its number of non-zero amounts."""
        return self.kernel(*self.args, cs, _NO2 if recv is None else recv, recv is not None,
                           _NO2 if out is None else out, out is not None,
                           _NO3 if pend is None else pend, slot if pend is not None else -1)


def _events(x) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


def _per_run(v, B: int) -> np.ndarray:
    """A clause value as one float per run: a scalar, or a (B, 1) lever (see
    batch._slice_policy). Other shapes broadcast differently in the reference: unsupported."""
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 0 or a.shape == (1, 1):
        return np.full(B, float(a.reshape(())))
    if a.shape == (B, 1):
        return np.ascontiguousarray(a[:, 0])
    raise Unsupported(f"clause value of shape {a.shape}")


def _clause_table(policy: Policy, year: int, on: np.ndarray) -> list[tuple]:
    """What `dense_awards` decides from the policy alone (window shares, switches, values
    per run), once per (policy, year, on): the per-year part of planning, cached."""
    key = (id(policy), year, on.shape[0])
    hit = _TABLES.get(key)
    if hit is not None and hit[0] is policy and np.array_equal(hit[1], on):
        return hit[2]
    B = on.shape[0]
    table = []
    for ci, (cid, c) in enumerate(policy.clauses.items()):
        share = policy.year_share(cid, year)
        if c.formula == "none" or share <= 0.0:
            continue
        w = np.ascontiguousarray((share * on)[:, 0], dtype=np.float64)
        kind = KIND.get(c.kind, KIND["grant"])
        if c.formula == "fixed":
            trig = [(t.event, _per_run(policy.value(cid, t.param), B), t.once_per_unit)
                    for t in c.triggers if policy.live(t)]
            spec = (trig,)
        elif c.formula == "rate":
            p = c.params
            has_cu = "cap_per_unit_year" in p
            parts = [(t.event, policy.events[t.event].view_of, policy.events[t.event].unit_from)
                     for t in c.triggers if policy.live(t)]
            spec = (parts, _per_run(policy.value(cid, "rate"), B),
                    _per_run(policy.value(cid, "cap_per_item"), B) if "cap_per_item" in p
                    else np.full(B, np.inf),
                    _per_run(policy.value(cid, "min_amount"), B) if "min_amount" in p
                    else np.zeros(B),
                    has_cu,
                    _per_run(policy.value(cid, "cap_per_unit_year"), B) if has_cu
                    else np.zeros(B))
            _, _, cap_item, _, _, cap_unit_year = spec
            if np.isnan(cap_item).any() or np.isnan(cap_unit_year).any():
                raise Unsupported(f"{cid}: a NaN cap")
        elif c.formula == "patent_threshold":
            spec = (policy.switch("p8a_frequency") == "once_per_unit",
                    *(_per_run(policy.value(cid, k), B) for k in (
                        "min_grants", "min_invention_share", "min_utility_share", "award")))
        elif c.formula == "schedule":
            spec = (c.triggers[0].event,
                    [(offset, KIND[k], _per_run(amount, B))
                     for offset, k, amount in policy.schedule(cid)
                     if policy.payable(cid, year + offset)])
        else:
            continue
        table.append((ci, cid, c.formula, kind, w, spec))
    if len(_TABLES) > 256:
        _TABLES.clear()
    _TABLES[key] = (policy, on.copy(), table)
    return table


_TABLES: dict[tuple, tuple] = {}


def plan_awards(policy: Policy, year: int, ev: dict[str, np.ndarray], on: np.ndarray,
                hist: dict[str, np.ndarray]) -> list[Job]:
    """The claims `dense_awards` would return, in its order, not yet computed.

    Mutates nothing: the kernels update `hist` (once-per-unit clauses) when the jobs run.
    `hist` maps clause ids to (B, >= U) bool arrays (C-contiguous, full width)."""
    jobs: list[Job] = []
    B = on.shape[0]
    if on.ndim != 2 or on.shape[1] != 1:
        raise Unsupported(f"on of shape {on.shape}")
    onpos = None
    for ci, cid, formula, kind, w, spec in _clause_table(policy, year, on):
        if formula == "fixed":
            trig = [(_events(ev[e]), v, o) for e, v, o in spec[0] if ev.get(e) is not None]
            if not trig:
                continue
            xs = tuple(t[0] for t in trig)
            if any(x.ndim != 2 or x.shape != xs[0].shape or x.shape[0] != B for x in xs):
                raise Unsupported(f"{cid}: events of shapes {[x.shape for x in xs]}")
            n = xs[0].shape[1]
            once = np.array([t[2] for t in trig])
            seen = _seen(hist, cid, B, n) if once.any() else _NOSEEN
            if onpos is None:
                onpos = np.ascontiguousarray(on[:, 0] > 0)
            jobs.append(Job(ci, kind, 0, n, _fixed, (
                xs, np.stack([t[1] for t in trig]), once, seen, onpos, w)))
        elif formula == "rate":
            parts = []
            for event, view_of, unit_from in spec[0]:
                x = ev.get(view_of or event)
                owner = ev.get(unit_from) if view_of else None
                if x is None or (view_of and owner is None):
                    continue
                x = _events(x)
                if x.ndim == 2:
                    x = x[:, :, None]
                if x.ndim != 3 or x.shape[2] > _SUM_SEQUENTIAL_MAX or x.shape[0] != B:
                    raise Unsupported(f"{cid}: events of shape {x.shape}")
                if owner is not None:
                    owner = np.ascontiguousarray(owner)
                    if owner.shape != x.shape or owner.dtype.kind != "i":
                        raise Unsupported(f"{cid}: owners of shape {owner.shape}")
                parts.append((x, _NOOWN if owner is None else owner, owner is not None))
            if not parts:
                continue
            if len(parts) > 2 or parts[-1][0].shape[1] != parts[0][0].shape[1]:
                raise Unsupported(f"{cid}: {len(parts)} event arrays")
            two = len(parts) == 2
            x2 = parts[1] if two else (_NO3, _NOOWN, False)
            jobs.append(Job(ci, kind, 0, parts[0][0].shape[1], _rate,
                            (*parts[0], *x2, two, *spec[1:4], w, *spec[4:])))
        elif formula == "patent_threshold":
            inv = ev.get("patents_invention")
            if inv is None:
                continue
            inv = _events(inv)
            if inv.ndim != 2 or inv.shape[0] != B:
                raise Unsupported(f"{cid}: events of shape {inv.shape}")
            n = inv.shape[1]
            util, des = ev.get("patents_utility"), ev.get("patents_design")
            util = _NO2 if util is None else _events(util)
            des = _NO2 if des is None else _events(des)
            if any(a is not _NO2 and a.shape != inv.shape for a in (util, des)):
                raise Unsupported(f"{cid}: patent events of different shapes")
            once = spec[0]
            seen = _seen(hist, cid, B, n) if once else _NOSEEN
            if onpos is None:
                onpos = np.ascontiguousarray(on[:, 0] > 0)
            jobs.append(Job(ci, kind, 0, n, _patent, (inv, util is not _NO2, util,
                                                      des is not _NO2, des, *spec[1:4], once, seen,
                                                      onpos, spec[4], w)))
        elif formula == "schedule":
            x = ev.get(spec[0])
            if x is None:
                continue
            x = _events(x)
            if x.ndim != 2 or x.shape[0] != B:
                raise Unsupported(f"{cid}: events of shape {x.shape}")
            for offset, k, amount in spec[1]:
                jobs.append(Job(ci, k, offset, x.shape[1], _schedule, (x, amount, w)))
    return jobs


_NOSEEN = np.zeros((1, 1), np.bool_)


def _seen(hist: dict[str, np.ndarray], cid: str, B: int, n: int) -> np.ndarray:
    """The clause's paid-before flags, written in place; a throwaway if the run keeps none
    (as the reference's `hist.setdefault` on a copy of the dict)."""
    h = hist.get(cid)
    if h is None:
        return np.zeros((B, n), bool)
    if h.dtype != np.bool_ or h.ndim != 2 or h.shape[0] != B or h.shape[1] < n \
            or not h.flags.c_contiguous:
        raise Unsupported(f"{cid}: hist of shape {h.shape}")
    return h


def compiled_awards(policy: Policy, year: int, ev: dict[str, np.ndarray], on: np.ndarray,
                    hist: dict[str, np.ndarray]) -> list[Award]:
    """`dense_awards` through the kernels: the same Award list, bit for bit (tests use it).

    `hist` here holds full-width C-contiguous arrays (the reference accepts views)."""
    out = []
    B = on.shape[0]
    for job in plan_awards(policy, year, ev, on, hist):
        amount = np.zeros((B, job.width))
        job.run(np.zeros(B), out=amount)
        out.append(Award(job.clause, job.kind, job.offset, amount))
    return out


__all__ = ["Job", "Unsupported", "compiled_awards", "due_and_shift", "plan_awards"]
