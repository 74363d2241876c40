"""Award bookkeeping of a run: claims booked, paid (or rationed by a budget line), instalments
kept for later years, and what is still owed after the horizon.

The yearly loop (model.dynamics) calls `settle_year` once per year with the year's events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.budget import pay
from model.policy.core import KIND_CODES
from model.policy.dense import dense_awards
from model.policy.dense_compiled import Unsupported, due_and_shift, plan_awards
from model.state import State

if TYPE_CHECKING:
    from model.dynamics import Context

GROUPS = ("firm", "institute", "carrier")
MAX_OFFSET = 3


@dataclass
class Fiscal:
    """Money per run, clause, kind and year: claimed, paid, and committed beyond the horizon.

    With a budget line (model.budget), claims the line left unpaid are `carried` (owed at the
    end of the year, presented again next year) or `dropped`; per clause and kind,
    sum(claims) = sum(paid) + sum(dropped) + carried[..., -1]."""

    claims: np.ndarray  # (B, C, K, Y) new claims of the year (carried ones not counted again)
    paid: np.ndarray  # (B, C, K, Y)
    committed: np.ndarray  # (B, C, K, MAX_OFFSET): due 1, 2, 3 years after the horizon
    carried: np.ndarray | None = None  # (B, C, K, Y) unpaid at the end of the year, carried
    dropped: np.ndarray | None = None  # (B, C, K, Y) unpaid and dropped in the year

    def __post_init__(self) -> None:
        for a in ("carried", "dropped"):
            if getattr(self, a) is None:
                setattr(self, a, np.zeros_like(self.paid))

    @classmethod
    def zeros(cls, B: int, n_clauses: int, n_years: int) -> Fiscal:
        K = len(KIND_CODES)
        return cls(np.zeros((B, n_clauses, K, n_years)), np.zeros((B, n_clauses, K, n_years)),
                   np.zeros((B, n_clauses, K, MAX_OFFSET)))


def init_run(st: State, ctx: Context) -> None:
    """Attach the award bookkeeping a run needs to its state."""
    B = st.B
    st.extra["fiscal"] = Fiscal.zeros(B, len(ctx.policy.clauses), len(ctx.layout.years))
    L = ctx.layout
    widths = {"firm": L.n_firms, "institute": L.n_inst, "carrier": L.n_carriers}
    st.extra["pending"] = {}  # (group, clause, kind) -> (B, width, MAX_OFFSET)
    st.extra["widths"] = widths
    # whether a unit was paid before, for clauses paid once per unit (full width, kept)
    once = [cid for cid, c in ctx.policy.clauses.items()
            if any(t.once_per_unit for t in c.triggers) or c.formula == "patent_threshold"]
    st.extra["hist"] = {g: {cid: np.zeros((B, w), bool) for cid in once}
                        for g, w in widths.items()}


def fund_investment_due(st: State, ctx: Context, year: int) -> np.ndarray:
    fiscal: Fiscal = st.extra["fiscal"]
    y = st.layout.year_index(year)
    return fiscal.paid[:, :, KIND_CODES.index("fund_investment"), y].sum(1)


def settle_year(st: State, ctx: Context, year: int, ev: dict) -> np.ndarray:
    """Book the year's claims, pay them (through the budget, if any); return firms' receipts.

    With `ctx.engine == "compiled"` the compiled path (`_settle_compiled`) books the same bits;
    what follows here is the reference it is tested against."""
    if getattr(ctx, "engine", "reference") == "compiled":
        received = _settle_compiled(st, ctx, year, ev)
        if received is not None:
            return received
    fiscal: Fiscal = st.extra["fiscal"]
    pending, hist, widths = st.extra["pending"], st.extra["hist"], st.extra["widths"]
    y = st.layout.year_index(year)
    n = {"firm": st.f["active"].shape[1], "institute": widths["institute"],
         "carrier": widths["carrier"]}
    # pending[key][:, u, j] is due j years from now: instalments due this year come first
    claims = [(g, c, k, buf[:, :n[g], 0].copy()) for (g, c, k), buf in pending.items()]
    n_due = len(claims)
    for g in GROUPS:
        h = {cid: v[:, :n[g]] for cid, v in hist[g].items()}
        for a in dense_awards(ctx.policy, year, ev[g], ctx.on, h):
            if a.offset == 0:
                claims.append((g, a.clause, a.kind, a.amount))
            else:
                key = (g, a.clause, a.kind)
                buf = pending.setdefault(key, np.zeros((st.B, widths[g], MAX_OFFSET)))
                buf[:, :n[g], a.offset] += a.amount
    for buf in pending.values():
        buf[..., :-1] = buf[..., 1:]
        buf[..., -1] = 0.0
    # claims a budget line left unpaid in earlier years and carried are presented first
    carry = st.extra.setdefault("carry", {})
    back = [(g, c, k, buf[:, :n[g]].copy()) for (g, c, k), buf in carry.items()]
    carry.clear()
    claims = back + claims
    paid = pay(claims, ctx.budget, year, ctx.policy, n_carried=len(back), n_due=n_due)
    claimed_total = np.zeros(st.B)
    paid_total = np.zeros(st.B)
    received = np.zeros((st.B, n["firm"]))
    for j, ((g, c, k, amt), pd_) in enumerate(zip(claims, paid, strict=True)):
        _book(fiscal, y, (g, c, k), amt, pd_, j >= len(back), claimed_total, paid_total,
              received, ctx.budget, carry, widths[g], n[g])
    st.z["pay_ratio"] = np.where(claimed_total > 0, paid_total / np.maximum(claimed_total, 1e-12),
                                 st.z["pay_ratio"])
    return received


def _settle_compiled(st: State, ctx: Context, year: int, ev: dict) -> np.ndarray | None:
    """`settle_year`'s bookkeeping with the compiled award core; the same bits.

    Why it is faster: one pass per claim computes its amounts, row totals and firm receipts
    together (model.policy.dense_compiled); claims that are zero in every run (most, most
    years) are skipped wherever adding zeros is a no-op: x + 0.0 == x, and the budget's
    rationing of the other claims does not depend on them (guarded: every line's limit
    >= 0); without a budget line the paid amounts are the claims, so the generic rationing
    and its copies are skipped. Claims keep the reference's order, so every running total adds
    the same numbers in the same order; the pending, carry and hist dictionaries get the same
    keys in the same order. Returns None (before touching anything) for an input the kernels
    do not reproduce; the caller then runs the reference.
    """
    fiscal: Fiscal = st.extra["fiscal"]
    pending, hist, widths = st.extra["pending"], st.extra["hist"], st.extra["widths"]
    budget = ctx.budget
    B = st.B
    n = {"firm": st.f["active"].shape[1], "institute": widths["institute"],
         "carrier": widths["carrier"]}
    try:
        on = np.asarray(ctx.on, np.float64)
        plans = {g: plan_awards(ctx.policy, year, ev[g], on, hist[g]) for g in GROUPS}
        for g, jobs in plans.items():
            if any(j.width != n[g] or not 0 <= j.offset < MAX_OFFSET for j in jobs):
                raise Unsupported(f"{g}: claim width or offset")
        for (g, _, _), buf in pending.items():
            if (buf.dtype != np.float64 or not buf.flags.c_contiguous
                    or buf.shape != (B, widths[g], MAX_OFFSET)):
                raise Unsupported("pending buffer")
        if budget is None and st.extra.get("carry"):
            raise Unsupported("claims carried without a budget line")
        if budget is not None and not all(line.limit >= 0 for line in budget.lines()):
            raise Unsupported("a budget line below zero")
    except Unsupported:
        return None
    y = st.layout.year_index(year)
    received = np.zeros((B, n["firm"]))
    carry = st.extra.setdefault("carry", {})
    if budget is None:
        claimed_total = np.zeros(B)
        cs = np.empty(B)

        def book(c: int, k: int) -> None:
            fiscal.claims[:, c, k, y] += cs
            fiscal.paid[:, c, k, y] += cs
            claimed_total[:] += cs

        # instalments due this year first; the buffers move one year on in the same sweep,
        # so this year's new instalments go one slot lower than the reference puts them
        # before its shift: the same additions, in the same order
        for (g, c, k), buf in list(pending.items()):
            if due_and_shift(buf, n[g], cs, received, g == "firm", _NO2, False):
                book(c, k)
        for g in GROUPS:
            recv = received if g == "firm" else None
            for job in plans[g]:
                if job.offset == 0:
                    if job.run(cs, recv=recv):
                        book(job.clause, job.kind)
                else:
                    buf = pending.setdefault((g, job.clause, job.kind),
                                             np.zeros((B, widths[g], MAX_OFFSET)))
                    job.run(cs, pend=buf, slot=job.offset - 1)
        carry.clear()
        paid_total = claimed_total
    else:
        # the claim list as the reference builds it (carried, due, new); all-zero claims are
        # kept as None: they only create their carry key
        back = []
        for (g, c, k), buf in carry.items():
            amt = buf[:, :n[g]].copy()
            back.append((g, c, k, amt if amt.any() else None))
        carry.clear()
        due, new = [], []
        tmp = np.empty(B)
        for (g, c, k), buf in list(pending.items()):
            amt = np.zeros((B, n[g]))
            nz = due_and_shift(buf, n[g], tmp, _NO2, False, amt, True)
            due.append((g, c, k, amt if nz else None))
        for g in GROUPS:
            for job in plans[g]:
                if job.offset == 0:
                    amt = np.zeros((B, n[g]))
                    new.append((g, job.clause, job.kind, amt if job.run(tmp, out=amt) else None))
                else:
                    buf = pending.setdefault((g, job.clause, job.kind),
                                             np.zeros((B, widths[g], MAX_OFFSET)))
                    job.run(tmp, pend=buf, slot=job.offset - 1)
        claims = back + due + new
        live = [j for j, e in enumerate(claims) if e[3] is not None]
        paid_live = pay([claims[j] for j in live], budget, year, ctx.policy,
                        n_carried=sum(e[3] is not None for e in back),
                        n_due=sum(e[3] is not None for e in due))
        paid = dict(zip(live, paid_live, strict=True))
        claimed_total = np.zeros(B)
        paid_total = np.zeros(B)
        for j, (g, c, k, amt) in enumerate(claims):
            if budget.unpaid == "carry":  # the reference's key order, skipped claims too
                carry.setdefault((g, c, k), np.zeros((B, widths[g])))
            if amt is not None:
                _book(fiscal, y, (g, c, k), amt, paid[j], j >= len(back), claimed_total,
                      paid_total, received, budget, carry, widths[g], n[g])
    st.z["pay_ratio"] = np.where(claimed_total > 0, paid_total / np.maximum(claimed_total, 1e-12),
                                 st.z["pay_ratio"])
    return received


_NO2 = np.empty((0, 0))


def _book(fiscal: Fiscal, y: int, key: tuple, amt: np.ndarray, pd_: np.ndarray, new: bool,
          claimed_total: np.ndarray, paid_total: np.ndarray, received: np.ndarray, budget,
          carry: dict, width: int, n: int) -> None:
    """Book one claim entry (group, clause, kind) of year y: what was claimed (`new`: not
    carried from an earlier year), paid, and carried or dropped under a budget line."""
    g, c, k = key
    cs, ps = amt.sum(1), pd_.sum(1)
    if new:
        fiscal.claims[:, c, k, y] += cs
    fiscal.paid[:, c, k, y] += ps
    claimed_total += cs
    paid_total += ps
    if g == "firm":
        received += pd_
    if budget is not None:
        left = amt - pd_
        if budget.unpaid == "carry":
            buf = carry.setdefault(key, np.zeros((amt.shape[0], width)))
            buf[:, :n] += left
            fiscal.carried[:, c, k, y] += left.sum(1)
        else:
            fiscal.dropped[:, c, k, y] += left.sum(1)


def close_run(st: State, ctx: Context) -> None:
    """Instalments still pending after the horizon are commitments: book them."""
    fiscal: Fiscal = st.extra["fiscal"]
    for (_, c, k), buf in st.extra["pending"].items():
        fiscal.committed[:, c, k, :] += buf.sum(1)


__all__ = ["GROUPS", "MAX_OFFSET", "Fiscal", "close_run", "fund_investment_due", "init_run",
           "settle_year"]
